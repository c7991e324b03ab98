"""A transcription job and its life: queued → processing → completed | failed.

Checkpoints let a redelivered or continued job go on where the last worker stopped instead of
doing (and paying for, and sending) the work twice. In the order a job fills them:

- ``audio_key``/``audio_json``: the transcoded audio kept in the blob store and its measured facts
  (duration, silences), so a later step never downloads or transcodes again;
- ``chunks_json``: each recognised chunk's text as it arrives (plain mode);
- ``pass_tasks_json``: the provider task ids of the two dialogue passes once submitted;
- ``raw_text`` (+ ``segments_json``, ``result_mode``, ``result_language``, ``from_chunks``): the
  recognised transcript, saved before formatting;
- ``pieces_json``: each formatted piece as it arrives; then ``result_text``, ``delivered_parts``,
  ``delivered``.
``steps`` counts the bounded worker steps the job has used (a step that runs out of its time
budget saves what it has and queues the job again).
"""

from __future__ import annotations

import enum
import json

import attrs

from domain.audio import MediaKind
from domain.errors import InvalidTransition
from domain.transcript import TranscriptionMode, optional_mode


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
    result_mode: TranscriptionMode | None = attrs.field(default=None, converter=optional_mode)
    result_text: str | None = None
    segments_json: str | None = None
    # Checkpoints of the bounded steps (module doc).
    steps: int = 0
    audio_key: str | None = None
    audio_json: str | None = None
    chunks_json: str | None = None
    pass_tasks_json: str | None = None
    raw_text: str | None = None
    result_language: str | None = None
    from_chunks: bool = False
    pieces_json: str | None = None
    delivered: bool = False
    # Messages of a split delivery already sent, so a redelivered job sends only the rest, and how
    # many the delivery needs (a delivery that stops half-way is billed by the share that arrived).
    delivered_parts: int = 0
    planned_parts: int = 0
    # When a worker last claimed the job, and when the stuck-job sweeper last published it again
    # (0: never). The sweeper measures "stuck" from these, never from ``created_at`` alone: a job
    # can wait in a long queue, or run for hours in steps, and be perfectly healthy.
    claimed_at: float = 0.0
    republished_at: float = 0.0
    charged_minutes: int | None = None
    error: str | None = None
    finished_at: float | None = None
    version: int = 0
    # The user asked to stop (/cancel): the worker fails the job with a full refund at its next
    # check (the start of a step, or a checkpoint save that finds the row changed).
    cancel_requested: bool = False

    def claimed(self, now: float, lease_s: float) -> Job:
        """Start (or restart after a lease ran out) processing."""
        if self.status.is_terminal:
            raise InvalidTransition(f"job {self.job_id} is {self.status.value}")
        return attrs.evolve(
            self, status=JobStatus.PROCESSING, attempts=self.attempts + 1, lease_until=now + lease_s,
            claimed_at=now,
        )

    def continued(self) -> Job:
        """End a step that ran out of time but made its checkpoints: the lease is released, and
        the claim does not count as a failed attempt (the next step claims it again)."""
        return attrs.evolve(self, lease_until=0.0, attempts=max(0, self.attempts - 1), steps=self.steps + 1)

    @property
    def chunk_texts(self) -> dict[int, str]:
        return _int_keyed(self.chunks_json)

    def with_chunk_text(self, index: int, text: str) -> Job:
        texts = self.chunk_texts
        texts[index] = text
        return attrs.evolve(self, chunks_json=_dump_int_keyed(texts))

    @property
    def formatted_pieces(self) -> dict[int, str]:
        return _int_keyed(self.pieces_json)

    def with_formatted_piece(self, index: int, text: str) -> Job:
        pieces = self.formatted_pieces
        pieces[index] = text
        return attrs.evolve(self, pieces_json=_dump_int_keyed(pieces))

    @property
    def pass_tasks(self) -> dict[str, str]:
        if not self.pass_tasks_json:
            return {}
        loaded = json.loads(self.pass_tasks_json)
        return {str(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}

    def with_pass_tasks(self, tasks: dict[str, str]) -> Job:
        return attrs.evolve(self, pass_tasks_json=json.dumps(tasks, sort_keys=True))

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


def _int_keyed(raw: str | None) -> dict[int, str]:
    if not raw:
        return {}
    loaded = json.loads(raw)
    return {int(k): str(v) for k, v in loaded.items()} if isinstance(loaded, dict) else {}


def _dump_int_keyed(values: dict[int, str]) -> str:
    return json.dumps({str(k): v for k, v in sorted(values.items())}, ensure_ascii=False)
