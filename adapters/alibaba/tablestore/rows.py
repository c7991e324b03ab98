"""The one converter between stored values (frozen attrs classes) and Tablestore rows.

A row is the value's fields under their own names (``RowFormat.columns`` renames the few that differ),
minus the field held in the primary key. Cells by the field's type:

- ``int`` → INTEGER, ``float`` → DOUBLE (``float()`` is applied, so an int never lands in a DOUBLE
  column, nor a float in an INTEGER one), ``bool`` → BOOLEAN, ``str`` → STRING;
- an enum → its value (a STRING), so a field that became an enum reads the strings written before;
- a nested attrs value (the user's settings) → a JSON object with a ``schema`` number, a tuple → a
  JSON list;
- ``None`` → no column at all.

Reading is lenient, because rows outlive the code that wrote them: an absent column gives the field's
default (or the type's zero: 0, 0.0, "", False, ()), a cell that cannot be read as the field's type
gives the same (an enum value this code does not know gives the member ``UNKNOWN_MEMBERS`` names for
that enum), timestamps written as ISO strings by earlier code read as epoch seconds, and a
nested value of an older ``schema`` is upgraded first. cattrs dispatches on the field types; the
hooks below hold these rules.
"""

from __future__ import annotations

import datetime
import enum
import json
import types
import typing
from collections.abc import Callable, Collection, Mapping
from typing import Any, Generic, TypeVar

import attrs
import cattrs

from domain.audio import MediaKind
from domain.job import JobStatus
from domain.transcript import TranscriptionMode
from domain.users import UI_LANGUAGES, LongTextMode, TrialStatus, UserSettings

T = TypeVar("T")
Columns = list[tuple[str, Any]]
Record = dict[str, Any]

# The member an unknown stored value of each enum reads as (a job in a state this code cannot name
# is over; anything else falls back to its field's default).
UNKNOWN_MEMBERS: dict[type[enum.Enum], enum.Enum] = {
    JobStatus: JobStatus.FAILED,
    MediaKind: MediaKind.DOCUMENT,
    TrialStatus: TrialStatus.NONE,
    LongTextMode: LongTextMode.AUTO,
    TranscriptionMode: TranscriptionMode.PLAIN,
}


def _settings_schema_1(record: Record) -> Record:
    """Settings written before ``LongTextMode.AUTO`` existed, when "split" was everyone's default:
    that was not a choice, so it reads as AUTO."""
    if record.get("long_text") == LongTextMode.SPLIT.value:
        record = {**record, "long_text": LongTextMode.AUTO.value}
    return record


def _clean_settings(record: Record) -> Record:
    """An empty language means auto-detect; an interface language the bot does not speak is dropped."""
    record = dict(record)
    if not record.get("language"):
        record.pop("language", None)
    if record.get("ui_language") not in UI_LANGUAGES:
        record.pop("ui_language", None)
    return record


@attrs.frozen
class NestedSchema:
    """How a nested value is versioned: the ``schema`` number written now, the upgrade of each
    older number to the next one, and a clean-up applied to every record read."""

    current: int
    upgrades: Mapping[int, Callable[[Record], Record]] = attrs.field(factory=dict)
    clean: Callable[[Record], Record] = lambda record: record


NESTED_SCHEMAS: dict[type, NestedSchema] = {
    # Records without a ``schema`` key are schema 1.
    UserSettings: NestedSchema(current=2, upgrades={1: _settings_schema_1}, clean=_clean_settings),
}
SCHEMA_KEY = "schema"


def dumps(value: object) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def _optional(annotation: Any) -> tuple[Any, bool]:
    """(the type inside ``X | None``, True), or (the annotation, False)."""
    if typing.get_origin(annotation) in (typing.Union, types.UnionType):
        args = typing.get_args(annotation)
        rest = [a for a in args if a is not type(None)]
        if len(rest) == 1 and len(args) == 2:
            return rest[0], True
    return annotation, False


def _or_enum(read: Callable[[Any, Any], T]) -> Callable[[Any, Any], Any]:
    return lambda cell, kind: kind(cell) if _is_enum(kind) else read(cell, kind)


