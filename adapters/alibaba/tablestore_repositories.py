"""Tablestore (OTS) implementations of the storage ports, sharing one ``OTSClient``.

Tables (every primary key is one STRING column; ``table_prefix`` is prepended to each name):

============================  =====================  ==========  ==========================================
table                         primary key            TTL         attribute columns
============================  =====================  ==========  ==========================================
``users``                     ``user_id``            none        first_name, last_name, username, trial_status,
                                                                 settings (JSON), created_at, last_activity
                                                                 (DOUBLE), balance_notice,
                                                                 balance_notice_at (DOUBLE), balance_minutes,
                                                                 micro_package_purchases, version (INTEGER),
                                                                 ops (JSON list of applied operation keys)
                                                                 worker_slots (JSON {job id: held until})
``audio_jobs``                ``job_id``             7 days      one column per ``Job`` field (below)
``trial_requests``            ``user_id``            none        name, status, requested_at, decided_at,
                                                                 version
``transcription_logs``        ``log_id``             90 days     user_id, job_id, duration_s, minutes, chars,
                                                                 mode, timestamp, status
``payment_logs``              ``charge_id``          none        user_id, package_id, minutes, stars, timestamp
``update_ids``                ``key``                2 days      claimed_at (idempotency keys)
``results_cache``             ``key``                30 days     file_unique_id, mode, language, text,
                              (``file_unique_id:                  duration_ms, segments_json, created_at
                              mode:language``)                    (DOUBLE), paid_by (JSON list of user ids)
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
errors PermanentFailure, and so does a request the SDK cannot even encode (an integer outside
INTEGER's 64 bits): sending it again can only fail again. Messages carry the error code and HTTP status only, never keys or signatures.
The SDK's own logger is silenced (it would log request headers at DEBUG and every lost optimistic
race at ERROR); this module reports what matters through the exceptions above.

Large values (D-2MB): one attribute value holds at most 2 MB and one PutRow at most 4 MB
(docs/provider-contracts.md). A string longer than ``INLINE_LIMIT_BYTES`` (a 4-hour dialogue's
segments are ~3 MB) is written to the ``overflow`` blob store (OSS) under a content-addressed key
(``rows/<table>/<sha256>.txt``) and the row holds the key in ``<column>__oss`` instead; reads
resolve it transparently, so the use cases never see the difference. Keys are immutable, so the
adapter remembers the ones it wrote or read (a job row saved at every checkpoint does not upload
the same transcript again). Without an overflow store such a value is refused with a
PermanentFailure naming the column, never sent to fail at the service. The bucket's lifecycle
rule for ``rows/`` must outlive the rows (docs/deploy.md).

``create_tables(repositories_or_client)`` creates the missing tables with the TTLs above; the CLI
command that calls it is wired in the entrypoints. ``build(kind, ...)`` hands the container one store
at a time while every store shares one ``TablestoreRepositories`` (one OTSClient).
"""

from __future__ import annotations

import hashlib
import json
import logging
import random
import threading
import time
from collections.abc import Callable, Iterator
from enum import Enum
from typing import Any, TypeVar

import attrs

from domain.audio import MediaKind
from domain.billing import apply_delta
from domain.job import Job, JobStatus
from domain.users import TrialStatus, User, UserSettings
from ports.blob_store import BlobStore
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
    merged_result,
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
    # Cached transcripts expire (Policy.results_ttl_s is checked on read too, for older tables);
    # ``admin_cli create-tables`` creates it with RESULTS_TTL_S instead, and ``doctor`` compares them.
    "results_cache": ("key", 30 * DAY_S),
    "bot_state": ("name", -1),
    # Summaries, translations and speaker names of transcripts (adapters.alibaba.tablestore_actions).
    "transcript_actions": ("key", 30 * DAY_S),
}

