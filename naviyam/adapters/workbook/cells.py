"""Workbook cells: the column types and the conversion between cells and Python values.

Shared by the generator (Python value → cell, ``to_cell``) and the importer (cell →
Python value, ``from_cell``), so both always agree. Conventions (docs/SAMPLE_DATA.md):
- JSON objects and arrays are JSON text; dates ``YYYY-MM-DD``; timestamps ISO 8601 with
  offset (naive means Asia/Seoul); booleans TRUE/FALSE;
- a blank cell means "use the column default" (or NULL when the column has none).
"""
from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

SEOUL = ZoneInfo("Asia/Seoul")  # the zone of a timestamp cell written without an offset


class _ServerDefault:
    """Blank cell: leave the column out, the database default applies."""

    def __repr__(self) -> str:
        return "SERVER_DEFAULT"


SERVER_DEFAULT = _ServerDefault()
_NO_DEFAULT = object()


@dataclass(frozen=True)
class Column:
    """One column of a sheet: its kind, the values it accepts and its blank-cell default."""

    name: str
    kind: str  # int | str | bool | decimal | json | str_list | int_list | date | datetime
    required: bool = False
    choices: tuple[str, ...] | None = None
    item_choices: tuple[str, ...] | None = None  # for str_list columns
    min: float | None = None
    max: float | None = None
    default: Any = _NO_DEFAULT
    json_type: type | None = None  # dict or list for json columns
    ref: str | None = None  # sheet whose ids this column (or each list item) references
    max_len: int | None = None
    scale: int | None = None

    def blank_value(self) -> Any:
        if self.default is _NO_DEFAULT:
            return None
        if isinstance(self.default, (list, dict)):
            return type(self.default)(self.default)
        return self.default


# ---------------------------------------------------------------- value → cell

def to_cell(column: Column, value: Any) -> Any:
    """The cell value the generator writes for ``value``."""
    if value is None or value is SERVER_DEFAULT:
        return None
    if column.kind in ("json", "str_list", "int_list"):
        return json.dumps(value, ensure_ascii=False, separators=(", ", ": "))
    if column.kind == "date":
        return value.isoformat()
    if column.kind == "datetime":
        return value.isoformat(timespec="seconds")
    if column.kind == "decimal":
        return float(value)
    return value


# ---------------------------------------------------------------- cell → value

class CellError(ValueError):
    """A cell that cannot become a value of its column."""


_TRUE = {"true", "t", "yes", "y", "1", "o"}
_FALSE = {"false", "f", "no", "n", "0", "x"}


def _to_int(raw: Any) -> int:
    if isinstance(raw, bool):
        raise CellError("expected a whole number, got a boolean")
    if isinstance(raw, int):
        return raw
    if isinstance(raw, float):
        if raw != int(raw):
            raise CellError(f"expected a whole number, got {raw}")
        return int(raw)
    text = str(raw).strip().replace(",", "")
    try:
        value = Decimal(text)
    except InvalidOperation:
        raise CellError(f"expected a whole number, got {raw!r}") from None
    if not value.is_finite() or value != value.to_integral_value():
        raise CellError(f"expected a whole number, got {raw!r}")
    return int(value)


def _to_decimal(raw: Any, scale: int | None) -> Decimal:
    if isinstance(raw, bool):
        raise CellError("expected a number, got a boolean")
    try:
        value = Decimal(str(raw).strip().replace(",", ""))
    except InvalidOperation:
        raise CellError(f"expected a number, got {raw!r}") from None
    if not value.is_finite():
        raise CellError(f"expected a finite number, got {raw!r}")
    if scale is not None:
        value = value.quantize(Decimal(1).scaleb(-scale))
    return value


def _to_bool(raw: Any) -> bool:
    if isinstance(raw, bool):
        return raw
    if isinstance(raw, (int, float)) and raw in (0, 1):
        return bool(raw)
    text = str(raw).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise CellError(f"expected TRUE or FALSE, got {raw!r}")


