"""The time budget of one request, enforced at the ports (the webhook's 60 s, the pre-checkout's 10 s).

``within(clock, seconds)`` sets a deadline for the current thread (nested budgets keep the earlier
one). While it runs:

- ``BudgetedPort`` starts no port call after the deadline: it raises ``BudgetSpent`` (a
  TransientFailure, so the inline path hands its job to the worker) instead; a call that started
  in time and failed transiently after the deadline is reported as ``BudgetSpent`` too;
- ``usecases.retrying.with_retries`` never retries ``BudgetSpent`` and never sleeps past the deadline.

So a budgeted request ends at most its longest single call after the deadline;
``domain.policy.budget_problems`` proves that against the function's timeout. Threads started
inside a budget (the formatter's piece pool) have none of their own: what runs there must be
bounded by itself (the inline formatter makes one attempt: ``InlineAttempt``). The worker runs
without a request budget; its steps have ``usecases.steps.Deadline``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

from ports.clock import Clock
from ports.errors import PortError, TransientFailure
from usecases.steps import Deadline, StepInterrupted

_local = threading.local()


class BudgetSpent(TransientFailure):
    """The request's budget is spent: no call was started (or its late failure is not retried)."""

    def __init__(self, what: str) -> None:
        super().__init__("budget", f"time budget spent ({what})", code="BudgetSpent")


@contextmanager
def within(clock: Clock, seconds: float) -> Iterator[None]:
    """Run the block under a deadline ``seconds`` from now (or the enclosing one, if earlier)."""
    previous: Deadline | None = getattr(_local, "deadline", None)
    deadline = Deadline.after(clock, max(0.0, seconds))
    if previous is not None and previous.at <= deadline.at:
        deadline = previous
    _local.deadline = deadline
    try:
        yield
    finally:
        _local.deadline = previous


def remaining() -> float | None:
    """Seconds left in this thread's budget, or None when no budget runs."""
    current: Deadline | None = getattr(_local, "deadline", None)
    return None if current is None else current.remaining()


def check(what: str) -> None:
    """Raise ``BudgetSpent`` when this thread's budget has run out."""
    left = remaining()
    if left is not None and left <= 0:
        raise BudgetSpent(what)


class BudgetedPort:
    """Wraps a port: no method call starts after the budget of the calling thread."""

    def __init__(self, target: object) -> None:
        self._target = target

    @property
    def wrapped(self) -> object:
        return self._target

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._target, name)
        if name.startswith("_") or not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            check(name)
            try:
                return attribute(*args, **kwargs)
            except TransientFailure as exc:
                left = remaining()
                if left is not None and left <= 0 and not isinstance(exc, BudgetSpent):
                    raise BudgetSpent(f"{name} failed after the deadline") from None
                raise

        return call


class InlineAttempt:
    """Wraps the formatter of the inline path: one attempt, and on any failure the worker takes over.

    ``FormattingChain`` tries every formatter twice and then its fallback; inside the webhook's
    budget there is time for one attempt of one formatter. When it fails, ``StepInterrupted``
    ends the inline step with the recognised text saved, and the worker formats it with the whole
    chain (retries, fallback, the owner's alert for a missing model) -- the user never gets raw
    text only because the webhook was short of time.
    """

    def __init__(self, target: object) -> None:
        self._target = target

    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._target, name)
        if name.startswith("_") or not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            try:
                return attribute(*args, **kwargs)
            except PortError as exc:
                raise StepInterrupted(f"inline formatting failed ({exc}); the worker formats") from None

        return call


class WithinBudget:
    """A use case run under a budget on every call (the webhook's ``AcceptUpdate``)."""

    def __init__(self, target: Callable[..., Any], clock: Clock, seconds: float) -> None:
        self._target = target
        self._clock = clock
        self._seconds = seconds

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        with within(self._clock, self._seconds):
            return self._target(*args, **kwargs)

    def __getattr__(self, name: str) -> Any:
        return getattr(self._target, name)
