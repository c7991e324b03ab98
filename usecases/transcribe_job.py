"""The worker's use case: one job from queued to completed or failed, exactly once.

Rules:
- Idempotent on redelivery: a finished job is acknowledged and skipped; a job another worker
  is processing (live lease) raises JobBusy so the queue delivers it again later.
- Checkpoints on the job row (result saved, delivered) let a redelivered job continue where a
  crashed worker stopped: the text is never delivered twice, the user never charged twice.
- Transient failures release the lease and propagate, so the queue redelivers; after
  ``policy.max_job_attempts`` claims the job fails. Permanent failures fail the job at once.
- A failed job refunds everything it took and tells the user in plain words; the status
  message never stays frozen on a stage.
- Billing settles from the real decoded duration (a document's
  declared duration is 0 or unknown): extra minutes are charged before the
  expensive work, and a balance that cannot cover them fails the job with a full refund.
- Bounded steps (``usecases.steps``): one call runs until its ``Deadline``; what it paid for is
  checkpointed on the row as it arrives (transcoded audio kept in the blob store, each chunk's
  text, the passes' task ids, the recognised text before formatting, each formatted piece). A
  step that runs out of time queues the job again (``continued``); the next step starts where it
  stopped, so no retry or continuation repeats paid work. ``policy.max_job_steps`` bounds it.
"""

from __future__ import annotations

import json
import logging
import tempfile
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import attrs

from domain.audio import ProbeResult, Span
from domain.billing import balance_warning, minutes_for, minutes_for_share, settle
from domain.dialogue import format_dialogue
from domain.job import Job
from domain.policy import Policy
from domain.stored_segments import encode_segments
from domain.transcript import TranscriptionMode
from domain.users import User, UserSettings
from ports.blob_store import BlobStore, DirectUploads
from ports.chat import Button, Chat, Keyboard
from ports.clock import Clock
from ports.errors import (
    ChatBlocked,
    ConflictError,
    ContentRejected,
    DownloadFailed,
    FileTooBig,
    PermanentFailure,
    PortError,
    SilentVideo,
    TransientFailure,
    UndecodableMedia,
)
from ports.job_queue import JobQueue
from ports.repositories import CachedResult, Jobs, Logs, Results, TranscriptionLog, Users
from presentation.callbacks import EXPORT_FORMATS, ExportPress, encode
from presentation.catalogue import say
from presentation.keys import Key, M
from usecases.billing import JobBilling
from usecases.delivery import deliver_text, planned_parts
from usecases.errors import DecodeLimitReached, JobBusy, UserBusy, UserFacingError
from usecases.formatting import FormattingChain
from usecases.progress import StatusMessage, progress_text
from usecases.steps import Deadline, Outcome, StepInterrupted
from usecases.transcript_actions import transcript_keyboard
from usecases.transcription import RecognitionState, Transcoded, Transcriber, TranscriptionResult

log = logging.getLogger(__name__)



def export_keyboard(job_id: str) -> Keyboard:
    """Buttons under a transcript: the text with timestamps as .txt, .srt or .vtt."""
    return (tuple(Button(f"⬇️ .{fmt}", encode(ExportPress(job_id, fmt))) for fmt in EXPORT_FORMATS),)


@attrs.frozen
class JobOutcome:
    job_id: str
    status: Outcome
    detail: str = ""


# ``Job.error`` of a job whose last attempt met a transient failure (provider and code follow).
TRANSIENT_MARK = "transient:"
# Transient failures of our own making, not a provider's: the work itself ran too long.
_OWN_LIMITS = ("ffmpeg:timeout", "worker:")


def _exhausted_key(job: Job) -> Key:
    """What to tell the user when a job's attempts ran out: a provider outage is reported as such
    (minutes returned, try again later); only time limits of our own suggest a shorter file."""
    error = job.error or ""
    if error.startswith(TRANSIENT_MARK) and not error[len(TRANSIENT_MARK):].startswith(_OWN_LIMITS):
        return M.err_outage
    return M.err_timeout


