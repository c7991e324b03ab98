"""In-memory twin of ``ActionStore`` with the same conditional-write rules as the Tablestore one."""

from __future__ import annotations

from collections.abc import Iterator

import attrs

from adapters.memory.repositories import VersionedRows
from domain.transcript_actions import ActionRecord, SpeakerNames
from ports.action_store import ActionStore
from ports.errors import ConflictError


class InMemoryActionStore(VersionedRows[ActionRecord], ActionStore):
    def __init__(self) -> None:
        super().__init__(lambda record: record.action_id, "action")
        self._names: dict[str, SpeakerNames] = {}

    def finished(self, since: float) -> Iterator[ActionRecord]:
        for record in self.scan():
            if record.status.is_terminal and record.finished_at is not None and record.finished_at >= since:
                yield record

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
