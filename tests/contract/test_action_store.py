"""ActionStore contract: the in-memory twin and the Tablestore adapter (loopback Tablestore) keep the
rows of the actions on transcripts and the speakers' names with the same rules."""

from __future__ import annotations

from collections.abc import Iterator

import attrs
import pytest

import adapters.alibaba.tablestore as ts
from adapters.memory.action_store import InMemoryActionStore
from domain.transcript_actions import ActionKind, ActionRecord, ActionStatus, SpeakerNames, action_id
from ports.action_store import ActionStore
from ports.errors import ConflictError
from tests.contract.test_repositories import AK, INSTANCE, PAGE, SK, _tablestore
from tests.loopback.tablestore_server import running_tablestore_server


@pytest.fixture(params=["memory", "tablestore"])
def store(request) -> Iterator[ActionStore]:
    if request.param == "memory":
        yield InMemoryActionStore()
        return
    with running_tablestore_server(AK, SK, INSTANCE, page_size=PAGE) as server:
        repos = _tablestore(server.endpoint)
        ts.create_tables(repos)
        assert ts.missing_tables(repos) == []  # the actions' table is created with the others
        yield repos.actions


def record(job: str = "a" * 32, kind: ActionKind = ActionKind.SUMMARY, user: int = 7, **changes) -> ActionRecord:
    target = changes.pop("target_language", None)
    return ActionRecord(action_id(kind, job, target), job, user, user, kind, 2, 1000.0, target_language=target,
                        **changes)


def test_rows_are_created_once_and_saved_under_their_version(store):
    row = record(target_language=None)
    assert store.create(row) is True
    assert store.create(row) is False
    stored = store.get(row.action_id)
    assert stored == attrs.evolve(row, version=1)
    running = store.save(attrs.evolve(stored.claimed(1001.0, 900).with_step("map:0", "Часть 1: итог."),
                                      status_message_id=55))
    assert running.version == 2
    again = store.get(row.action_id)
    assert again == running and again.step_results == {"map:0": "Часть 1: итог."}
    assert again.status is ActionStatus.RUNNING and again.lease_until == 1901.0 and again.status_message_id == 55
    with pytest.raises(ConflictError):
        store.save(stored)  # an old version
    done = store.save(attrs.evolve(running, result_text="Итог.", delivered=True).completed(1002.0))
    assert store.get(row.action_id) == done and done.charged == 2


def test_a_translation_row_keeps_its_target_and_scan_lists_actions_only(store):
    tr = record(kind=ActionKind.TRANSLATE, target_language="en")
    store.create(tr)
    store.create(record(kind=ActionKind.KEY_POINTS, job="b" * 32, user=8))
    store.put_names(SpeakerNames("a" * 32, 7, {"1": "Анна"}, ("1", "2")))
    rows = sorted(store.scan(), key=lambda r: r.action_id)
    assert [r.action_id for r in rows] == ["act.pts." + "b" * 32, "act.tr-en." + "a" * 32]
    assert store.get(tr.action_id).target_language == "en"


def test_speaker_names_are_versioned_and_found_while_asked(store):
    job = "c" * 32
    assert store.names(job) is None and store.asking(7) is None
    first = store.put_names(SpeakerNames(job, 7, {}, ("1", "2"), asked="1", updated_at=5.0))
    assert first.version == 1
    assert store.asking(7) == first and store.asking(8) is None
    with pytest.raises(ConflictError):
        store.put_names(SpeakerNames(job, 7, {"1": "X"}, ("1", "2")))  # version 0 again
    done = store.put_names(attrs.evolve(first, names={"1": "Анна", "2": "Борис"}, asked=None))
    assert store.names(job) == done and done.names == {"1": "Анна", "2": "Борис"}
    assert store.asking(7) is None


def test_forget_deletes_a_users_finished_rows_and_names_only(store):
    done = record(user=7, status=ActionStatus.COMPLETED)
    store.create(done)
    store.create(record(kind=ActionKind.TRANSLATE, target_language="de", user=7, status=ActionStatus.FAILED))
    running = record(kind=ActionKind.KEY_POINTS, user=7, status=ActionStatus.RUNNING)
    store.create(running)
    store.create(record(job="d" * 32, user=9, status=ActionStatus.COMPLETED))
    store.put_names(SpeakerNames("a" * 32, 7, {"1": "Анна"}, ("1",), asked="1"))
    assert store.forget_user(7) == 3
    assert sorted(r.action_id for r in store.scan()) == sorted([running.action_id, "act.sum." + "d" * 32])
    assert store.names("a" * 32) is None and store.asking(7) is None
    assert store.forget_user(7) == 0


def _settled_rows(store: ActionStore) -> set[str]:
    """Eight actions that finished at 2000.0 + i, two that finished before 2000, one still running,
    and a transcript's speaker names (with the pointer row the bot asks from): the ids of the
    eight."""
    expected = set()
    for i in range(8):
        status = ActionStatus.FAILED if i % 3 == 0 else ActionStatus.COMPLETED
        row = record(job=f"{i:032d}", user=7 + i, status=status, finished_at=2000.0 + i,
                     charged=0 if status is ActionStatus.FAILED else 2, source_chars=100 + i)
        store.create(row)
        expected.add(row.action_id)
    for i in range(2):
        store.create(record(job=f"old{i:029d}", status=ActionStatus.COMPLETED, finished_at=1999.5 - i))
    store.create(record(job="r" * 32, status=ActionStatus.RUNNING, lease_until=5000.0))
    store.put_names(SpeakerNames("n" * 32, 7, {"1": "Анна"}, ("1", "2"), asked="2", updated_at=2500.0))
    return expected


def test_finished_reads_every_settled_action_since_a_moment_and_nothing_else(store):
    expected = _settled_rows(store)
    found = list(store.finished(2000.0))
    assert sorted(r.action_id for r in found) == sorted(expected)  # each once, 2000.0 itself included
    assert {r.action_id: (r.status, r.finished_at, r.source_chars) for r in found} == {
        f"act.sum.{i:032d}": (ActionStatus.FAILED if i % 3 == 0 else ActionStatus.COMPLETED, 2000.0 + i, 100 + i)
        for i in range(8)}
    assert len(list(store.finished(0))) == 10
    assert list(store.finished(2007.5)) == []


def test_finished_pages_through_the_whole_table_on_tablestore():
    with running_tablestore_server(AK, SK, INSTANCE, page_size=PAGE) as server:
        repos = _tablestore(server.endpoint)
        ts.create_tables(repos)
        expected = _settled_rows(repos.actions)
        rows = len(server.calls)
        before = server.calls_to("GetRange")
        found = sorted(r.action_id for r in repos.actions.finished(2000.0))
        # 13 rows (11 actions, the names, the pointer) at 3 a page: 5 GetRange calls, not one capped page.
        assert found == sorted(expected)
        assert server.calls_to("GetRange") - before == 5
        assert len(server.calls) - rows == 5