class _JobState(RecognitionState):
    """The job row as the step's checkpoint store: every save is a versioned write of the row."""

    def __init__(self, jobs: Jobs, job: Job) -> None:
        self._jobs = jobs
        self._lock = threading.Lock()
        self.job = job

    def update(self, change: Callable[[Job], Job]) -> Job:
        with self._lock:
            self.job = self._jobs.save(change(self.job))
            return self.job

    def chunk_texts(self) -> dict[int, str]:
        return self.job.chunk_texts

    def save_chunk(self, index: int, text: str) -> None:
        self.update(lambda job: job.with_chunk_text(index, text))

    def pass_tasks(self) -> dict[str, str]:
        return self.job.pass_tasks

    def save_pass_tasks(self, tasks: dict[str, str]) -> None:
        self.update(lambda job: job.with_pass_tasks(tasks))

    def save_piece(self, index: int, text: str) -> None:
        self.update(lambda job: job.with_formatted_piece(index, text))


def _audio_facts(audio: Transcoded) -> str:
    probe = audio.probe
    return json.dumps({"duration_ms": probe.duration_ms, "mime_type": audio.mime_type,
                       "extension": audio.path.suffix.lstrip("."),
                       "silences": None if probe.silences is None else [[s.start_ms, s.end_ms] for s in probe.silences]})


