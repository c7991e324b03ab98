"""The worker's use case: one job from queued to completed or failed, exactly once.

Rules:
- Idempotent on redelivery: a finished job is acknowledged and skipped; a job another worker
  is processing (live lease) raises JobBusy so the queue delivers it again later.
- Checkpoints on the job row (result saved, delivered) let a redelivered job continue where a
  crashed worker stopped: the text is never delivered twice, the user never charged twice.
- Transient failures release the lease and propagate, so the queue redelivers; after
  ``policy.max_job_attempts`` claims the job fails. Permanent failures fail the job at once.
- A failed job refunds everything it took and tells the user in plain words; the status
  message never stays frozen on a stage (D42).
- Billing settles from the real decoded duration (D7): extra minutes are charged before the
  expensive work, and a balance that cannot cover them fails the job with a full refund.
"""

from __future__ import annotations

import json
import logging
import tempfile
from pathlib import Path

import attrs

from domain.billing import balance_notice, minutes_for
from domain.dialogue import format_dialogue
from domain.job import Job
from domain.policy import Policy
from domain.users import User, UserSettings
from ports.chat import Button, Chat, Keyboard
from ports.clock import Clock
from ports.errors import (
    ChatBlocked,
    ConflictError,
    ContentRejected,
    FileTooBig,
    PermanentFailure,
    TransientFailure,
)
from ports.repositories import CachedResult, Jobs, Logs, Results, TranscriptionLog, Users
from usecases.billing import JobBilling
from usecases.catalogue import say
from usecases.delivery import deliver_text
from usecases.errors import JobBusy, UserFacingError
from usecases.formatting import FormattingChain
from usecases.progress import StatusMessage
from usecases.transcription import Transcriber, TranscriptionResult

log = logging.getLogger(__name__)


EXPORT_FORMATS = ("txt", "srt", "vtt")


def export_keyboard(job_id: str) -> Keyboard:
    """Buttons under a transcript: the text with timestamps as .txt, .srt or .vtt."""
    return (tuple(Button(f"⬇️ .{fmt}", f"export:{job_id}:{fmt}") for fmt in EXPORT_FORMATS),)


@attrs.frozen
class JobOutcome:
    job_id: str
    status: str  # completed | failed | skipped | missing
    detail: str = ""


