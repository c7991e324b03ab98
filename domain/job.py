"""A transcription job and its life: queued → processing → completed | failed.

Checkpoints (``result_text`` saved, ``delivered``, ``settled``) let a redelivered job continue
where a crashed worker stopped instead of doing (and charging, and sending) the work twice.
"""

from __future__ import annotations

import enum

import attrs

from domain.audio import MediaKind
from domain.errors import InvalidTransition


class JobStatus(enum.Enum):
    QUEUED = "queued"
    PROCESSING = "processing"
    COMPLETED = "completed"
    FAILED = "failed"

    @property
    def is_terminal(self) -> bool:
        return self in (JobStatus.COMPLETED, JobStatus.FAILED)


@attrs.frozen
class Job:
    """One file to transcribe. ``version`` is the optimistic-lock counter."""

    job_id: str
    user_id: int
    chat_id: int
    message_id: int
    file_id: str
    file_unique_id: str
    kind: MediaKind
    declared_duration_s: float
    file_size: int | None
    reserved_minutes: int
    status_message_id: int | None
    created_at: float
    dialogue: bool = False
    language: str | None = None
    status: JobStatus = JobStatus.QUEUED
    attempts: int = 0
    lease_until: float = 0.0
    # Filled as the job advances.
    real_duration_ms: int | None = None
    # Minutes the real duration costs beyond ``reserved_minutes`` (recorded before it is debited).
    extra_minutes: int = 0
    result_mode: str | None = None
    result_text: str | None = None
    segments_json: str | None = None
    delivered: bool = False
    # Messages of a split delivery already sent, so a redelivered job sends only the rest.
    delivered_parts: int = 0
    charged_minutes: int | None = None
    error: str | None = None
    finished_at: float | None = None
    version: int = 0

    def claimed(self, now: float, lease_s: float) -> Job:
        """Start (or restart after a lease ran out) processing."""
        if self.status.is_terminal:
            raise InvalidTransition(f"job {self.job_id} is {self.status.value}")
        return attrs.evolve(
            self, status=JobStatus.PROCESSING, attempts=self.attempts + 1, lease_until=now + lease_s
        )

    def is_leased(self, now: float) -> bool:
        return self.status is JobStatus.PROCESSING and self.lease_until > now

    def completed(self, now: float, charged: int) -> Job:
        if self.status.is_terminal:
            raise InvalidTransition(f"job {self.job_id} is {self.status.value}")
        return attrs.evolve(self, status=JobStatus.COMPLETED, charged_minutes=charged, finished_at=now)

    def failed(self, now: float, error: str) -> Job:
        if self.status.is_terminal:
            raise InvalidTransition(f"job {self.job_id} is {self.status.value}")
        return attrs.evolve(
            self, status=JobStatus.FAILED, error=error[:500], charged_minutes=0, finished_at=now
        )
