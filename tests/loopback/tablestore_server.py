"""A loopback Tablestore (OTS) server for contract tests of the real Tablestore adapter.

It speaks Tablestore's wire protocol as ``tablestore`` 6.4.8 uses it, reusing the
SDK's own protobuf classes (``table_store_pb2``, ``table_store_filter_pb2``) and its
``PlainBufferBuilder`` for encoding rows in replies. Requests are decoded with a small PlainBuffer
reader of its own, because the SDK's reader cannot decode the cell-type byte of UpdateRow
``delete``/``delete_all``/``increment`` cells.

- Every call is ``POST /<ApiName>``; the request signature (``x-ots-signature``, V2) and the body MD5
  are checked: a wrong key answers 403 ``OTSAuthFailed`` (unsigned, as the service does).
- Every reply is signed (``Authorization: OTS <akid>:<sig>``) with ``x-ots-contentmd5``,
  ``x-ots-requestid``, ``x-ots-date`` and ``x-ots-contenttype``; errors are protobuf ``Error`` bodies,
  signed too (403 ``OTSConditionCheckFail`` included).
- Supported: CreateTable, ListTable, DescribeTable, DeleteTable, PutRow, GetRow, UpdateRow (put,
  delete, delete_all, increment), DeleteRow, GetRange (FORWARD/BACKWARD, ``limit``, column filters).
- Conditions: row existence (IGNORE / EXPECT_EXIST / EXPECT_NOT_EXIST) and column conditions (single
  and composite). Comparisons are typed like the service: an INTEGER cell never equals a DOUBLE
  value, so a float written where an int belongs shows up as a failed condition.
- GetRange scans at most ``page_size`` rows per call (3 by default) and returns
  ``next_start_primary_key`` when more remain, so callers that do not paginate lose rows.
- ``fail_next(n)`` makes the next n calls answer a signed 503 ``OTSServerUnavailable``.

Usage::

    with running_tablestore_server(AK, SK, instance="inst") as ots:
        client = OTSClient(ots.endpoint, AK, SK, "inst", retry_policy=NoRetryPolicy())
        ...
        assert ots.cell("users", "42", "balance_minutes") == ("INTEGER", 10)
"""

from __future__ import annotations

import base64
import contextlib
import datetime
import hashlib
import hmac
import itertools
import struct
import threading
import time
from collections.abc import Iterator
from typing import Any

import attrs

from tests.loopback._serving import LoopbackHandler, LoopbackHTTPServer, ServiceError, serve

# Value types of the PlainBuffer / SQLVariant encodings.
VT_INTEGER, VT_DOUBLE, VT_BOOLEAN, VT_STRING, VT_BLOB = 0x0, 0x1, 0x2, 0x3, 0x7
VT_INF_MIN, VT_INF_MAX, VT_AUTO_INCREMENT = 0x9, 0xA, 0xB
_TYPE_NAMES = {VT_INTEGER: "INTEGER", VT_DOUBLE: "DOUBLE", VT_BOOLEAN: "BOOLEAN", VT_STRING: "STRING",
               VT_BLOB: "BINARY"}

# PlainBuffer tags.
TAG_ROW_PK, TAG_ROW_DATA, TAG_CELL, TAG_CELL_NAME, TAG_CELL_VALUE = 0x1, 0x2, 0x3, 0x4, 0x5
TAG_CELL_TYPE, TAG_CELL_TIMESTAMP, TAG_DELETE_ROW_MARKER, TAG_ROW_CHECKSUM, TAG_CELL_CHECKSUM = (
    0x6, 0x7, 0x8, 0x9, 0xA)
HEADER = 0x75
# Cell operation types of UpdateRow.
OP_DELETE_ALL, OP_DELETE_ONE, OP_INCREMENT = 0x1, 0x3, 0x4


# Documented limits the loopback enforces (docs/provider-contracts.md, "Tablestore").
MAX_CELL_BYTES = 2 * 1024 * 1024
MAX_REQUEST_BYTES = 4 * 1024 * 1024


class _Inf:
    def __init__(self, name: str, order: int) -> None:
        self.name = name
        self.order = order

    def __repr__(self) -> str:
        return self.name


INF_MIN = _Inf("INF_MIN", -1)
INF_MAX = _Inf("INF_MAX", 99)

