"""In-memory twin of ``ActionStore`` with the same conditional-write rules as the Tablestore one."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import attrs

from domain.transcript_actions import ActionRecord, SpeakerNames
from ports.action_store import ActionStore
from ports.errors import ConflictError, TransientFailure


class InMemoryActionStore(ActionStore):
    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._rows: dict[str, ActionRecord] = {}
        self._names: dict[str, SpeakerNames] = {}
        self._failures = 0

    def fail_next(self, count: int = 1) -> None:
        with self._lock:
            self._failures += count

    def _maybe_fail(self) -> None:
        if self._failures > 0:
            self._failures -= 1
            raise TransientFailure("memory-store", "injected outage")

    def create(self, record: ActionRecord) -> bool:
        with self._lock:
            self._maybe_fail()
            if record.action_id in self._rows:
                return False
            self._rows[record.action_id] = attrs.evolve(record, version=1)
            return True

    def get(self, action_id: str) -> ActionRecord | None:
        with self._lock:
            self._maybe_fail()
            return self._rows.get(action_id)

    def save(self, record: ActionRecord) -> ActionRecord:
        with self._lock:
            self._maybe_fail()
            current = self._rows.get(record.action_id)
            if current is None or current.version != record.version:
                raise ConflictError(f"action {record.action_id} changed")
            stored = attrs.evolve(record, version=record.version + 1)
            self._rows[record.action_id] = stored
            return stored

    def scan(self) -> Iterator[ActionRecord]:
        with self._lock:
            self._maybe_fail()
            rows = list(self._rows.values())
        yield from rows

    def names(self, job_id: str) -> SpeakerNames | None:
        with self._lock:
            self._maybe_fail()
            return self._names.get(job_id)

    def put_names(self, names: SpeakerNames) -> SpeakerNames:
        with self._lock:
            self._maybe_fail()
            current = self._names.get(names.job_id)
            if (current.version if current else 0) != names.version:
                raise ConflictError(f"speaker names of {names.job_id} changed")
            stored = attrs.evolve(names, version=names.version + 1)
            self._names[names.job_id] = stored
            return stored

    def asking(self, user_id: int) -> SpeakerNames | None:
        with self._lock:
            self._maybe_fail()
            asking = [n for n in self._names.values() if n.user_id == user_id and n.pending]
        return max(asking, key=lambda n: n.updated_at, default=None)

    def forget_user(self, user_id: int) -> int:
        with self._lock:
            self._maybe_fail()
            rows = [k for k, r in self._rows.items() if r.user_id == user_id and r.status.is_terminal]
            names = [k for k, n in self._names.items() if n.user_id == user_id]
            for key in rows:
                del self._rows[key]
            for key in names:
                del self._names[key]
            return len(rows) + len(names)
