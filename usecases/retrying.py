"""The one retry policy of the bot: bounded exponential backoff with full jitter.

Adapters translate vendor errors into TransientFailure / PermanentFailure; only transient
ones are retried here. A provider's own hint (Telegram's ``retry_after``) wins over the backoff.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from typing import TypeVar

from ports.clock import Clock
from ports.errors import TransientFailure

T = TypeVar("T")

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
            if attempt >= attempts:
                raise
            if exc.retry_after_s is not None:
                delay = min(MAX_DELAY_S, exc.retry_after_s)
            else:
                delay = rng.uniform(0, min(MAX_DELAY_S, base_delay_s * 2 ** (attempt - 1)))
            clock.sleep(delay)
    raise AssertionError("unreachable")  # pragma: no cover
