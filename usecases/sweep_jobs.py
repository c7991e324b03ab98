"""The stuck-job sweeper: no job stays "queued" or "processing" forever.

Run on a timer (the report function) and by the owner's ``/flush``:
- a job still queued with no attempt after ``QUEUED_GRACE_S`` lost its queue message (the
  publish failed or the message expired): publish it again;
- a job whose processing lease ran out (its worker died) is published again while it has
  attempts left, otherwise failed with a full refund and a message to the user;
- a job older than ``policy.max_job_age_s`` that is still not finished is failed the same way.
Republishing is safe: the worker is idempotent per job id.
"""

from __future__ import annotations

import logging

import attrs

from domain.job import JobStatus
from domain.policy import Policy
from ports.clock import Clock
from ports.errors import PortError
from ports.job_queue import JobQueue
from ports.repositories import Jobs
from usecases.transcribe_job import TranscribeJob

log = logging.getLogger(__name__)

QUEUED_GRACE_S = 120.0


@attrs.frozen
class SweepReport:
    republished: tuple[str, ...] = ()
    failed: tuple[str, ...] = ()


class SweepJobs:
    def __init__(self, *, jobs: Jobs, queue: JobQueue, clock: Clock, policy: Policy,
                 transcribe_job: TranscribeJob) -> None:
        self._jobs = jobs
        self._queue = queue
        self._clock = clock
        self._policy = policy
        self._transcribe_job = transcribe_job

    def __call__(self) -> SweepReport:
        now = self._clock.now()
        republished: list[str] = []
        failed: list[str] = []
        max_age = self._policy.job_lease_s * (self._policy.max_job_attempts + 1) + QUEUED_GRACE_S
        for job in self._jobs.scan():
            if job.status.is_terminal:
                continue
            age = now - job.created_at
            stale_queue = job.status is JobStatus.QUEUED and job.attempts == 0 and age > QUEUED_GRACE_S
            dead_worker = job.status is JobStatus.PROCESSING and job.lease_until <= now
            released = job.status is JobStatus.PROCESSING and job.lease_until == 0.0
            if age > max_age or ((dead_worker or released) and job.attempts >= self._policy.max_job_attempts):
                self._transcribe_job.give_up(job.job_id, "stuck")
                failed.append(job.job_id)
            elif stale_queue or dead_worker:
                try:
                    self._queue.publish(job.job_id)
                    republished.append(job.job_id)
                except PortError as exc:
                    log.warning("sweeper could not republish", extra={"job_id": job.job_id, "error": str(exc)})
        if republished or failed:
            log.info("sweep", extra={"republished": len(republished), "failed": len(failed)})
        return SweepReport(tuple(republished), tuple(failed))
