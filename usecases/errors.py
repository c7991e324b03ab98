"""Failures the use cases raise to their callers (entrypoints map them to transport answers)."""

from __future__ import annotations

from ports.errors import TransientFailure
from presentation.keys import Key


class JobBusy(TransientFailure):
    """Another worker holds the job's lease: the queue should deliver the message again later."""

    def __init__(self, job_id: str) -> None:
        super().__init__("worker", f"job {job_id} is being processed elsewhere")
        self.job_id = job_id


class UserBusy(JobBusy):
    """The job's user already has ``Policy.max_active_jobs_per_user`` jobs being worked on: the
    queue delivers this one again later (the claim was not counted as an attempt)."""


class UserFacingError(Exception):
    """A permanent failure with the message (``presentation.keys.M``) that explains it to the user in plain words."""

    def __init__(self, key: Key, **params: object) -> None:
        super().__init__(key.name)
        self.key = key
        self.params = params


class DecodeLimitReached(Exception):
    """The audio goes on past the decode limit (``Policy.decode_limit``): decoding was stopped there.

    The worker refuses such a file as too long (nothing charged, no more decoded than the limit);
    the webhook's inline path hands it to the worker instead.
    """

    def __init__(self, decoded_ms: int, limit_s: float) -> None:
        super().__init__(f"audio longer than {limit_s:g} s (decoding stopped at {decoded_ms} ms)")
        self.decoded_ms = decoded_ms
        self.limit_s = limit_s