def _value_or(kind: Callable[[Any], Any]) -> Callable[[Any], Any]:
    return lambda value: value.value if isinstance(value, enum.Enum) else kind(value)


def _is_enum(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, enum.Enum)


def _is_sequence(annotation: Any) -> bool:
    return typing.get_origin(annotation) in (tuple, list)


def _item_type(annotation: Any) -> Any:
    args = [a for a in typing.get_args(annotation) if a is not Ellipsis]
    return args[0] if args else Any


# ---- cell → field


def _read_int(cell: Any, _: Any) -> int:
    if isinstance(cell, bool):
        raise TypeError("a flag is not a number")
    return int(cell)


def _read_float(cell: Any, _: Any) -> float:
    if isinstance(cell, bool):
        raise TypeError("a flag is not a number")
    if isinstance(cell, str):
        # Earlier code wrote ISO timestamps; a naive one is UTC.
        parsed = datetime.datetime.fromisoformat(cell.replace("Z", "+00:00"))
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=datetime.UTC)
        return parsed.timestamp()
    return float(cell)


def _read_str(cell: Any, _: Any) -> str:
    if not isinstance(cell, str):
        raise TypeError("not a string")
    return cell


def _read_bool(cell: Any, _: Any) -> bool:
    return cell if isinstance(cell, bool) else bool(_read_int(cell, int))


def _json(cell: Any) -> Any:
    return json.loads(cell) if isinstance(cell, str) else cell


