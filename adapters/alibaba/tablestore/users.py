"""The users table: profiles, and the balance, purchase counter and worker slots kept exactly once.

Concurrency: ``save`` writes only if the ``version`` column still holds the version the caller read,
compared with ``SingleColumnCondition(..., pass_if_missing=False)``, and bumps it; a lost race raises
ConflictError. A *legacy* row without a ``version`` column (written before versioning) reads as
version 0 and its condition is "version == 0 or missing" (``TableClient.expect_version``).

Exactly-once money (``apply_balance``, ``increment_micro_purchases``, ``count_paid_purchase``): the
row keeps the last ``REMEMBERED_OPS`` operation keys in ``ops``. Each call reads the row, answers
"duplicate" if the key is there, computes the new value (a debit below zero is refused whole) and
writes it, ``ops`` and ``version + 1`` under the version condition; on a failed condition it re-reads
and tries again (at most ``BALANCE_ATTEMPTS`` times). A write only fails because another one
succeeded in between, so concurrent debits never overspend and a retried operation is never applied
twice.
"""

from __future__ import annotations

import json
import random
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import attrs

from domain.billing import apply_delta
from domain.users import User
from ports.errors import ConflictError, TransientFailure
from ports.repositories import BalanceChange, Users

from .client import Store
from .errors import PROVIDER, ConditionFailed
from .rows import Columns, RowFormat, dumps

T = TypeVar("T")

# How many applied operation keys a user row remembers; the same bound as the in-memory twin
# (adapters.memory.repositories.REMEMBERED_OPS; a contract test checks they agree).
REMEMBERED_OPS = 500
# Tries of one balance operation under contention. Each failed try means another write succeeded in
# between, so this bounds the wait, not correctness.
BALANCE_ATTEMPTS = 16

USER = RowFormat(User, key="user_id",
                 columns={"trial": "trial_status", "micro_purchases": "micro_package_purchases"})
# Written only by the exactly-once methods, never by ``save``.
_COUNTERS = ("balance_minutes", "micro_purchases", "version")

Step = Callable[[dict[str, Any]], tuple[T, Columns | None]]


def _json_list(value: Any) -> list[str]:
    if not isinstance(value, str) or not value:
        return []
    try:
        parsed = json.loads(value)
    except ValueError:
        return []
    return [item for item in parsed if isinstance(item, str)] if isinstance(parsed, list) else []


def _slots(value: Any) -> dict[str, float]:
    """``worker_slots``: {job id: held until}; unreadable entries are dropped."""
    try:
        parsed = json.loads(value) if isinstance(value, str) and value else {}
    except ValueError:
        return {}
    if not isinstance(parsed, dict):
        return {}
    return {str(k): float(v) for k, v in parsed.items() if isinstance(v, int | float) and not isinstance(v, bool)}


def _backoff(attempt: int) -> None:
    time.sleep(random.uniform(0, 0.002 * (attempt + 1)))


