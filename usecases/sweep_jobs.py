"""The stuck-job sweeper: no job stays "queued" or "processing" forever, and no healthy job is touched.

Run on a timer (the report function, every 15 minutes) and by the owner's ``/flush``. A job is
judged by when something last happened to it (created, claimed by a worker, published again),
never by its age alone: in a backlog (40 files for 4 workers) a job waits its turn for as long as
that takes, and a long job runs in many steps, each one claimed afresh.

- A job a worker holds (a live lease) is never touched: failing it would refund a transcript the
  user is about to get, and the worker would then meet a row changed under it.
- A claimed job whose lease ran out (its worker died) or was released, with its attempts used up,
  is failed with a full refund: its next delivery would fail it anyway, the user hears it now.
- A job's message is presumed lost only when the workers are idle (no live lease, nothing claimed
  or finished within ``QUEUED_GRACE_S``) and the job has waited ``QUEUED_GRACE_S`` since its
  message was last published: at its creation, at a republish, or, once claimed, by the end of
  that claim's step (a continued step queues itself again, a failed one is redelivered by the
  trigger, both before the claim's lease ends). Idle workers take a waiting message at once (or
  at the trigger's next retry of it), so only a lost one is left behind. It is published again,
  once: a job still unclaimed after its republish (the queue does not deliver it) is failed with a
  full refund. While workers are busy a waiting job is left alone, as it may be behind the others;
  a continued job waiting in the queue is such a job.
- A job no worker claimed for ``ABANDONED_AFTER_S`` is failed with a full refund, whatever else.
Every decision is taken by a conditional write of the row first (the sweeper takes the job, or
stamps the republish), so a worker claiming the job at the same moment wins and the sweeper leaves
it alone. Republishing is safe anyway: the worker is idempotent per job id.
"""

from __future__ import annotations

import logging

import attrs

from domain.job import Job, JobStatus
from domain.policy import Policy
from ports.clock import Clock
from ports.errors import ConflictError, PortError
from ports.job_queue import JobQueue
from ports.repositories import Jobs
from usecases.steps import Outcome
from usecases.transcribe_job import TranscribeJob

log = logging.getLogger(__name__)

# A message that is not lost reaches an idle worker within this: EventBridge pushes at once and
# retries a failed push (a JobBusy or UserBusy answer, a crashed invocation) at most 512 s later
# (docs/provider-contracts.md). Shorter, a job waiting out its user's worker slots between two
# retries would be taken for lost.
QUEUED_GRACE_S = 600.0
# EventBridge retries a failed push for a day (docs/provider-contracts.md), then drops the message:
# a job no worker claimed for that long is not coming back.
ABANDONED_AFTER_S = 24 * 3600.0


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
        jobs = list(self._jobs.scan())
        idle = _workers_idle(jobs, now)
        republished: list[str] = []
        failed: list[str] = []
        for job in jobs:
            if job.status.is_terminal or job.is_leased(now):
                continue
            verdict = self._verdict(job, now, idle)
            if verdict == "republish" and self._republish(job, now):
                republished.append(job.job_id)
            elif verdict not in ("", "republish") and self._give_up(job, now, verdict):
                failed.append(job.job_id)
        if republished or failed:
            log.info("sweep", extra={"republished": len(republished), "failed": len(failed)})
        return SweepReport(tuple(republished), tuple(failed))

    def _verdict(self, job: Job, now: float, idle: bool) -> str:
        """"" (leave it), "republish", or the reason to fail it."""
        claimed = job.claimed_at > 0 or job.attempts > 0
        if claimed and job.attempts >= self._policy.max_job_attempts:
            return "stuck: attempts used up"
        if now - max(job.created_at, job.claimed_at) > ABANDONED_AFTER_S:
            return "stuck: never claimed again"
        if not idle or now - self._published_by(job) <= QUEUED_GRACE_S:
            return ""
        if job.republished_at > job.claimed_at:
            return "stuck: lost again after a republish"
        return "republish"

    def _published_by(self, job: Job) -> float:
        """The latest moment the job's current queue message can have been published."""
        moments = [job.created_at, job.republished_at]
        if job.claimed_at:
            # The claimed step queued its continuation, or failed and is redelivered, before the
            # claim's lease ran out (a lease outlasts one invocation).
            moments += [job.lease_until, job.claimed_at + self._policy.job_lease_s]
        return max(moments)

    def _republish(self, job: Job, now: float) -> bool:
        try:
            stamped = self._jobs.save(attrs.evolve(job, republished_at=now))
        except ConflictError:
            return False  # a worker took it meanwhile
        try:
            self._queue.publish(job.job_id)
        except PortError as exc:
            log.warning("sweeper could not republish", extra={"job_id": job.job_id, "error": str(exc)})
            try:  # not sent: the next sweep may try again rather than take it for lost twice
                self._jobs.save(attrs.evolve(stamped, republished_at=job.republished_at))
            except (ConflictError, PortError):
                pass
            return False
        log.info("job republished: its queue message was lost", extra={"job_id": job.job_id})
        return True

    def _give_up(self, job: Job, now: float, reason: str) -> bool:
        # Take the job first (a short lease of the sweeper's own): a worker that claims it at the
        # same moment either wins this write or meets the lease, never a refunded job.
        try:
            self._jobs.save(attrs.evolve(job, status=JobStatus.PROCESSING, lease_until=now + QUEUED_GRACE_S))
        except ConflictError:
            return False
        log.info("stuck job failed", extra={"job_id": job.job_id, "reason": reason})
        return self._transcribe_job.give_up(job.job_id, "stuck").status is Outcome.FAILED


def _workers_idle(jobs: list[Job], now: float) -> bool:
    """No lease is live and nothing was claimed or finished within the grace: an idle worker would
    have taken any message waiting in the queue."""
    for job in jobs:
        if job.is_leased(now) or now - max(job.claimed_at, job.finished_at or 0.0) <= QUEUED_GRACE_S:
            return False
    return True