# A typed value: (type name, python value). Types matter for comparisons.
Typed = tuple[str, Any]


class OtsError(ServiceError):
    """A Tablestore error reply (a protobuf ``Error``)."""

    def __str__(self) -> str:
        return f"{self.status} {self.code}: {self.message}"


# --------------------------------------------------------------------------- PlainBuffer reading


class _Reader:
    def __init__(self, data: bytes) -> None:
        self.data = bytes(data)
        self.pos = 0

    def byte(self) -> int:
        if self.pos >= len(self.data):
            raise OtsError(400, "OTSParameterInvalid", "plain buffer truncated")
        value = self.data[self.pos]
        self.pos += 1
        return value

    def peek(self) -> int | None:
        return self.data[self.pos] if self.pos < len(self.data) else None

    def take(self, size: int) -> bytes:
        if self.pos + size > len(self.data):
            raise OtsError(400, "OTSParameterInvalid", "plain buffer truncated")
        chunk = self.data[self.pos:self.pos + size]
        self.pos += size
        return chunk

    def int32(self) -> int:
        return struct.unpack("<i", self.take(4))[0]

    def int64(self) -> int:
        return struct.unpack("<q", self.take(8))[0]


def decode_variant(data: bytes) -> Typed | _Inf:
    """A SQLVariant / cell value: a type byte, then the value (little-endian)."""
    reader = _Reader(data)
    kind = reader.byte()
    if kind == VT_INTEGER:
        return ("INTEGER", reader.int64())
    if kind == VT_DOUBLE:
        return ("DOUBLE", struct.unpack("<d", reader.take(8))[0])
    if kind == VT_BOOLEAN:
        return ("BOOLEAN", reader.byte() != 0)
    if kind == VT_STRING:
        return ("STRING", reader.take(reader.int32()).decode("utf-8"))
    if kind == VT_BLOB:
        return ("BINARY", bytes(reader.take(reader.int32())))
    if kind == VT_INF_MIN:
        return INF_MIN
    if kind == VT_INF_MAX:
        return INF_MAX
    raise OtsError(400, "OTSParameterInvalid", f"unsupported value type {kind}")


@attrs.frozen
class Cell:
    name: str
    value: Typed | None
    op: str  # "put", "delete_one", "delete_all" or "increment"
    timestamp: int | None


@attrs.frozen
class DecodedRow:
    primary_key: list[tuple[str, Any]]
    cells: list[Cell]
    delete_marker: bool


def _read_cell(reader: _Reader) -> tuple[str, Typed | _Inf | None, int | None, int | None]:
    if reader.byte() != TAG_CELL_NAME:
        raise OtsError(400, "OTSParameterInvalid", "expected a cell name")
    name = reader.take(reader.int32()).decode("utf-8")
    value: Typed | _Inf | None = None
    op: int | None = None
    timestamp: int | None = None
    while True:
        tag = reader.byte()
        if tag == TAG_CELL_VALUE:
            value = decode_variant(reader.take(reader.int32()))
        elif tag == TAG_CELL_TYPE:
            op = reader.byte()
        elif tag == TAG_CELL_TIMESTAMP:
            timestamp = reader.int64()
        elif tag == TAG_CELL_CHECKSUM:
            reader.byte()
            return name, value, op, timestamp
        else:
            raise OtsError(400, "OTSParameterInvalid", f"unexpected tag {tag} in a cell")


