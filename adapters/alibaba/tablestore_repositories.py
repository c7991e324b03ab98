"""Tablestore (OTS) implementations of the storage ports, sharing one ``OTSClient``.

Tables (every primary key is one STRING column; ``table_prefix`` is prepended to each name):

============================  =====================  ==========  ==========================================
table                         primary key            TTL         attribute columns
============================  =====================  ==========  ==========================================
``users``                     ``user_id``            none        first_name, last_name, username, trial_status,
                                                                 settings (JSON), created_at, last_activity
                                                                 (DOUBLE), balance_minutes,
                                                                 micro_package_purchases, version (INTEGER),
                                                                 ops (JSON list of applied operation keys)
``audio_jobs``                ``job_id``             7 days      one column per ``Job`` field (below)
``trial_requests``            ``user_id``            none        name, status, requested_at, decided_at,
                                                                 version
``transcription_logs``        ``log_id``             90 days     user_id, job_id, duration_s, minutes, chars,
                                                                 mode, timestamp, status
``payment_logs``              ``charge_id``          none        user_id, package_id, minutes, stars, timestamp
``update_ids``                ``key``                2 days      claimed_at (idempotency keys)
``results_cache``             ``key``                none        file_unique_id, mode, text, duration_ms,
                              (``file_unique_id:mode``)           segments_json
``bot_state``                 ``name``               none        value
============================  =====================  ==========  ==========================================

Types: ints are written as INTEGER, timestamps and durations as DOUBLE (``float()`` is applied so an
int never lands in a DOUBLE column, nor a float in an INTEGER one: D18), flags as BOOLEAN, settings and
lists as JSON strings. A ``None`` field is simply absent from the row.

Concurrency (pitfall 7, D11): ``Users.save``, ``Jobs.save`` and ``Trials.put`` write only if the
``version`` column still holds the version the caller read, compared with
``SingleColumnCondition(..., pass_if_missing=False)``, and bump it; a lost race raises ConflictError.
The one exception is a *legacy* row that has no ``version`` column at all (written by the reference
bot): it reads as version 0 and its condition is "version == 0 or missing". This store never writes
version 0 (rows start at 1), so that condition cannot match a versioned row.

Exactly-once money (``apply_balance``, ``increment_micro_purchases``): the user row keeps the last
``REMEMBERED_OPS`` operation keys in ``ops``. Each call reads the row, answers "duplicate" if the key is
there, computes the new value (a debit below zero is refused whole) and writes balance, ``ops`` and
``version + 1`` under the version condition; on ``OTSConditionCheckFail`` it re-reads and tries again
(at most ``BALANCE_ATTEMPTS`` times). A write only fails because another one succeeded in between, so
concurrent debits never overspend and a retried operation is never applied twice.

SDK usage: ``update_row`` always gets ``Row(pk, {"put": [...]})`` (D18/D21), ``delete_row`` a ``Row``
(D22). ``Jobs.save`` and ``Trials.put`` replace the whole row with a conditional ``put_row`` instead,
which drops columns that became ``None`` (tablestore 6.4.8 mis-sizes ``delete_all`` cells whose name is
longer than 12 characters, so clearing a column through ``update_row`` is not safe). Scans page through
``get_range`` until ``next_start_primary_key`` is None (D47).

Errors: throttling, 5xx, timeouts and connection failures raise TransientFailure; other service
errors PermanentFailure. Messages carry the error code and HTTP status only, never keys or signatures.
The SDK's own logger is silenced (it would log request headers at DEBUG and every lost optimistic
race at ERROR); this module reports what matters through the exceptions above.

``create_tables(repositories_or_client)`` creates the missing tables with the TTLs above; the CLI
command that calls it is wired in the entrypoints. ``build(kind, ...)`` hands the container one store
at a time while every store shares one ``TablestoreRepositories`` (one OTSClient).
"""

from __future__ import annotations

import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

import attrs

from domain.audio import MediaKind
from domain.billing import apply_delta
from domain.job import Job, JobStatus
from domain.users import TrialStatus, User, UserSettings
from ports.errors import ConflictError, PermanentFailure, TransientFailure
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
)