# How many applied operation keys a user row remembers; the same bound as the in-memory twin
# (adapters.memory.repositories.REMEMBERED_OPS; a contract test checks they agree).
REMEMBERED_OPS = 500
# Tries of one balance operation under contention. Each failed try means another write succeeded in
# between, so this bounds the wait, not correctness.
BALANCE_ATTEMPTS = 16
# Rows asked for per get_range call (the service may return fewer and a next start key).
SCAN_PAGE = 500
# Strings longer than this go to the overflow store (a cell holds 2 MB, a PutRow 4 MB; a job row
# has up to five long columns, so each stays well under both).
INLINE_LIMIT_BYTES = 256 * 1024
OVERFLOW_SUFFIX = "__oss"
OVERFLOW_CACHE = 16

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
    if _is_transport_error(exc):
        # urllib3 connection errors, timeouts, resets.
        return TransientFailure(PROVIDER, f"{action} failed: {type(exc).__name__}")
    # The request never left: the SDK could not encode it (struct.error for an integer beyond 64
    # bits, a wrong type). The same request fails the same way every time.
    return PermanentFailure(PROVIDER, f"{action} failed: request not encodable ({type(exc).__name__})",
                            code="RequestNotEncodable")


def _is_transport_error(exc: Exception) -> bool:
    """A failure of the connection or the wait (worth a retry), as opposed to a bad request."""
    import http.client

    import urllib3

    return isinstance(exc, OSError | urllib3.exceptions.HTTPError | http.client.HTTPException)


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


@attrs.frozen
class _Column:
    """How one field is stored: ``write`` turns a field that is not None into the cell value (a None
    field is an absent column); ``read`` turns a cell (None when absent) back into the field,
    accepting legacy and mistyped cells."""

    write: Callable[[Any], Any]
    read: Callable[[Any], Any]


def _as_is(value: Any) -> Any:
    return value


_INT = _Column(int, _int)
_OPT_INT = _Column(int, _opt_int)
_FLOAT = _Column(float, _float)
_OPT_FLOAT = _Column(float, _opt_float)
_STR = _Column(_as_is, _str)
_OPT_STR = _Column(_as_is, _opt_str)
_BOOL = _Column(bool, _bool)


def _str_or(default: str) -> _Column:
    return _Column(_as_is, lambda value: _str(value, default))


def _enum(kind: type[Enum], missing: Enum, unknown: Enum) -> _Column:
    """An enum stored as its value: ``missing`` when the cell is absent, ``unknown`` for other values."""
    def read(value: Any) -> Enum:
        text = _str(value, missing.value)
        return kind(text) if text in {member.value for member in kind} else unknown

    return _Column(lambda member: member.value, read)


# Field name (= column name) -> how it is stored.
_Schema = dict[str, _Column]


def _write(value: Any, schema: _Schema) -> list[tuple[str, Any]]:
    """The fields of ``value`` named in ``schema`` as (column, cell) pairs, None for an absent column."""
    columns = []
    for name, column in schema.items():
        field = getattr(value, name)
        columns.append((name, None if field is None else column.write(field)))
    return columns


def _read(row: dict[str, Any], schema: _Schema) -> dict[str, Any]:
    """The fields named in ``schema`` read from a row's columns, as keyword arguments."""
    return {name: column.read(row.get(name)) for name, column in schema.items()}


def _attributes(row: Any) -> dict[str, Any]:
    """An SDK row's attribute columns as {name: value}."""
    return {cell[0]: cell[1] for cell in (row.attribute_columns or [])}


def _primary_key(table: str, key: str) -> list[tuple[str, str]]:
    return [(TABLES[table][0], key)]


# --------------------------------------------------------------------------- shared access