def decode_row(data: bytes) -> DecodedRow:
    """One PlainBuffer row: primary key, optional cells (with operation types), optional delete marker."""
    reader = _Reader(data)
    if reader.int32() != HEADER:
        raise OtsError(400, "OTSParameterInvalid", "bad plain buffer header")
    if reader.byte() != TAG_ROW_PK:
        raise OtsError(400, "OTSParameterInvalid", "expected the primary key")
    primary_key: list[tuple[str, Any]] = []
    cells: list[Cell] = []
    delete_marker = False
    tag = reader.byte()
    while tag == TAG_CELL:
        name, value, _, _ = _read_cell(reader)
        primary_key.append((name, value if isinstance(value, _Inf) else value[1] if value else None))
        tag = reader.byte()
    if tag == TAG_ROW_DATA:
        tag = reader.byte()
        while tag == TAG_CELL:
            name, value, op, timestamp = _read_cell(reader)
            if isinstance(value, _Inf):
                raise OtsError(400, "OTSParameterInvalid", "INF in an attribute column")
            op_name = {None: "put", OP_DELETE_ALL: "delete_all", OP_DELETE_ONE: "delete_one",
                       OP_INCREMENT: "increment"}.get(op)
            if op_name is None:
                raise OtsError(400, "OTSParameterInvalid", f"unknown cell type {op}")
            cells.append(Cell(name, value, op_name, timestamp))
            tag = reader.byte()
    if tag == TAG_DELETE_ROW_MARKER:
        delete_marker = True
        tag = reader.byte()
    if tag != TAG_ROW_CHECKSUM:
        raise OtsError(400, "OTSParameterInvalid", "expected the row checksum")
    reader.byte()
    return DecodedRow(primary_key, cells, delete_marker)


# --------------------------------------------------------------------------- filters and ordering


def _order_key(value: Any) -> tuple:
    if isinstance(value, _Inf):
        return (value.order,)
    if isinstance(value, bool):
        return (0, int(value))
    if isinstance(value, int):
        return (0, value)
    if isinstance(value, str):
        return (1, value.encode("utf-8"))
    return (2, bytes(value))


def _pk_key(primary_key: list[tuple[str, Any]]) -> tuple:
    return tuple(_order_key(value) for _, value in primary_key)


_COMPARE = {
    1: lambda a, b: a == b,  # CT_EQUAL
    2: lambda a, b: a != b,  # CT_NOT_EQUAL
    3: lambda a, b: a > b,   # CT_GREATER_THAN
    4: lambda a, b: a >= b,  # CT_GREATER_EQUAL
    5: lambda a, b: a < b,   # CT_LESS_THAN
    6: lambda a, b: a <= b,  # CT_LESS_EQUAL
}


def evaluate_filter(filter_bytes: bytes, columns: dict[str, Typed] | None) -> bool:
    """Whether a row's columns pass a serialized ``Filter`` (single or composite)."""
    import tablestore.protobuf.table_store_filter_pb2 as fpb

    flt = fpb.Filter()
    flt.ParseFromString(filter_bytes)
    if flt.type == fpb.FT_SINGLE_COLUMN_VALUE:
        single = fpb.SingleColumnValueFilter()
        single.ParseFromString(flt.filter)
        present = columns is not None and single.column_name in columns
        if single.comparator == 7:  # CT_EXIST
            return present
        if single.comparator == 8:  # CT_NOT_EXIST
            return not present
        if not present:
            return not single.filter_if_missing
        kind, value = columns[single.column_name]
        expected = decode_variant(single.column_value)
        if isinstance(expected, _Inf) or expected[0] != kind:
            # The service compares typed values: INTEGER 5 is not DOUBLE 5.0 (nor STRING "5").
            return single.comparator == 2
        return bool(_COMPARE[single.comparator](value, expected[1]))
    if flt.type == fpb.FT_COMPOSITE_COLUMN_VALUE:
        composite = fpb.CompositeColumnValueFilter()
        composite.ParseFromString(flt.filter)
        results = [evaluate_filter(sub.SerializeToString(), columns) for sub in composite.sub_filters]
        if composite.combinator == fpb.LO_NOT:
            return not results[0]
        if composite.combinator == fpb.LO_AND:
            return all(results)
        return any(results)
    raise OtsError(400, "OTSParameterInvalid", f"unsupported filter type {flt.type}")


def _to_python(typed: Typed) -> Any:
    kind, value = typed
    return bytearray(value) if kind == "BINARY" else value


# --------------------------------------------------------------------------- the store


@attrs.define
class Table:
    name: str
    primary_key: list[tuple[str, str]]
    time_to_live: int
    max_versions: int
    # primary-key order key -> (primary key list, {column: (typed value, timestamp ms)})
    rows: dict[tuple, tuple[list[tuple[str, Any]], dict[str, tuple[Typed, int]]]] = attrs.Factory(dict)