def _to_date(raw: Any) -> date:
    if isinstance(raw, datetime):
        return raw.date()
    if isinstance(raw, date):
        return raw
    try:
        return date.fromisoformat(str(raw).strip()[:10])
    except ValueError:
        raise CellError(f"expected a date YYYY-MM-DD, got {raw!r}") from None


def _to_datetime(raw: Any) -> datetime:
    if isinstance(raw, datetime):
        value = raw
    elif isinstance(raw, date):
        value = datetime(raw.year, raw.month, raw.day)
    else:
        try:
            value = datetime.fromisoformat(str(raw).strip())
        except ValueError:
            raise CellError(f"expected an ISO 8601 timestamp, got {raw!r}") from None
    if value.tzinfo is None:
        value = value.replace(tzinfo=SEOUL)
    return value.astimezone(timezone.utc)


def _to_json(raw: Any, json_type: type | None) -> Any:
    if isinstance(raw, (dict, list)):
        value = raw
    else:
        try:
            value = json.loads(str(raw))
        except json.JSONDecodeError as exc:
            raise CellError(f"invalid JSON ({exc.msg} at character {exc.pos})") from None
    if json_type is not None and not isinstance(value, json_type):
        expected = "an object {...}" if json_type is dict else "an array [...]"
        raise CellError(f"expected JSON {expected}")
    return value


def _to_list(raw: Any, item_kind: str) -> list:
    text = str(raw).strip()
    if text.startswith("["):
        value = _to_json(text, list)
    else:  # lenient: "한식, 분식" is accepted too
        value = [part.strip() for part in text.split(",") if part.strip()]
    out = []
    for item in value:
        if item_kind == "int":
            out.append(_to_int(item))
        else:
            if not isinstance(item, (str, int, float)) or isinstance(item, bool):
                raise CellError(f"list items must be text, got {item!r}")
            out.append(str(item))
    return out


def is_blank(raw: Any) -> bool:
    return raw is None or (isinstance(raw, str) and raw.strip() == "")


def from_cell(column: Column, raw: Any) -> Any:
    """Convert one cell; raises CellError with an operator-readable message."""
    if is_blank(raw):
        if column.required:
            raise CellError("required value is missing")
        return column.blank_value()
    kind = column.kind
    if kind == "int":
        value: Any = _to_int(raw)
    elif kind == "str":
        value = str(raw).strip() if not isinstance(raw, float) or raw != int(raw) else str(int(raw))
    elif kind == "bool":
        value = _to_bool(raw)
    elif kind == "decimal":
        value = _to_decimal(raw, column.scale)
    elif kind == "date":
        value = _to_date(raw)
    elif kind == "datetime":
        value = _to_datetime(raw)
    elif kind == "json":
        value = _to_json(raw, column.json_type)
    elif kind == "str_list":
        value = _to_list(raw, "str")
    elif kind == "int_list":
        value = _to_list(raw, "int")
    else:  # pragma: no cover - schema error
        raise AssertionError(f"unknown column kind {kind}")
    _check_value(column, value)
    return value


def _check_value(column: Column, value: Any) -> None:
    if column.choices is not None and value not in column.choices:
        allowed = ", ".join(column.choices)
        raise CellError(f"{value!r} is not one of: {allowed}")
    if column.item_choices is not None:
        bad = [v for v in value if v not in column.item_choices]
        if bad:
            raise CellError(f"{bad[0]!r} is not one of: {', '.join(column.item_choices)}")
    if column.min is not None and isinstance(value, (int, Decimal)) and value < Decimal(str(column.min)):
        raise CellError(f"{value} is below the minimum {column.min:g}")
    if column.max is not None and isinstance(value, (int, Decimal)) and value > Decimal(str(column.max)):
        raise CellError(f"{value} is above the maximum {column.max:g}")
    if column.max_len is not None and isinstance(value, str) and len(value) > column.max_len:
        raise CellError(f"text is longer than {column.max_len} characters")
