"""Time and identifiers, so use cases stay deterministic under test."""

from __future__ import annotations

from abc import abstractmethod
from typing import Protocol


class Clock(Protocol):
    @abstractmethod
    def now(self) -> float:
        """Seconds since the epoch (UTC)."""

    @abstractmethod
    def sleep(self, seconds: float) -> None:
        """Wait; fakes advance their time instead of blocking."""


class Ids(Protocol):
    @abstractmethod
    def new_id(self) -> str:
        """A fresh opaque identifier (no user data in it)."""