class TranscribeJob:
    def __init__(
        self, *, jobs: Jobs, users: Users, logs: Logs, results: Results, chat: Chat,
        transcriber: Transcriber, formatting: FormattingChain, clock: Clock, policy: Policy,
        blobs: BlobStore, queue: JobQueue, uploads: DirectUploads | None = None,
    ) -> None:
        self._jobs = jobs
        self._users = users
        self._logs = logs
        self._results = results
        self._chat = chat
        self._transcriber = transcriber
        self._formatting = formatting
        self._clock = clock
        self._policy = policy
        self._blobs = blobs
        self._queue = queue
        # Files users uploaded straight to storage (``Job.source_key``) are read from here.
        self._uploads = uploads
        self._billing = JobBilling(users)

    # -- entry -----------------------------------------------------------------------------------
    def __call__(self, job_id: str, deadline: Deadline | None = None) -> JobOutcome:
        """Run one step of the job; ``deadline`` defaults to ``policy.step_budget_s`` from now."""
        deadline = deadline or Deadline.after(self._clock, self._policy.step_budget_s)
        job = self._jobs.get(job_id)
        if job is None:
            log.warning("job not found; acknowledging", extra={"job_id": job_id})
            return JobOutcome(job_id, Outcome.MISSING)
        if job.status.is_terminal:
            return JobOutcome(job_id, Outcome.SKIPPED, job.status.value)
        now = self._clock.now()
        if job.is_leased(now):
            raise JobBusy(job_id)
        if job.attempts >= self._policy.max_job_attempts:
            return self._fail(job, "too_many_attempts", _exhausted_key(job))
        try:
            held = self._users.hold_worker_slot(job.user_id, job_id, now + self._policy.job_lease_s,
                                                self._policy.max_active_jobs_per_user, now)
        except KeyError:
            held = True  # the user row is gone: the job still ends (and refunds nobody)
        if not held:
            raise UserBusy(job_id)
        try:
            job = self._jobs.save(job.claimed(now, self._policy.job_lease_s))
        except ConflictError as exc:
            self._free_slot(job)
            raise JobBusy(job_id) from exc
        user = self._users.get(job.user_id)
        settings = user.settings if user else UserSettings()
        status = StatusMessage(self._chat, job.chat_id, job.status_message_id)
        try:
            return self._run(job, settings, status, deadline)
        except StepInterrupted as exc:
            return self._continue(job_id, str(exc), status)
        except ConflictError:
            # A checkpoint save found the row changed under the lease: /cancel is the one writer
            # that does that. Anything else propagates as before.
            cancelled = self._jobs.get(job_id)
            if cancelled is None or not cancelled.cancel_requested:
                raise
            return self._fail(cancelled, "job_cancelled", M.job_cancelled, status=status)
        except ChatBlocked:
            return self._fail(job, "chat_blocked", None)
        except UserFacingError as exc:
            return self._fail(job, exc.key.name, exc.key, status=status, **exc.params)
        except ContentRejected as exc:
            return self._fail(job, str(exc), M.err_rejected, status=status)
        except FileTooBig as exc:
            return self._fail(job, str(exc), M.too_big, status=status)
        except SilentVideo as exc:
            return self._fail(job, str(exc), M.err_no_sound, status=status)
        except UndecodableMedia as exc:
            return self._fail(job, str(exc), M.err_bad_media, status=status)
        except DownloadFailed as exc:
            return self._fail(job, str(exc), M.err_download, status=status)
        except PermanentFailure as exc:
            return self._fail(job, str(exc), M.err_generic, status=status)
        except TransientFailure as exc:
            self._release_lease(job.job_id, exc)
            raise

    # -- the stages ------------------------------------------------------------------------------
    def _run(self, job: Job, settings: UserSettings, status: StatusMessage, deadline: Deadline) -> JobOutcome:
        lang = settings.ui_language

        def progress(key: Key, eta_s: float | None = None, **params: object) -> None:
            status.show(progress_text(lang, key, eta_s, **params))

        if job.cancel_requested:  # /cancel before this step began: refunded by _fail
            raise UserFacingError(M.job_cancelled)
        state = _JobState(self._jobs, job)
        if job.raw_text is None and job.result_text is None:
            self._recognize(state, settings, progress, deadline)
        if state.job.result_text is None:
            self._format(state, settings, progress, deadline)
        job = state.job
        if not job.delivered:
            # Dialogue mode was asked for and plain text came (the speakers could not be separated):
            # the status message says so and stays above the text.
            note = say(lang, M.dialogue_fallback) if job.dialogue and job.result_mode is TranscriptionMode.PLAIN else None
            if note is None:
                progress(M.stage_deliver)
            text = job.result_text  # saving planned_parts below leaves it as it is
            if not text:
                raise UserFacingError(M.err_no_speech)
            if not job.planned_parts:
                job = self._jobs.save(attrs.evolve(
                    job, planned_parts=planned_parts(text, settings, self._policy)))
            checkpoint = {"job": job}

            def part_sent(count: int) -> None:
                checkpoint["job"] = self._jobs.save(attrs.evolve(checkpoint["job"], delivered_parts=count))

            try:
                deliver_text(self._chat, status, text, settings, self._policy,
                             keyboard=transcript_keyboard(job.job_id, lang, dialogue=job.result_mode is TranscriptionMode.DIALOGUE),
                             sent_parts=job.delivered_parts,
                             on_part_sent=part_sent, note=note)
            except PermanentFailure as exc:  # ChatBlocked included
                job = checkpoint["job"]
                if not job.delivered_parts:
                    raise
                # Part of the transcript is with the user: settle for that, never refund it.
                log.warning("delivery stopped", extra={"job_id": job.job_id, "error": str(exc),
                                                       "sent": job.delivered_parts, "planned": job.planned_parts})
                if job.delivered_parts >= job.planned_parts:
                    job = self._jobs.save(attrs.evolve(job, delivered=True))
                else:
                    try:
                        status.show(say(settings.ui_language, M.delivery_partial, sent=job.delivered_parts,
                                        total=job.planned_parts))
                    except PortError:
                        pass  # the chat that refused the part may refuse this too
                return self._complete(job, settings)
            job = self._jobs.save(attrs.evolve(checkpoint["job"], delivered=True))
        return self._complete(job, settings)

    def _recognize(self, state: _JobState, settings: UserSettings, progress: Any, deadline: Deadline) -> None:
        with tempfile.TemporaryDirectory(prefix="job-") as tmp:
            workdir = Path(tmp)
            loaded: dict[str, Transcoded] = {}

            def audio() -> Transcoded:
                if "audio" not in loaded:
                    loaded["audio"] = self._audio(state, workdir, progress, deadline)
                return loaded["audio"]

            if state.job.audio_json is None:
                audio()  # the first step measures the real duration and settles the bill first
            job = state.job
            result = self._transcriber.transcribe(
                audio, dialogue=job.dialogue, language=job.language, progress=progress, state=state,
                deadline=deadline, audio_key=job.audio_key)
        raw, segments_json = self._raw(result, settings)
        state.update(lambda j: attrs.evolve(
            j, raw_text=raw, segments_json=segments_json, result_mode=result.mode,
            result_language=result.language, from_chunks=result.from_chunks, chunks_json=None))
        self._drop_audio(state)

    def _audio(self, state: _JobState, workdir: Path, progress: Any, deadline: Deadline) -> Transcoded:
        """The job's transcoded audio: from the blob store when an earlier step kept it, else
        downloaded and transcoded (and, on the first step, measured, billed and kept).

        The transcode counts as one call of the step: it may run until the step's deadline plus
        the longest call's timeout (``Timeouts.worker_call_s``), which the step's reserve covers;
        past that ffmpeg is stopped (TransientFailure: the trigger delivers the job again).
        """
        job = state.job
        if job.audio_key is not None and job.audio_json is not None:
            facts = json.loads(job.audio_json)
            path = workdir / f"audio.{facts['extension']}"
            path.write_bytes(self._blobs.get(job.audio_key))
            silences = facts.get("silences")
            probe = ProbeResult(duration_ms=int(facts["duration_ms"]), has_audio=True, has_video=False,
                                silences=None if silences is None else tuple(Span(a, b) for a, b in silences))
            return Transcoded(path, probe, str(facts["mime_type"]))
        progress(M.stage_download)
        source = workdir / "source"
        if job.source_key is not None:
            # Uploaded through the Mini App, up to gigabytes: streamed to the temporary disk in chunks.
            if self._uploads is None:
                raise PermanentFailure("uploads", "no upload store configured")
            self._uploads.download_to(job.source_key, source)
        else:
            data = self._chat.download(job.file_id, self._policy.download_limit_bytes)
            source.write_bytes(data)
            del data
        progress(M.stage_convert_video if job.kind.has_video else M.stage_convert)
        until = Deadline(self._clock, deadline.at + self._policy.timeouts.worker_call_s)
        try:
            audio = self._transcriber.transcode(source, workdir, job.declared_duration_s or None, until)
        except DecodeLimitReached as exc:
            if exc.limit_s < self._policy.max_duration_s:
                # The webhook's inline path: the note lied about its length; the worker decodes it.
                raise StepInterrupted(str(exc)) from None
            # Refused having decoded no more than the limit; the reservation is returned.
            raise UserFacingError(M.too_long, max_minutes=int(self._policy.max_duration_s // 60)) from None
        if job.audio_json is None:
            state.job = self._charge_real_duration(job, audio.probe.duration_ms)
            # Kept for later steps when the work may not fit one step (several chunks, or the
            # passes, which read it by URL anyway).
            keep = job.dialogue or audio.probe.duration_ms > self._policy.chunk_max_ms
            key = f"work/{job.job_id}{audio.path.suffix}" if keep else None
            if key is not None:
                self._blobs.put(key, audio.path.read_bytes(), audio.mime_type)
            state.update(lambda j: attrs.evolve(j, audio_key=key, audio_json=_audio_facts(audio)))
        return audio

    def _drop_audio(self, state: _JobState) -> None:
        self._delete_source(state.job)
        if state.job.audio_key is None:
            return
        self._delete_kept_audio(state.job.audio_key)
        state.update(lambda j: attrs.evolve(j, audio_key=None))

    def _delete_source(self, job: Job) -> None:
        """An uploaded file is deleted once its audio is recognised (or the job fails): the
        transcript is all the bot keeps."""
        if job.source_key is None:
            return
        try:
            self._blobs.delete(job.source_key)
        except PortError as exc:  # the bucket's lifecycle rule removes it later anyway
            log.warning("uploaded file not deleted", extra={"error": str(exc)})

    def _delete_kept_audio(self, key: str) -> None:
        try:
            self._blobs.delete(key)
        except PortError as exc:  # the bucket's lifecycle rule removes it later anyway
            log.warning("kept audio not deleted", extra={"error": str(exc)})

    def _format(self, state: _JobState, settings: UserSettings, progress: Any, deadline: Deadline) -> None:
        job = state.job
        raw = job.raw_text or ""
        if len(raw) > self._policy.llm_min_chars:
            progress(M.stage_format)
        text = self._formatting.format(
            raw, language=job.result_language or settings.language, use_yo=settings.use_yo,
            dialogue=job.result_mode is TranscriptionMode.DIALOGUE, from_chunks=job.from_chunks,
            done=job.formatted_pieces, on_piece=state.save_piece, deadline=deadline,
        )
        state.update(lambda j: attrs.evolve(j, result_text=text, pieces_json=None))

    def _continue(self, job_id: str, why: str, status: StatusMessage) -> JobOutcome:
        """The step ran out of time with its checkpoints saved: queue the job for the next step."""
        job = self._jobs.get(job_id)
        if job is None or job.status.is_terminal:
            return JobOutcome(job_id, Outcome.SKIPPED)
        if job.cancel_requested:
            return self._fail(job, "job_cancelled", M.job_cancelled, status=status)
        if job.steps + 1 >= self._policy.max_job_steps:
            return self._fail(job, f"too_many_steps: {why}", M.err_timeout, status=status)
        job = self._jobs.save(job.continued())
        self._free_slot(job)
        # A failed publish propagates: the trigger delivers this message again, which continues.
        self._queue.publish(job_id)
        log.info("job continues in another step", extra={"job_id": job_id, "step": job.steps, "why": why})
        return JobOutcome(job_id, Outcome.CONTINUED, why)

    def _charge_real_duration(self, job: Job, duration_ms: int) -> Job:
        if duration_ms > self._policy.max_duration_s * 1000:
            raise UserFacingError(M.too_long, max_minutes=int(self._policy.max_duration_s // 60))
        extra = settle(job.reserved_minutes, minutes_for(duration_ms / 1000)).extra
        job = self._jobs.save(attrs.evolve(job, real_duration_ms=duration_ms, extra_minutes=extra))
        if extra:
            change = self._billing.charge_extra(job.user_id, job.job_id, extra)
            if change.insufficient:
                seconds = duration_ms // 1000
                raise UserFacingError(M.no_minutes_real, minutes=seconds // 60, seconds=seconds % 60)
        return job

    def _raw(self, result: TranscriptionResult, settings: UserSettings) -> tuple[str, str | None]:
        """The recognised transcript as text to format (speaker lines in dialogue), and its segments."""
        transcript = result.transcript
        if result.mode is TranscriptionMode.DIALOGUE and transcript.segments:
            raw = format_dialogue(transcript.segments, labels=settings.speaker_labels,
                                  label_word=say(settings.ui_language, M.speaker))
        else:
            raw = transcript.text
        if not raw.strip():
            raise UserFacingError(M.err_no_speech)
        return raw, encode_segments(transcript.segments)

    # -- endings -----------------------------------------------------------------------------------
    def _complete(self, job: Job, settings: UserSettings) -> JobOutcome:
        """Settle and close a job whose transcript went out (whole, or in part: ``delivered`` is
        False and ``delivered_parts`` of ``planned_parts`` messages arrived, billed by that share).

        Once anything was delivered the job is complete and charged: what follows the settlement
        (the log row, the cache, the balance notice) is best effort, logged when it fails, and
        can never turn into a refund.
        """
        duration_ms = job.real_duration_ms or 0
        real_cost = minutes_for(duration_ms / 1000)
        cost = real_cost if job.delivered else minutes_for_share(real_cost, job.delivered_parts, job.planned_parts)
        bill = self._billing.complete(job.user_id, job.job_id, job.reserved_minutes, job.extra_minutes, cost)
        now = self._clock.now()
        try:
            self._logs.add_transcription(TranscriptionLog(
                log_id=job.job_id, user_id=job.user_id, job_id=job.job_id, duration_s=duration_ms / 1000,
                minutes=bill.charged, chars=len(job.result_text or ""), mode=job.result_mode or TranscriptionMode.PLAIN,
                timestamp=now,
            ))
        except PortError as exc:
            log.warning("transcription log row not written", extra={"job_id": job.job_id, "error": str(exc)})
        if job.delivered:
            try:
                self._results.put(CachedResult(job.file_unique_id, TranscriptionMode.of(job.dialogue),
                                               job.result_text or "", duration_ms, job.segments_json,
                                               language=job.language, paid_by=(job.user_id,), created_at=now))
            except PortError as exc:
                log.warning("result not cached", extra={"job_id": job.job_id, "error": str(exc)})
        try:
            self._jobs.save(job.completed(now, bill.charged))
        except ConflictError:
            log.warning("job changed while completing", extra={"job_id": job.job_id})
        self._free_slot(job)
        self._balance_notice(job, bill.charged, settings)
        return JobOutcome(job.job_id, Outcome.COMPLETED, f"charged={bill.charged} refunded={bill.refunded}")

    def _balance_notice(self, job: Job, charged: int, settings: UserSettings) -> None:
        """Warn about a low or empty balance once per crossing (``domain.billing.balance_warning``):
        the warning in force is remembered on the user row before it is sent, so two jobs ending
        together send it once. Best effort."""
        user_id = job.user_id
        notice = None
        for _ in range(3):
            try:
                user: User | None = self._users.get(user_id)
                if user is None:
                    return
                before = user.balance_minutes + charged if job.created_at >= user.balance_notice_at else None
                notice, in_force = balance_warning(user.balance_minutes, self._policy.low_balance_minutes,
                                                   user.balance_notice, before)
                if notice is None and in_force == user.balance_notice:
                    return
                if notice is not None:
                    updated = attrs.evolve(user, balance_notice=in_force, balance_notice_at=self._clock.now())
                else:
                    updated = attrs.evolve(user, balance_notice=in_force)
                self._users.save(updated)
                break
            except ConflictError:
                continue  # the row moved (a payment, another job): decide again on the fresh row
            except PortError:
                return  # a notice is not worth failing a settled job for
        else:
            return
        if notice:
            key = M.empty_balance if notice == "empty" else M.low_balance
            try:
                self._chat.send_text(user.user_id, say(settings.ui_language, key, balance=user.balance_minutes))
            except (PermanentFailure, TransientFailure):
                log.warning("balance notice not sent", extra={"user_id": user_id})

    def _fail(self, job: Job, error: str, user_key: Key | None, status: StatusMessage | None = None,
              **params: object) -> JobOutcome:
        """Terminal failure: refund everything, tell the user, never leave the status frozen."""
        current = self._jobs.get(job.job_id) or job
        if current.status.is_terminal:
            return JobOutcome(job.job_id, Outcome.SKIPPED, current.status.value)
        if current.delivered or current.delivered_parts:
            # Whatever failed came after the transcript (or part of it) reached the user: the job is
            # complete and charged for what arrived; the error is only logged.
            log.warning("failure after delivery; settling", extra={"job_id": job.job_id, "error": error})
            user = self._users.get(current.user_id)
            return self._complete(current, user.settings if user else UserSettings())
        bill = self._billing.fail(current.user_id, current.job_id, current.reserved_minutes, current.extra_minutes)
        if current.audio_key is not None:
            self._delete_kept_audio(current.audio_key)
        self._delete_source(current)
        try:
            self._jobs.save(current.failed(self._clock.now(), error))
        except ConflictError:
            log.warning("job changed while failing", extra={"job_id": job.job_id})
        self._free_slot(current)
        log.info("job failed", extra={"job_id": job.job_id, "error": error, "refunded": bill.refunded})
        if user_key is not None:
            user = self._users.get(current.user_id)
            lang = user.settings.ui_language if user else "ru"
            text = say(lang, user_key, **params)
            status = status or StatusMessage(self._chat, current.chat_id, current.status_message_id)
            try:
                status.show(text)
            except ChatBlocked:
                pass
        return JobOutcome(job.job_id, Outcome.FAILED, error)

    def _free_slot(self, job: Job) -> None:
        """Give the user's worker slot back (best effort: an unreleased slot expires with the lease)."""
        try:
            self._users.release_worker_slot(job.user_id, job.job_id)
        except PortError as exc:
            log.warning("worker slot not released", extra={"job_id": job.job_id, "error": str(exc)})

    def _release_lease(self, job_id: str, cause: TransientFailure | None = None) -> None:
        """Give the job back to the queue, remembering why (the user is told the real cause if the
        attempts run out: an outage is not "send a shorter file")."""
        job = self._jobs.get(job_id)
        if job is None or job.status.is_terminal:
            return
        self._free_slot(job)
        error = job.error if cause is None else f"{TRANSIENT_MARK}{cause.provider}:{cause.code or 'error'}"
        try:
            self._jobs.save(attrs.evolve(job, lease_until=0.0, error=error))
        except (ConflictError, TransientFailure):
            pass  # the lease simply runs out

    # -- for the queue trigger and the sweeper ---------------------------------------------------
    def give_up(self, job_id: str, reason: str = "delivery_exhausted") -> JobOutcome:
        """Fail a job nobody will finish (redeliveries exhausted, stuck too long): refund and tell."""
        job = self._jobs.get(job_id)
        if job is None:
            return JobOutcome(job_id, Outcome.MISSING)
        if job.status.is_terminal:
            return JobOutcome(job_id, Outcome.SKIPPED, job.status.value)
        return self._fail(job, reason, _exhausted_key(job))