class RowConverter:
    """Values ⇄ columns, by field type (module doc)."""

    def __init__(self, unknown_members: Mapping[type[enum.Enum], enum.Enum] = UNKNOWN_MEMBERS,
                 nested: Mapping[type, NestedSchema] = NESTED_SCHEMAS) -> None:
        self.unknown_members = dict(unknown_members)
        self.nested = dict(nested)
        cells = cattrs.Converter()
        # cattrs dispatches the builtin types by class, so these hooks also receive their subclasses:
        # an IntEnum or StrEnum field, and bool for int (hence bool's own hooks).
        for kind, read in ((int, _read_int), (float, _read_float), (str, _read_str), (bool, _read_bool)):
            cells.register_structure_hook(kind, _or_enum(read))
            cells.register_unstructure_hook(kind, _value_or(kind))
        cells.register_structure_hook_func(_is_enum, lambda cell, kind: kind(cell))
        cells.register_structure_hook_func(attrs.has, self._read_nested)
        cells.register_structure_hook_func(_is_sequence, self._read_sequence)
        cells.register_unstructure_hook_func(_is_enum, lambda member: member.value)
        cells.register_unstructure_hook_func(attrs.has, lambda value: dumps(self.record(value)))
        cells.register_unstructure_hook_func(
            _is_sequence, lambda items: dumps([self._json_value(item) for item in items]))
        self._cells = cells

    # ---- whole values

    def write(self, value: object, *, columns: Mapping[str, str] | None = None,
              skip: Collection[str] = ()) -> Columns:
        """The fields of ``value`` (but ``skip``) as (column, cell) pairs; a None field is left out."""
        names = columns or {}
        out: Columns = []
        for field in _fields(type(value)):
            if field.name in skip:
                continue
            current = getattr(value, field.name)
            if current is None:
                continue
            inner, _ = _optional(field.type)
            out.append((names.get(field.name, field.name), self._cells.unstructure(current, unstructure_as=inner)))
        return out

    def read(self, cls: type[T], row: Mapping[str, Any], *, columns: Mapping[str, str] | None = None,
             given: Mapping[str, Any] | None = None, fallback: Mapping[str, Any] | None = None) -> T:
        """A ``cls`` from a row: ``given`` fields as they are (the primary key), the others from their
        columns; ``fallback`` replaces a field's default when its column is absent or unreadable."""
        names = columns or {}
        values = dict(given or {})
        for field in _fields(cls):
            if field.name in values:
                continue
            column = names.get(field.name, field.name)
            values[field.name] = self._field(field, row.get(column), (fallback or {}).get(field.name, attrs.NOTHING))
        return cls(**values)

    def record(self, value: object) -> Record:
        """A nested value as a JSON object: every field (None included) and its ``schema`` number."""
        record = {field.name: self._json_value(getattr(value, field.name)) for field in _fields(type(value))}
        schema = self.nested.get(type(value))
        if schema is not None:
            record[SCHEMA_KEY] = schema.current
        return record

    # ---- one field

    def _field(self, field: attrs.Attribute[Any], cell: Any, fallback: Any) -> Any:
        inner, optional = _optional(field.type)
        if cell is not None:
            try:
                return self._cells.structure(cell, inner)
            except (ValueError, TypeError, KeyError, cattrs.BaseValidationError):
                if _is_enum(inner) and inner in self.unknown_members and fallback is attrs.NOTHING:
                    return self.unknown_members[inner]
        if fallback is not attrs.NOTHING:
            return fallback
        default: Any = field.default
        if default is not attrs.NOTHING:
            return default.factory() if isinstance(default, attrs.Factory) else default  # type: ignore[arg-type]
        return None if optional else self._zero(inner)

    def _zero(self, annotation: Any) -> Any:
        if _is_enum(annotation) and annotation in self.unknown_members:
            return self.unknown_members[annotation]
        if _is_sequence(annotation):
            return ()
        if annotation in (int, float, str, bool):
            return annotation()
        if attrs.has(annotation):
            return annotation()
        raise ValueError(f"no value to read for a missing {annotation!r}")

    def _json_value(self, value: Any) -> Any:
        if isinstance(value, enum.Enum):
            return value.value
        if attrs.has(type(value)):
            return self.record(value)
        if isinstance(value, tuple | list):
            return [self._json_value(item) for item in value]
        return value

    def _read_nested(self, cell: Any, cls: type[T]) -> T:
        record = _json(cell)
        if not isinstance(record, dict):
            raise TypeError("not a JSON object")
        schema = self.nested.get(cls)
        if schema is not None:
            version = record.get(SCHEMA_KEY, 1)
            while isinstance(version, int) and version in schema.upgrades:
                record = schema.upgrades[version](record)
                version += 1
            record = schema.clean(record)
        return self.read(cls, record)

    def _read_sequence(self, cell: Any, annotation: Any) -> Any:
        items = _json(cell)
        if not isinstance(items, list):
            raise TypeError("not a JSON list")
        kind = _item_type(annotation)
        if kind in (int, float, str, bool):
            # JSON keeps its own types: an item of another type was not written by this code.
            kept = [item for item in items if type(item) is kind]
        else:
            kept = []
            for item in items:
                try:
                    kept.append(self._cells.structure(item, kind))
                except (ValueError, TypeError, KeyError, cattrs.BaseValidationError):
                    continue
        return typing.get_origin(annotation)(kept)


def _fields(cls: type) -> tuple[attrs.Attribute[Any], ...]:
    attrs.resolve_types(cls)  # annotations are strings under ``from __future__ import annotations``
    fields: tuple[attrs.Attribute[Any], ...] = attrs.fields(cls)
    return fields


CONVERTER = RowConverter()


@attrs.frozen
class RowFormat(Generic[T]):
    """How one stored class maps to a table's rows: ``key`` is the field held in the primary key
    (not a column), ``columns`` renames the fields whose column has another name."""

    cls: type[T]
    key: str | None = None
    columns: Mapping[str, str] = attrs.field(factory=dict)
    converter: RowConverter = CONVERTER

    def write(self, value: T, *, skip: Collection[str] = ()) -> Columns:
        return self.converter.write(value, columns=self.columns,
                                    skip={*skip, self.key} if self.key else skip)

    def read(self, row: Mapping[str, Any], key: Any = None, *, fallback: Mapping[str, Any] | None = None) -> T:
        given = {self.key: key} if self.key is not None else {}
        return self.converter.read(self.cls, row, columns=self.columns, given=given, fallback=fallback)

    def column(self, field: str) -> str:
        return self.columns.get(field, field)