PROVIDER = "tablestore"
DAY_S = 86400

# Table name -> (primary key column, time to live in seconds or -1 for none).
TABLES: dict[str, tuple[str, int]] = {
    "users": ("user_id", -1),
    "audio_jobs": ("job_id", 7 * DAY_S),
    "trial_requests": ("user_id", -1),
    "transcription_logs": ("log_id", 90 * DAY_S),
    "payment_logs": ("charge_id", -1),
    "update_ids": ("key", 2 * DAY_S),
    "results_cache": ("key", -1),
    "bot_state": ("name", -1),
}

# How many applied operation keys a user row remembers; the same bound as the in-memory twin
# (adapters.memory.repositories.REMEMBERED_OPS; a contract test checks they agree).
REMEMBERED_OPS = 500
# Tries of one balance operation under contention. Each failed try means another write succeeded in
# between, so this bounds the wait, not correctness.
BALANCE_ATTEMPTS = 16
# Rows asked for per get_range call (the service may return fewer and a next start key).
SCAN_PAGE = 500

_TRANSIENT_CODES = frozenset({
    "OTSServerBusy", "OTSServerUnavailable", "OTSTimeout", "OTSInternalServerError",
    "OTSPartitionUnavailable", "OTSRowOperationConflict", "OTSNotEnoughCapacityUnit",
    "OTSQuotaExhausted", "OTSTableNotReady", "OTSOperationThrottled", "OTSCapacityUnitExhausted",
})
_SDK_LOGGER = "adapters.alibaba.tablestore.sdk"

T = TypeVar("T")


class _ConditionFailed(Exception):
    """OTSConditionCheckFail: the row existence or version condition did not hold."""


_QUIET_HANDLER = logging.NullHandler()


def _sdk() -> Any:
    """Import the SDK on first use (it is slow to import), keeping its import-time warnings quiet."""
    # Without any handler, the SDK's "native encoder not available" warnings go to stderr.
    logging.getLogger("tablestore").addHandler(_QUIET_HANDLER)  # the same object: added once
    import tablestore

    return tablestore


def _translate(exc: Exception, action: str) -> Exception:
    """A port error (or _ConditionFailed) for an SDK or transport exception."""
    tablestore = _sdk()
    if isinstance(exc, tablestore.OTSServiceError):
        status = exc.get_http_status()
        code = exc.get_error_code() or ""
        request_id = exc.get_request_id() or ""
        if code == "OTSConditionCheckFail":
            return _ConditionFailed()
        message = f"{action} failed (HTTP {status})"
        if code in _TRANSIENT_CODES or status == 429 or (isinstance(status, int) and status >= 500):
            return TransientFailure(PROVIDER, message, code=code, request_id=request_id)
        return PermanentFailure(PROVIDER, message, code=code, request_id=request_id)
    if isinstance(exc, tablestore.OTSClientError):
        # Client-side checks (response signature, MD5, body format) or a non-protobuf error reply.
        status = exc.get_http_status()
        if isinstance(status, int) and (status >= 500 or status == 429):
            return TransientFailure(PROVIDER, f"{action} failed (HTTP {status})")
        return PermanentFailure(PROVIDER, f"{action} failed: client-side error (HTTP {status})")
    # urllib3 connection errors, timeouts, resets.
    return TransientFailure(PROVIDER, f"{action} failed: {type(exc).__name__}")


# --------------------------------------------------------------------------- value helpers


def _int(value: Any, default: int = 0) -> int:
    if value is None or isinstance(value, bool):
        return default
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _opt_int(value: Any) -> int | None:
    return None if value is None else _int(value)


def _float(value: Any, default: float = 0.0) -> float:
    if value is None or isinstance(value, bool):
        return default
    if isinstance(value, str):
        # Legacy rows hold ISO timestamps.
        import datetime

        try:
            parsed = datetime.datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            return default
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=datetime.UTC)
        return parsed.timestamp()
    try:
        return float(value)
    except (TypeError, ValueError):
        return default


def _opt_float(value: Any) -> float | None:
    return None if value is None else _float(value)


def _str(value: Any, default: str = "") -> str:
    return value if isinstance(value, str) else default


