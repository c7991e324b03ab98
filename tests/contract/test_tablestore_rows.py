"""Rows written by the earlier Tablestore adapter (one hand-written column schema per table) still
load, and the converter writes them back cell for cell.

``OLD_ROWS`` are the exact cells that adapter stored for one value of each table (dumped from the
loopback server after writing through it), planted here with ``put_raw`` and read through the ports.
"""

from __future__ import annotations

import enum
from collections.abc import Iterator
from typing import Any

import attrs
import pytest

import adapters.alibaba.tablestore as ts
from adapters.alibaba.tablestore.rows import RowConverter
from domain.audio import MediaKind
from domain.job import Job, JobStatus
from domain.users import LongTextMode, TrialStatus, User, UserSettings
from ports.repositories import CachedResult, PaymentLog, TranscriptionLog, TrialRequest
from tests.loopback.tablestore_server import TablestoreLoopback, running_tablestore_server

AK, SK, INSTANCE = "LTAI-loopback-id", "loopback-secret-do-not-print", "botinst"

OLD_USER = {
    "balance_minutes": ("INTEGER", 27), "balance_notice": ("STRING", "low"),
    "balance_notice_at": ("DOUBLE", 1767225650.0), "created_at": ("DOUBLE", 1767225600.5),
    "first_name": ("STRING", "Анна"), "last_activity": ("DOUBLE", 1767225700.0), "last_name": ("STRING", ""),
    "micro_package_purchases": ("INTEGER", 1), "ops": ("STRING", '["charge:j1","inv:1"]'),
    "settings": ("STRING", '{"use_code":true,"use_yo":false,"long_text":"file","dialogue":true,'
                           '"speaker_labels":true,"language":"de","ui_language":"en","schema":2}'),
    "trial_status": ("STRING", "approved"), "username": ("STRING", "anna"), "version": ("INTEGER", 4),
    "worker_slots": ("STRING", '{"job-1":1767226000.0}'),
}
OLD_JOB = {
    "attempts": ("INTEGER", 1), "audio_json": ("STRING", '{"duration_ms":61000}'),
    "audio_key": ("STRING", "audio/job-1.ogg"), "cancel_requested": ("BOOLEAN", True),
    "charged_minutes": ("INTEGER", 3), "chat_id": ("INTEGER", 70), "chunks_json": ("STRING", '{"0":"hi"}'),
    "claimed_at": ("DOUBLE", 1767225601.0), "created_at": ("DOUBLE", 1767225600.0),
    "declared_duration_s": ("DOUBLE", 61.0), "delivered": ("BOOLEAN", False), "delivered_parts": ("INTEGER", 1),
    "dialogue": ("BOOLEAN", True), "extra_minutes": ("INTEGER", 1), "file_id": ("STRING", "F"),
    "file_size": ("INTEGER", 1000), "file_unique_id": ("STRING", "U"), "finished_at": ("DOUBLE", 1767225800.0),
    "from_chunks": ("BOOLEAN", True), "kind": ("STRING", "video"), "language": ("STRING", "de"),
    "lease_until": ("DOUBLE", 1767225901.0), "message_id": ("INTEGER", 5),
    "pass_tasks_json": ("STRING", '{"speaker":"t1"}'), "pieces_json": ("STRING", '{"0":"A: hi"}'),
    "planned_parts": ("INTEGER", 2), "raw_text": ("STRING", "hi"), "real_duration_ms": ("INTEGER", 61000),
    "republished_at": ("DOUBLE", 1767225700.5), "reserved_minutes": ("INTEGER", 2),
    "result_language": ("STRING", "de"), "result_mode": ("STRING", "dialogue"), "result_text": ("STRING", "A: hi"),
    "segments_json": ("STRING", '[{"speaker":"1","start_ms":0,"end_ms":900,"text":"hi","words":[]}]'),
    "status": ("STRING", "completed"), "status_message_id": ("INTEGER", 9), "steps": ("INTEGER", 2),
    "user_id": ("INTEGER", 7), "version": ("INTEGER", 3),
}
OLD_TRANSCRIPTION_LOG = {
    "chars": ("INTEGER", 5), "duration_s": ("DOUBLE", 61.0), "job_id": ("STRING", "job-1"),
    "minutes": ("INTEGER", 2), "mode": ("STRING", "dialogue"), "status": ("STRING", "completed"),
    "timestamp": ("DOUBLE", 1767225800.0), "user_id": ("INTEGER", 7),
}
OLD_PAYMENT_LOG = {
    "minutes": ("INTEGER", 100), "package_id": ("STRING", "p100"), "stars": ("INTEGER", 250),
    "timestamp": ("DOUBLE", 1767225900.0), "user_id": ("INTEGER", 7),
}
OLD_TRIAL = {
    "decided_at": ("DOUBLE", 1767225660.0), "name": ("STRING", "Анна"), "requested_at": ("DOUBLE", 1767225600.0),
    "status": ("STRING", "approved"), "version": ("INTEGER", 2),
}
OLD_RESULT = {
    "created_at": ("DOUBLE", 1767225800.0), "duration_ms": ("INTEGER", 61000), "file_unique_id": ("STRING", "U"),
    "language": ("STRING", "de"), "mode": ("STRING", "dialogue"), "paid_by": ("STRING", "[7,8]"),
    "segments_json": ("STRING", "[]"), "text": ("STRING", "A: hi"),
}

