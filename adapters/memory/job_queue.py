"""An in-process job queue with the at-least-once behaviour of MNS.

A received message stays in the queue, invisible until its visibility timeout passes; only
``ack`` removes it. A consumer that dies (or raises) therefore sees the message again, exactly
as the worker function does in production.
"""

from __future__ import annotations

import itertools
import threading

import attrs

from ports.clock import Clock
from ports.job_queue import JobQueue


@attrs.frozen
class QueuedMessage:
    message_id: str
    job_id: str
    receipt: str
    dequeue_count: int


class InMemoryJobQueue(JobQueue):
    def __init__(self, clock: Clock, visibility_s: float = 600.0) -> None:
        self._clock = clock
        self._visibility_s = visibility_s
        self._lock = threading.Lock()
        self._ids = itertools.count(1)
        # message_id -> [job_id, visible_at, dequeue_count, receipt]
        self._messages: dict[str, list] = {}
        self.published: list[str] = []

    def publish(self, job_id: str) -> None:
        with self._lock:
            message_id = f"m{next(self._ids)}"
            self._messages[message_id] = [job_id, 0.0, 0, ""]
            self.published.append(job_id)

    def receive(self) -> QueuedMessage | None:
        """The oldest visible message, made invisible for the visibility timeout."""
        with self._lock:
            now = self._clock.now()
            for message_id, entry in self._messages.items():
                if entry[1] <= now:
                    entry[1] = now + self._visibility_s
                    entry[2] += 1
                    entry[3] = f"{message_id}:{entry[2]}"
                    return QueuedMessage(message_id, entry[0], entry[3], entry[2])
            return None

    def ack(self, receipt: str) -> bool:
        """Delete the message if ``receipt`` is its latest one (an old receipt is stale)."""
        with self._lock:
            message_id = receipt.split(":", 1)[0]
            entry = self._messages.get(message_id)
            if entry is None or entry[3] != receipt:
                return False
            del self._messages[message_id]
            return True

    def release(self, receipt: str) -> None:
        """Make a received message visible again at once (a consumer gave it back)."""
        with self._lock:
            entry = self._messages.get(receipt.split(":", 1)[0])
            if entry is not None and entry[3] == receipt:
                entry[1] = 0.0

    def pending(self) -> list[str]:
        """Job ids of every message still in the queue (visible or not): jobs waiting for a worker."""
        with self._lock:
            return [entry[0] for entry in self._messages.values()]

    def __len__(self) -> int:
        with self._lock:
            return len(self._messages)
