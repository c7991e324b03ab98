"""Accepting a voice message, audio, video, video note or audio/video document.

Checks size (the cloud Bot API's 20 MB ``getFile`` limit, so a
larger file is refused before any minute is reserved), duration and balance with a clear reply;
reserves the minutes (exactly once per job); posts the status message; then transcribes inline
(short audio, not dialogue, known duration) or creates a queued job. The job id derives from the
``update_id``, so a redelivered update finds its job and changes nothing.

A file already transcribed (same ``file_unique_id``, mode and recognition language, younger than
``Policy.results_ttl_s``) is answered at once from the cache. It is free only for a user who paid
for that transcript (``CachedResult.paid_by``). Anyone else — a forwarded file, another user —
buys it like any file: the cached duration is reserved (``reserve:{job}``, refused with the usual
price message when the balance is short) and a job carrying the finished text runs the ordinary
delivery and settlement, so it is charged exactly ``minutes_for`` its duration, logged, exportable,
and its buyer is added to the payers.
"""

from __future__ import annotations

import enum
import hashlib
import logging

import attrs

from domain.audio import MediaKind
from domain.billing import minutes_for
from domain.job import Job
from domain.policy import Policy
from domain.transcript import TranscriptionMode
from domain.users import User
from ports.chat import Chat
from ports.clock import Clock
from ports.errors import TransientFailure
from ports.job_queue import JobQueue
from ports.repositories import CachedResult, Jobs, Results, Users
from presentation.catalogue import say
from presentation.keys import M
from usecases.billing import JobBilling
from usecases.delivery import deliver_text
from usecases.inbound import IncomingMessage, MediaRef
from usecases.progress import StatusMessage
from usecases.routes import Route, Via
from usecases.steps import Deadline, Outcome
from usecases.transcribe_job import TranscribeJob
from usecases.upload_offer import NO_UPLOAD_OFFER, UploadOffer

log = logging.getLogger(__name__)


def _is_video(media: MediaRef) -> bool:
    """A video, a round video note, or a document that says it is a video."""
    return media.kind.has_video or (media.mime_type or "").startswith("video/")


def job_id_for(update_id: int) -> str:
    """Stable per update, opaque (a hash), so a redelivery maps to the same job."""
    return hashlib.sha256(f"update:{update_id}".encode()).hexdigest()[:32]


class MediaOutcome(enum.StrEnum):
    """What became of a media message (its route's detail)."""

    DUPLICATE = "duplicate"  # this update made a job already
    EMPTY = "empty"
    TOO_BIG = "too_big"  # over Telegram's download limit (followed by UPLOAD_OFFERED with a Mini App)
    UPLOAD_OFFERED = "upload_offered"
    TOO_LONG = "too_long"
    CACHED = "cached"  # its payer sent it again: the stored transcript, free
    NO_MINUTES = "no_minutes"
    QUEUED = "queued"  # for the worker
    INLINE = "inline"  # transcribed within the webhook (followed by the job step's outcome)
    CACHED_SALE = "cached_sale"  # another user's transcript of the same file, sold at its duration


def _media(*detail: MediaOutcome | Outcome) -> Route:
    return Route(Via.MEDIA, detail)


