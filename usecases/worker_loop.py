"""The worker: one delivery of a queue message runs one step of ``TranscribeJob`` (or of
``TranscriptActions`` for an action's id).

Delivery is at least once and ``TranscribeJob`` is idempotent by job id, so the rule is short: a
step that ends (whatever its outcome) acknowledges the message; a ``TransientFailure`` (``JobBusy``
included) leaves it to be delivered again. In production Function Compute's MNS trigger pulls the
messages and delivers a batch per invocation (``entrypoints.fc_worker``); the local runner and the
tests pull from the memory queue themselves (``drain``). Both go through ``Worker.deliver``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Protocol

import attrs

from domain.transcript_actions import is_action_id
from ports.errors import TransientFailure
from usecases.steps import Deadline
from usecases.transcribe_job import JobOutcome, TranscribeJob
from usecases.transcript_actions import ActionOutcome, TranscriptActions


class QueuedMessage(Protocol):
    @property
    def job_id(self) -> str: ...

    @property
    def receipt(self) -> str: ...


class PulledQueue(Protocol):
    """A queue the worker pulls from itself (the memory queue)."""

    def receive(self) -> QueuedMessage | None: ...

    def ack(self, receipt: str) -> bool: ...

    def release(self, receipt: str) -> None: ...


@attrs.frozen
class Delivered:
    job_id: str
    # None: the step met a transient failure (``failure``) and the message must be delivered again.
    outcome: JobOutcome | ActionOutcome | None
    failure: TransientFailure | None = None


class Worker:
    def __init__(self, *, transcribe_job: TranscribeJob, actions: TranscriptActions | None = None) -> None:
        """``actions`` runs the queue messages that name an action on a transcript
        (``domain.transcript_actions.is_action_id``): the same queue, trigger and step budget."""
        self._transcribe_job = transcribe_job
        self._actions = actions

    def deliver(self, job_id: str, deadline: Deadline | None = None) -> Delivered:
        """One delivery of ``job_id``: one step of the job (or action), within ``deadline`` when given."""
        try:
            if self._actions is not None and is_action_id(job_id):
                return Delivered(job_id, self._actions(job_id, deadline))
            return Delivered(job_id, self._transcribe_job(job_id, deadline))
        except TransientFailure as exc:
            return Delivered(job_id, None, exc)

    def drain(self, queue: PulledQueue, *, before_redelivery: Callable[[TransientFailure], None],
              max_rounds: int = 50) -> int:
        """Pull and run messages until the queue is empty (at most ``max_rounds``); returns how many
        were acknowledged. ``before_redelivery`` gets the failure of a step before its message is
        released: the caller logs it, and waits the time a real queue would keep the message
        invisible (the tests advance their clock past the lease)."""
        done = 0
        for _ in range(max_rounds):
            message = queue.receive()
            if message is None:
                break
            delivered = self.deliver(message.job_id)
            if delivered.failure is not None:
                before_redelivery(delivered.failure)
                queue.release(message.receipt)
                continue
            queue.ack(message.receipt)
            done += 1
        return done
