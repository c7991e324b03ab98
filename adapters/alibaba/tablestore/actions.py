"""The transcript_actions table: the rows of the actions on transcripts and the speakers' names.

Row keys: an action's id (``act.sum.<job>``: every ``ActionRecord`` field a column, ``rows``),
``names.<job>`` for a transcript's speaker names (the names as a JSON object), and
``asking.<user>`` naming the transcript whose speaker names the bot is asking that user for (so a
text message finds it with one read, not a scan). Writes are conditional on ``version`` like the
jobs table's; the table's time to live is the results cache's (30 days), after which a
transcript's summary is made (and paid) again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import attrs

from domain.transcript_actions import ACTION_PREFIX, ActionKind, ActionRecord, ActionStatus, SpeakerNames
from ports.action_store import ActionStore
from ports.errors import ConflictError

from .client import Store
from .errors import ConditionFailed
from .rows import RowFormat

TABLE = "transcript_actions"
ACTION = RowFormat(ActionRecord, key="action_id")
# A status this code cannot name is over; a row always has its kind.
_FALLBACK = {"status": ActionStatus.FAILED, "kind": ActionKind.SUMMARY}
_FINISHED = (ActionStatus.COMPLETED.value, ActionStatus.FAILED.value)


def _names_row(names: SpeakerNames) -> list[tuple[str, Any]]:
    return [("job_id", names.job_id), ("user_id", names.user_id),
            ("names", json.dumps(names.names, ensure_ascii=False, sort_keys=True)),
            ("speakers", json.dumps(list(names.speakers))), ("asked", names.asked),
            ("updated_at", float(names.updated_at)), ("message_id", names.message_id), ("version", names.version)]


def _names_from(row: dict[str, Any]) -> SpeakerNames:
    try:
        mapping = json.loads(str(row.get("names") or "{}"))
        speakers = json.loads(str(row.get("speakers") or "[]"))
    except ValueError:
        mapping, speakers = {}, []
    return SpeakerNames(job_id=str(row.get("job_id", "")), user_id=int(row.get("user_id", 0)),
                        names={str(k): str(v) for k, v in mapping.items()} if isinstance(mapping, dict) else {},
                        speakers=tuple(str(s) for s in speakers) if isinstance(speakers, list) else (),
                        asked=None if row.get("asked") is None else str(row.get("asked")),
                        updated_at=float(row.get("updated_at", 0.0)),
                        message_id=None if row.get("message_id") is None else int(row["message_id"]),
                        version=int(row.get("version", 0)))


class TablestoreActionStore(Store, ActionStore):
    TABLE = TABLE

    def create(self, record: ActionRecord) -> bool:
        return self._t.insert(TABLE, record.action_id, ACTION.write(attrs.evolve(record, version=1)))

    def get(self, action_id: str) -> ActionRecord | None:
        row = self._t.get(TABLE, action_id)
        return None if row is None else ACTION.read(row, action_id, fallback=_FALLBACK)

    def save(self, record: ActionRecord) -> ActionRecord:
        stored = attrs.evolve(record, version=record.version + 1)
        try:
            self._t.put(TABLE, record.action_id, ACTION.write(stored), self._t.expect_version(record.version))
        except ConditionFailed:
            raise ConflictError(f"action {record.action_id} changed") from None
        return stored

    def scan(self) -> Iterator[ActionRecord]:
        for key, row in self._t.scan(TABLE):
            if key.startswith("act."):
                yield ACTION.read(row, key, fallback=_FALLBACK)

    def finished(self, since: float) -> Iterator[ActionRecord]:
        # GetRange over the table page after page (``TableClient.scan``), filtered by the service on
        # ``finished_at`` (a DOUBLE; the names and pointer rows have none, so they never match), and
        # again here, like the logs' time filter.
        since = float(since)
        for key, row in self._t.scan(TABLE, self._t.column_filter("finished_at", since, "GREATER_EQUAL")):
            if not key.startswith(ACTION_PREFIX):
                continue
            record = ACTION.read(row, key, fallback=_FALLBACK)
            if record.status.is_terminal and record.finished_at is not None and record.finished_at >= since:
                yield record

    def names(self, job_id: str) -> SpeakerNames | None:
        row = self._t.get(TABLE, f"names.{job_id}")
        return None if row is None else _names_from(row)

    def put_names(self, names: SpeakerNames) -> SpeakerNames:
        stored = attrs.evolve(names, version=names.version + 1)
        condition = self._t.expect_absent() if names.version == 0 else self._t.expect_version(names.version)
        try:
            self._t.put(TABLE, f"names.{names.job_id}", _names_row(stored), condition)
        except ConditionFailed:
            raise ConflictError(f"speaker names of {names.job_id} changed") from None
        pointer = f"asking.{names.user_id}"
        if stored.asked is not None:
            self._t.put(TABLE, pointer, [("job_id", names.job_id), ("user_id", names.user_id)], self._t.ignore())
        else:
            current = self._t.get(TABLE, pointer)
            if current is not None and current.get("job_id") == names.job_id:
                self._t.delete(TABLE, pointer)
        return stored

    def asking(self, user_id: int) -> SpeakerNames | None:
        pointer = self._t.get(TABLE, f"asking.{user_id}")
        if pointer is None:
            return None
        names = self.names(str(pointer.get("job_id", "")))
        return names if names is not None and names.pending and names.user_id == user_id else None

    def forget_user(self, user_id: int) -> int:
        deleted = 0
        user_filter = self._t.column_filter("user_id", int(user_id), "EQUAL")
        for key, row in list(self._t.scan(TABLE, user_filter, columns=["user_id", "status"])):
            if key.startswith("act.") and row.get("status") not in _FINISHED:
                continue  # still running: it settles first (ports.action_store)
            self._t.delete(TABLE, key)
            deleted += 0 if key.startswith("asking.") else 1
        return deleted