class TablestoreLoopback:
    """The in-memory instance behind the HTTP handler, plus inspection and fault helpers."""

    def __init__(self, access_key_id: str, access_key_secret: str, instance: str, page_size: int = 3,
                 security_token: str | None = None) -> None:
        self.access_key_id = access_key_id
        self.access_key_secret = access_key_secret
        self.instance = instance
        self.page_size = page_size
        self.security_token = security_token
        self.endpoint = ""
        self.tables: dict[str, Table] = {}
        self.calls: list[str] = []
        self._lock = threading.RLock()
        self._failures: list[tuple[int, str]] = []
        self._ids = itertools.count(1)

    # ---- test helpers

    def fail_next(self, count: int = 1, status: int = 503, code: str = "OTSServerUnavailable") -> None:
        with self._lock:
            self._failures.extend([(status, code)] * count)

    def calls_to(self, api: str) -> int:
        with self._lock:
            return sum(1 for call in self.calls if call == api)

    def row(self, table: str, *pk_values: Any) -> dict[str, Typed] | None:
        """A stored row's attribute columns as {name: (type, value)}, or None."""
        with self._lock:
            stored = self.tables[table].rows.get(tuple(_order_key(v) for v in pk_values))
            return None if stored is None else {name: cell[0] for name, cell in stored[1].items()}

    def cell(self, table: str, pk_value: Any, column: str) -> Typed | None:
        row = self.row(table, pk_value)
        return None if row is None else row.get(column)

    def put_raw(self, table: str, pk_value: Any, columns: dict[str, Typed]) -> None:
        """Write a row directly (a legacy row, say), bypassing the API."""
        with self._lock:
            tbl = self.tables[table]
            pk = [(tbl.primary_key[0][0], pk_value)]
            now = int(time.time() * 1000)
            tbl.rows[_pk_key(pk)] = (pk, {name: (typed, now) for name, typed in columns.items()})

    def table_names(self) -> list[str]:
        with self._lock:
            return sorted(self.tables)

    # ---- dispatch

    def take_failure(self) -> tuple[int, str] | None:
        with self._lock:
            return self._failures.pop(0) if self._failures else None

    def handle(self, api: str, body: bytes) -> bytes:
        import tablestore.protobuf.table_store_pb2 as pb

        with self._lock:
            self.calls.append(api)
            handler = {
                "CreateTable": (pb.CreateTableRequest, self._create_table),
                "ListTable": (pb.ListTableRequest, self._list_table),
                "DescribeTable": (pb.DescribeTableRequest, self._describe_table),
                "DeleteTable": (pb.DeleteTableRequest, self._delete_table),
                "PutRow": (pb.PutRowRequest, self._put_row),
                "GetRow": (pb.GetRowRequest, self._get_row),
                "UpdateRow": (pb.UpdateRowRequest, self._update_row),
                "DeleteRow": (pb.DeleteRowRequest, self._delete_row),
                "GetRange": (pb.GetRangeRequest, self._get_range),
            }.get(api)
            if handler is None:
                raise OtsError(400, "OTSUnsupportOperation", f"{api} is not supported by the loopback")
            request = handler[0]()
            try:
                request.ParseFromString(body)
            except Exception as exc:  # noqa: BLE001 - any decode failure is the client's
                raise OtsError(400, "OTSParameterInvalid", "bad protobuf body") from exc
            return handler[1](request).SerializeToString()

    # ---- tables

    def _table(self, name: str) -> Table:
        table = self.tables.get(name)
        if table is None:
            raise OtsError(404, "OTSObjectNotExist", "Requested table does not exist.")
        return table

    def _create_table(self, request: Any) -> Any:
        import tablestore.protobuf.table_store_pb2 as pb

        meta = request.table_meta
        if meta.table_name in self.tables:
            raise OtsError(409, "OTSObjectAlreadyExist", "Requested table already exists.")
        type_names = {pb.INTEGER: "INTEGER", pb.STRING: "STRING", pb.BINARY: "BINARY"}
        self.tables[meta.table_name] = Table(
            name=meta.table_name,
            primary_key=[(col.name, type_names.get(col.type, "STRING")) for col in meta.primary_key],
            time_to_live=request.table_options.time_to_live if request.table_options.HasField(
                "time_to_live") else -1,
            max_versions=request.table_options.max_versions or 1,
        )
        return pb.CreateTableResponse()

    def _list_table(self, request: Any) -> Any:
        import tablestore.protobuf.table_store_pb2 as pb

        return pb.ListTableResponse(table_names=sorted(self.tables))

    def _describe_table(self, request: Any) -> Any:
        import tablestore.protobuf.table_store_pb2 as pb

        table = self._table(request.table_name)
        response = pb.DescribeTableResponse()
        response.table_meta.table_name = table.name
        types = {"INTEGER": pb.INTEGER, "STRING": pb.STRING, "BINARY": pb.BINARY}
        for name, kind in table.primary_key:
            column = response.table_meta.primary_key.add()
            column.name = name
            column.type = types[kind]
        response.reserved_throughput_details.capacity_unit.read = 0
        response.reserved_throughput_details.capacity_unit.write = 0
        response.reserved_throughput_details.last_increase_time = 0
        response.table_options.time_to_live = table.time_to_live
        response.table_options.max_versions = table.max_versions
        response.table_options.deviation_cell_version_in_sec = 86400
        return response

    def _delete_table(self, request: Any) -> Any:
        import tablestore.protobuf.table_store_pb2 as pb

        self._table(request.table_name)
        del self.tables[request.table_name]
        return pb.DeleteTableResponse()

    # ---- rows

    def _check_pk(self, table: Table, primary_key: list[tuple[str, Any]]) -> None:
        names = [name for name, _ in primary_key]
        if names != [name for name, _ in table.primary_key]:
            raise OtsError(400, "OTSParameterInvalid", "Validate PK name fail.")

    def _columns(self, table: Table, primary_key: list[tuple[str, Any]]) -> dict[str, Typed] | None:
        stored = table.rows.get(_pk_key(primary_key))
        return None if stored is None else {name: cell[0] for name, cell in stored[1].items()}

    def _check_condition(self, condition: Any, columns: dict[str, Typed] | None) -> None:
        import tablestore.protobuf.table_store_pb2 as pb

        exists = columns is not None
        if condition.row_existence == pb.EXPECT_EXIST and not exists:
            raise OtsError(403, "OTSConditionCheckFail", "Condition check failed.")
        if condition.row_existence == pb.EXPECT_NOT_EXIST and exists:
            raise OtsError(403, "OTSConditionCheckFail", "Condition check failed.")
        if condition.column_condition and not evaluate_filter(condition.column_condition, columns):
            raise OtsError(403, "OTSConditionCheckFail", "Condition check failed.")

    @staticmethod
    def _consumed(response: Any, read: int = 0, write: int = 0) -> Any:
        response.consumed.capacity_unit.read = read
        response.consumed.capacity_unit.write = write
        return response

    @staticmethod
    def _check_limits(body: bytes, row: DecodedRow) -> None:
        """Tablestore's documented limits (docs/provider-contracts.md): one attribute value at most
        2 MB, one PutRow/UpdateRow request at most 4 MB."""
        if len(body) > MAX_REQUEST_BYTES:
            raise OtsError(400, "OTSParameterInvalid", f"The request body exceeds {MAX_REQUEST_BYTES} bytes.")
        for cell in row.cells:
            if cell.value is None:
                continue
            kind, value = cell.value
            size = len(value.encode("utf-8")) if kind == "STRING" and isinstance(value, str) else (
                len(value) if isinstance(value, bytes | bytearray) else 0)
            if size > MAX_CELL_BYTES:
                raise OtsError(400, "OTSParameterInvalid",
                               f"The length of attribute column: '{cell.name}' exceeds the MaxLength:"
                               f"{MAX_CELL_BYTES} with CurrentLength:{size}.")

    def _put_row(self, request: Any) -> Any:
        import tablestore.protobuf.table_store_pb2 as pb

        table = self._table(request.table_name)
        row = decode_row(request.row)
        self._check_limits(request.row, row)
        self._check_pk(table, row.primary_key)
        self._check_condition(request.condition, self._columns(table, row.primary_key))
        now = int(time.time() * 1000)
        columns: dict[str, tuple[Typed, int]] = {}
        for cell in row.cells:
            if cell.op != "put" or cell.value is None:
                raise OtsError(400, "OTSParameterInvalid", "PutRow takes plain cells only")
            columns[cell.name] = (cell.value, cell.timestamp or now)
        table.rows[_pk_key(row.primary_key)] = (row.primary_key, columns)
        return self._consumed(pb.PutRowResponse(), write=1)

    def _update_row(self, request: Any) -> Any:
        import tablestore.protobuf.table_store_pb2 as pb

        table = self._table(request.table_name)
        row = decode_row(request.row_change)
        self._check_limits(request.row_change, row)
        self._check_pk(table, row.primary_key)
        key = _pk_key(row.primary_key)
        self._check_condition(request.condition, self._columns(table, row.primary_key))
        now = int(time.time() * 1000)
        _, columns = table.rows.get(key, (row.primary_key, {}))
        columns = dict(columns)
        for cell in row.cells:
            if cell.op == "put":
                if cell.value is None:
                    raise OtsError(400, "OTSParameterInvalid", "put without a value")
                columns[cell.name] = (cell.value, cell.timestamp or now)
            elif cell.op in ("delete_all", "delete_one"):
                columns.pop(cell.name, None)
            else:  # increment
                current = columns.get(cell.name)
                if cell.value is None or cell.value[0] != "INTEGER" or (
                        current is not None and current[0][0] != "INTEGER"):
                    raise OtsError(400, "OTSParameterInvalid", "increment needs INTEGER cells")
                base = current[0][1] if current else 0
                columns[cell.name] = (("INTEGER", base + cell.value[1]), now)
        table.rows[key] = (row.primary_key, columns)
        return self._consumed(pb.UpdateRowResponse(), write=1)

    def _delete_row(self, request: Any) -> Any:
        import tablestore.protobuf.table_store_pb2 as pb

        table = self._table(request.table_name)
        row = decode_row(request.primary_key)
        self._check_pk(table, row.primary_key)
        self._check_condition(request.condition, self._columns(table, row.primary_key))
        table.rows.pop(_pk_key(row.primary_key), None)
        return self._consumed(pb.DeleteRowResponse(), write=1)

    @staticmethod
    def _encode_row(primary_key: list[tuple[str, Any]], columns: dict[str, tuple[Typed, int]],
                    wanted: list[str]) -> bytes:
        from tablestore.plainbuffer.plain_buffer_builder import PlainBufferBuilder

        attributes = [(name, _to_python(typed), ts) for name, (typed, ts) in columns.items()
                      if not wanted or name in wanted]
        return bytes(PlainBufferBuilder.serialize_for_put_row(primary_key, attributes))

    def _get_row(self, request: Any) -> Any:
        import tablestore.protobuf.table_store_pb2 as pb

        table = self._table(request.table_name)
        primary_key = decode_row(request.primary_key).primary_key
        self._check_pk(table, primary_key)
        stored = table.rows.get(_pk_key(primary_key))
        response = self._consumed(pb.GetRowResponse(), read=1)
        response.row = b""
        if stored is not None:
            columns_filter = request.filter
            if not columns_filter or evaluate_filter(columns_filter, {n: c[0] for n, c in stored[1].items()}):
                response.row = self._encode_row(stored[0], stored[1], list(request.columns_to_get))
        return response

    def _get_range(self, request: Any) -> Any:
        import tablestore.protobuf.table_store_pb2 as pb
        from tablestore.plainbuffer.plain_buffer_builder import PlainBufferBuilder

        table = self._table(request.table_name)
        start = _pk_key(decode_row(request.inclusive_start_primary_key).primary_key)
        end = _pk_key(decode_row(request.exclusive_end_primary_key).primary_key)
        forward = request.direction == pb.FORWARD
        if forward:
            keys = sorted(k for k in table.rows if start <= k < end)
        else:
            keys = sorted((k for k in table.rows if end < k <= start), reverse=True)
        limit = request.limit if request.HasField("limit") and request.limit > 0 else None
        wanted = list(request.columns_to_get)
        encoded: list[bytes] = []
        scanned = 0
        next_key: tuple | None = None
        for key in keys:
            if scanned >= self.page_size or (limit is not None and len(encoded) >= limit):
                next_key = key
                break
            scanned += 1
            primary_key, columns = table.rows[key]
            if request.filter and not evaluate_filter(request.filter, {n: c[0] for n, c in columns.items()}):
                continue
            encoded.append(self._encode_row(primary_key, columns, wanted)[4:])  # rows share one header
        response = self._consumed(pb.GetRangeResponse(), read=max(1, scanned))
        response.rows = struct.pack("<i", HEADER) + b"".join(encoded) if encoded else b""
        if next_key is not None:
            response.next_start_primary_key = bytes(
                PlainBufferBuilder.serialize_primary_key(table.rows[next_key][0]))
        return response

    def next_request_id(self) -> str:
        return f"loopback-{next(self._ids):06d}"