SETTINGS = UserSettings(use_code=True, use_yo=False, long_text=LongTextMode.FILE, dialogue=True,
                        speaker_labels=True, language="de", ui_language="en")
USER = User(7, balance_minutes=27, trial=TrialStatus.APPROVED, settings=SETTINGS, first_name="Анна",
            username="anna", created_at=1767225600.5, last_activity=1767225700.0, micro_purchases=1,
            balance_notice="low", balance_notice_at=1767225650.0, version=4)
JOB = Job(job_id="job-1", user_id=7, chat_id=70, message_id=5, file_id="F", file_unique_id="U",
          kind=MediaKind.VIDEO, declared_duration_s=61.0, file_size=1000, reserved_minutes=2, status_message_id=9,
          created_at=1767225600.0, dialogue=True, language="de", status=JobStatus.COMPLETED, attempts=1,
          lease_until=1767225901.0, real_duration_ms=61000, extra_minutes=1, result_mode="dialogue",
          result_text="A: hi", segments_json='[{"speaker":"1","start_ms":0,"end_ms":900,"text":"hi","words":[]}]',
          steps=2, audio_key="audio/job-1.ogg", audio_json='{"duration_ms":61000}', chunks_json='{"0":"hi"}',
          pass_tasks_json='{"speaker":"t1"}', raw_text="hi", result_language="de", from_chunks=True,
          pieces_json='{"0":"A: hi"}', delivered=False, delivered_parts=1, planned_parts=2,
          claimed_at=1767225601.0, republished_at=1767225700.5, charged_minutes=3, finished_at=1767225800.0,
          version=3, cancel_requested=True)


@pytest.fixture
def ots() -> Iterator[tuple[TablestoreLoopback, ts.TablestoreRepositories]]:
    from tablestore.retry import NoRetryPolicy

    with running_tablestore_server(AK, SK, INSTANCE, page_size=3) as server:
        repos = ts.TablestoreRepositories(server.endpoint, AK, SK, INSTANCE, retry_policy=NoRetryPolicy())
        ts.create_tables(repos)
        yield server, repos


def test_rows_of_the_earlier_adapter_load_whole(ots: tuple[TablestoreLoopback, ts.TablestoreRepositories]) -> None:
    server, repos = ots
    server.put_raw("users", "7", OLD_USER)
    server.put_raw("audio_jobs", "job-1", OLD_JOB)
    server.put_raw("transcription_logs", "log-1", OLD_TRANSCRIPTION_LOG)
    server.put_raw("payment_logs", "ch-1", OLD_PAYMENT_LOG)
    server.put_raw("trial_requests", "7", OLD_TRIAL)
    server.put_raw("results_cache", "U:dialogue:de", OLD_RESULT)

    assert repos.users.get(7) == USER
    assert repos.jobs.get("job-1") == JOB
    assert list(repos.logs.transcriptions(0)) == [
        TranscriptionLog("log-1", 7, "job-1", 61.0, 2, 5, "dialogue", 1767225800.0, "completed")]
    assert list(repos.logs.payments(0)) == [PaymentLog("ch-1", 7, "p100", 100, 250, 1767225900.0)]
    assert repos.trials.get(7) == TrialRequest(7, "Анна", 1767225600.0, "approved", 1767225660.0, 2)
    assert repos.results.get("U", "dialogue", "de") == CachedResult(
        "U", "dialogue", "A: hi", 61000, segments_json="[]", language="de", paid_by=(7, 8), created_at=1767225800.0)
    # The money columns the old adapter kept beside the fields still work: the applied keys are
    # remembered and the held worker slot counts.
    assert repos.users.apply_balance(7, "charge:j1", -3).duplicate
    assert not repos.users.hold_worker_slot(7, "job-2", 1767226100.0, 1, 1767225600.0)


def test_the_converter_writes_the_cells_the_earlier_adapter_wrote(
        ots: tuple[TablestoreLoopback, ts.TablestoreRepositories]) -> None:
    server, repos = ots
    repos.jobs.create(attrs.evolve(JOB, version=0))
    repos.jobs.save(attrs.evolve(JOB, version=1))
    assert server.row("audio_jobs", "job-1") == {**OLD_JOB, "version": ("INTEGER", 2)}

    repos.trials.put(attrs.evolve(repos.trials.put(TrialRequest(7, "Анна", 1767225600.0)),
                                  status="approved", decided_at=1767225660.0))
    assert server.row("trial_requests", "7") == OLD_TRIAL
    repos.logs.add_transcription(TranscriptionLog("log-1", 7, "job-1", 61, 2, 5, "dialogue", 1767225800))
    assert server.row("transcription_logs", "log-1") == OLD_TRANSCRIPTION_LOG
    repos.logs.add_payment(PaymentLog("ch-1", 7, "p100", 100, 250, 1767225900))
    assert server.row("payment_logs", "ch-1") == OLD_PAYMENT_LOG
    repos.results.put(CachedResult("U", "dialogue", "A: hi", 61000, segments_json="[]", language="de",
                                   paid_by=(7, 8), created_at=1767225800.0))
    assert server.row("results_cache", "U:dialogue:de") == OLD_RESULT

    repos.users.create(attrs.evolve(USER, version=0))
    stored = server.row("users", "7")
    expected = {k: v for k, v in OLD_USER.items() if k not in ("ops", "worker_slots")}
    assert stored == {**expected, "ops": ("STRING", "[]"), "version": ("INTEGER", 1)}


