"""Files over Telegram's download limit, uploaded by the user's device straight to the blob store.

``start``: the Mini App's request for an upload. The initData is verified (Telegram's HMAC, fresh
``auth_date``) before anything else; the declared size and type are checked (413 over the limit, 415
for anything but audio or video); nothing is reserved yet. The answer is a ticket (``upload_id``,
signed: ``domain.uploads``) and one short-lived signed URL per part (a single PUT when one part is
enough), for an opaque object key that says nothing about the user.

``complete``: the page says every part is up. The ticket must be ours and the initData's user its
owner (401 otherwise). The multipart upload is completed, the object must exist with the declared
size, and then the job is created as for a Telegram file: the user row ensured, one minute reserved
(the duration is unknown until ffmpeg measures it; the worker settles from the decoded audio), the
user's settings (dialogue, recognition language) on the job, the status message posted in their chat,
the job queued for the worker (never inline: the file is large). The job id derives from the object
key, so a repeated ``complete`` returns the same job and creates nothing.
"""

from __future__ import annotations

import logging
import mimetypes
from collections.abc import Sequence

import attrs

from domain.audio import MediaKind
from domain.init_data import InitDataRejected, VerifiedInitData, verify_init_data
from domain.job import Job
from domain.uploads import (
    TicketRejected,
    UploadLimits,
    UploadTicket,
    decode_ticket,
    encode_ticket,
    is_media_type,
    job_id_for_upload,
    plan_parts,
)
from ports.blob_store import UploadStore
from ports.chat import Chat
from ports.clock import Clock, Ids
from ports.errors import PermanentFailure, PortError, TransientFailure
from ports.job_queue import JobQueue
from ports.repositories import Jobs, Users
from presentation.catalogue import say
from presentation.keys import M
from usecases.billing import JobBilling
from usecases.progress import StatusMessage
from usecases.users import ensure_user

log = logging.getLogger(__name__)

UPLOAD_PREFIX = "uploads/"


class UploadRefused(Exception):
    """The request cannot be served; ``status`` is the HTTP answer, ``error`` a short code for the page."""

    def __init__(self, status: int, error: str, **details: object) -> None:
        super().__init__(error)
        self.status = status
        self.error = error
        self.details = details


@attrs.frozen
class UploadRequest:
    init_data: str
    file_name: str
    size: int
    content_type: str


def _content_type(declared: str, file_name: str) -> str:
    """The declared type, or the one the name implies (phones often declare none for .mkv, .opus...)."""
    if declared:
        return declared.strip().lower()
    guessed, _ = mimetypes.guess_type(file_name)
    return (guessed or "").lower()