# --------------------------------------------------------------------------- HTTP


def _sign(secret: str, text: str) -> str:
    return base64.b64encode(hmac.new(secret.encode(), text.encode(), hashlib.sha1).digest()).decode()


class _Handler(LoopbackHandler):
    timeout = 10

    def do_POST(self) -> None:  # noqa: N802 - stdlib naming
        store: TablestoreLoopback = self.server.backend
        body = self.read_body()
        api = self.path.split("?", 1)[0].lstrip("/")
        try:
            self._authenticate(api, body)
        except OtsError as exc:
            self._reply_error(api, exc, signed=False)
            return
        failure = store.take_failure()
        if failure is not None:
            self._reply_error(api, OtsError(failure[0], failure[1], "Injected failure."), signed=True)
            return
        try:
            reply = store.handle(api, body)
        except OtsError as exc:
            self._reply_error(api, exc, signed=True)
            return
        self._reply(api, 200, reply, signed=True)

    def _authenticate(self, api: str, body: bytes) -> None:
        store: TablestoreLoopback = self.server.backend
        headers = {k.lower(): v.strip() for k, v in self.headers.items()}
        if headers.get("x-ots-accesskeyid") != store.access_key_id:
            raise OtsError(403, "OTSAuthFailed", "The AccessKeyID does not exist.")
        if headers.get("x-ots-instancename") != store.instance:
            raise OtsError(403, "OTSAuthFailed", "The instance is not found.")
        if store.security_token is not None and headers.get("x-ots-ststoken") != store.security_token:
            raise OtsError(403, "OTSAuthFailed", "The security token is invalid.")
        md5 = base64.b64encode(hashlib.md5(body).digest()).decode()
        if headers.get("x-ots-contentmd5") != md5:
            raise OtsError(400, "OTSInvalidMD5", "Content MD5 mismatch.")
        signed = "\n".join(sorted(f"{k}:{v}" for k, v in headers.items()
                                  if k.startswith("x-ots-") and k != "x-ots-signature"))
        expected = _sign(store.access_key_secret, f"/{api}\nPOST\n\n{signed}\n")
        if not hmac.compare_digest(expected, headers.get("x-ots-signature", "")):
            raise OtsError(403, "OTSAuthFailed", "Signature mismatch.")

    def _reply_error(self, api: str, exc: OtsError, signed: bool) -> None:
        import tablestore.protobuf.table_store_pb2 as pb

        error = pb.Error(code=exc.code, message=exc.message).SerializeToString()
        self._reply(api, exc.status, error, signed=signed)

    def _reply(self, api: str, status: int, body: bytes, signed: bool) -> None:
        store: TablestoreLoopback = self.server.backend
        ots_headers = {
            "x-ots-contentmd5": base64.b64encode(hashlib.md5(body).digest()).decode(),
            "x-ots-requestid": store.next_request_id(),
            "x-ots-date": datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%dT%H:%M:%S.000Z"),
            "x-ots-contenttype": "protocol buffer",
        }
        headers = list(ots_headers.items())
        if signed:
            text = "\n".join(sorted(f"{k}:{v}" for k, v in ots_headers.items())) + f"\n/{api}"
            headers.append(("Authorization", f"OTS {store.access_key_id}:{_sign(store.access_key_secret, text)}"))
        headers.append(("Content-Type", "application/x-protobuf"))
        self.reply(status, body, headers)


@contextlib.contextmanager
def running_tablestore_server(access_key_id: str, access_key_secret: str, instance: str = "loopback",
                              page_size: int = 3,
                              security_token: str | None = None) -> Iterator[TablestoreLoopback]:
    """Serve a fresh Tablestore instance on 127.0.0.1 (random port) for the duration of the block."""
    store = TablestoreLoopback(access_key_id, access_key_secret, instance, page_size, security_token)
    server = LoopbackHTTPServer(_Handler, store)
    store.endpoint = server.url
    with serve(server, "tablestore-loopback"):
        yield store
