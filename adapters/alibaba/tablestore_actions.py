"""``ActionStore`` on Tablestore: one table, ``transcript_actions`` (primary key ``key``), for the
rows of the actions on transcripts and the speakers' names.

Row keys: an action's id (``act.sum.<job>``), ``names.<job>`` for a transcript's speaker names,
and ``asking.<user>`` naming the transcript whose speaker names the bot is asking that user for
(so a text message finds it with one read, not a scan). Writes are conditional on ``version``
like the jobs table's; the table's time to live is the results cache's (30 days), after which a
transcript's summary is made (and paid) again.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any

import attrs

from adapters.alibaba.tablestore_repositories import (
    _BOOL,
    _FLOAT,
    _INT,
    _OPT_FLOAT,
    _OPT_INT,
    _OPT_STR,
    _STR,
    TablestoreRepositories,
    _ConditionFailed,
    _enum,
    _read,
    _Schema,
    _write,
)
from domain.transcript_actions import ActionKind, ActionRecord, ActionStatus, SpeakerNames
from ports.action_store import ActionStore
from ports.errors import ConflictError

TABLE = "transcript_actions"

_RECORD: _Schema = {
    "job_id": _STR, "user_id": _INT, "chat_id": _INT,
    "kind": _enum(ActionKind, ActionKind.SUMMARY, ActionKind.SUMMARY),
    "price": _INT, "created_at": _FLOAT, "target_language": _OPT_STR, "status_message_id": _OPT_INT,
    "status": _enum(ActionStatus, ActionStatus.QUEUED, ActionStatus.FAILED),
    "round": _INT, "attempts": _INT, "steps": _INT, "lease_until": _FLOAT, "steps_json": _OPT_STR,
    "result_text": _OPT_STR, "model": _OPT_STR, "delivered": _BOOL, "delivered_parts": _INT,
    "charged": _OPT_INT, "error": _OPT_STR, "finished_at": _OPT_FLOAT, "version": _INT,
}


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
                        message_id=None if row.get("message_id") is None else int(row.get("message_id")),
                        version=int(row.get("version", 0)))


class TablestoreActionStore(ActionStore):
    def __init__(self, tables: TablestoreRepositories) -> None:
        self._t = tables

    def create(self, record: ActionRecord) -> bool:
        return self._t.insert(TABLE, record.action_id, _write(attrs.evolve(record, version=1), _RECORD))

    def get(self, action_id: str) -> ActionRecord | None:
        row = self._t.get(TABLE, action_id)
        return None if row is None else ActionRecord(action_id=action_id, **_read(row, _RECORD))

    def save(self, record: ActionRecord) -> ActionRecord:
        stored = attrs.evolve(record, version=record.version + 1)
        try:
            self._t.put(TABLE, record.action_id, _write(stored, _RECORD), self._t.expect_version(record.version))
        except _ConditionFailed:
            raise ConflictError(f"action {record.action_id} changed") from None
        return stored

    def scan(self) -> Iterator[ActionRecord]:
        for key, row in self._t.scan(TABLE):
            if key.startswith("act."):
                yield ActionRecord(action_id=key, **_read(row, _RECORD))

    def names(self, job_id: str) -> SpeakerNames | None:
        row = self._t.get(TABLE, f"names.{job_id}")
        return None if row is None else _names_from(row)

    def put_names(self, names: SpeakerNames) -> SpeakerNames:
        stored = attrs.evolve(names, version=names.version + 1)
        key = f"names.{names.job_id}"
        condition = self._t.expect_absent() if names.version == 0 else self._t.expect_version(names.version)
        try:
            self._t.put(TABLE, key, _names_row(stored), condition)
        except _ConditionFailed:
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
            if key.startswith("act.") and row.get("status") not in (ActionStatus.COMPLETED.value,
                                                                     ActionStatus.FAILED.value):
                continue  # still running: it settles first (ports.action_store)
            self._t.delete(TABLE, key)
            deleted += 0 if key.startswith("asking.") else 1
        return deleted