class DirectUploadsFlow:
    def __init__(self, *, uploads: UploadStore, users: Users, jobs: Jobs, queue: JobQueue, chat: Chat,
                 clock: Clock, ids: Ids, limits: UploadLimits, bot_token: str,
                 ticket_key: bytes) -> None:
        self._uploads = uploads
        self._users = users
        self._jobs = jobs
        self._queue = queue
        self._chat = chat
        self._clock = clock
        self._ids = ids
        self._limits = limits
        self._bot_token = bot_token
        self._ticket_key = ticket_key

    def _verify(self, init_data: object) -> VerifiedInitData:
        try:
            return verify_init_data(init_data if isinstance(init_data, str) else "", self._bot_token,
                                    now=self._clock.now(), max_age_s=self._limits.init_data_max_age_s)
        except InitDataRejected as exc:
            log.info("mini app request refused", extra={"reason": str(exc)})
            raise UploadRefused(401, "unauthorized") from None

    # -- start ------------------------------------------------------------------------------------
    def start(self, request: UploadRequest) -> dict[str, object]:
        verified = self._verify(request.init_data)
        if type(request.size) is not int or request.size <= 0:
            raise UploadRefused(400, "bad_size")
        if request.size > self._limits.max_bytes:
            raise UploadRefused(413, "too_large", max_bytes=self._limits.max_bytes)
        content_type = _content_type(request.content_type, request.file_name)
        if not is_media_type(content_type):
            raise UploadRefused(415, "not_media")
        plan = plan_parts(request.size, self._limits.part_bytes)
        key = f"{UPLOAD_PREFIX}{self._ids.new_id()}"
        ttl = self._limits.url_ttl_s
        if len(plan) == 1:
            store_upload_id = ""
            parts = [{"number": 1, "url": self._uploads.signed_put_url(key, ttl), "size": request.size}]
        else:
            store_upload_id = self._uploads.start_multipart(key)
            parts = [{"number": n, "url": self._uploads.signed_part_url(key, store_upload_id, n, ttl), "size": size}
                     for n, size in plan]
        ticket = UploadTicket(user_id=verified.user.user_id, key=key, size=request.size, content_type=content_type,
                              store_upload_id=store_upload_id,
                              part_count=len(plan), issued_at=int(self._clock.now()))
        log.info("upload started", extra={"user_id": verified.user.user_id, "bytes": request.size,
                                          "parts": len(plan)})
        return {"upload_id": encode_ticket(ticket, self._ticket_key), "parts": parts,
                "multipart": bool(store_upload_id), "expires_in": ttl}

    # -- complete ---------------------------------------------------------------------------------
    def complete(self, upload_id: str, init_data: object, parts: Sequence[tuple[int, str]]) -> dict[str, object]:
        verified = self._verify(init_data)
        try:
            ticket = decode_ticket(upload_id, self._ticket_key)
        except TicketRejected as exc:
            # The page only ever sends the id it was given: a refusal is a forgery or a bug, and
            # the reason is what an operator needs to tell them apart.
            log.warning("upload ticket refused", extra={"reason": str(exc)})
            raise UploadRefused(404, "unknown_upload") from None
        if ticket.user_id != verified.user.user_id:
            raise UploadRefused(401, "not_your_upload")
        job_id = job_id_for_upload(ticket.key)
        existing = self._jobs.get(job_id)
        if existing is not None:
            return {"job_id": job_id, "status": existing.status.value}
        size = self._uploads.object_size(ticket.key)
        if size is None and ticket.store_upload_id:
            wanted = sorted({(int(n), str(e)) for n, e in parts})
            if [n for n, _ in wanted] != list(range(1, ticket.part_count + 1)):
                raise UploadRefused(400, "parts_missing")
            try:
                self._uploads.complete_multipart(ticket.key, ticket.store_upload_id, wanted)
            except PermanentFailure as exc:
                log.warning("multipart upload not completed", extra={"error": str(exc)})
                raise UploadRefused(400, "parts_missing") from None
            size = self._uploads.object_size(ticket.key)
        if size is None:
            raise UploadRefused(400, "not_uploaded")
        if size != ticket.size:
            self._discard(ticket.key)
            raise UploadRefused(400, "size_mismatch")
        return self._create_job(job_id, ticket, verified)

    def _create_job(self, job_id: str, ticket: UploadTicket, verified: VerifiedInitData) -> dict[str, object]:
        user = ensure_user(self._users, verified.user, self._clock)
        lang = user.settings.ui_language
        chat_id = user.user_id  # the Mini App is opened from the bot's private chat
        cost = 1  # as for a document: the worker charges the rest from the decoded duration
        change = JobBilling(self._users).reserve(user.user_id, job_id, cost)
        if change.insufficient:
            self._chat.send_text(chat_id, say(lang, M.no_minutes, cost=cost, balance=change.balance))
            self._discard(ticket.key)
            raise UploadRefused(402, "no_minutes")
        video = ticket.content_type.startswith("video/")
        status_id = self._chat.send_text(chat_id, say(lang, M.upload_received, mb=max(1, round(ticket.size / 1024**2))))
        job = Job(
            job_id=job_id, user_id=user.user_id, chat_id=chat_id, message_id=status_id,
            file_id="", file_unique_id=f"upload:{ticket.key}",
            kind=MediaKind.VIDEO if video else MediaKind.AUDIO, declared_duration_s=0.0, file_size=ticket.size,
            reserved_minutes=cost, status_message_id=status_id, created_at=self._clock.now(),
            dialogue=user.settings.dialogue, language=user.settings.language, source_key=ticket.key,
        )
        if not self._jobs.create(job):
            # A second complete of the same upload won the race (the page retried while the first
            # call was still running): its job and its message stand, this message goes.
            StatusMessage(self._chat, chat_id, status_id).remove()
            current = self._jobs.get(job_id)
            return {"job_id": job_id, "status": current.status.value if current else "queued"}
        StatusMessage(self._chat, chat_id, status_id).show(say(lang, M.queued_video if video else M.queued))
        try:
            self._queue.publish(job_id)
        except TransientFailure:
            log.error("job not published; the sweeper will retry", extra={"job_id": job_id})
        log.info("upload job created", extra={"job_id": job_id, "user_id": user.user_id, "bytes": ticket.size})
        return {"job_id": job_id, "status": job.status.value}

    def _discard(self, key: str) -> None:
        try:
            self._uploads.delete(key)
        except PortError as exc:  # the bucket's lifecycle rule removes it later
            log.warning("uploaded object not deleted", extra={"error": str(exc)})