class TranscribeJob:
    def __init__(
        self, *, jobs: Jobs, users: Users, logs: Logs, results: Results, chat: Chat,
        transcriber: Transcriber, formatting: FormattingChain, clock: Clock, policy: Policy,
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
        self._billing = JobBilling(users)

    # -- entry -----------------------------------------------------------------------------------
    def __call__(self, job_id: str) -> JobOutcome:
        job = self._jobs.get(job_id)
        if job is None:
            log.warning("job not found; acknowledging", extra={"job_id": job_id})
            return JobOutcome(job_id, "missing")
        if job.status.is_terminal:
            return JobOutcome(job_id, "skipped", job.status.value)
        now = self._clock.now()
        if job.is_leased(now):
            raise JobBusy(job_id)
        if job.attempts >= self._policy.max_job_attempts:
            return self._fail(job, "too_many_attempts", "err_timeout")
        try:
            job = self._jobs.save(job.claimed(now, self._policy.job_lease_s))
        except ConflictError as exc:
            raise JobBusy(job_id) from exc
        user = self._users.get(job.user_id)
        settings = user.settings if user else UserSettings()
        status = StatusMessage(self._chat, job.chat_id, job.status_message_id)
        try:
            return self._run(job, settings, status)
        except ChatBlocked:
            return self._fail(job, "chat_blocked", None)
        except UserFacingError as exc:
            return self._fail(job, exc.key, exc.key, status=status, **exc.params)
        except ContentRejected as exc:
            return self._fail(job, str(exc), "err_rejected", status=status)
        except FileTooBig as exc:
            return self._fail(job, str(exc), "too_big", status=status)
        except PermanentFailure as exc:
            key = "err_bad_media" if exc.provider in ("ffmpeg", "audio") else "err_generic"
            if exc.provider == "telegram":
                key = "err_download"
            return self._fail(job, str(exc), key, status=status)
        except TransientFailure:
            self._release_lease(job.job_id)
            raise

    # -- the stages ------------------------------------------------------------------------------
    def _run(self, job: Job, settings: UserSettings, status: StatusMessage) -> JobOutcome:
        lang = settings.ui_language

        def progress(key: str, **params: object) -> None:
            status.show(say(lang, key, **params))

        if job.result_text is None:
            job = self._transcribe(job, settings, progress)
        if not job.delivered:
            progress("stage_deliver")
            if not job.result_text:
                raise UserFacingError("err_no_speech")
            checkpoint = {"job": job}

            def part_sent(count: int) -> None:
                checkpoint["job"] = self._jobs.save(attrs.evolve(checkpoint["job"], delivered_parts=count))

            deliver_text(self._chat, status, job.result_text, settings, self._policy,
                         keyboard=export_keyboard(job.job_id), sent_parts=job.delivered_parts,
                         on_part_sent=part_sent)
            job = self._jobs.save(attrs.evolve(checkpoint["job"], delivered=True))
        return self._complete(job, settings)

    def _transcribe(self, job: Job, settings: UserSettings, progress) -> Job:
        progress("stage_download")
        data = self._chat.download(job.file_id, self._policy.download_limit_bytes)
        with tempfile.TemporaryDirectory(prefix="job-") as tmp:
            workdir = Path(tmp)
            source = workdir / "source"
            source.write_bytes(data)
            del data
            progress("stage_convert")
            audio = self._transcriber.transcode(source, workdir, job.declared_duration_s or None)
            job = self._charge_real_duration(job, audio.probe.duration_ms)
            result = self._transcriber.transcribe(audio, dialogue=job.dialogue, language=job.language, progress=progress)
        text, segments_json = self._render(result, settings, progress)
        return self._jobs.save(attrs.evolve(
            job, result_text=text, segments_json=segments_json, result_mode=result.mode,
        ))

    def _charge_real_duration(self, job: Job, duration_ms: int) -> Job:
        if duration_ms > self._policy.max_duration_s * 1000:
            raise UserFacingError("too_long", max_minutes=int(self._policy.max_duration_s // 60))
        real_cost = minutes_for(duration_ms / 1000)
        extra = max(0, real_cost - job.reserved_minutes)
        job = self._jobs.save(attrs.evolve(job, real_duration_ms=duration_ms, extra_minutes=extra))
        if extra:
            change = self._billing.charge_extra(job.user_id, job.job_id, extra)
            if change.insufficient:
                seconds = duration_ms // 1000
                raise UserFacingError("no_minutes_real", minutes=seconds // 60, seconds=seconds % 60)
        return job

    def _render(self, result: TranscriptionResult, settings: UserSettings, progress) -> tuple[str, str | None]:
        transcript = result.transcript
        if result.mode == "dialogue" and transcript.segments:
            raw = format_dialogue(transcript.segments, labels=settings.speaker_labels,
                                  label_word=say(settings.ui_language, "speaker"))
        else:
            raw = transcript.text
        if not raw.strip():
            raise UserFacingError("err_no_speech")
        if len(raw) > self._policy.llm_min_chars:
            progress("stage_format")
        text, _ = self._formatting.format(
            raw, language=result.language or settings.language, use_yo=settings.use_yo,
            dialogue=result.mode == "dialogue", from_chunks=result.from_chunks,
        )
        segments_json = json.dumps([
            {"speaker": s.speaker, "start_ms": s.start_ms, "end_ms": s.end_ms, "text": s.text,
             "words": [{"start_ms": w.start_ms, "end_ms": w.end_ms, "text": w.display} for w in s.words]}
            for s in transcript.segments
        ], ensure_ascii=False) if transcript.segments else None
        return text, segments_json

    # -- endings -----------------------------------------------------------------------------------
    def _complete(self, job: Job, settings: UserSettings) -> JobOutcome:
        duration_ms = job.real_duration_ms or 0
        real_cost = minutes_for(duration_ms / 1000)
        bill = self._billing.complete(job.user_id, job.job_id, job.reserved_minutes, job.extra_minutes, real_cost)
        now = self._clock.now()
        self._logs.add_transcription(TranscriptionLog(
            log_id=job.job_id, user_id=job.user_id, job_id=job.job_id, duration_s=duration_ms / 1000,
            minutes=bill.charged, chars=len(job.result_text or ""), mode=job.result_mode or "plain", timestamp=now,
        ))
        self._results.put(CachedResult(job.file_unique_id, "dialogue" if job.dialogue else "plain",
                                       job.result_text or "", duration_ms, job.segments_json))
        try:
            self._jobs.save(job.completed(now, bill.charged))
        except ConflictError:
            log.warning("job changed while completing", extra={"job_id": job.job_id})
        self._balance_notice(job.user_id, settings)
        return JobOutcome(job.job_id, "completed", f"charged={bill.charged} refunded={bill.refunded}")

    def _balance_notice(self, user_id: int, settings: UserSettings) -> None:
        user: User | None = self._users.get(user_id)
        if user is None:
            return
        notice = balance_notice(user.balance_minutes, self._policy.low_balance_minutes)
        if notice:
            key = "empty_balance" if notice == "empty" else "low_balance"
            try:
                self._chat.send_text(user.user_id, say(settings.ui_language, key, balance=user.balance_minutes))
            except (PermanentFailure, TransientFailure):
                log.warning("balance notice not sent", extra={"user_id": user_id})

    def _fail(self, job: Job, error: str, user_key: str | None, status: StatusMessage | None = None,
              **params: object) -> JobOutcome:
        """Terminal failure: refund everything, tell the user, never leave the status frozen."""
        current = self._jobs.get(job.job_id) or job
        if current.status.is_terminal:
            return JobOutcome(job.job_id, "skipped", current.status.value)
        bill = self._billing.fail(current.user_id, current.job_id, current.reserved_minutes, current.extra_minutes)
        try:
            self._jobs.save(current.failed(self._clock.now(), error))
        except ConflictError:
            log.warning("job changed while failing", extra={"job_id": job.job_id})
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
        return JobOutcome(job.job_id, "failed", error)

    def _release_lease(self, job_id: str) -> None:
        job = self._jobs.get(job_id)
        if job is None or job.status.is_terminal:
            return
        try:
            self._jobs.save(attrs.evolve(job, lease_until=0.0))
        except (ConflictError, TransientFailure):
            pass  # the lease simply runs out

    # -- for the queue trigger and the sweeper ---------------------------------------------------
    def give_up(self, job_id: str, reason: str = "delivery_exhausted") -> JobOutcome:
        """Fail a job nobody will finish (redeliveries exhausted, stuck too long): refund and tell."""
        job = self._jobs.get(job_id)
        if job is None:
            return JobOutcome(job_id, "missing")
        if job.status.is_terminal:
            return JobOutcome(job_id, "skipped", job.status.value)
        return self._fail(job, reason, "err_timeout")
