"""In-memory twins of the storage ports, with the same conditional-write rules as Tablestore.

One lock per store makes every read-check-write atomic, which is what Tablestore's conditional
updates give the real adapters. ``fail_next`` lets a test make the next N calls of a store raise
a TransientFailure (a provider outage) without touching the data.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable, Iterator
from typing import Generic, TypeVar

import attrs

from domain.billing import apply_delta
from domain.job import Job
from domain.transcript import TranscriptionMode
from domain.users import TrialStatus, User
from ports.errors import ConflictError, TransientFailure
from ports.repositories import (
    BalanceChange,
    BotState,
    CachedResult,
    IdempotencyKeys,
    Jobs,
    Logs,
    PaymentLog,
    Results,
    TranscriptionLog,
    TrialRequest,
    Trials,
    Users,
    merged_result,
)

# How many applied operation keys a user row remembers (the Tablestore adapter keeps the same
# bounded list in the row): retries and redeliveries arrive within minutes, never 500 operations later.
REMEMBERED_OPS = 500


class _Faulty:
    """Mixin: ``fail_next(n)`` makes the next n calls to ``_maybe_fail`` raise TransientFailure."""

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._failures = 0

    def fail_next(self, count: int = 1) -> None:
        with self._lock:
            self._failures += count

    def _maybe_fail(self) -> None:
        if self._failures > 0:
            self._failures -= 1
            raise TransientFailure("memory-store", "injected outage")


R = TypeVar("R")


class VersionedRows(_Faulty, Generic[R]):
    """Rows keyed by ``key(row)`` with the real store's conditional writes: ``create`` only when
    absent (version 1), ``save`` only over the version it read (then one more), else ConflictError."""

    def __init__(self, key: Callable[[R], str], what: str) -> None:
        super().__init__()
        self._key = key
        self._what = what
        self._rows: dict[str, R] = {}

    def create(self, row: R) -> bool:
        with self._lock:
            self._maybe_fail()
            if self._key(row) in self._rows:
                return False
            self._rows[self._key(row)] = attrs.evolve(row, version=1)  # type: ignore[misc]  # attrs rows with ``version``
            return True

    def get(self, key: str) -> R | None:
        with self._lock:
            self._maybe_fail()
            return self._rows.get(key)

    def save(self, row: R) -> R:
        with self._lock:
            self._maybe_fail()
            current = self._rows.get(self._key(row))
            if current is None or current.version != row.version:  # type: ignore[attr-defined]
                raise ConflictError(f"{self._what} {self._key(row)} changed")
            stored: R = attrs.evolve(row, version=row.version + 1)  # type: ignore[misc, attr-defined]
            self._rows[self._key(row)] = stored
            return stored

    def scan(self) -> Iterator[R]:
        with self._lock:
            self._maybe_fail()
            rows = list(self._rows.values())
        yield from rows


class InMemoryUsers(_Faulty, Users):
    """Users keyed by id. ``ops`` remembers applied balance operation keys per user.

    ``journal`` lists every balance movement ever applied, (user, op key, delta), with the
    opening balances as ``"opening"`` entries: the audit trail tests reconcile (the real store
    keeps only the balance and the last keys).
    """

    def __init__(self) -> None:
        super().__init__()
        self._rows: dict[int, User] = {}
        self._ops: dict[int, OrderedDict[str, None]] = {}
        self.journal: list[tuple[int, str, int]] = []
        self._slots: dict[int, dict[str, float]] = {}  # user -> job id -> slot held until

    def get(self, user_id: int) -> User | None:
        with self._lock:
            self._maybe_fail()
            return self._rows.get(user_id)

    def create(self, user: User) -> User:
        with self._lock:
            self._maybe_fail()
            if user.user_id in self._rows:
                return self._rows[user.user_id]
            stored = attrs.evolve(user, version=1)
            self._rows[user.user_id] = stored
            self._ops[user.user_id] = OrderedDict()
            self.journal.append((user.user_id, "opening", stored.balance_minutes))
            return stored

    def save(self, user: User) -> User:
        with self._lock:
            self._maybe_fail()
            current = self._rows.get(user.user_id)
            if current is None or current.version != user.version:
                raise ConflictError(f"user {user.user_id} changed")
            # The balance and purchase counter move only through their exactly-once methods.
            stored = attrs.evolve(
                user, balance_minutes=current.balance_minutes,
                micro_purchases=current.micro_purchases, version=current.version + 1,
            )
            self._rows[user.user_id] = stored
            return stored

    def _remember(self, user_id: int, op_key: str) -> None:
        ops = self._ops[user_id]
        ops[op_key] = None
        while len(ops) > REMEMBERED_OPS:
            ops.popitem(last=False)

    def apply_balance(self, user_id: int, op_key: str, delta: int) -> BalanceChange:
        with self._lock:
            self._maybe_fail()
            current = self._rows[user_id]
            if op_key in self._ops[user_id]:
                return BalanceChange(applied=False, balance=current.balance_minutes, duplicate=True)
            new = apply_delta(current.balance_minutes, delta)
            if new is None:
                return BalanceChange(applied=False, balance=current.balance_minutes, insufficient=True)
            self._rows[user_id] = attrs.evolve(current, balance_minutes=new, version=current.version + 1)
            self._remember(user_id, op_key)
            self.journal.append((user_id, op_key, delta))
            return BalanceChange(applied=True, balance=new)

    def hold_worker_slot(self, user_id: int, job_id: str, until: float, limit: int, now: float) -> bool:
        with self._lock:
            self._maybe_fail()
            if user_id not in self._rows:
                raise KeyError(user_id)
            slots = {j: t for j, t in self._slots.get(user_id, {}).items() if t > now or j == job_id}
            if job_id not in slots and len(slots) >= limit:
                return False
            slots[job_id] = until
            self._slots[user_id] = slots
            return True

    def release_worker_slot(self, user_id: int, job_id: str) -> None:
        with self._lock:
            self._maybe_fail()
            self._slots.get(user_id, {}).pop(job_id, None)

    def increment_micro_purchases(self, user_id: int, op_key: str, limit: int) -> bool:
        with self._lock:
            self._maybe_fail()
            current = self._rows[user_id]
            if op_key in self._ops[user_id]:
                return True
            return self._count_purchase(current, op_key, limit)

    def count_paid_purchase(self, user_id: int, charge_key: str, reservation_key: str | None, limit: int) -> bool:
        with self._lock:
            self._maybe_fail()
            current = self._rows[user_id]
            ops = self._ops[user_id]
            if charge_key in ops:
                return True
            taken = f"{reservation_key}>paid"
            if reservation_key is not None and reservation_key in ops and taken not in ops:
                # The invoice's pre-checkout reservation becomes this payment's slot.
                self._remember(user_id, taken)
                self._remember(user_id, charge_key)
                return True
            return self._count_purchase(current, charge_key, limit)

    def _count_purchase(self, current: User, op_key: str, limit: int) -> bool:
        """One more limited-package purchase under ``op_key`` unless ``limit`` is reached (lock held)."""
        if current.micro_purchases >= limit:
            return False
        self._rows[current.user_id] = attrs.evolve(
            current, micro_purchases=current.micro_purchases + 1, version=current.version + 1)
        self._remember(current.user_id, op_key)
        return True

    def scan(self) -> Iterator[User]:
        with self._lock:
            self._maybe_fail()
            rows = list(self._rows.values())
        yield from rows


class InMemoryJobs(VersionedRows[Job], Jobs):
    def __init__(self) -> None:
        super().__init__(lambda job: job.job_id, "job")


class InMemoryIdempotencyKeys(_Faulty, IdempotencyKeys):
    def __init__(self) -> None:
        super().__init__()
        self.claimed: dict[str, float] = {}

    def claim(self, key: str, now: float) -> bool:
        with self._lock:
            self._maybe_fail()
            if key in self.claimed:
                return False
            self.claimed[key] = now
            return True

    def release(self, key: str) -> None:
        with self._lock:
            self._maybe_fail()
            self.claimed.pop(key, None)


class InMemoryLogs(_Faulty, Logs):
    def __init__(self) -> None:
        super().__init__()
        self.transcription_rows: dict[str, TranscriptionLog] = {}
        self.payment_rows: dict[str, PaymentLog] = {}

    def add_transcription(self, log: TranscriptionLog) -> None:
        with self._lock:
            self._maybe_fail()
            self.transcription_rows.setdefault(log.log_id, log)

    def add_payment(self, log: PaymentLog) -> bool:
        with self._lock:
            self._maybe_fail()
            if log.charge_id in self.payment_rows:
                return False
            self.payment_rows[log.charge_id] = log
            return True

    def transcriptions(self, since: float) -> Iterator[TranscriptionLog]:
        with self._lock:
            rows = [r for r in self.transcription_rows.values() if r.timestamp >= since]
        yield from rows

    def payments(self, since: float) -> Iterator[PaymentLog]:
        with self._lock:
            rows = [r for r in self.payment_rows.values() if r.timestamp >= since]
        yield from rows


class InMemoryTrials(_Faulty, Trials):
    def __init__(self) -> None:
        super().__init__()
        self._rows: dict[int, TrialRequest] = {}

    def get(self, user_id: int) -> TrialRequest | None:
        with self._lock:
            self._maybe_fail()
            return self._rows.get(user_id)

    def put(self, request: TrialRequest) -> TrialRequest:
        with self._lock:
            self._maybe_fail()
            current = self._rows.get(request.user_id)
            if (current.version if current else 0) != request.version:
                raise ConflictError(f"trial request {request.user_id} changed")
            stored = attrs.evolve(request, version=request.version + 1)
            self._rows[request.user_id] = stored
            return stored

    def pending(self) -> Iterator[TrialRequest]:
        with self._lock:
            rows = [r for r in self._rows.values() if r.status is TrialStatus.PENDING]
        yield from sorted(rows, key=lambda r: r.requested_at)


class InMemoryResults(_Faulty, Results):
    def __init__(self) -> None:
        super().__init__()
        self._rows: dict[tuple[str, str, str | None], CachedResult] = {}

    def get(self, file_unique_id: str, mode: TranscriptionMode, language: str | None) -> CachedResult | None:
        with self._lock:
            self._maybe_fail()
            return self._rows.get((file_unique_id, mode, language))

    def put(self, result: CachedResult) -> None:
        with self._lock:
            self._maybe_fail()
            key = (result.file_unique_id, result.mode, result.language)
            self._rows[key] = merged_result(self._rows.get(key), result)

    def drop_payer(self, user_id: int) -> tuple[int, int]:
        with self._lock:
            self._maybe_fail()
            deleted = kept = 0
            for key, row in list(self._rows.items()):
                if user_id not in row.paid_by:
                    continue
                payers = tuple(p for p in row.paid_by if p != user_id)
                if payers:
                    self._rows[key] = attrs.evolve(row, paid_by=payers)
                    kept += 1
                else:
                    del self._rows[key]
                    deleted += 1
            return deleted, kept


class InMemoryBotState(_Faulty, BotState):
    def __init__(self) -> None:
        super().__init__()
        self._values: dict[str, str] = {}

    def get(self, name: str) -> str | None:
        with self._lock:
            self._maybe_fail()
            return self._values.get(name)

    def set(self, name: str, value: str | None) -> None:
        with self._lock:
            self._maybe_fail()
            if value is None:
                self._values.pop(name, None)
            else:
                self._values[name] = value
