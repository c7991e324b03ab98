"""What the worker does with one queue message: a transcription job, or an action on a transcript.

Both travel as ids on the same queue (``domain.transcript_actions.is_action_id`` tells them
apart), so the worker function, its trigger and its step budget serve both.
"""

from __future__ import annotations

from typing import Protocol

from domain.transcript_actions import is_action_id
from usecases.steps import Deadline


class _Outcome(Protocol):
    @property
    def status(self) -> str: ...

    @property
    def detail(self) -> str: ...


class _Step(Protocol):
    def __call__(self, item_id: str, deadline: Deadline | None = None) -> _Outcome: ...

    def give_up(self, item_id: str, reason: str = ...) -> _Outcome: ...


class QueueWork:
    def __init__(self, transcribe_job: _Step, actions: _Step) -> None:
        self._jobs = transcribe_job
        self._actions = actions

    def _for(self, item_id: str) -> _Step:
        return self._actions if is_action_id(item_id) else self._jobs

    def __call__(self, item_id: str, deadline: Deadline | None = None) -> _Outcome:
        return self._for(item_id)(item_id, deadline)

    def give_up(self, item_id: str, reason: str = "delivery_exhausted") -> _Outcome:
        return self._for(item_id).give_up(item_id, reason)
