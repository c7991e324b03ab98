"""Failures the use cases raise to their callers (entrypoints map them to transport answers)."""

from __future__ import annotations

from ports.errors import TransientFailure


class JobBusy(TransientFailure):
    """Another worker holds the job's lease: the queue should deliver the message again later."""

    def __init__(self, job_id: str) -> None:
        super().__init__("worker", f"job {job_id} is being processed elsewhere")
        self.job_id = job_id


class UserFacingError(Exception):
    """A permanent failure with a catalogue key that explains it to the user in plain words."""

    def __init__(self, key: str, **params: object) -> None:
        super().__init__(key)
        self.key = key
        self.params = params