def test_legacy_and_damaged_cells_read_as_the_earlier_adapter_read_them(
        ots: tuple[TablestoreLoopback, ts.TablestoreRepositories]) -> None:
    server, repos = ots
    # A user written by earlier code: ISO timestamps, settings before the schema number (everyone's "split"
    # was no choice), an unknown trial state, a mistyped balance.
    server.put_raw("users", "8", {
        "created_at": ("STRING", "2026-01-01T00:00:00Z"), "last_activity": ("STRING", "2026-01-01T00:01:00"),
        "settings": ("STRING", '{"long_text":"split","language":"","ui_language":"fr","use_yo":false}'),
        "trial_status": ("STRING", "someday"), "balance_minutes": ("STRING", "12"),
    })
    user = repos.users.get(8)
    assert user is not None
    assert (user.created_at, user.last_activity) == (1767225600.0, 1767225660.0)
    assert user.settings == UserSettings(use_yo=False)  # AUTO, no language, the default interface
    assert (user.trial, user.balance_minutes, user.version) == (TrialStatus.NONE, 12, 0)
    # An explicit "split" of the current schema is the user's choice.
    server.put_raw("users", "9", {"settings": ("STRING", '{"long_text":"split","schema":2}')})
    assert repos.users.get(9).settings.long_text is LongTextMode.SPLIT
    # Settings that are not JSON read as the defaults.
    server.put_raw("users", "10", {"settings": ("STRING", "{not json")})
    assert repos.users.get(10).settings == UserSettings()

    # A job in a state this code does not know is over; a missing kind or status takes the defaults.
    row = {k: v for k, v in OLD_JOB.items() if k not in ("kind",)}
    server.put_raw("audio_jobs", "job-x", {**row, "status": ("STRING", "exploded")})
    job = repos.jobs.get("job-x")
    assert (job.status, job.kind) == (JobStatus.FAILED, MediaKind.DOCUMENT)
    server.put_raw("audio_jobs", "job-y", {"user_id": ("INTEGER", 1)})
    job = repos.jobs.get("job-y")
    assert (job.status, job.kind, job.file_size, job.declared_duration_s, job.file_id) == (
        JobStatus.QUEUED, MediaKind.DOCUMENT, None, 0.0, "")

    # A result row of the first format: no key fields, payers that are not user ids.
    server.put_raw("results_cache", "V:plain:auto", {"text": ("STRING", "t"), "duration_ms": ("INTEGER", 5),
                                                     "paid_by": ("STRING", '[3,"x",true,4]')})
    result = repos.results.get("V", "plain", None)
    assert (result.file_unique_id, result.mode, result.paid_by, result.created_at) == ("V", "plain", (3, 4), 0.0)
    # A trial row without a status is pending.
    server.put_raw("trial_requests", "11", {"name": ("STRING", "B"), "requested_at": ("DOUBLE", 5.0)})
    assert [t.user_id for t in repos.trials.pending()] == []  # the service filter needs the column
    assert repos.trials.get(11).status == "pending"


class _Mode(enum.StrEnum):
    PLAIN = "plain"
    DIALOGUE = "dialogue"


@attrs.frozen
class _Stored:
    mode: _Mode
    maybe: _Mode | None = None


def test_a_field_that_became_an_enum_reads_the_strings_written_before() -> None:
    converter = RowConverter()
    assert converter.read(_Stored, {"mode": "dialogue", "maybe": "plain"}) == _Stored(_Mode.DIALOGUE, _Mode.PLAIN)
    assert converter.write(_Stored(_Mode.PLAIN)) == [("mode", "plain")]
    # An unknown value of an optional enum is no value; of a required enum without a fallback, unreadable.
    assert converter.read(_Stored, {"mode": "plain", "maybe": "??"}).maybe is None
    with pytest.raises(ValueError):
        converter.read(_Stored, {"mode": "??"})


@pytest.mark.parametrize("mode", list(LongTextMode))
def test_user_settings_round_trip_through_the_row(mode: LongTextMode) -> None:
    converter = RowConverter()
    user = User(1, settings=UserSettings(long_text=mode, language="de"))
    row: dict[str, Any] = dict(converter.write(user))
    assert converter.read(User, row).settings == user.settings
