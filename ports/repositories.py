"""Storage ports: users and balances, jobs, idempotency keys, logs, trial requests, bot state.

Every write that can race is conditional (optimistic locking on ``version``) and every money
movement is keyed by an operation id so that it happens exactly once however often it is retried.
"""

from __future__ import annotations

from abc import abstractmethod
from collections.abc import Iterable, Iterator
from typing import Protocol

import attrs

from domain.job import Job
from domain.transcript import TranscriptionMode, logged_mode
from domain.users import TrialStatus, User


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
    def hold_worker_slot(self, user_id: int, job_id: str, until: float, limit: int, now: float) -> bool:
        """Take (or extend) one of the user's ``limit`` worker slots for ``job_id`` until ``until``.

        False, writing nothing, when ``limit`` other jobs of the user hold live slots (their
        ``until`` after ``now``): one user's backlog never occupies every worker. Slots of crashed
        workers simply expire. Raises KeyError if the user does not exist.
        """

    @abstractmethod
    def release_worker_slot(self, user_id: int, job_id: str) -> None:
        """Give the job's slot back (nothing when it holds none, or the user is gone)."""

    @abstractmethod
    def increment_micro_purchases(self, user_id: int, op_key: str, limit: int) -> bool:
        """Count one limited-package purchase exactly once per ``op_key``; False when over ``limit``."""

    @abstractmethod
    def count_paid_purchase(self, user_id: int, charge_key: str, reservation_key: str | None, limit: int) -> bool:
        """Count one *paid* limited-package purchase exactly once per ``charge_key``; False when over ``limit``.

        ``reservation_key`` is the op key under which pre-checkout already counted the invoice
        that was paid (``increment_micro_purchases``). The first payment of that invoice takes the
        reservation instead of a new slot; any other payment (the same invoice paid again, an
        invoice without a reservation) needs a free slot under ``limit``. Nothing is written for a
        refused payment, and the counter never goes down, so a refused charge stays refused however
        often it is retried. Raises KeyError if the user does not exist.
        """

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

    @abstractmethod
    def release(self, key: str) -> None:
        """Forget a claim (nothing happens when it is not there), so the next ``claim`` of it wins.

        For work that was claimed and then could not be done (a transient outage): the delivery
        that comes again must run it.
        """


@attrs.frozen
class TranscriptionLog:
    log_id: str
    user_id: int
    job_id: str
    duration_s: float
    minutes: int
    chars: int
    mode: TranscriptionMode = attrs.field(converter=logged_mode)
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
    status: TrialStatus = attrs.field(default=TrialStatus.PENDING, converter=TrialStatus)
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


def _user_ids(values: Iterable[int]) -> tuple[int, ...]:
    # A named converter (not bare ``tuple``) so the attrs plugin types ``paid_by`` as int ids.
    return tuple(values)


@attrs.frozen
class CachedResult:
    """A finished transcript kept by file, mode and recognition language, so a re-sent file is
    answered at once and its payer is not charged twice.

    ``language`` is the recognition language that was asked for (None: detected), part of the key:
    after ``/language de`` the same file is recognised again, not answered in the old language.
    ``paid_by`` lists the users who paid for this text: it is free again for them only; anyone
    else who sends the file is billed its duration (``usecases.accept_media``). ``created_at``
    (when it was recognised) lets a reader expire it (``Policy.results_ttl_s``); a row without
    one (0) is treated as expired.
    """

    file_unique_id: str
    mode: TranscriptionMode = attrs.field(converter=TranscriptionMode)
    text: str
    duration_ms: int
    segments_json: str | None = None
    language: str | None = None
    paid_by: tuple[int, ...] = attrs.field(default=(), converter=_user_ids)
    created_at: float = 0.0

    def fresh(self, now: float, ttl_s: float) -> bool:
        """Still young enough to be served."""
        return self.created_at > 0 and now - self.created_at <= ttl_s


# How many payers a cached result remembers (the most recent): a payer that falls off the list is
# only charged again for a file thousands of others also paid for.
REMEMBERED_PAYERS = 1000


def merged_result(stored: CachedResult | None, new: CachedResult) -> CachedResult:
    """What ``Results.put`` stores when ``stored`` is already under the key: the payers of both
    (most recent last, bounded), and the older creation time when the text is the same one (a
    re-delivery of the same transcript does not make it younger)."""
    if stored is None:
        return new
    payers = [p for p in stored.paid_by if p not in new.paid_by] + list(new.paid_by)
    created_at = new.created_at
    if stored.text == new.text and stored.created_at > 0:
        created_at = min(stored.created_at, new.created_at) if new.created_at > 0 else stored.created_at
    return attrs.evolve(new, paid_by=tuple(payers[-REMEMBERED_PAYERS:]), created_at=created_at)


class Results(Protocol):
    @abstractmethod
    def get(self, file_unique_id: str, mode: TranscriptionMode, language: str | None) -> CachedResult | None:
        """The cached result for this file in this mode (``plain`` or ``dialogue``) and recognition
        language (None: detected), however old; the caller decides whether it is fresh."""

    @abstractmethod
    def put(self, result: CachedResult) -> None:
        """Store a result under its file, mode and language; a result already stored there is
        replaced, keeping its payers and age as ``merged_result`` says."""

    @abstractmethod
    def drop_payer(self, user_id: int) -> tuple[int, int]:
        """Forget ``user_id``'s cached transcripts (``/forget``): every result they paid for loses
        them from its payers, and is deleted when no payer is left. Returns (deleted, kept for
        other payers). Reads the whole cache (a rare request)."""


class BotState(Protocol):
    """Small named values the whole deployment shares (owner's mute deadline, alert cooldowns)."""

    @abstractmethod
    def get(self, name: str) -> str | None:
        """The stored value, or None."""

    @abstractmethod
    def set(self, name: str, value: str | None) -> None:
        """Store a value; None deletes it."""