class TablestoreRepositories:
    """One OTSClient shared by the seven stores: ``users``, ``jobs``, ``idempotency_keys``, ``logs``,
    ``trials``, ``results`` and ``bot_state``.

    ``retry_policy`` defaults to the SDK's ``NoRetryPolicy``: retries are the use cases' (``RetryingPort``,
    which stops at a request's time budget); the SDK's default policy would try up to 20 times,
    3 s apart, inside one call. ``socket_timeout`` is seconds, or ``(connect, read)``.
    Build a new instance when STS credentials are rotated (FC hands fresh ones to each invocation).
    """

    def __init__(self, endpoint: str, access_key_id: str, access_key_secret: str, instance: str,
                 security_token: str | None = None, table_prefix: str = "", *,
                 retry_policy: Any = None, socket_timeout: float | tuple[float, float] = (0.5, 2.5),
                 scan_page: int = SCAN_PAGE,
                 overflow: BlobStore | None = None, inline_limit_bytes: int = INLINE_LIMIT_BYTES) -> None:
        tablestore = _sdk()
        sdk_logger = logging.getLogger(_SDK_LOGGER)
        sdk_logger.setLevel(logging.CRITICAL)
        sdk_logger.propagate = False
        if not sdk_logger.handlers:
            sdk_logger.addHandler(logging.NullHandler())
        if isinstance(socket_timeout, tuple):
            import urllib3  # the SDK's transport: its pool takes a (connect, read) Timeout

            socket_timeout = urllib3.Timeout(connect=socket_timeout[0], read=socket_timeout[1])
        kwargs: dict[str, Any] = {"socket_timeout": socket_timeout, "logger_name": _SDK_LOGGER,
                                  "retry_policy": retry_policy if retry_policy is not None
                                  else tablestore.retry.NoRetryPolicy()}
        if security_token:
            kwargs["sts_token"] = security_token
        self.client = tablestore.OTSClient(endpoint, access_key_id, access_key_secret, instance, **kwargs)
        self.table_prefix = table_prefix
        self.scan_page = scan_page
        self.overflow = overflow
        self.inline_limit_bytes = inline_limit_bytes
        self._overflow_known: dict[str, str] = {}  # content-addressed key -> text (bounded)
        self._overflow_lock = threading.Lock()
        self.users = TablestoreUsers(self)
        self.jobs = TablestoreJobs(self)
        self.idempotency_keys = TablestoreIdempotencyKeys(self)
        self.logs = TablestoreLogs(self)
        self.trials = TablestoreTrials(self)
        self.results = TablestoreResults(self)
        self.bot_state = TablestoreBotState(self)
        self._actions: Any = None

    @property
    def actions(self) -> Any:
        """The actions on transcripts (built on first use: its module imports this one)."""
        if self._actions is None:
            from adapters.alibaba.tablestore_actions import TablestoreActionStore

            self._actions = TablestoreActionStore(self)
        return self._actions

    def table(self, name: str) -> str:
        return self.table_prefix + name

    def call(self, action: str, fn: Callable[[], T]) -> T:
        """Run one SDK call, translating its exceptions (conditions become _ConditionFailed)."""
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - every SDK/transport failure is translated
            raise _translate(exc, action) from None

    # ---- row primitives

    # ---- large values (module doc)

    def _spill(self, table: str, columns: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
        out = []
        for name, value in _columns(columns):
            data = value.encode("utf-8") if isinstance(value, str) else None
            if data is None or len(data) <= self.inline_limit_bytes:
                out.append((name, value))
                continue
            if self.overflow is None:
                raise PermanentFailure(PROVIDER, f"{table}.{name} is {len(data)} bytes; a cell holds at most "
                                       f"{self.inline_limit_bytes} here and no overflow store is configured",
                                       code="ValueTooLarge")
            blob_key = f"rows/{table}/{hashlib.sha256(data).hexdigest()}.txt"
            with self._overflow_lock:
                known = blob_key in self._overflow_known
            if not known:
                self.overflow.put(blob_key, data, "text/plain; charset=utf-8")
                self._remember(blob_key, value)
            out.append((name + OVERFLOW_SUFFIX, blob_key))
        return out

    def _remember(self, blob_key: str, text: str) -> None:
        with self._overflow_lock:
            self._overflow_known[blob_key] = text
            while len(self._overflow_known) > OVERFLOW_CACHE:
                self._overflow_known.pop(next(iter(self._overflow_known)))

    def _resolve(self, columns: dict[str, Any]) -> dict[str, Any]:
        for name in [n for n in columns if n.endswith(OVERFLOW_SUFFIX)]:
            blob_key = str(columns.pop(name))
            with self._overflow_lock:
                text = self._overflow_known.get(blob_key)
            if text is None:
                if self.overflow is None:
                    raise PermanentFailure(PROVIDER, f"{name} is stored in OSS and no overflow store is configured",
                                           code="NoOverflowStore")
                text = self.overflow.get(blob_key).decode("utf-8")
                self._remember(blob_key, text)
            columns[name.removesuffix(OVERFLOW_SUFFIX)] = text
        return columns

    # ---- row primitives

    def get(self, table: str, key: str) -> dict[str, Any] | None:
        _, row, _ = self.call(f"get {table}", lambda: self.client.get_row(
            self.table(table), _primary_key(table, key), max_version=1))
        return None if row is None else self._resolve(_attributes(row))

    def put(self, table: str, key: str, columns: list[tuple[str, Any]], condition: Any) -> None:
        row = _sdk().Row(_primary_key(table, key), self._spill(table, columns))
        self.call(f"put {table}", lambda: self.client.put_row(self.table(table), row, condition))

    def insert(self, table: str, key: str, columns: list[tuple[str, Any]]) -> bool:
        """Put the row only if it does not exist yet; False when it already did."""
        try:
            self.put(table, key, columns, self.expect_absent())
        except _ConditionFailed:
            return False
        return True

    def update(self, table: str, key: str, columns: list[tuple[str, Any]], condition: Any) -> None:
        row = _sdk().Row(_primary_key(table, key), {"put": _columns(columns)})
        self.call(f"update {table}", lambda: self.client.update_row(self.table(table), row, condition))

    def delete(self, table: str, key: str) -> None:
        row = _sdk().Row(_primary_key(table, key))
        condition = self.ignore()
        self.call(f"delete {table}", lambda: self.client.delete_row(self.table(table), row, condition))

    def scan(self, table: str, column_filter: Any = None,
             columns: list[str] | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every row of a table as (primary key value, columns), page after page (only ``columns``
        when given)."""
        tablestore = _sdk()
        pk_name = TABLES[table][0]
        start: Any = [(pk_name, tablestore.INF_MIN)]
        end = [(pk_name, tablestore.INF_MAX)]
        while start is not None:
            page_start = start
            _, start, rows, _ = self.call(f"scan {table}", lambda s=page_start: self.client.get_range(
                self.table(table), "FORWARD", s, end, columns_to_get=columns, limit=self.scan_page,
                column_filter=column_filter, max_version=1))
            for row in rows or []:
                yield row.primary_key[0][1], self._resolve(_attributes(row))

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
          "bot_state": "bot_state", "actions": "actions"}


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
    # Not part of the sharing key: every store of one deployment spills to the same bucket.
    overflow = kwargs.pop("overflow", None)
    key = (endpoint, instance, access_key_id, access_key_secret, security_token, table_prefix,
           tuple(sorted(kwargs.items())))
    with _BUILT_LOCK:
        repositories = _BUILT.get(key)
        if repositories is None:
            repositories = TablestoreRepositories(endpoint, access_key_id, access_key_secret, instance,
                                                  security_token, table_prefix, **kwargs)
            _BUILT.clear()
            _BUILT[key] = repositories
        if repositories.overflow is None:
            repositories.overflow = overflow
    return getattr(repositories, attribute)


def _client_and_prefix(target: TablestoreRepositories | Any, table_prefix: str | None) -> tuple[Any, str]:
    """A TablestoreRepositories' client and prefix (``table_prefix`` wins), or a bare OTSClient's."""
    if isinstance(target, TablestoreRepositories):
        return target.client, target.table_prefix if table_prefix is None else table_prefix
    return target, table_prefix or ""


def _existing_tables(client: Any) -> set[str]:
    try:
        return set(client.list_table())
    except Exception as exc:  # noqa: BLE001
        raise _translate(exc, "list tables") from None


def missing_tables(target: TablestoreRepositories | Any, table_prefix: str | None = None) -> list[str]:
    """The tables of ``TABLES`` the instance lacks (empty when every one is there); for operators."""
    client, prefix = _client_and_prefix(target, table_prefix)
    existing = _existing_tables(client)
    return [prefix + name for name in TABLES if prefix + name not in existing]


def table_ttl(target: TablestoreRepositories | Any, name: str, table_prefix: str | None = None) -> int:
    """The time to live (seconds, -1: none) the service reports for table ``name`` (DescribeTable)."""
    client, prefix = _client_and_prefix(target, table_prefix)
    try:
        described = client.describe_table(prefix + name)
    except Exception as exc:  # noqa: BLE001
        raise _translate(exc, f"describe table {prefix + name}") from None
    return int(described.table_options.time_to_live)


def create_tables(target: TablestoreRepositories | Any, table_prefix: str | None = None,
                  ttls: dict[str, int] | None = None) -> list[str]:
    """Create every missing table (max one version, TTLs as in ``TABLES`` unless ``ttls`` names
    another, e.g. the results cache's ``RESULTS_TTL_S``); returns the created names.

    ``target`` is a TablestoreRepositories (its client and prefix are used) or a bare OTSClient.
    """
    tablestore = _sdk()
    client, prefix = _client_and_prefix(target, table_prefix)
    existing = _existing_tables(client)
    created = []
    for name, (pk_name, ttl) in TABLES.items():
        full = prefix + name
        if full in existing:
            continue
        ttl = (ttls or {}).get(name, ttl)
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


# The profile fields stored under their own names (``Users.save`` writes these, never the balance).
_PROFILE: _Schema = {"first_name": _STR, "last_name": _STR, "username": _STR, "created_at": _FLOAT,
                     "last_activity": _FLOAT, "balance_notice": _STR, "balance_notice_at": _FLOAT}
_TRIAL_STATUS = _enum(TrialStatus, TrialStatus.NONE, TrialStatus.NONE)


def _user_from_row(user_id: int, row: dict[str, Any]) -> User:
    return User(
        user_id=user_id,
        balance_minutes=_int(row.get("balance_minutes")),
        trial=_TRIAL_STATUS.read(row.get("trial_status")),
        settings=UserSettings.from_dict(_json_dict(row.get("settings"))),
        micro_purchases=_int(row.get("micro_package_purchases")),
        version=_int(row.get("version")),
        **_read(row, _PROFILE),
    )


def _profile_columns(user: User) -> list[tuple[str, Any]]:
    return _write(user, _PROFILE) + [
        ("trial_status", _TRIAL_STATUS.write(user.trial)),
        ("settings", _dumps(user.settings.to_dict())),
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

    def _versioned_update(self, user_id: int, what: str,
                          step: Callable[[dict[str, Any]], tuple[T, list[tuple[str, Any]] | None]],
                          *, missing: Callable[[], T] | None = None) -> T:
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
            version = _int(row.get("version"))
            try:
                self._t.update(self.TABLE, str(user_id), columns + [("version", version + 1)],
                               self._t.expect_version(version, legacy="version" not in row))
            except _ConditionFailed:
                _backoff(attempt)
                continue
            return answer
        raise TransientFailure(PROVIDER, f"{what} lost every optimistic race", code="OTSConditionCheckFail")

    def _exactly_once(self, user_id: int, op_key: str, what: str,
                      step: Callable[[dict[str, Any], bool], tuple[T, list[tuple[str, Any]] | None]],
                      also: Callable[[list[str]], list[str]] | None = None) -> T:
        """Apply one keyed operation to a user row at most once (see the module doc).

        ``step(row, duplicate)`` gives the answer and the columns to write, or None to write nothing;
        the write also records ``op_key`` (after the keys ``also(ops)`` names, if given).
        """
        def keyed(row: dict[str, Any]) -> tuple[T, list[tuple[str, Any]] | None]:
            ops = _json_list(row.get("ops"))
            answer, columns = step(row, op_key in ops)
            if columns is None:
                return answer, None
            extra = also(ops) if also is not None else []
            return answer, columns + [("ops", _dumps((ops + extra + [op_key])[-REMEMBERED_OPS:]))]

        return self._versioned_update(user_id, what, keyed)

    def apply_balance(self, user_id: int, op_key: str, delta: int) -> BalanceChange:
        def step(row: dict[str, Any], duplicate: bool) -> tuple[BalanceChange, list[tuple[str, Any]] | None]:
            balance = _int(row.get("balance_minutes"))
            if duplicate:
                return BalanceChange(applied=False, balance=balance, duplicate=True), None
            new = apply_delta(balance, int(delta))
            if new is None:
                return BalanceChange(applied=False, balance=balance, insufficient=True), None
            return BalanceChange(applied=True, balance=new), [("balance_minutes", int(new))]

        return self._exactly_once(user_id, op_key, "balance update", step)

    def _update_slots(self, user_id: int, change: Callable[[dict[str, float]], dict[str, float] | None],
                      *, missing_ok: bool = False) -> bool:
        """Apply ``change`` to ``worker_slots`` (None: write nothing, answer False)."""
        def step(row: dict[str, Any]) -> tuple[bool, list[tuple[str, Any]] | None]:
            new = change({str(k): _float(v) for k, v in _json_dict(row.get("worker_slots")).items()})
            return (False, None) if new is None else (True, [("worker_slots", _dumps(new))])

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

    def increment_micro_purchases(self, user_id: int, op_key: str, limit: int) -> bool:
        def step(row: dict[str, Any], duplicate: bool) -> tuple[bool, list[tuple[str, Any]] | None]:
            if duplicate:
                return True, None
            count = _int(row.get("micro_package_purchases"))
            if count >= limit:
                return False, None
            return True, [("micro_package_purchases", count + 1)]

        return self._exactly_once(user_id, op_key, "purchase counter", step)

    def count_paid_purchase(self, user_id: int, charge_key: str, reservation_key: str | None, limit: int) -> bool:
        taken = f"{reservation_key}>paid"

        def takes_reservation(ops: list[str]) -> bool:
            return reservation_key is not None and reservation_key in ops and taken not in ops

        def step(row: dict[str, Any], duplicate: bool) -> tuple[bool, list[tuple[str, Any]] | None]:
            if duplicate:
                return True, None
            if takes_reservation(_json_list(row.get("ops"))):
                return True, []  # the invoice's reservation becomes this payment's slot: no count
            count = _int(row.get("micro_package_purchases"))
            if count >= limit:
                return False, None
            return True, [("micro_package_purchases", count + 1)]

        return self._exactly_once(user_id, charge_key, "paid purchase", step,
                                  also=lambda ops: [taken] if takes_reservation(ops) else [])

    def scan(self) -> Iterator[User]:
        for key, row in self._t.scan(self.TABLE):
            try:
                user_id = int(key)
            except ValueError:
                continue
            yield _user_from_row(user_id, row)


# --------------------------------------------------------------------------- jobs


# Every Job field but ``job_id`` (the primary key), under its own name.
_JOB: _Schema = {
    "user_id": _INT,
    "chat_id": _INT,
    "message_id": _INT,
    "file_id": _STR,
    "file_unique_id": _STR,
    "kind": _enum(MediaKind, MediaKind.DOCUMENT, MediaKind.DOCUMENT),
    "declared_duration_s": _FLOAT,
    "file_size": _OPT_INT,
    "reserved_minutes": _INT,
    "status_message_id": _OPT_INT,
    "created_at": _FLOAT,
    "dialogue": _BOOL,
    "language": _OPT_STR,
    "status": _enum(JobStatus, JobStatus.QUEUED, JobStatus.FAILED),
    "attempts": _INT,
    "lease_until": _FLOAT,
    "real_duration_ms": _OPT_INT,
    "extra_minutes": _INT,
    "result_mode": _OPT_STR,
    "result_text": _OPT_STR,
    "segments_json": _OPT_STR,
    "steps": _INT,
    "audio_key": _OPT_STR,
    "audio_json": _OPT_STR,
    "chunks_json": _OPT_STR,
    "pass_tasks_json": _OPT_STR,
    "raw_text": _OPT_STR,
    "result_language": _OPT_STR,
    "from_chunks": _BOOL,
    "pieces_json": _OPT_STR,
    "delivered": _BOOL,
    "delivered_parts": _INT,
    "planned_parts": _INT,
    "claimed_at": _FLOAT,
    "republished_at": _FLOAT,
    "charged_minutes": _OPT_INT,
    "error": _OPT_STR,
    "finished_at": _OPT_FLOAT,
    "version": _INT,
    "cancel_requested": _BOOL,
}


class TablestoreJobs(_Store, Jobs):
    TABLE = "audio_jobs"

    def create(self, job: Job) -> bool:
        return self._t.insert(self.TABLE, job.job_id, _write(attrs.evolve(job, version=1), _JOB))

    def get(self, job_id: str) -> Job | None:
        row = self._t.get(self.TABLE, job_id)
        return None if row is None else Job(job_id=job_id, **_read(row, _JOB))

    def save(self, job: Job) -> Job:
        stored = attrs.evolve(job, version=job.version + 1)
        try:
            # A whole-row conditional put: columns that became None disappear (see the module doc).
            self._t.put(self.TABLE, job.job_id, _write(stored, _JOB), self._t.expect_version(job.version))
        except _ConditionFailed:
            raise ConflictError(f"job {job.job_id} changed") from None
        return stored

    def scan(self) -> Iterator[Job]:
        for key, row in self._t.scan(self.TABLE):
            yield Job(job_id=key, **_read(row, _JOB))


# --------------------------------------------------------------------------- idempotency keys


class TablestoreIdempotencyKeys(_Store, IdempotencyKeys):
    TABLE = "update_ids"

    def claim(self, key: str, now: float) -> bool:
        return self._t.insert(self.TABLE, key, [("claimed_at", float(now))])

    def release(self, key: str) -> None:
        self._t.delete(self.TABLE, key)


# --------------------------------------------------------------------------- logs


_TRANSCRIPTION_LOG: _Schema = {"user_id": _INT, "job_id": _STR, "duration_s": _FLOAT, "minutes": _INT,
                               "chars": _INT, "mode": _STR, "timestamp": _FLOAT, "status": _str_or("completed")}
_PAYMENT_LOG: _Schema = {"user_id": _INT, "package_id": _STR, "minutes": _INT, "stars": _INT, "timestamp": _FLOAT}


class TablestoreLogs(_Store, Logs):
    TRANSCRIPTIONS = "transcription_logs"
    PAYMENTS = "payment_logs"

    def add_transcription(self, log: TranscriptionLog) -> None:
        # A repeat of the same log id is ignored.
        self._t.insert(self.TRANSCRIPTIONS, log.log_id, _write(log, _TRANSCRIPTION_LOG))

    def add_payment(self, log: PaymentLog) -> bool:
        return self._t.insert(self.PAYMENTS, log.charge_id, _write(log, _PAYMENT_LOG))

    def _since(self, table: str, since: float) -> Iterator[tuple[str, dict[str, Any]]]:
        # Filtered by the service, and again here (a row without a DOUBLE timestamp never matches).
        since = float(since)
        for key, row in self._t.scan(table, self._t.column_filter("timestamp", since, "GREATER_EQUAL")):
            if _float(row.get("timestamp"), float("-inf")) >= since:
                yield key, row

    def transcriptions(self, since: float) -> Iterator[TranscriptionLog]:
        for key, row in self._since(self.TRANSCRIPTIONS, since):
            yield TranscriptionLog(log_id=key, **_read(row, _TRANSCRIPTION_LOG))

    def payments(self, since: float) -> Iterator[PaymentLog]:
        for key, row in self._since(self.PAYMENTS, since):
            yield PaymentLog(charge_id=key, **_read(row, _PAYMENT_LOG))


# --------------------------------------------------------------------------- trials


_TRIAL: _Schema = {"name": _STR, "requested_at": _FLOAT, "status": _str_or("pending"), "decided_at": _OPT_FLOAT,
                   "version": _INT}


class TablestoreTrials(_Store, Trials):
    TABLE = "trial_requests"

    def get(self, user_id: int) -> TrialRequest | None:
        row = self._t.get(self.TABLE, str(user_id))
        return None if row is None else TrialRequest(user_id=user_id, **_read(row, _TRIAL))

    def put(self, request: TrialRequest) -> TrialRequest:
        stored = attrs.evolve(request, version=request.version + 1)
        condition = (self._t.expect_absent() if request.version == 0
                     else self._t.expect_version(request.version))
        try:
            self._t.put(self.TABLE, str(request.user_id), _write(stored, _TRIAL), condition)
        except _ConditionFailed:
            raise ConflictError(f"trial request {request.user_id} changed") from None
        return stored

    def pending(self) -> Iterator[TrialRequest]:
        rows = []
        for key, row in self._t.scan(self.TABLE, self._t.column_filter("status", "pending", "EQUAL")):
            if row.get("status") != "pending":
                continue
            try:
                rows.append(TrialRequest(user_id=int(key), **_read(row, _TRIAL)))
            except ValueError:
                continue
        yield from sorted(rows, key=lambda r: r.requested_at)


# --------------------------------------------------------------------------- results cache


# What a cached result holds besides its key fields (``file_unique_id``, ``mode``, ``language``) and
# its payers (a JSON list). A row of the first format (no ``created_at``) reads as expired.
_RESULT_BODY: _Schema = {"text": _STR, "duration_ms": _INT, "segments_json": _OPT_STR, "created_at": _FLOAT}


def _payers(value: Any) -> tuple[int, ...]:
    if not isinstance(value, str) or not value:
        return ()
    try:
        parsed = json.loads(value)
    except ValueError:
        return ()
    return tuple(p for p in parsed if type(p) is int) if isinstance(parsed, list) else ()


class TablestoreResults(_Store, Results):
    """Rows keyed ``file_unique_id:mode:language`` (``auto`` when detected).

    ``put`` reads the stored row first to keep its payers (``merged_result``). Two puts of the same
    key at the same moment can lose one payer; that user is then charged for the file again, never
    served it free by mistake.
    """

    TABLE = "results_cache"

    @staticmethod
    def _key(file_unique_id: str, mode: str, language: str | None) -> str:
        return f"{file_unique_id}:{mode}:{language or 'auto'}"

    def get(self, file_unique_id: str, mode: str, language: str | None) -> CachedResult | None:
        row = self._t.get(self.TABLE, self._key(file_unique_id, mode, language))
        if row is None:
            return None
        return CachedResult(file_unique_id=_str(row.get("file_unique_id"), file_unique_id),
                            mode=_str(row.get("mode"), mode), language=_opt_str(row.get("language")),
                            paid_by=_payers(row.get("paid_by")), **_read(row, _RESULT_BODY))

    def put(self, result: CachedResult) -> None:
        result = merged_result(self.get(result.file_unique_id, result.mode, result.language), result)
        columns = [("file_unique_id", result.file_unique_id), ("mode", result.mode), ("language", result.language),
                   ("paid_by", _dumps(list(result.paid_by)))] + _write(result, _RESULT_BODY)
        self._t.put(self.TABLE, self._key(result.file_unique_id, result.mode, result.language), columns,
                    self._t.ignore())

    def drop_payer(self, user_id: int) -> tuple[int, int]:
        # Only ``paid_by`` is read (never the texts); a row that keeps other payers is updated in
        # that one column. A ``put`` of the same key at the same moment may add the user back
        # (the race ``put`` already accepts); the next /forget removes it.
        deleted = kept = 0
        for key, row in self._t.scan(self.TABLE, columns=["paid_by"]):
            payers = _payers(row.get("paid_by"))
            if user_id not in payers:
                continue
            rest = [p for p in payers if p != user_id]
            if rest:
                self._t.update(self.TABLE, key, [("paid_by", _dumps(rest))], self._t.ignore())
                kept += 1
            else:
                self._t.delete(self.TABLE, key)
                deleted += 1
        return deleted, kept


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
