"""A controllable clock and predictable ids for tests and replays."""

from __future__ import annotations

import itertools
import threading

from ports.clock import Clock, Ids


class FakeClock(Clock):
    """Starts at ``start``; ``sleep`` advances time instantly (so retries and polls cost nothing)."""

    def __init__(self, start: float = 1_767_225_600.0) -> None:  # 2026-01-01T00:00:00Z
        self._now = start
        self._lock = threading.Lock()
        self.slept: list[float] = []

    def now(self) -> float:
        with self._lock:
            return self._now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            self._now += max(0.0, seconds)

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds


class SequentialIds(Ids):
    """``prefix-1``, ``prefix-2``, ... (thread-safe)."""

    def __init__(self, prefix: str = "id") -> None:
        self._counter = itertools.count(1)
        self._prefix = prefix
        self._lock = threading.Lock()

    def new_id(self) -> str:
        with self._lock:
            return f"{self._prefix}-{next(self._counter)}"
