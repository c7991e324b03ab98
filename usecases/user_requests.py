"""A user's own requests about their jobs and data: ``/cancel`` and ``/forget``.

``/cancel`` stops every unfinished job of the user. The webhook never fails a job itself (a worker
may hold it): it sets ``Job.cancel_requested`` with a versioned write, and the worker that runs
the job stops at its next check — the start of a step, the end of a step that ran out of time, or
the first checkpoint save that finds the row changed — and fails it through the usual path, which
refunds everything it took (``release:{job}``, exactly once). A queued job stops when a worker
picks it up. Nothing is refunded once any of the transcript was delivered (``TranscribeJob._fail``
settles such a job instead), so a job whose transcript is ready (``result_text`` set: being sent)
is not cancelled; the user is told it is finishing and charged as usual.

``/forget`` deletes the user's transcripts: the texts of their finished jobs (result, raw text,
segments, checkpoints, the file references) and their cached results (``Results.drop_payer``: a
cached text other payers also bought stays for them, without this user). What accounting needs
stays and the answer says so: the balance, the payment rows, the usage rows without text, and the
job rows' figures (duration, minutes, status). Unfinished jobs are left alone and counted.
"""

from __future__ import annotations

import logging

import attrs

from domain.job import Job
from domain.users import User
from ports.chat import Chat
from ports.errors import ConflictError, PortError
from ports.repositories import Jobs, Results
from presentation.catalogue import say
from presentation.keys import M
from usecases.owner_stats import active_jobs
from usecases.support import USAGE_LOG_DAYS

log = logging.getLogger(__name__)

SAVE_ATTEMPTS = 3


def forgotten(job: Job) -> Job:
    """The job without anything the user said: only its figures stay."""
    return attrs.evolve(job, file_id="", file_unique_id="", result_text=None, raw_text=None, segments_json=None,
                        chunks_json=None, pieces_json=None, audio_json=None, pass_tasks_json=None)


def _has_text(job: Job) -> bool:
    return any((job.file_id, job.file_unique_id, job.result_text, job.raw_text, job.segments_json,
                job.chunks_json, job.pieces_json, job.audio_json, job.pass_tasks_json))


class UserRequests:
    def __init__(self, *, jobs: Jobs, results: Results, chat: Chat) -> None:
        self._jobs = jobs
        self._results = results
        self._chat = chat

    # -- /cancel ---------------------------------------------------------------------------------
    def cancel(self, chat_id: int, user: User) -> str:
        lang = user.settings.ui_language
        requested: list[Job] = []
        finishing = busy = 0
        for job in active_jobs(self._jobs, user.user_id):
            outcome, stored = self._request_cancel(job.job_id)
            if outcome == "requested" and stored is not None:  # "requested" always comes with the job
                requested.append(stored)
            elif outcome == "finishing":
                finishing += 1
            elif outcome == "busy":
                busy += 1
        lines = []
        if requested:
            minutes = sum(j.reserved_minutes + j.extra_minutes for j in requested)
            lines.append(say(lang, M.cancel_requested, count=len(requested), minutes=minutes))
        if finishing:
            lines.append(say(lang, M.cancel_finishing, count=finishing))
        if busy:
            lines.append(say(lang, M.cancel_retry))
        self._chat.send_text(chat_id, "\n\n".join(lines) or say(lang, M.cancel_none))
        if busy and not requested:
            return "busy"
        return "requested" if requested else ("finishing" if finishing else "none")

    def _request_cancel(self, job_id: str) -> tuple[str, Job | None]:
        """requested | already | finishing | gone | busy, and the job as stored."""
        for _ in range(SAVE_ATTEMPTS):
            job = self._jobs.get(job_id)
            if job is None or job.status.is_terminal:
                return "gone", job
            if job.result_text is not None or job.delivered or job.delivered_parts:
                return "finishing", job
            if job.cancel_requested:
                return "requested", job  # an earlier /cancel (or a redelivery of this one)
            try:
                return "requested", self._jobs.save(attrs.evolve(job, cancel_requested=True))
            except ConflictError:
                continue  # the worker saved a checkpoint meanwhile: look again
        log.warning("cancel not recorded: the job kept changing", extra={"job_id": job_id})
        return "busy", None

    # -- /forget ---------------------------------------------------------------------------------
    def forget(self, chat_id: int, user: User) -> str:
        lang = user.settings.ui_language
        cleared = running = 0
        for job in [j for j in self._jobs.scan() if j.user_id == user.user_id]:
            if not job.status.is_terminal:
                running += 1
                continue
            if self._clear(job.job_id):
                cleared += 1
        deleted, shared = self._results.drop_payer(user.user_id)
        lines = [say(lang, M.forget_done, jobs=cleared, cached=deleted, log_days=USAGE_LOG_DAYS)]
        if shared:
            lines.append(say(lang, M.forget_shared, count=shared))
        if running:
            lines.append(say(lang, M.forget_running, count=running))
        # Deleted already: a redelivery would find nothing and say so, so the answer is best effort.
        try:
            self._chat.send_text(chat_id, "\n\n".join(lines))
        except PortError as exc:
            log.warning("forgotten, answer not sent", extra={"user_id": user.user_id, "error": str(exc)})
        return "forgotten"

    def _clear(self, job_id: str) -> bool:
        for _ in range(SAVE_ATTEMPTS):
            job = self._jobs.get(job_id)
            if job is None or not _has_text(job):
                return False
            try:
                self._jobs.save(forgotten(job))
                return True
            except ConflictError:
                continue
        log.warning("job text not forgotten: the row kept changing", extra={"job_id": job_id})
        return False
