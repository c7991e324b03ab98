"""Bounded worker steps: the time budget of one invocation, and the signal that it ran out.

A job of any accepted length (4 h) needs more time than one synchronous trigger push allows
(300 s). The worker therefore runs a job in steps: each step starts no new paid call once its
``Deadline`` has passed, keeps every result it paid for as a checkpoint on the job row, and
raises ``StepInterrupted``; ``TranscribeJob`` then queues the job again and the next step goes
on from the checkpoints. The deadline is read on the injected clock, so tests run long jobs on
simulated time.
"""

from __future__ import annotations

import enum

import attrs

from ports.clock import Clock


class Outcome(enum.StrEnum):
    """How one step of a queued job (a transcription or a transcript action) ended; the worker
    logs it and answers the queue with it."""

    COMPLETED = "completed"
    FAILED = "failed"
    SKIPPED = "skipped"  # already finished, or finished by someone else meanwhile
    MISSING = "missing"  # no such job: the message is acknowledged
    CONTINUED = "continued"  # out of step time, checkpoints saved, queued again


@attrs.frozen
class Deadline:
    clock: Clock
    at: float

    @classmethod
    def after(cls, clock: Clock, seconds: float) -> Deadline:
        return cls(clock, clock.now() + seconds)

    def remaining(self) -> float:
        return self.at - self.clock.now()

    def expired(self) -> bool:
        return self.remaining() <= 0


class StepInterrupted(Exception):
    """The step's time budget is spent; its results are checkpointed and the job must go on later."""