def _opt_str(value: Any) -> str | None:
    return value if isinstance(value, str) else None


def _bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    return bool(_int(value))


def _json_list(value: Any) -> list[str]:
    if not isinstance(value, str) or not value:
        return []
    try:
        parsed = json.loads(value)
    except ValueError:
        return []
    return [item for item in parsed if isinstance(item, str)] if isinstance(parsed, list) else []


def _json_dict(value: Any) -> dict[str, object]:
    if isinstance(value, dict):
        return value
    if not isinstance(value, str) or not value:
        return {}
    try:
        parsed = json.loads(value)
    except ValueError:
        return {}
    return parsed if isinstance(parsed, dict) else {}


def _dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _columns(pairs: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """Drop None values (absent columns)."""
    return [(name, value) for name, value in pairs if value is not None]


# --------------------------------------------------------------------------- shared access


class TablestoreRepositories:
    """One OTSClient shared by the seven stores: ``users``, ``jobs``, ``idempotency_keys``, ``logs``,
    ``trials``, ``results`` and ``bot_state``.

    ``retry_policy`` defaults to the SDK's DefaultRetryPolicy; tests pass ``NoRetryPolicy()``.
    Build a new instance when STS credentials are rotated (FC hands fresh ones to each invocation).
    """

    def __init__(self, endpoint: str, access_key_id: str, access_key_secret: str, instance: str,
                 security_token: str | None = None, table_prefix: str = "", *,
                 retry_policy: Any = None, socket_timeout: float = 10.0, scan_page: int = SCAN_PAGE) -> None:
        tablestore = _sdk()
        sdk_logger = logging.getLogger(_SDK_LOGGER)
        sdk_logger.setLevel(logging.CRITICAL)
        sdk_logger.propagate = False
        if not sdk_logger.handlers:
            sdk_logger.addHandler(logging.NullHandler())
        kwargs: dict[str, Any] = {"socket_timeout": socket_timeout, "logger_name": _SDK_LOGGER}
        if retry_policy is not None:
            kwargs["retry_policy"] = retry_policy
        if security_token:
            kwargs["sts_token"] = security_token
        self.client = tablestore.OTSClient(endpoint, access_key_id, access_key_secret, instance, **kwargs)
        self.table_prefix = table_prefix
        self.scan_page = scan_page
        self.users = TablestoreUsers(self)
        self.jobs = TablestoreJobs(self)
        self.idempotency_keys = TablestoreIdempotencyKeys(self)
        self.logs = TablestoreLogs(self)
        self.trials = TablestoreTrials(self)
        self.results = TablestoreResults(self)
        self.bot_state = TablestoreBotState(self)

    def table(self, name: str) -> str:
        return self.table_prefix + name

    def call(self, action: str, fn: Callable[[], T]) -> T:
        """Run one SDK call, translating its exceptions (conditions become _ConditionFailed)."""
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - every SDK/transport failure is translated
            raise _translate(exc, action) from None

    # ---- row primitives

    def get(self, table: str, key: str) -> dict[str, Any] | None:
        pk_name = TABLES[table][0]
        _, row, _ = self.call(f"get {table}", lambda: self.client.get_row(
            self.table(table), [(pk_name, key)], max_version=1))
        if row is None:
            return None
        return {cell[0]: cell[1] for cell in (row.attribute_columns or [])}

    def put(self, table: str, key: str, columns: list[tuple[str, Any]], condition: Any) -> None:
        tablestore = _sdk()
        pk_name = TABLES[table][0]
        row = tablestore.Row([(pk_name, key)], _columns(columns))
        self.call(f"put {table}", lambda: self.client.put_row(self.table(table), row, condition))

    def update(self, table: str, key: str, columns: list[tuple[str, Any]], condition: Any) -> None:
        tablestore = _sdk()
        pk_name = TABLES[table][0]
        row = tablestore.Row([(pk_name, key)], {"put": _columns(columns)})
        self.call(f"update {table}", lambda: self.client.update_row(self.table(table), row, condition))

    def delete(self, table: str, key: str) -> None:
        tablestore = _sdk()
        pk_name = TABLES[table][0]
        row = tablestore.Row([(pk_name, key)])
        condition = tablestore.Condition(tablestore.RowExistenceExpectation.IGNORE)
        self.call(f"delete {table}", lambda: self.client.delete_row(self.table(table), row, condition))

    def scan(self, table: str, column_filter: Any = None) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every row of a table as (primary key value, columns), page after page."""
        tablestore = _sdk()
        pk_name = TABLES[table][0]
        start: Any = [(pk_name, tablestore.INF_MIN)]
        end = [(pk_name, tablestore.INF_MAX)]
        while start is not None:
            page_start = start
            _, start, rows, _ = self.call(f"scan {table}", lambda s=page_start: self.client.get_range(
                self.table(table), "FORWARD", s, end, limit=self.scan_page,
                column_filter=column_filter, max_version=1))
            for row in rows or []:
                yield row.primary_key[0][1], {cell[0]: cell[1] for cell in (row.attribute_columns or [])}

    # ---- conditions

    @staticmethod
    def expect_absent() -> Any:
        tablestore = _sdk()
        return tablestore.Condition(tablestore.RowExistenceExpectation.EXPECT_NOT_EXIST)

    @staticmethod
    def ignore() -> Any:
        tablestore = _sdk()
        return tablestore.Condition(tablestore.RowExistenceExpectation.IGNORE)

    @staticmethod
    def expect_version(version: int, *, legacy: bool = False) -> Any:
        """The row exists and its ``version`` column equals ``version``.

        ``legacy`` (only with version 0): a row without the column also matches; see the module doc.
        """
        tablestore = _sdk()
        return tablestore.Condition(
            tablestore.RowExistenceExpectation.EXPECT_EXIST,
            tablestore.SingleColumnCondition("version", int(version), tablestore.ComparatorType.EQUAL,
                                             pass_if_missing=legacy and version == 0),
        )

    @staticmethod
    def column_filter(column: str, value: Any, comparator: str) -> Any:
        tablestore = _sdk()
        return tablestore.SingleColumnCondition(
            column, value, getattr(tablestore.ComparatorType, comparator), pass_if_missing=False)


_BUILT: dict[tuple, TablestoreRepositories] = {}
_BUILT_LOCK = threading.Lock()
_KINDS = {"users": "users", "jobs": "jobs", "keys": "idempotency_keys", "idempotency_keys": "idempotency_keys",
          "logs": "logs", "trials": "trials", "results": "results", "state": "bot_state",
          "bot_state": "bot_state"}


def build(kind: str, *, endpoint: str, instance: str, access_key_id: str, access_key_secret: str,
          security_token: str | None = None, table_prefix: str = "", **kwargs: Any) -> Any:
    """One store (``users``, ``jobs``, ``keys``, ``logs``, ``trials``, ``results`` or ``state``).

    Every store built with the same credentials shares one TablestoreRepositories (one OTSClient).
    Only the latest credentials are kept: STS rotation replaces the shared client instead of piling
    up old ones.
    """
    attribute = _KINDS.get(kind)
    if attribute is None:
        raise ValueError(f"unknown Tablestore store kind {kind!r}")
    key = (endpoint, instance, access_key_id, access_key_secret, security_token, table_prefix,
           tuple(sorted(kwargs.items())))
    with _BUILT_LOCK:
        repositories = _BUILT.get(key)
        if repositories is None:
            repositories = TablestoreRepositories(endpoint, access_key_id, access_key_secret, instance,
                                                  security_token, table_prefix, **kwargs)
            _BUILT.clear()
            _BUILT[key] = repositories
    return getattr(repositories, attribute)


def create_tables(target: TablestoreRepositories | Any, table_prefix: str | None = None) -> list[str]:
    """Create every missing table (max one version, TTLs as in ``TABLES``); returns the created names.

    ``target`` is a TablestoreRepositories (its client and prefix are used) or a bare OTSClient.
    """
    tablestore = _sdk()
    if isinstance(target, TablestoreRepositories):
        client, prefix = target.client, target.table_prefix if table_prefix is None else table_prefix
    else:
        client, prefix = target, table_prefix or ""
    try:
        existing = set(client.list_table())
    except Exception as exc:  # noqa: BLE001
        raise _translate(exc, "list tables") from None
    created = []
    for name, (pk_name, ttl) in TABLES.items():
        full = prefix + name
        if full in existing:
            continue
        try:
            client.create_table(
                tablestore.TableMeta(full, [(pk_name, "STRING")]),
                tablestore.TableOptions(time_to_live=ttl, max_version=1),
                tablestore.ReservedThroughput(tablestore.CapacityUnit(0, 0)),
            )
        except Exception as exc:  # noqa: BLE001
            error = _translate(exc, f"create table {full}")
            if getattr(error, "code", "") == "OTSObjectAlreadyExist":
                continue
            raise error from None
        created.append(full)
    return created


class _Store:
    def __init__(self, tables: TablestoreRepositories) -> None:
        self._t = tables


def _backoff(attempt: int) -> None:
    time.sleep(random.uniform(0, 0.002 * (attempt + 1)))


# --------------------------------------------------------------------------- users


def _user_from_row(user_id: int, row: dict[str, Any]) -> User:
    trial = _str(row.get("trial_status"), "none")
    return User(
        user_id=user_id,
        balance_minutes=_int(row.get("balance_minutes")),
        trial=TrialStatus(trial) if trial in {t.value for t in TrialStatus} else TrialStatus.NONE,
        settings=UserSettings.from_dict(_json_dict(row.get("settings"))),
        first_name=_str(row.get("first_name")),
        last_name=_str(row.get("last_name")),
        username=_str(row.get("username")),
        created_at=_float(row.get("created_at")),
        last_activity=_float(row.get("last_activity")),
        micro_purchases=_int(row.get("micro_package_purchases")),
        version=_int(row.get("version")),
    )


def _profile_columns(user: User) -> list[tuple[str, Any]]:
    return [
        ("first_name", user.first_name),
        ("last_name", user.last_name),
        ("username", user.username),
        ("trial_status", user.trial.value),
        ("settings", _dumps(user.settings.to_dict())),
        ("created_at", float(user.created_at)),
        ("last_activity", float(user.last_activity)),
    ]


class TablestoreUsers(_Store, Users):
    TABLE = "users"

    def get(self, user_id: int) -> User | None:
        row = self._t.get(self.TABLE, str(user_id))
        return None if row is None else _user_from_row(user_id, row)

    def create(self, user: User) -> User:
        stored = attrs.evolve(user, version=1)
        columns = _profile_columns(stored) + [
            ("balance_minutes", int(stored.balance_minutes)),
            ("micro_package_purchases", int(stored.micro_purchases)),
            ("ops", "[]"),
            ("version", 1),
        ]
        try:
            self._t.put(self.TABLE, str(user.user_id), columns, self._t.expect_absent())
        except _ConditionFailed:
            existing = self.get(user.user_id)
            if existing is None:  # deleted in between: extremely unlikely, let the caller retry
                raise TransientFailure(PROVIDER, "user row vanished during create") from None
            return existing
        return stored

    def save(self, user: User) -> User:
        row = self._t.get(self.TABLE, str(user.user_id))
        if row is None:
            raise ConflictError(f"user {user.user_id} does not exist")
        current = _user_from_row(user.user_id, row)
        if current.version != user.version:
            raise ConflictError(f"user {user.user_id} changed")
        columns = _profile_columns(user) + [("version", user.version + 1)]
        try:
            self._t.update(self.TABLE, str(user.user_id), columns,
                           self._t.expect_version(user.version, legacy="version" not in row))
        except _ConditionFailed:
            raise ConflictError(f"user {user.user_id} changed") from None
        # The balance and purchase counter move only through their exactly-once methods.
        return attrs.evolve(user, balance_minutes=current.balance_minutes,
                            micro_purchases=current.micro_purchases, version=user.version + 1)

    def _read_for_update(self, user_id: int) -> tuple[dict[str, Any], int, list[str]]:
        row = self._t.get(self.TABLE, str(user_id))
        if row is None:
            raise KeyError(user_id)
        return row, _int(row.get("version")), _json_list(row.get("ops"))

    def _write_op(self, user_id: int, row: dict[str, Any], version: int, ops: list[str], op_key: str,
                  columns: list[tuple[str, Any]]) -> None:
        remembered = (ops + [op_key])[-REMEMBERED_OPS:]
        self._t.update(self.TABLE, str(user_id),
                       columns + [("ops", _dumps(remembered)), ("version", version + 1)],
                       self._t.expect_version(version, legacy="version" not in row))

    def apply_balance(self, user_id: int, op_key: str, delta: int) -> BalanceChange:
        for attempt in range(BALANCE_ATTEMPTS):
            row, version, ops = self._read_for_update(user_id)
            balance = _int(row.get("balance_minutes"))
            if op_key in ops:
                return BalanceChange(applied=False, balance=balance, duplicate=True)
            new = apply_delta(balance, int(delta))
            if new is None:
                return BalanceChange(applied=False, balance=balance, insufficient=True)
            try:
                self._write_op(user_id, row, version, ops, op_key, [("balance_minutes", int(new))])
            except _ConditionFailed:
                _backoff(attempt)
                continue
            return BalanceChange(applied=True, balance=new)
        raise TransientFailure(PROVIDER, "balance update lost every optimistic race",
                               code="OTSConditionCheckFail")

    def increment_micro_purchases(self, user_id: int, op_key: str, limit: int) -> bool:
        for attempt in range(BALANCE_ATTEMPTS):
            row, version, ops = self._read_for_update(user_id)
            if op_key in ops:
                return True
            count = _int(row.get("micro_package_purchases"))
            if count >= limit:
                return False
            try:
                self._write_op(user_id, row, version, ops, op_key, [("micro_package_purchases", count + 1)])
            except _ConditionFailed:
                _backoff(attempt)
                continue
            return True
        raise TransientFailure(PROVIDER, "purchase counter lost every optimistic race",
                               code="OTSConditionCheckFail")

    def scan(self) -> Iterator[User]:
        for key, row in self._t.scan(self.TABLE):
            try:
                user_id = int(key)
            except ValueError:
                continue
            yield _user_from_row(user_id, row)


# --------------------------------------------------------------------------- jobs


def _job_columns(job: Job) -> list[tuple[str, Any]]:
    return [
        ("user_id", int(job.user_id)),
        ("chat_id", int(job.chat_id)),
        ("message_id", int(job.message_id)),
        ("file_id", job.file_id),
        ("file_unique_id", job.file_unique_id),
        ("kind", job.kind.value),
        ("declared_duration_s", float(job.declared_duration_s)),
        ("file_size", None if job.file_size is None else int(job.file_size)),
        ("reserved_minutes", int(job.reserved_minutes)),
        ("status_message_id", None if job.status_message_id is None else int(job.status_message_id)),
        ("created_at", float(job.created_at)),
        ("dialogue", bool(job.dialogue)),
        ("language", job.language),
        ("status", job.status.value),
        ("attempts", int(job.attempts)),
        ("lease_until", float(job.lease_until)),
        ("real_duration_ms", None if job.real_duration_ms is None else int(job.real_duration_ms)),
        ("result_text", job.result_text),
        ("segments_json", job.segments_json),
        ("delivered", bool(job.delivered)),
        ("charged_minutes", None if job.charged_minutes is None else int(job.charged_minutes)),
        ("error", job.error),
        ("finished_at", None if job.finished_at is None else float(job.finished_at)),
        ("version", int(job.version)),
    ]


def _job_from_row(job_id: str, row: dict[str, Any]) -> Job:
    kind = _str(row.get("kind"), MediaKind.DOCUMENT.value)
    status = _str(row.get("status"), JobStatus.QUEUED.value)
    return Job(
        job_id=job_id,
        user_id=_int(row.get("user_id")),
        chat_id=_int(row.get("chat_id")),
        message_id=_int(row.get("message_id")),
        file_id=_str(row.get("file_id")),
        file_unique_id=_str(row.get("file_unique_id")),
        kind=MediaKind(kind) if kind in {k.value for k in MediaKind} else MediaKind.DOCUMENT,
        declared_duration_s=_float(row.get("declared_duration_s")),
        file_size=_opt_int(row.get("file_size")),
        reserved_minutes=_int(row.get("reserved_minutes")),
        status_message_id=_opt_int(row.get("status_message_id")),
        created_at=_float(row.get("created_at")),
        dialogue=_bool(row.get("dialogue")),
        language=_opt_str(row.get("language")),
        status=JobStatus(status) if status in {s.value for s in JobStatus} else JobStatus.FAILED,
        attempts=_int(row.get("attempts")),
        lease_until=_float(row.get("lease_until")),
        real_duration_ms=_opt_int(row.get("real_duration_ms")),
        result_text=_opt_str(row.get("result_text")),
        segments_json=_opt_str(row.get("segments_json")),
        delivered=_bool(row.get("delivered")),
        charged_minutes=_opt_int(row.get("charged_minutes")),
        error=_opt_str(row.get("error")),
        finished_at=_opt_float(row.get("finished_at")),
        version=_int(row.get("version")),
    )


class TablestoreJobs(_Store, Jobs):
    TABLE = "audio_jobs"

    def create(self, job: Job) -> bool:
        try:
            self._t.put(self.TABLE, job.job_id, _job_columns(attrs.evolve(job, version=1)),
                        self._t.expect_absent())
        except _ConditionFailed:
            return False
        return True

    def get(self, job_id: str) -> Job | None:
        row = self._t.get(self.TABLE, job_id)
        return None if row is None else _job_from_row(job_id, row)

    def save(self, job: Job) -> Job:
        stored = attrs.evolve(job, version=job.version + 1)
        try:
            # A whole-row conditional put: columns that became None disappear (see the module doc).
            self._t.put(self.TABLE, job.job_id, _job_columns(stored), self._t.expect_version(job.version))
        except _ConditionFailed:
            raise ConflictError(f"job {job.job_id} changed") from None
        return stored

    def scan(self) -> Iterator[Job]:
        for key, row in self._t.scan(self.TABLE):
            yield _job_from_row(key, row)


# --------------------------------------------------------------------------- idempotency keys


class TablestoreIdempotencyKeys(_Store, IdempotencyKeys):
    TABLE = "update_ids"

    def claim(self, key: str, now: float) -> bool:
        try:
            self._t.put(self.TABLE, key, [("claimed_at", float(now))], self._t.expect_absent())
        except _ConditionFailed:
            return False
        return True


# --------------------------------------------------------------------------- logs


class TablestoreLogs(_Store, Logs):
    TRANSCRIPTIONS = "transcription_logs"
    PAYMENTS = "payment_logs"

    def add_transcription(self, log: TranscriptionLog) -> None:
        columns = [
            ("user_id", int(log.user_id)),
            ("job_id", log.job_id),
            ("duration_s", float(log.duration_s)),
            ("minutes", int(log.minutes)),
            ("chars", int(log.chars)),
            ("mode", log.mode),
            ("timestamp", float(log.timestamp)),
            ("status", log.status),
        ]
        try:
            self._t.put(self.TRANSCRIPTIONS, log.log_id, columns, self._t.expect_absent())
        except _ConditionFailed:
            pass  # a repeat of the same log id is ignored

    def add_payment(self, log: PaymentLog) -> bool:
        columns = [
            ("user_id", int(log.user_id)),
            ("package_id", log.package_id),
            ("minutes", int(log.minutes)),
            ("stars", int(log.stars)),
            ("timestamp", float(log.timestamp)),
        ]
        try:
            self._t.put(self.PAYMENTS, log.charge_id, columns, self._t.expect_absent())
        except _ConditionFailed:
            return False
        return True

    def _since(self, table: str, since: float) -> Iterator[tuple[str, dict[str, Any]]]:
        # Filtered by the service, and again here (a row without a DOUBLE timestamp never matches).
        since = float(since)
        for key, row in self._t.scan(table, self._t.column_filter("timestamp", since, "GREATER_EQUAL")):
            if _float(row.get("timestamp"), float("-inf")) >= since:
                yield key, row

    def transcriptions(self, since: float) -> Iterator[TranscriptionLog]:
        for key, row in self._since(self.TRANSCRIPTIONS, since):
            yield TranscriptionLog(
                log_id=key,
                user_id=_int(row.get("user_id")),
                job_id=_str(row.get("job_id")),
                duration_s=_float(row.get("duration_s")),
                minutes=_int(row.get("minutes")),
                chars=_int(row.get("chars")),
                mode=_str(row.get("mode")),
                timestamp=_float(row.get("timestamp")),
                status=_str(row.get("status"), "completed"),
            )

    def payments(self, since: float) -> Iterator[PaymentLog]:
        for key, row in self._since(self.PAYMENTS, since):
            yield PaymentLog(
                charge_id=key,
                user_id=_int(row.get("user_id")),
                package_id=_str(row.get("package_id")),
                minutes=_int(row.get("minutes")),
                stars=_int(row.get("stars")),
                timestamp=_float(row.get("timestamp")),
            )


# --------------------------------------------------------------------------- trials


def _trial_columns(request: TrialRequest) -> list[tuple[str, Any]]:
    return [
        ("name", request.name),
        ("requested_at", float(request.requested_at)),
        ("status", request.status),
        ("decided_at", None if request.decided_at is None else float(request.decided_at)),
        ("version", int(request.version)),
    ]


def _trial_from_row(user_id: int, row: dict[str, Any]) -> TrialRequest:
    return TrialRequest(
        user_id=user_id,
        name=_str(row.get("name")),
        requested_at=_float(row.get("requested_at")),
        status=_str(row.get("status"), "pending"),
        decided_at=_opt_float(row.get("decided_at")),
        version=_int(row.get("version")),
    )


class TablestoreTrials(_Store, Trials):
    TABLE = "trial_requests"

    def get(self, user_id: int) -> TrialRequest | None:
        row = self._t.get(self.TABLE, str(user_id))
        return None if row is None else _trial_from_row(user_id, row)

    def put(self, request: TrialRequest) -> TrialRequest:
        stored = attrs.evolve(request, version=request.version + 1)
        condition = (self._t.expect_absent() if request.version == 0
                     else self._t.expect_version(request.version))
        try:
            self._t.put(self.TABLE, str(request.user_id), _trial_columns(stored), condition)
        except _ConditionFailed:
            raise ConflictError(f"trial request {request.user_id} changed") from None
        return stored

    def pending(self) -> Iterator[TrialRequest]:
        rows = []
        for key, row in self._t.scan(self.TABLE, self._t.column_filter("status", "pending", "EQUAL")):
            if row.get("status") != "pending":
                continue
            try:
                rows.append(_trial_from_row(int(key), row))
            except ValueError:
                continue
        yield from sorted(rows, key=lambda r: r.requested_at)


# --------------------------------------------------------------------------- results cache


class TablestoreResults(_Store, Results):
    TABLE = "results_cache"

    @staticmethod
    def _key(file_unique_id: str, mode: str) -> str:
        return f"{file_unique_id}:{mode}"

    def get(self, file_unique_id: str, mode: str) -> CachedResult | None:
        row = self._t.get(self.TABLE, self._key(file_unique_id, mode))
        if row is None:
            return None
        return CachedResult(
            file_unique_id=_str(row.get("file_unique_id"), file_unique_id),
            mode=_str(row.get("mode"), mode),
            text=_str(row.get("text")),
            duration_ms=_int(row.get("duration_ms")),
            segments_json=_opt_str(row.get("segments_json")),
        )

    def put(self, result: CachedResult) -> None:
        columns = [
            ("file_unique_id", result.file_unique_id),
            ("mode", result.mode),
            ("text", result.text),
            ("duration_ms", int(result.duration_ms)),
            ("segments_json", result.segments_json),
        ]
        self._t.put(self.TABLE, self._key(result.file_unique_id, result.mode), columns, self._t.ignore())


# --------------------------------------------------------------------------- bot state


class TablestoreBotState(_Store, BotState):
    TABLE = "bot_state"

    def get(self, name: str) -> str | None:
        row = self._t.get(self.TABLE, name)
        return None if row is None else _opt_str(row.get("value"))

    def set(self, name: str, value: str | None) -> None:
        if value is None:
            self._t.delete(self.TABLE, name)
        else:
            self._t.put(self.TABLE, name, [("value", value)], self._t.ignore())