class AcceptMedia:
    def __init__(self, *, users: Users, jobs: Jobs, results: Results, queue: JobQueue, chat: Chat,
                 clock: Clock, policy: Policy, transcribe_job: TranscribeJob,
                 upload_offer: UploadOffer = NO_UPLOAD_OFFER) -> None:
        self._users = users
        self._jobs = jobs
        self._results = results
        self._queue = queue
        self._chat = chat
        self._clock = clock
        self._policy = policy
        self._transcribe_job = transcribe_job
        # Files over the download limit: the Mini App, when one is configured.
        self._upload_offer = upload_offer

    def __call__(self, message: IncomingMessage, user: User) -> Route:
        media = message.media
        assert media is not None
        policy, lang = self._policy, user.settings.ui_language
        job_id = job_id_for(message.update_id)
        if self._jobs.get(job_id) is not None:
            return _media(MediaOutcome.DUPLICATE)
        if media.file_size == 0:
            self._chat.send_text(message.chat_id, say(lang, M.empty_file), reply_to=message.message_id)
            return _media(MediaOutcome.EMPTY)
        if media.file_size is not None and media.file_size > policy.download_limit_bytes:
            if self._upload_offer.send(self._chat, message.chat_id, lang, M.upload_too_big_offer, reply_to=message.message_id):
                return _media(MediaOutcome.TOO_BIG, MediaOutcome.UPLOAD_OFFERED)
            self._chat.send_text(message.chat_id, say(lang, M.too_big), reply_to=message.message_id)
            return _media(MediaOutcome.TOO_BIG)
        if media.duration_s is not None and media.duration_s > policy.max_duration_s:
            self._chat.send_text(message.chat_id, say(lang, M.too_long, max_minutes=int(policy.max_duration_s // 60)),
                             reply_to=message.message_id)
            return _media(MediaOutcome.TOO_LONG)
        mode = TranscriptionMode.of(user.settings.dialogue)
        cached = self._cached(media, mode, user)
        if cached is not None and user.user_id in cached.paid_by:
            # Its payer sends the file again: the transcript they paid for, at once and free.
            status = StatusMessage(self._chat, message.chat_id,
                                   self._chat.send_text(message.chat_id, say(lang, M.cached_result), reply_to=message.message_id))
            deliver_text(self._chat, status, cached.text, user.settings, policy)
            return _media(MediaOutcome.CACHED)
        if cached is not None:
            # Anyone else pays for what the transcript is: its measured duration.
            cost = minutes_for(cached.duration_ms / 1000)
        else:
            # Telegram's duration decides the reservation; documents (no duration) reserve one minute
            # and the worker charges the rest once ffmpeg has measured the real duration.
            cost = max(1, minutes_for(media.duration_s or 0))
        change = JobBilling(self._users).reserve(user.user_id, job_id, cost)
        if change.insufficient:
            self._chat.send_text(message.chat_id, say(lang, M.no_minutes, cost=cost, balance=change.balance),
                             reply_to=message.message_id)
            return _media(MediaOutcome.NO_MINUTES)
        video = _is_video(media)
        status_id = self._chat.send_text(
            message.chat_id, say(lang, M.cached_sale if cached else M.received_video if video else M.received),
            reply_to=message.message_id)
        job = Job(
            job_id=job_id, user_id=user.user_id, chat_id=message.chat_id, message_id=message.message_id,
            file_id=media.file_id, file_unique_id=media.file_unique_id, kind=media.kind,
            declared_duration_s=media.duration_s or 0.0, file_size=media.file_size, reserved_minutes=cost,
            status_message_id=status_id, created_at=self._clock.now(), dialogue=user.settings.dialogue,
            language=user.settings.language,
        )
        if cached is not None:
            # Recognised and formatted already: the job starts at delivery (its checkpoints say so),
            # and settles from the cached duration like any job from its decoded one.
            job = attrs.evolve(job, real_duration_ms=cached.duration_ms, result_text=cached.text,
                               segments_json=cached.segments_json, result_mode=mode,
                               result_language=cached.language)
        if not self._jobs.create(job):
            return _media(MediaOutcome.DUPLICATE)
        if cached is not None or self._inline(media, user):
            try:
                deadline = Deadline.after(self._clock, policy.inline_step_budget_s)
                how = MediaOutcome.CACHED_SALE if cached is not None else MediaOutcome.INLINE
                return _media(how, self._transcribe_job(job_id, deadline).status)
            except TransientFailure as exc:
                # A provider hiccup inside the webhook's short budget: hand the job to the worker,
                # which retries with its longer budget, instead of failing the user.
                log.warning("inline transcription deferred to the worker", extra={"job_id": job_id, "error": str(exc)})
        StatusMessage(self._chat, message.chat_id, status_id).show(say(lang, M.queued_video if video else M.queued))
        try:
            self._queue.publish(job_id)
        except TransientFailure:
            # The job row exists in "queued"; the sweeper republishes queued jobs that never started.
            log.error("job not published; the sweeper will retry", extra={"job_id": job_id})
        return _media(MediaOutcome.QUEUED)

    def _cached(self, media: MediaRef, mode: TranscriptionMode, user: User) -> CachedResult | None:
        """A fresh cached transcript of this file in the user's mode and recognition language."""
        if not media.file_unique_id:
            return None
        cached = self._results.get(media.file_unique_id, mode, user.settings.language)
        if cached is None or not cached.text or not cached.fresh(self._clock.now(), self._policy.results_ttl_s):
            return None
        return cached

    def _inline(self, media: MediaRef, user: User) -> bool:
        return (
            media.kind is not MediaKind.DOCUMENT
            and media.duration_s is not None
            and 0 < media.duration_s < self._policy.sync_threshold_s
            and not user.settings.dialogue
        )
