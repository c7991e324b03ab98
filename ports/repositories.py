"""Storage ports: users and balances, jobs, idempotency keys, logs, trial requests, bot state.

Every write that can race is conditional (optimistic locking on ``version``) and every money
movement is keyed by an operation id so that it happens exactly once however often it is retried.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterator
from typing import Protocol

import attrs

from domain.job import Job
from domain.users import User


@attrs.frozen
class BalanceChange:
    """Outcome of ``Users.apply_balance``.

    ``applied`` false with ``duplicate`` true: the operation key was already applied (nothing changed).
    ``applied`` false with ``insufficient`` true: a debit would have gone below zero (nothing changed).
    """

    applied: bool
    balance: int
    duplicate: bool = False
    insufficient: bool = False


class Users(Protocol):
    @abstractmethod
    def get(self, user_id: int) -> User | None:
        """The user row, or None."""

    @abstractmethod
    def create(self, user: User) -> User:
        """Insert a new user; if one already exists, return the stored row unchanged."""

    @abstractmethod
    def save(self, user: User) -> User:
        """Write profile and settings fields (not the balance) if ``user.version`` still matches.

        Returns the stored row with its new version. Raises ConflictError when it does not match.
        """

    @abstractmethod
    def apply_balance(self, user_id: int, op_key: str, delta: int) -> BalanceChange:
        """Add ``delta`` minutes (negative to debit) exactly once per ``op_key``.

        A debit never takes the balance below zero: it is refused whole. Raises KeyError if the
        user does not exist.
        """

    @abstractmethod
    def increment_micro_purchases(self, user_id: int, op_key: str, limit: int) -> bool:
        """Count one limited-package purchase exactly once per ``op_key``; False when over ``limit``."""

    @abstractmethod
    def scan(self) -> Iterator[User]:
        """Every user, paginating through the whole table."""


class Jobs(Protocol):
    @abstractmethod
    def create(self, job: Job) -> bool:
        """Insert; False (nothing written) when a job with this id already exists."""

    @abstractmethod
    def get(self, job_id: str) -> Job | None:
        """The job, or None."""

    @abstractmethod
    def save(self, job: Job) -> Job:
        """Write if the stored version equals ``job.version``; returns the row with version + 1.

        Raises ConflictError otherwise.
        """

    @abstractmethod
    def scan(self) -> Iterator[Job]:
        """Every job, paginating through the whole table."""


class IdempotencyKeys(Protocol):
    """Keys of deliveries already handled (Telegram ``update_id``s and the like)."""

    @abstractmethod
    def claim(self, key: str, now: float) -> bool:
        """True the first time a key is claimed, False for every repeat."""


@attrs.frozen
class TranscriptionLog:
    log_id: str
    user_id: int
    job_id: str
    duration_s: float
    minutes: int
    chars: int
    mode: str
    timestamp: float
    status: str = "completed"


@attrs.frozen
class PaymentLog:
    charge_id: str
    user_id: int
    package_id: str
    minutes: int
    stars: int
    timestamp: float


class Logs(Protocol):
    @abstractmethod
    def add_transcription(self, log: TranscriptionLog) -> None:
        """Append; a repeat of the same ``log_id`` is ignored."""

    @abstractmethod
    def add_payment(self, log: PaymentLog) -> bool:
        """Insert keyed by the Telegram charge id; False when that charge was already logged."""

    @abstractmethod
    def transcriptions(self, since: float) -> Iterator[TranscriptionLog]:
        """Every transcription log at or after ``since``."""

    @abstractmethod
    def payments(self, since: float) -> Iterator[PaymentLog]:
        """Every payment log at or after ``since``."""


@attrs.frozen
class TrialRequest:
    user_id: int
    name: str
    requested_at: float
    status: str = "pending"
    decided_at: float | None = None
    version: int = 0


class Trials(Protocol):
    @abstractmethod
    def get(self, user_id: int) -> TrialRequest | None:
        """The user's trial request, or None."""

    @abstractmethod
    def put(self, request: TrialRequest) -> TrialRequest:
        """Insert or update if ``request.version`` matches; raises ConflictError otherwise."""

    @abstractmethod
    def pending(self) -> Iterator[TrialRequest]:
        """Every request still waiting for the owner."""


@attrs.frozen
class CachedResult:
    """A finished transcript kept by ``file_unique_id`` so a re-sent file is not paid twice."""

    file_unique_id: str
    mode: str
    text: str
    duration_ms: int
    segments_json: str | None = None


class Results(Protocol):
    @abstractmethod
    def get(self, file_unique_id: str, mode: str) -> CachedResult | None:
        """The cached result for this file in this mode (``plain`` or ``dialogue``)."""

    @abstractmethod
    def put(self, result: CachedResult) -> None:
        """Store (or replace) a result."""


class BotState(Protocol):
    """Small named values the whole deployment shares (owner's mute deadline, alert cooldowns)."""

    @abstractmethod
    def get(self, name: str) -> str | None:
        """The stored value, or None."""

    @abstractmethod
    def set(self, name: str, value: str | None) -> None:
        """Store a value; None deletes it."""
