"""Contract of the storage ports, run on the in-memory twins and on the Tablestore adapter.

The Tablestore adapter talks through the real ``tablestore`` SDK to the loopback server of
``tests/loopback/tablestore_server.py`` (signed protobuf over HTTP, conditional writes, GetRange pages
of 3 rows), so every test body below proves the same behaviour for both implementations.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from types import SimpleNamespace
from typing import Any

import attrs
import pytest

import adapters.alibaba.tablestore as ts
import adapters.memory.repositories as mem
from domain.audio import MediaKind
from domain.job import Job, JobStatus
from domain.users import LongTextMode, TrialStatus, User, UserSettings
from ports.errors import ConflictError, PermanentFailure, TransientFailure
from ports.repositories import (
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
)
from tests.loopback.tablestore_server import TablestoreLoopback, running_tablestore_server

AK, SK, INSTANCE = "LTAI-loopback-id", "loopback-secret-do-not-print", "botinst"
PAGE = 3  # rows per GetRange page on the loopback: every scan below crosses pages


def _no_retry() -> Any:
    from tablestore.retry import NoRetryPolicy

    return NoRetryPolicy()


def _tablestore(endpoint: str, secret: str = SK, **kwargs: Any) -> ts.TablestoreRepositories:
    return ts.TablestoreRepositories(endpoint, AK, secret, INSTANCE, retry_policy=_no_retry(),
                                     scan_page=PAGE, **kwargs)


@pytest.fixture(params=["memory", "tablestore"])
def stores(request: pytest.FixtureRequest) -> Iterator[SimpleNamespace]:
    if request.param == "memory":
        yield SimpleNamespace(
            kind="memory", users=mem.InMemoryUsers(), jobs=mem.InMemoryJobs(),
            idempotency_keys=mem.InMemoryIdempotencyKeys(), logs=mem.InMemoryLogs(),
            trials=mem.InMemoryTrials(), results=mem.InMemoryResults(), bot_state=mem.InMemoryBotState(),
            server=None)
        return
    with running_tablestore_server(AK, SK, INSTANCE, page_size=PAGE) as server:
        repos = _tablestore(server.endpoint)
        ts.create_tables(repos)
        yield SimpleNamespace(
            kind="tablestore", users=repos.users, jobs=repos.jobs, idempotency_keys=repos.idempotency_keys,
            logs=repos.logs, trials=repos.trials, results=repos.results, bot_state=repos.bot_state,
            server=server, repos=repos)


@pytest.fixture
def ots() -> Iterator[tuple[TablestoreLoopback, ts.TablestoreRepositories]]:
    with running_tablestore_server(AK, SK, INSTANCE, page_size=PAGE) as server:
        repos = _tablestore(server.endpoint)
        ts.create_tables(repos)
        yield server, repos


def _job(job_id: str = "job-1", **changes: Any) -> Job:
    job = Job(
        job_id=job_id, user_id=42, chat_id=4242, message_id=7, file_id="AgAD-file", file_unique_id="uniq-1",
        kind=MediaKind.VOICE, declared_duration_s=61.5, file_size=123_456, reserved_minutes=2,
        status_message_id=None, created_at=1_767_225_600.25,
    )
    return attrs.evolve(job, **changes)


# --------------------------------------------------------------------------- adapters implement the ports


def test_every_store_subclasses_its_port(stores: SimpleNamespace) -> None:
    # The ports are plain (not runtime-checkable) Protocols: check the explicit base classes.
    for store, port in ((stores.users, Users), (stores.jobs, Jobs), (stores.idempotency_keys, IdempotencyKeys),
                        (stores.logs, Logs), (stores.trials, Trials), (stores.results, Results),
                        (stores.bot_state, BotState)):
        assert port in type(store).__mro__


def test_remembered_ops_bound_is_the_memory_twins() -> None:
    assert ts.REMEMBERED_OPS == mem.REMEMBERED_OPS


# --------------------------------------------------------------------------- users


def test_missing_user_is_none(stores: SimpleNamespace) -> None:
    assert stores.users.get(1) is None


def test_create_is_idempotent_and_returns_the_stored_row(stores: SimpleNamespace) -> None:
    users = stores.users
    first = users.create(User(1, balance_minutes=10, first_name="Анна", created_at=100.0, last_activity=100.0))
    assert first.version == 1
    again = users.create(User(1, balance_minutes=99, first_name="Other"))
    assert again == first
    assert users.get(1) == first


def test_save_writes_profile_and_settings_but_never_the_balance(stores: SimpleNamespace) -> None:
    users = stores.users
    user = users.create(User(5, balance_minutes=10, micro_purchases=0))
    settings = UserSettings(use_code=True, long_text=LongTextMode.FILE, dialogue=True, language="ru")
    saved = users.save(attrs.evolve(user, first_name="Ivan", username="ivan", trial=TrialStatus.PENDING,
                                    settings=settings, last_activity=200.5, balance_minutes=999,
                                    micro_purchases=7))
    assert saved.version == 2
    assert (saved.balance_minutes, saved.micro_purchases) == (10, 0)
    stored = users.get(5)
    assert stored == saved
    assert stored.settings == settings and stored.trial is TrialStatus.PENDING


def test_save_keeps_the_balance_warning_and_an_explicit_long_text_choice(stores: SimpleNamespace) -> None:
    users = stores.users
    user = users.create(User(7))
    assert (user.balance_notice, user.settings.long_text) == ("", LongTextMode.AUTO)
    saved = users.save(attrs.evolve(user, balance_notice="low", balance_notice_at=1234.5,
                                    settings=UserSettings(long_text=LongTextMode.SPLIT)))
    stored = users.get(7)
    assert stored == saved
    assert (stored.balance_notice, stored.balance_notice_at) == ("low", 1234.5)
    assert stored.settings.long_text is LongTextMode.SPLIT


def test_save_with_a_stale_version_conflicts(stores: SimpleNamespace) -> None:
    users = stores.users
    user = users.create(User(6))
    users.save(attrs.evolve(user, first_name="A"))
    with pytest.raises(ConflictError):
        users.save(attrs.evolve(user, first_name="B"))
    assert users.get(6).first_name == "A"
    with pytest.raises(ConflictError):
        users.save(User(404, version=1))


def test_a_balance_change_makes_an_older_copy_stale(stores: SimpleNamespace) -> None:
    users = stores.users
    user = users.create(User(7, balance_minutes=3))
    users.apply_balance(7, "topup-1", 5)
    with pytest.raises(ConflictError):
        users.save(attrs.evolve(user, first_name="late"))


def test_apply_balance_happens_once_per_operation_key(stores: SimpleNamespace) -> None:
    users = stores.users
    users.create(User(8, balance_minutes=10))
    first = users.apply_balance(8, "payment:abc", 5)
    assert (first.applied, first.balance, first.duplicate) == (True, 15, False)
    repeat = users.apply_balance(8, "payment:abc", 5)
    assert (repeat.applied, repeat.balance, repeat.duplicate) == (False, 15, True)
    assert users.get(8).balance_minutes == 15


def test_a_debit_below_zero_is_refused_whole_and_not_remembered(stores: SimpleNamespace) -> None:
    users = stores.users
    users.create(User(9, balance_minutes=10))
    refused = users.apply_balance(9, "charge:job-1", -11)
    assert (refused.applied, refused.insufficient, refused.balance) == (False, True, 10)
    assert users.get(9).balance_minutes == 10
    users.apply_balance(9, "topup", 1)
    retried = users.apply_balance(9, "charge:job-1", -11)  # the refused key was not used up
    assert (retried.applied, retried.balance) == (True, 0)


def test_apply_balance_on_a_missing_user_raises_key_error(stores: SimpleNamespace) -> None:
    with pytest.raises(KeyError):
        stores.users.apply_balance(12345, "op", 1)


def test_fifty_concurrent_debits_never_overspend(stores: SimpleNamespace) -> None:
    users = stores.users
    users.create(User(10, balance_minutes=10))
    results: list[Any] = []
    errors: list[BaseException] = []
    barrier = threading.Barrier(50)

    def debit(index: int) -> None:
        barrier.wait()
        try:
            results.append(users.apply_balance(10, f"debit-{index}", -1))
        except BaseException as exc:  # noqa: BLE001 - reported below
            errors.append(exc)

    threads = [threading.Thread(target=debit, args=(i,)) for i in range(50)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert not errors
    assert sum(r.applied for r in results) == 10
    assert sum(r.insufficient for r in results) == 40
    assert users.get(10).balance_minutes == 0


def test_concurrent_retries_of_one_operation_apply_once(stores: SimpleNamespace) -> None:
    users = stores.users
    users.create(User(11, balance_minutes=0))
    results: list[Any] = []
    barrier = threading.Barrier(20)

    def credit() -> None:
        barrier.wait()
        results.append(users.apply_balance(11, "stars:charge-1", 50))

    threads = [threading.Thread(target=credit) for _ in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    assert sum(r.applied for r in results) == 1
    assert sum(r.duplicate for r in results) == 19
    assert users.get(11).balance_minutes == 50


def test_the_remembered_operation_keys_are_bounded(stores: SimpleNamespace, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(mem, "REMEMBERED_OPS", 3)
    monkeypatch.setattr(ts.users, "REMEMBERED_OPS", 3)
    users = stores.users
    users.create(User(13))
    for key in ("a", "b", "c", "d"):
        assert users.apply_balance(13, key, 1).applied
    assert users.apply_balance(13, "d", 1).duplicate
    assert users.apply_balance(13, "b", 1).duplicate
    assert users.apply_balance(13, "a", 1).applied  # forgotten: the oldest key fell off the list


def test_micro_purchases_stop_at_the_limit_once_per_key(stores: SimpleNamespace) -> None:
    users = stores.users
    users.create(User(14))
    assert users.increment_micro_purchases(14, "buy-1", 3)
    assert users.increment_micro_purchases(14, "buy-1", 3)  # a retry of the same purchase
    assert users.increment_micro_purchases(14, "buy-2", 3)
    assert users.increment_micro_purchases(14, "buy-3", 3)
    assert not users.increment_micro_purchases(14, "buy-4", 3)
    assert users.get(14).micro_purchases == 3


def test_a_paid_purchase_takes_its_invoices_reservation_once_then_needs_a_free_slot(stores: SimpleNamespace) -> None:
    users = stores.users
    users.create(User(15))
    assert users.increment_micro_purchases(15, "micro:inv-a", 3)  # pre-checkout of invoice a
    # The first payment of invoice a takes its reservation: still one purchase counted.
    assert users.count_paid_purchase(15, "micro-charge:c1", "micro:inv-a", 3)
    assert users.count_paid_purchase(15, "micro-charge:c1", "micro:inv-a", 3)  # redelivered
    assert users.get(15).micro_purchases == 1
    # Invoice a paid again (a forwarded copy): a slot of its own.
    assert users.count_paid_purchase(15, "micro-charge:c2", "micro:inv-a", 3)
    assert users.get(15).micro_purchases == 2
    # A payment without any reservation (a legacy invoice) also needs a slot.
    assert users.count_paid_purchase(15, "micro-charge:c3", None, 3)
    assert users.get(15).micro_purchases == 3
    # Over the limit: refused, nothing written, and refused again when retried.
    assert not users.count_paid_purchase(15, "micro-charge:c4", "micro:inv-a", 3)
    assert not users.count_paid_purchase(15, "micro-charge:c4", "micro:inv-a", 3)
    assert users.get(15).micro_purchases == 3
    # A reservation made at the limit's edge is still honoured by its first payment.
    users.create(User(16))
    for nonce in ("x", "y", "z"):
        assert users.increment_micro_purchases(16, f"micro:{nonce}", 3)
    assert not users.increment_micro_purchases(16, "micro:w", 3)
    for charge, nonce in (("c1", "x"), ("c2", "y"), ("c3", "z")):
        assert users.count_paid_purchase(16, f"micro-charge:{charge}", f"micro:{nonce}", 3)
    assert not users.count_paid_purchase(16, "micro-charge:c4", "micro:x", 3)
    assert users.get(16).micro_purchases == 3


def test_scan_returns_every_user_across_pages(stores: SimpleNamespace) -> None:
    for user_id in range(100, 108):
        stores.users.create(User(user_id, balance_minutes=user_id))
    scanned = {u.user_id: u.balance_minutes for u in stores.users.scan()}
    assert scanned == {i: i for i in range(100, 108)}


# --------------------------------------------------------------------------- jobs


def test_job_round_trip_with_optional_fields(stores: SimpleNamespace) -> None:
    jobs = stores.jobs
    job = _job(dialogue=True, language="ru", status_message_id=99, file_size=None)
    assert jobs.create(job)
    assert jobs.get("job-1") == attrs.evolve(job, version=1)
    assert jobs.get("missing") is None


def test_creating_a_job_twice_writes_nothing(stores: SimpleNamespace) -> None:
    jobs = stores.jobs
    assert jobs.create(_job(reserved_minutes=2))
    assert not jobs.create(_job(reserved_minutes=9))
    assert jobs.get("job-1").reserved_minutes == 2


def test_job_save_checks_and_bumps_the_version(stores: SimpleNamespace) -> None:
    jobs = stores.jobs
    jobs.create(_job())
    created = jobs.get("job-1")
    claimed = jobs.save(created.claimed(now=1_767_225_700.0, lease_s=600))
    assert claimed.version == 2 and claimed.status is JobStatus.PROCESSING
    assert jobs.get("job-1") == claimed
    with pytest.raises(ConflictError):
        jobs.save(created.claimed(now=1_767_225_701.0, lease_s=600))  # a second worker lost the race
    with pytest.raises(ConflictError):
        jobs.save(_job("never-created", version=1))


def test_job_save_clears_fields_that_became_none(stores: SimpleNamespace) -> None:
    jobs = stores.jobs
    jobs.create(_job())
    saved = jobs.save(attrs.evolve(jobs.get("job-1"), error="temporary", segments_json='[{"s":0}]',
                                   result_text="Привет", real_duration_ms=61_000))
    cleared = jobs.save(attrs.evolve(saved, error=None, segments_json=None))
    stored = jobs.get("job-1")
    assert stored == cleared
    assert stored.error is None and stored.segments_json is None and stored.result_text == "Привет"


def test_job_scan_returns_every_job_across_pages(stores: SimpleNamespace) -> None:
    for index in range(8):
        stores.jobs.create(_job(f"job-{index}", created_at=float(index)))
    assert sorted(j.job_id for j in stores.jobs.scan()) == [f"job-{i}" for i in range(8)]


# --------------------------------------------------------------------------- idempotency keys


def test_an_idempotency_key_is_claimed_once(stores: SimpleNamespace) -> None:
    keys = stores.idempotency_keys
    assert keys.claim("update:1001", 100.0)
    assert not keys.claim("update:1001", 101.0)
    assert keys.claim("update:1002", 102.0)


def test_a_released_key_can_be_claimed_again(stores: SimpleNamespace) -> None:
    keys = stores.idempotency_keys
    assert keys.claim("update:2001", 100.0)
    keys.release("update:2001")
    assert keys.claim("update:2001", 101.0)
    assert not keys.claim("update:2001", 102.0)
    keys.release("update:never-claimed")  # nothing there: nothing happens


# --------------------------------------------------------------------------- logs


def _tlog(log_id: str, timestamp: float) -> TranscriptionLog:
    return TranscriptionLog(log_id=log_id, user_id=42, job_id=f"job-{log_id}", duration_s=61.5, minutes=2,
                            chars=1200, mode="plain", timestamp=timestamp)


def test_transcription_logs_ignore_repeats_and_filter_by_time(stores: SimpleNamespace) -> None:
    logs = stores.logs
    for index in range(7):
        logs.add_transcription(_tlog(f"log-{index}", 100.0 * index))
    logs.add_transcription(attrs.evolve(_tlog("log-1", 100.0), chars=1))  # a repeat is ignored
    since_300 = sorted(logs.transcriptions(300), key=lambda r: r.log_id)
    assert [r.log_id for r in since_300] == ["log-3", "log-4", "log-5", "log-6"]
    assert since_300[0] == _tlog("log-3", 300.0)
    everything = {r.log_id: r for r in logs.transcriptions(0)}
    assert len(everything) == 7 and everything["log-1"].chars == 1200


def test_payments_are_deduplicated_by_charge_id_and_filtered_by_time(stores: SimpleNamespace) -> None:
    logs = stores.logs
    payment = PaymentLog(charge_id="tg-charge-1", user_id=42, package_id="start_50", minutes=50, stars=35,
                         timestamp=500.0)
    assert logs.add_payment(payment)
    assert not logs.add_payment(attrs.evolve(payment, minutes=999))
    for index in range(2, 6):
        assert logs.add_payment(attrs.evolve(payment, charge_id=f"tg-charge-{index}", timestamp=100.0 * index))
    assert [p.charge_id for p in sorted(logs.payments(400.5), key=lambda p: p.timestamp)] == [
        "tg-charge-1", "tg-charge-5"]
    assert {p.charge_id: p for p in logs.payments(0)}["tg-charge-1"] == payment


# --------------------------------------------------------------------------- trials


def test_trial_requests_use_versions_and_list_pending_in_order(stores: SimpleNamespace) -> None:
    trials = stores.trials
    assert trials.get(1) is None
    stored = trials.put(TrialRequest(user_id=1, name="Анна", requested_at=300.0))
    assert stored.version == 1 and trials.get(1) == stored
    with pytest.raises(ConflictError):
        trials.put(TrialRequest(user_id=1, name="again", requested_at=301.0))  # version 0: insert only
    for user_id, at in ((2, 100.0), (3, 200.0), (4, 50.0), (5, 400.0)):
        trials.put(TrialRequest(user_id=user_id, name=f"u{user_id}", requested_at=at))
    approved = trials.put(attrs.evolve(trials.get(3), status="approved", decided_at=500.0))
    assert approved.version == 2 and trials.get(3).decided_at == 500.0
    with pytest.raises(ConflictError):
        trials.put(attrs.evolve(stored, status="denied", version=7))
    assert [r.user_id for r in trials.pending()] == [4, 2, 1, 5]


# --------------------------------------------------------------------------- results and bot state


def test_results_are_cached_per_file_mode_and_language(stores: SimpleNamespace) -> None:
    results = stores.results
    assert results.get("uniq-1", "plain", None) is None
    plain = CachedResult(file_unique_id="uniq-1", mode="plain", text="Привет, мир", duration_ms=61_000,
                         paid_by=(42,), created_at=1_767_225_600.5)
    dialogue = CachedResult(file_unique_id="uniq-1", mode="dialogue", text="A: да", duration_ms=61_000,
                            segments_json='[{"speaker":1}]', paid_by=(42,), created_at=1_767_225_601.0)
    german = attrs.evolve(plain, language="de", text="Hallo, Welt")
    results.put(plain)
    results.put(dialogue)
    results.put(german)
    assert results.get("uniq-1", "plain", None) == plain
    assert results.get("uniq-1", "dialogue", None) == dialogue
    assert results.get("uniq-1", "plain", "de") == german
    assert results.get("uniq-1", "plain", "ru") is None  # another language is another result
    replaced = attrs.evolve(plain, text="Привет", paid_by=(43,), created_at=1_767_300_000.0)
    results.put(replaced)
    # A new text replaces the old one; everyone who paid for the file keeps it.
    assert results.get("uniq-1", "plain", None) == attrs.evolve(replaced, paid_by=(42, 43))


def test_a_cached_result_keeps_its_payers_and_its_age_when_the_same_text_is_stored_again(
        stores: SimpleNamespace) -> None:
    results = stores.results
    first = CachedResult("uniq-2", "plain", "Текст", 30_000, paid_by=(1,), created_at=1000.0)
    results.put(first)
    results.put(attrs.evolve(first, paid_by=(2,), created_at=5000.0))  # sold again later
    results.put(attrs.evolve(first, paid_by=(1,), created_at=6000.0))  # the first payer again
    stored = results.get("uniq-2", "plain", None)
    assert stored.paid_by == (2, 1) and stored.created_at == 1000.0
    assert stored.fresh(1000.0 + 86400, 86400) and not stored.fresh(1000.0 + 86401, 86400)
    assert not attrs.evolve(stored, created_at=0.0).fresh(1.0, 86400)  # a row without a time is stale


def test_a_payer_who_forgets_leaves_every_cached_result_and_their_own_ones_are_deleted(
        stores: SimpleNamespace) -> None:
    results = stores.results
    mine = CachedResult("uniq-m", "plain", "Моя запись", 30_000, paid_by=(7,), created_at=1000.0)
    shared = CachedResult("uniq-s", "dialogue", "A: да", 30_000, segments_json='[]', paid_by=(8, 7, 9),
                          created_at=1000.0)
    other = CachedResult("uniq-o", "plain", "Чужая", 30_000, paid_by=(8,), created_at=1000.0)
    for row in (mine, shared, other):
        results.put(row)
    assert results.drop_payer(7) == (1, 1)
    assert results.get("uniq-m", "plain", None) is None
    assert results.get("uniq-s", "dialogue", None) == attrs.evolve(shared, paid_by=(8, 9))  # text kept for them
    assert results.get("uniq-o", "plain", None) == other
    assert results.drop_payer(7) == (0, 0)  # nothing of theirs is left


def test_bot_state_values_can_be_set_replaced_and_deleted(stores: SimpleNamespace) -> None:
    state = stores.bot_state
    assert state.get("owner_mute_until") is None
    state.set("owner_mute_until", "1767225600")
    state.set("owner_mute_until", "1767229200")
    assert state.get("owner_mute_until") == "1767229200"
    state.set("owner_mute_until", None)
    assert state.get("owner_mute_until") is None
    state.set("never-set", None)


# --------------------------------------------------------------------------- Tablestore specifics


def test_columns_have_the_declared_types(ots: tuple[TablestoreLoopback, ts.TablestoreRepositories]) -> None:
    server, repos = ots
    repos.users.create(User(1, balance_minutes=10, created_at=100, last_activity=100))  # ints for floats
    repos.users.apply_balance(1, "op-1", -3)
    assert server.cell("users", "1", "balance_minutes") == ("INTEGER", 7)
    assert server.cell("users", "1", "version") == ("INTEGER", 2)
    assert server.cell("users", "1", "created_at") == ("DOUBLE", 100.0)
    assert server.cell("users", "1", "settings")[0] == "STRING"
    assert server.cell("users", "1", "ops") == ("STRING", '["op-1"]')
    repos.jobs.create(_job(declared_duration_s=30, created_at=5))
    row = server.row("audio_jobs", "job-1")
    assert row["declared_duration_s"] == ("DOUBLE", 30.0)
    assert row["created_at"] == ("DOUBLE", 5.0)
    assert row["user_id"] == ("INTEGER", 42)
    assert row["dialogue"] == ("BOOLEAN", False)
    assert "status_message_id" not in row  # None is an absent column


def test_update_row_gets_a_row_with_put_and_delete_row_a_row(
        ots: tuple[TablestoreLoopback, ts.TablestoreRepositories], monkeypatch: pytest.MonkeyPatch) -> None:
    from tablestore import Condition, Row

    server, repos = ots
    seen: list[tuple[str, Any, Any]] = []
    original_update, original_delete = repos.client.update_row, repos.client.delete_row

    def update_row(table: str, row: Any, condition: Any, *args: Any, **kwargs: Any) -> Any:
        seen.append(("update", row, condition))
        return original_update(table, row, condition, *args, **kwargs)

    def delete_row(table: str, row: Any, condition: Any = None, *args: Any, **kwargs: Any) -> Any:
        seen.append(("delete", row, condition))
        return original_delete(table, row, condition, *args, **kwargs)

    monkeypatch.setattr(repos.client, "update_row", update_row)
    monkeypatch.setattr(repos.client, "delete_row", delete_row)
    user = repos.users.create(User(3))
    repos.users.apply_balance(3, "op", 2)
    repos.users.save(attrs.evolve(repos.users.get(3), first_name="X"))
    repos.bot_state.set("k", "v")
    repos.bot_state.set("k", None)
    updates = [s for s in seen if s[0] == "update"]
    assert len(updates) == 2 and user.version == 1  # create is a conditional put_row
    for _, row, condition in updates:
        assert isinstance(row, Row) and set(row.attribute_columns) == {"put"}
        assert isinstance(condition, Condition)
        assert condition.column_condition.pass_if_missing is False  # a row missing the column must not pass
    deletes = [s for s in seen if s[0] == "delete"]
    assert len(deletes) == 1 and isinstance(deletes[0][1], Row)
    assert server.row("bot_state", "k") is None


def test_a_legacy_user_row_without_version_is_adopted(
        ots: tuple[TablestoreLoopback, ts.TablestoreRepositories]) -> None:
    server, repos = ots
    server.put_raw("users", "77", {"balance_minutes": ("INTEGER", 5), "first_name": ("STRING", "Old")})
    assert repos.users.get(77).version == 0
    change = repos.users.apply_balance(77, "charge", -2)
    assert (change.applied, change.balance) == (True, 3)
    assert server.cell("users", "77", "version") == ("INTEGER", 1)
    assert repos.users.apply_balance(77, "charge", -2).duplicate


def test_a_row_missing_its_version_never_passes_a_versioned_write(
        ots: tuple[TablestoreLoopback, ts.TablestoreRepositories]) -> None:
    server, repos = ots
    repos.jobs.create(_job())
    job = repos.jobs.get("job-1")
    row = server.row("audio_jobs", "job-1")
    del row["version"]
    server.put_raw("audio_jobs", "job-1", row)
    with pytest.raises(ConflictError):
        repos.jobs.save(job)  # pass_if_missing=False: a row without the column matches no version


def test_create_tables_sets_ttls_and_is_idempotent() -> None:
    with running_tablestore_server(AK, SK, INSTANCE) as server:
        repos = _tablestore(server.endpoint, table_prefix="bot_")
        created = ts.create_tables(repos)
        assert sorted(created) == sorted(f"bot_{name}" for name in ts.TABLES)
        ttl = {name: server.tables[name].time_to_live for name in created}
        assert ttl["bot_audio_jobs"] == 7 * 86400
        assert ttl["bot_update_ids"] == 2 * 86400
        assert ttl["bot_transcription_logs"] == 90 * 86400
        assert ttl["bot_results_cache"] == 30 * 86400
        assert ttl["bot_trial_requests"] == ttl["bot_users"] == ttl["bot_payment_logs"] == -1
        assert all(server.tables[name].primary_key[0][1] == "STRING" for name in created)
        assert ts.create_tables(repos) == []
        assert ts.create_tables(repos.client, table_prefix="bot_") == []
        repos.users.create(User(1))
        assert server.row("bot_users", "1") is not None


def test_server_outages_are_transient_and_the_next_call_works(
        ots: tuple[TablestoreLoopback, ts.TablestoreRepositories]) -> None:
    server, repos = ots
    repos.users.create(User(1, balance_minutes=5))
    server.fail_next(1)
    with pytest.raises(TransientFailure) as info:
        repos.users.apply_balance(1, "op", -1)
    assert info.value.code == "OTSServerUnavailable"
    assert repos.users.apply_balance(1, "op", -1).applied
    server.fail_next(1, status=403, code="OTSNoPermissionAccess")
    with pytest.raises(PermanentFailure):
        repos.users.get(1)


def test_an_integer_beyond_64_bits_is_permanent_not_an_outage(
        ots: tuple[TablestoreLoopback, ts.TablestoreRepositories]) -> None:
    # The SDK cannot encode it (struct.error before any request): a retry would fail the same way,
    # so it must not be reported as transient (the webhook would answer 503 and Telegram retry).
    server, repos = ots
    repos.users.create(User(1, balance_minutes=5))
    with pytest.raises(PermanentFailure) as info:
        repos.users.apply_balance(1, "credit:huge", 10**20)
    assert info.value.code == "RequestNotEncodable"
    assert repos.users.get(1).balance_minutes == 5


def test_a_wrong_secret_is_permanent_and_never_echoed(
        ots: tuple[TablestoreLoopback, ts.TablestoreRepositories]) -> None:
    server, _ = ots
    wrong = _tablestore(server.endpoint, secret="wrong-secret-value")
    with pytest.raises(PermanentFailure) as info:
        wrong.users.get(1)
    assert info.value.code == "OTSAuthFailed"
    assert "wrong-secret-value" not in str(info.value) and SK not in str(info.value)


def test_an_unreachable_endpoint_is_transient() -> None:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]  # nothing listens here once the socket closes
    repos = _tablestore(f"http://127.0.0.1:{port}", socket_timeout=2)
    with pytest.raises(TransientFailure):
        repos.bot_state.get("x")


def test_build_shares_one_client_between_the_stores(
        ots: tuple[TablestoreLoopback, ts.TablestoreRepositories]) -> None:
    server, _ = ots
    args = {"endpoint": server.endpoint, "instance": INSTANCE, "access_key_id": AK, "access_key_secret": SK}
    users = ts.build("users", **args)
    jobs = ts.build("jobs", **args)
    state = ts.build("state", **args)
    assert isinstance(users, ts.TablestoreUsers) and isinstance(jobs, ts.TablestoreJobs)
    assert users._t is jobs._t is state._t
    assert isinstance(ts.build("keys", **args), ts.TablestoreIdempotencyKeys)
    state.set("k", "v")
    assert ts.build("state", **args).get("k") == "v"
    rotated = ts.build("users", **{**args, "security_token": "new-sts-token"})
    assert rotated._t is not users._t
    with pytest.raises(ValueError):
        ts.build("nope", **args)


def test_importing_the_adapter_does_not_import_the_sdk() -> None:
    import subprocess
    import sys
    from pathlib import Path

    code = "import sys, adapters.alibaba.tablestore; print('tablestore' in sys.modules)"
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                            cwd=Path(__file__).resolve().parents[2])
    assert result.stdout.strip() == "False", result.stderr


def test_the_tablestore_job_row_stores_every_job_field():
    """A Job field missing from the Tablestore row would silently vanish in production
    (the charge of extra minutes, the delivery checkpoint...)."""
    import attrs

    from adapters.alibaba.tablestore.jobs import JOB
    from domain.job import Job

    # Every field set to a value that is not None, so each must come out as a column.
    job = _job(file_size=1, status_message_id=2, language="de", real_duration_ms=3, result_mode="plain",
               result_text="t", segments_json="[]", audio_key="k", audio_json="{}", chunks_json="{}",
               pass_tasks_json="{}", raw_text="r", result_language="de", pieces_json="{}", charged_minutes=1,
               error="e", finished_at=1.0)
    assert {name for name, _ in JOB.write(job)} == {f.name for f in attrs.fields(Job)} - {"job_id"}


# -- values over a cell's limit (Tablestore: 2 MB per attribute value, 4 MB per PutRow) -----------


def _big_segments(size_bytes: int) -> str:
    """Segments JSON of roughly ``size_bytes`` (a 4-hour dialogue's is ~3 MB)."""
    word = '{"start_ms":1,"end_ms":2,"text":"слово"},'
    body = "[" + word * (size_bytes // len(word.encode()))
    return body + " " * max(0, size_bytes - len(body.encode()) - 3) + "{}]"


def test_the_loopback_refuses_a_cell_over_2_mb_as_tablestore_does() -> None:
    with running_tablestore_server(AK, SK, INSTANCE, page_size=PAGE) as server:
        repos = _tablestore(server.endpoint, inline_limit_bytes=10 * 1024 * 1024)  # no spilling
        ts.create_tables(repos)
        value = _big_segments(2 * 1024 * 1024 + 10)
        assert len(value.encode()) == 2 * 1024 * 1024 + 10
        with pytest.raises(PermanentFailure):
            repos.jobs.create(_job(segments_json=value))
        assert repos.jobs.get("job-1") is None
        assert repos.jobs.create(_job(segments_json=_big_segments(2 * 1024 * 1024)))  # exactly 2 MB fits


def test_without_an_overflow_store_a_large_value_is_refused_before_the_call() -> None:
    with running_tablestore_server(AK, SK, INSTANCE, page_size=PAGE) as server:
        repos = _tablestore(server.endpoint)
        ts.create_tables(repos)
        calls = server.calls_to("PutRow")
        with pytest.raises(PermanentFailure, match="segments_json"):
            repos.jobs.create(_job(segments_json=_big_segments(3 * 1024 * 1024)))
        assert server.calls_to("PutRow") == calls


def test_a_4_hour_dialogues_segments_spill_to_oss_and_read_back_whole() -> None:
    from adapters.alibaba.oss_blob_store import OssBlobStore
    from tests.loopback.oss_server import running_oss_server

    segments, text = _big_segments(3 * 1024 * 1024), "Длинный текст. " * 30_000
    with running_tablestore_server(AK, SK, INSTANCE, page_size=PAGE) as server, \
            running_oss_server(AK, SK, bucket="audio") as oss:
        blobs = OssBlobStore(oss.endpoint, "audio", AK, SK, region="ap-southeast-1")
        repos = _tablestore(server.endpoint, overflow=blobs)
        ts.create_tables(repos)
        job = repos.jobs.get("job-1") if repos.jobs.create(_job()) else None
        assert job is not None
        saved = repos.jobs.save(attrs.evolve(job, segments_json=segments, result_text=text, raw_text=text))
        # The row holds references; the values live in the bucket under content-addressed keys.
        assert server.cell("audio_jobs", "job-1", "segments_json") is None
        key = server.cell("audio_jobs", "job-1", "segments_json__oss")[1]
        assert key.startswith("rows/audio_jobs/") and blobs.get(key).decode() == segments
        # A fresh adapter (another instance: nothing cached) reads the whole values back.
        fresh = _tablestore(server.endpoint, overflow=blobs).jobs.get("job-1")
        assert fresh is not None and fresh.version == saved.version
        assert (fresh.segments_json, fresh.result_text, fresh.raw_text) == (segments, text, text)
        # Saved again with the same text: nothing uploaded twice (content-addressed, remembered).
        puts = [r for r in oss.requests if r[0] == "PUT"]
        assert len(puts) == 2  # the segments and the text (raw and result are the same bytes)
        repos.jobs.save(attrs.evolve(saved, delivered=True))
        assert [r for r in oss.requests if r[0] == "PUT"] == puts


# -- worker slots: one user's backlog never occupies every worker -------------------------------


def test_worker_slots_admit_up_to_the_limit_and_expire(stores: SimpleNamespace) -> None:
    users = stores.users
    users.create(User(31, balance_minutes=5))
    assert users.hold_worker_slot(31, "job-a", until=200.0, limit=2, now=100.0)
    assert users.hold_worker_slot(31, "job-b", until=200.0, limit=2, now=100.0)
    assert not users.hold_worker_slot(31, "job-c", until=200.0, limit=2, now=100.0)  # both live
    assert users.hold_worker_slot(31, "job-a", until=300.0, limit=2, now=150.0)  # its own slot: extended
    users.release_worker_slot(31, "job-b")
    assert users.hold_worker_slot(31, "job-c", until=300.0, limit=2, now=150.0)
    # A crashed worker's slot runs out with its lease.
    assert users.hold_worker_slot(31, "job-d", until=400.0, limit=2, now=301.0)
    assert users.get(31).balance_minutes == 5  # slots never touch the money
    users.release_worker_slot(31, "never-held")
    users.release_worker_slot(404, "no-such-user")
    with pytest.raises(KeyError):
        users.hold_worker_slot(404, "job-x", until=1.0, limit=1, now=0.0)
