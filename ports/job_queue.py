"""The queue that carries job ids from the webhook to the worker (MNS in production)."""

from __future__ import annotations

from abc import abstractmethod
from typing import Protocol


class JobQueue(Protocol):
    @abstractmethod
    def publish(self, job_id: str) -> None:
        """Send one job id. Delivery is at least once: the worker must be idempotent."""
