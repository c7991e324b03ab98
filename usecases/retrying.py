"""The one retry policy of the bot: bounded exponential backoff with full jitter.

Adapters translate vendor errors into TransientFailure / PermanentFailure; only transient
ones are retried here, and never an ``OutcomeUnknown`` (a send that may already have arrived).
A provider's own hint (Telegram's ``retry_after``) wins over the backoff.
Under a request budget (``usecases.budget``) nothing is retried once it is spent, and no wait
runs past it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import Any, TypeVar, cast

from ports.clock import Clock
from ports.errors import OutcomeUnknown, TransientFailure
from usecases import budget

T = TypeVar("T")
P = TypeVar("P")

MAX_DELAY_S = 30.0


def with_retries(
    call: Callable[[], T], *, clock: Clock, attempts: int, base_delay_s: float,
    rng: random.Random | None = None,
) -> T:
    """Run ``call``; on TransientFailure wait and try again, at most ``attempts`` times in all."""
    rng = rng or random.Random()
    for attempt in range(1, attempts + 1):
        try:
            return call()
        except TransientFailure as exc:
            # OutcomeUnknown: the first request may have taken effect; a resend could duplicate it.
            if attempt >= attempts or isinstance(exc, budget.BudgetSpent | OutcomeUnknown):
                raise
            if exc.retry_after_s is not None:
                delay = min(MAX_DELAY_S, exc.retry_after_s)
            else:
                delay = rng.uniform(0, min(MAX_DELAY_S, base_delay_s * 2 ** (attempt - 1)))
            left = budget.remaining()
            if left is not None and delay >= left:
                raise  # the request's budget ends before the next attempt could start
            clock.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover


class RetryingPort:
    """Wraps any port: every method call is retried on TransientFailure with the policy above.

    The composition root puts it around the stores, the queue, the blob store and the chat, so
    a throttled or briefly unavailable service costs a short wait, not a failed job, without a
    retry loop at every call site. Safe because those ports' writes are idempotent or
    conditional (operation keys, versions, insert-if-absent); a lost reply at worst shows up
    as a duplicate the use cases already recognise. The chat's sends are not idempotent: the
    Telegram adapter reports a send whose reply was lost as ``OutcomeUnknown``, which is not
    retried here (``usecases.delivery`` decides). Recognizers and formatters are retried
    where they are called, with their own budgets.
    """

    def __init__(self, target: object, *, clock: Clock, attempts: int, base_delay_s: float) -> None:
        self._target = target
        self._clock = clock
        self._attempts = attempts
        self._base_delay_s = base_delay_s

    @property
    def wrapped(self) -> object:
        return self._target

    # Any: a proxy for whatever port it wraps; ``retrying`` gives callers the port's own type.
    def __getattr__(self, name: str) -> Any:
        attribute = getattr(self._target, name)
        if name.startswith("_") or not callable(attribute):
            return attribute

        def call(*args: Any, **kwargs: Any) -> Any:
            return with_retries(lambda: attribute(*args, **kwargs), clock=self._clock,
                                attempts=self._attempts, base_delay_s=self._base_delay_s)

        return call


def retrying(port: P, *, clock: Clock, attempts: int, base_delay_s: float) -> P:
    """``port`` wrapped in a ``RetryingPort``, typed as ``port`` itself.

    The proxy answers every public attribute of ``port``, and each method with the same arguments
    and result (only retried), so callers keep the port's type (a ``Users`` stays a ``Users``)
    instead of the proxy's ``Any``.
    """
    return cast(P, RetryingPort(port, clock=clock, attempts=attempts, base_delay_s=base_delay_s))