class TablestoreUsers(Store, Users):
    TABLE = "users"

    def get(self, user_id: int) -> User | None:
        row = self._t.get(self.TABLE, str(user_id))
        return None if row is None else USER.read(row, user_id)

    def create(self, user: User) -> User:
        stored = attrs.evolve(user, version=1)
        try:
            self._t.put(self.TABLE, str(user.user_id), USER.write(stored) + [("ops", "[]")],
                        self._t.expect_absent())
        except ConditionFailed:
            existing = self.get(user.user_id)
            if existing is None:  # deleted in between: extremely unlikely, let the caller retry
                raise TransientFailure(PROVIDER, "user row vanished during create") from None
            return existing
        return stored

    def save(self, user: User) -> User:
        row = self._t.get(self.TABLE, str(user.user_id))
        if row is None:
            raise ConflictError(f"user {user.user_id} does not exist")
        current = USER.read(row, user.user_id)
        if current.version != user.version:
            raise ConflictError(f"user {user.user_id} changed")
        columns = USER.write(user, skip=_COUNTERS) + [("version", user.version + 1)]
        try:
            self._t.update(self.TABLE, str(user.user_id), columns,
                           self._t.expect_version(user.version, legacy="version" not in row))
        except ConditionFailed:
            raise ConflictError(f"user {user.user_id} changed") from None
        # The balance and purchase counter move only through their exactly-once methods.
        return attrs.evolve(user, balance_minutes=current.balance_minutes,
                            micro_purchases=current.micro_purchases, version=user.version + 1)

    def _versioned_update(self, user_id: int, what: str, step: Step[T], *,
                          missing: Callable[[], T] | None = None) -> T:
        """Read the user row, let ``step(row)`` give the answer and the columns to write (None: write
        nothing) and write them with ``version + 1`` under the version condition; a lost race reads
        and tries again (at most ``BALANCE_ATTEMPTS`` times). A missing row raises KeyError unless
        ``missing`` gives the answer for it."""
        for attempt in range(BALANCE_ATTEMPTS):
            row = self._t.get(self.TABLE, str(user_id))
            if row is None:
                if missing is not None:
                    return missing()
                raise KeyError(user_id)
            answer, columns = step(row)
            if columns is None:
                return answer
            version = USER.read(row, user_id).version
            try:
                self._t.update(self.TABLE, str(user_id), columns + [("version", version + 1)],
                               self._t.expect_version(version, legacy="version" not in row))
            except ConditionFailed:
                _backoff(attempt)
                continue
            return answer
        raise TransientFailure(PROVIDER, f"{what} lost every optimistic race", code="OTSConditionCheckFail")

    def _exactly_once(self, user_id: int, op_key: str, what: str,
                      step: Callable[[dict[str, Any], bool], tuple[T, Columns | None]],
                      also: Callable[[list[str]], list[str]] | None = None) -> T:
        """Apply one keyed operation to a user row at most once (see the module doc).

        ``step(row, duplicate)`` gives the answer and the columns to write, or None to write nothing;
        the write also records ``op_key`` (after the keys ``also(ops)`` names, if given).
        """
        def keyed(row: dict[str, Any]) -> tuple[T, Columns | None]:
            ops = _json_list(row.get("ops"))
            answer, columns = step(row, op_key in ops)
            if columns is None:
                return answer, None
            extra = also(ops) if also is not None else []
            return answer, columns + [("ops", dumps((ops + extra + [op_key])[-REMEMBERED_OPS:]))]

        return self._versioned_update(user_id, what, keyed)

    @staticmethod
    def _counters(row: dict[str, Any]) -> User:
        return USER.read(row, 0)

    def apply_balance(self, user_id: int, op_key: str, delta: int) -> BalanceChange:
        def step(row: dict[str, Any], duplicate: bool) -> tuple[BalanceChange, Columns | None]:
            balance = self._counters(row).balance_minutes
            if duplicate:
                return BalanceChange(applied=False, balance=balance, duplicate=True), None
            new = apply_delta(balance, int(delta))
            if new is None:
                return BalanceChange(applied=False, balance=balance, insufficient=True), None
            return BalanceChange(applied=True, balance=new), [(USER.column("balance_minutes"), int(new))]

        return self._exactly_once(user_id, op_key, "balance update", step)

    def _update_slots(self, user_id: int, change: Callable[[dict[str, float]], dict[str, float] | None],
                      *, missing_ok: bool = False) -> bool:
        """Apply ``change`` to ``worker_slots`` (None: write nothing, answer False)."""
        def step(row: dict[str, Any]) -> tuple[bool, Columns | None]:
            new = change(_slots(row.get("worker_slots")))
            return (False, None) if new is None else (True, [("worker_slots", dumps(new))])

        return self._versioned_update(user_id, "worker slot update", step,
                                      missing=(lambda: False) if missing_ok else None)

    def hold_worker_slot(self, user_id: int, job_id: str, until: float, limit: int, now: float) -> bool:
        def change(slots: dict[str, float]) -> dict[str, float] | None:
            live = {j: t for j, t in slots.items() if t > now or j == job_id}
            if job_id not in live and len(live) >= limit:
                return None
            return {**live, job_id: float(until)}

        return self._update_slots(user_id, change)

    def release_worker_slot(self, user_id: int, job_id: str) -> None:
        def change(slots: dict[str, float]) -> dict[str, float] | None:
            return {j: t for j, t in slots.items() if j != job_id} if job_id in slots else None

        self._update_slots(user_id, change, missing_ok=True)

    def _count_purchase(self, row: dict[str, Any], limit: int) -> tuple[bool, Columns | None]:
        count = self._counters(row).micro_purchases
        if count >= limit:
            return False, None
        return True, [(USER.column("micro_purchases"), count + 1)]

    def increment_micro_purchases(self, user_id: int, op_key: str, limit: int) -> bool:
        def step(row: dict[str, Any], duplicate: bool) -> tuple[bool, Columns | None]:
            return (True, None) if duplicate else self._count_purchase(row, limit)

        return self._exactly_once(user_id, op_key, "purchase counter", step)

    def count_paid_purchase(self, user_id: int, charge_key: str, reservation_key: str | None, limit: int) -> bool:
        taken = f"{reservation_key}>paid"

        def takes_reservation(ops: list[str]) -> bool:
            return reservation_key is not None and reservation_key in ops and taken not in ops

        def step(row: dict[str, Any], duplicate: bool) -> tuple[bool, Columns | None]:
            if duplicate:
                return True, None
            if takes_reservation(_json_list(row.get("ops"))):
                return True, []  # the invoice's reservation becomes this payment's slot: no count
            return self._count_purchase(row, limit)

        return self._exactly_once(user_id, charge_key, "paid purchase", step,
                                  also=lambda ops: [taken] if takes_reservation(ops) else [])

    def scan(self) -> Iterator[User]:
        for key, row in self._t.scan(self.TABLE):
            try:
                user_id = int(key)
            except ValueError:
                continue
            yield USER.read(row, user_id)
