"""The trial_requests table: one versioned row per user who asked for a trial."""

from __future__ import annotations

from collections.abc import Iterator

import attrs

from ports.errors import ConflictError
from ports.repositories import TrialRequest, Trials

from .client import Store
from .errors import ConditionFailed
from .rows import RowFormat

TRIAL = RowFormat(TrialRequest, key="user_id")


class TablestoreTrials(Store, Trials):
    TABLE = "trial_requests"

    def get(self, user_id: int) -> TrialRequest | None:
        row = self._t.get(self.TABLE, str(user_id))
        return None if row is None else TRIAL.read(row, user_id)

    def put(self, request: TrialRequest) -> TrialRequest:
        stored = attrs.evolve(request, version=request.version + 1)
        condition = (self._t.expect_absent() if request.version == 0
                     else self._t.expect_version(request.version))
        try:
            self._t.put(self.TABLE, str(request.user_id), TRIAL.write(stored), condition)
        except ConditionFailed:
            raise ConflictError(f"trial request {request.user_id} changed") from None
        return stored

    def pending(self) -> Iterator[TrialRequest]:
        rows = []
        for key, row in self._t.scan(self.TABLE, self._t.column_filter("status", "pending", "EQUAL")):
            if row.get("status") != "pending":
                continue
            try:
                user_id = int(key)
            except ValueError:
                continue
            rows.append(TRIAL.read(row, user_id))
        yield from sorted(rows, key=lambda r: r.requested_at)
