"""One OTSClient and the row primitives every store uses.

SDK usage: ``update_row`` always gets ``Row(pk, {"put": [...]})``, ``delete_row`` a ``Row``.
``put`` replaces the whole row, which drops columns that became ``None`` (tablestore 6.4.8 mis-sizes
``delete_all`` cells whose name is longer than 12 characters, so clearing a column through
``update_row`` is not safe). Scans page through ``get_range`` until ``next_start_primary_key`` is
None.

Retries: none here. The client gets the SDK's ``NoRetryPolicy`` unless told otherwise, because the
use cases own the one retry policy (``RetryingPort``, which stops at a request's time budget); the
SDK's default policy would try up to 20 times, 3 s apart, inside one call. The only loop is the
optimistic update of a user row (``users``), which retries a lost race, never a failure.

The SDK's own logger is silenced (it would log request headers at DEBUG and every lost optimistic
race at ERROR); what matters is reported through the exceptions of ``errors``.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Callable, Iterator
from typing import Any, TypeVar

from ports.blob_store import BlobStore

from .errors import ConditionFailed, sdk, translate
from .overflow import INLINE_LIMIT_BYTES, Columns, Overflow
from .tables import TABLES, primary_key

T = TypeVar("T")

# Rows asked for per get_range call (the service may return fewer and a next start key).
SCAN_PAGE = 500
_SDK_LOGGER = "adapters.alibaba.tablestore.sdk"


def _attributes(row: Any) -> dict[str, Any]:
    """An SDK row's attribute columns as {name: value}."""
    return {cell[0]: cell[1] for cell in (row.attribute_columns or [])}


def _present(columns: Columns) -> Columns:
    """Drop None values (absent columns)."""
    return [(name, value) for name, value in columns if value is not None]


class TableClient:
    """One OTSClient; rows in and out as {column: value} with long strings spilled to ``overflow``.

    ``socket_timeout`` is seconds, or ``(connect, read)``. Build a new instance when STS credentials
    are rotated (FC hands fresh ones to each invocation).
    """

    def __init__(self, endpoint: str, access_key_id: str, access_key_secret: str, instance: str,
                 security_token: str | None = None, table_prefix: str = "", *,
                 retry_policy: Any = None, socket_timeout: float | tuple[float, float] = (0.5, 2.5),
                 scan_page: int = SCAN_PAGE,
                 overflow: BlobStore | None = None, inline_limit_bytes: int = INLINE_LIMIT_BYTES) -> None:
        tablestore = sdk()
        sdk_logger = logging.getLogger(_SDK_LOGGER)
        sdk_logger.setLevel(logging.CRITICAL)
        sdk_logger.propagate = False
        if not sdk_logger.handlers:
            sdk_logger.addHandler(logging.NullHandler())
        timeout: Any = socket_timeout
        if isinstance(socket_timeout, tuple):
            import urllib3  # the SDK's transport: its pool takes a (connect, read) Timeout

            timeout = urllib3.Timeout(connect=socket_timeout[0], read=socket_timeout[1])
        kwargs: dict[str, Any] = {"socket_timeout": timeout, "logger_name": _SDK_LOGGER,
                                  "retry_policy": retry_policy if retry_policy is not None
                                  else tablestore.retry.NoRetryPolicy()}
        if security_token:
            kwargs["sts_token"] = security_token
        self.client = tablestore.OTSClient(endpoint, access_key_id, access_key_secret, instance, **kwargs)
        self.table_prefix = table_prefix
        self.scan_page = scan_page
        self._overflow = Overflow(overflow, inline_limit_bytes)

    @property
    def overflow(self) -> BlobStore | None:
        return self._overflow.store

    @overflow.setter
    def overflow(self, store: BlobStore | None) -> None:
        self._overflow.store = store

    def table(self, name: str) -> str:
        return self.table_prefix + name

    def call(self, action: str, fn: Callable[[], T]) -> T:
        """Run one SDK call, translating its exceptions (conditions become ConditionFailed)."""
        try:
            return fn()
        except Exception as exc:  # noqa: BLE001 - every SDK/transport failure is translated
            raise translate(exc, action) from None

    # ---- rows

    def get(self, table: str, key: str) -> dict[str, Any] | None:
        _, row, _ = self.call(f"get {table}", lambda: self.client.get_row(
            self.table(table), primary_key(table, key), max_version=1))
        return None if row is None else self._overflow.resolve(_attributes(row))

    def put(self, table: str, key: str, columns: Columns, condition: Any) -> None:
        row = sdk().Row(primary_key(table, key), self._overflow.spill(table, _present(columns)))
        self.call(f"put {table}", lambda: self.client.put_row(self.table(table), row, condition))

    def insert(self, table: str, key: str, columns: Columns) -> bool:
        """Put the row only if it does not exist yet; False when it already did."""
        try:
            self.put(table, key, columns, self.expect_absent())
        except ConditionFailed:
            return False
        return True

    def update(self, table: str, key: str, columns: Columns, condition: Any) -> None:
        row = sdk().Row(primary_key(table, key), {"put": _present(columns)})
        self.call(f"update {table}", lambda: self.client.update_row(self.table(table), row, condition))

    def delete(self, table: str, key: str) -> None:
        row = sdk().Row(primary_key(table, key))
        condition = self.ignore()
        self.call(f"delete {table}", lambda: self.client.delete_row(self.table(table), row, condition))

    def scan(self, table: str, column_filter: Any = None,
             columns: list[str] | None = None) -> Iterator[tuple[str, dict[str, Any]]]:
        """Every row of a table as (primary key value, columns), page after page (only ``columns``
        when given)."""
        tablestore = sdk()
        pk_name = TABLES[table][0]
        start: Any = [(pk_name, tablestore.INF_MIN)]
        end = [(pk_name, tablestore.INF_MAX)]
        def page(page_start: Any) -> Any:
            return self.client.get_range(self.table(table), "FORWARD", page_start, end, columns_to_get=columns,
                                         limit=self.scan_page, column_filter=column_filter, max_version=1)

        while start is not None:
            _, start, rows, _ = self.call(f"scan {table}", functools.partial(page, start))
            for row in rows or []:
                yield row.primary_key[0][1], self._overflow.resolve(_attributes(row))

    # ---- conditions

    @staticmethod
    def expect_absent() -> Any:
        tablestore = sdk()
        return tablestore.Condition(tablestore.RowExistenceExpectation.EXPECT_NOT_EXIST)

    @staticmethod
    def ignore() -> Any:
        tablestore = sdk()
        return tablestore.Condition(tablestore.RowExistenceExpectation.IGNORE)

    @staticmethod
    def expect_version(version: int, *, legacy: bool = False) -> Any:
        """The row exists and its ``version`` column equals ``version``.

        ``legacy`` (only with version 0): a row without the column also matches. Rows written before
        versioning have no ``version``; they read as version 0, and this store never writes
        version 0 (rows start at 1), so that condition cannot match a versioned row.
        """
        tablestore = sdk()
        return tablestore.Condition(
            tablestore.RowExistenceExpectation.EXPECT_EXIST,
            tablestore.SingleColumnCondition("version", int(version), tablestore.ComparatorType.EQUAL,
                                             pass_if_missing=legacy and version == 0),
        )

    @staticmethod
    def column_filter(column: str, value: Any, comparator: str) -> Any:
        tablestore = sdk()
        return tablestore.SingleColumnCondition(
            column, value, getattr(tablestore.ComparatorType, comparator), pass_if_missing=False)


class Store:
    """A store's access to the shared client."""

    def __init__(self, tables: TableClient) -> None:
        self._t = tables
