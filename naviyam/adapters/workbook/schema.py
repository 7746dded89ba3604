"""The workbook layout: sheets, columns, cell conventions and the rules a row must meet.

Shared by the generator (Python value → cell) and the importer (cell → Python value),
so both always agree. Conventions (docs/SAMPLE_DATA.md):
- every sheet has an explicit integer ``id`` (coupons: a text code) so re-imports upsert;
- JSON objects and arrays are JSON text; dates ``YYYY-MM-DD``; timestamps ISO 8601 with
  offset (naive means Asia/Seoul); booleans TRUE/FALSE;
- a blank cell means "use the column default" (or NULL when the column has none).
"""
from __future__ import annotations

import json
import re
from dataclasses import dataclass, field
from datetime import date, datetime, timezone
from decimal import Decimal, InvalidOperation
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import Numeric, String

from naviyam.adapters.db import models as m

SEOUL = ZoneInfo("Asia/Seoul")
WEEKDAYS = ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")
HOURS_KEYS = WEEKDAYS + ("holiday",)
_TIME_RE = re.compile(r"^([01]\d|2[0-4]):([0-5]\d)$")


class _ServerDefault:
    """Blank cell: leave the column out, the database default applies."""

    def __repr__(self) -> str:
        return "SERVER_DEFAULT"


SERVER_DEFAULT = _ServerDefault()
_NO_DEFAULT = object()


@dataclass(frozen=True)
class Column:
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


@dataclass(frozen=True)
class Sheet:
    name: str
    model: type | None  # None: validated and read by tools, not written to a table
    columns: tuple[Column, ...]
    unique: tuple[tuple[str, ...], ...] = ()
    id_kind: str = "int"
    by_name: dict[str, Column] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        object.__setattr__(self, "by_name", {c.name: c for c in self.columns})

    @property
    def column_names(self) -> list[str]:
        return [c.name for c in self.columns]


def _with_model_limits(model: type | None, columns: tuple[Column, ...]) -> tuple[Column, ...]:
    """Fill max_len / scale from the SQLAlchemy column types."""
    if model is None:
        return columns
    table = model.__table__
    out = []
    for col in columns:
        sa_type = table.c[col.name].type
        max_len = col.max_len
        scale = col.scale
        if isinstance(sa_type, String) and sa_type.length and max_len is None:
            max_len = sa_type.length
        if isinstance(sa_type, Numeric) and scale is None:
            scale = sa_type.scale
        out.append(Column(**{**col.__dict__, "max_len": max_len, "scale": scale}))
    return tuple(out)


def _sheet(name: str, model: type | None, columns: tuple[Column, ...], **kw: Any) -> Sheet:
    return Sheet(name, model, _with_model_limits(model, columns), **kw)


C = Column
ID = C("id", "int", required=True, min=1)

SHEETS: tuple[Sheet, ...] = (
    _sheet("shops", m.Shop, (
        ID,
        C("shop_name", "str", required=True),
        C("category", "str", required=True, choices=m.SHOP_CATEGORIES),
        C("address_name", "str", required=True),
        C("road_address_name", "str"),
        C("neighbourhood", "str"),
        C("is_good_influence_shop", "bool", default=False),
        C("is_food_card_shop", "str", choices=m.FOODCARD_STATUSES, default="U"),
        C("business_hours", "json", json_type=dict),
        C("phone", "str"),
        C("owner_message", "str"),
        C("latitude", "decimal", required=True, min=-90, max=90),
        C("longitude", "decimal", required=True, min=-180, max=180),
        C("current_status", "str", choices=m.SHOP_STATUSES, default="UNKNOWN"),
        C("popularity_score", "decimal", min=0, max=1, default=Decimal("0")),
        C("quality_score", "decimal", min=0, max=1, default=Decimal("0")),
        C("recommendation_count", "int", min=0, default=0),
        C("data_source", "str", default="manual"),
    ), unique=(("shop_name", "address_name"),)),
    _sheet("menus", m.Menu, (
        ID,
        C("shop_id", "int", required=True, ref="shops"),
        C("menu_name", "str", required=True),
        C("price", "int", required=True, min=0, max=1_000_000),
        C("description", "str"),
        C("category", "str", choices=m.MENU_CATEGORIES),
        C("is_available", "bool", default=True),
        C("is_popular", "bool", default=False),
        C("options", "json", json_type=dict),
        C("recommendation_frequency", "int", min=0, default=0),
        C("dietary_info", "str"),
        C("tags", "str_list", default=[]),
    ), unique=(("shop_id", "menu_name"),)),
    _sheet("users", m.User, (
        ID,
        C("external_user_id", "str", required=True),
        C("platform", "str", choices=m.PLATFORMS, default="web"),
        C("name", "str"),
        C("nickname", "str"),
        C("email", "str"),
        C("phone_number", "str"),
        C("birth_date", "date"),
        C("current_address", "str"),
        C("preferred_location", "str"),
        C("status", "str", choices=m.USER_STATUSES, default="ACTIVE"),
        C("terms_agreed_at", "datetime"),
        C("privacy_agreed_at", "datetime"),
        C("marketing_agreed_at", "datetime"),
        C("last_login_at", "datetime"),
    ), unique=(("external_user_id",), ("email",))),
    _sheet("foodcard_users", m.FoodcardUser, (
        ID,
        C("user_id", "int", required=True, ref="users"),
        C("card_number", "str"),
        C("card_type", "str", required=True, choices=m.CARD_TYPES),
        C("balance", "int", required=True, min=0),
        C("daily_limit", "int", min=0),
        C("monthly_limit", "int", min=0),
        C("daily_spent", "int", min=0, default=0),
        C("monthly_spent", "int", min=0, default=0),
        C("spent_as_of", "date"),
        C("target_age_group", "str", required=True, choices=m.AGE_GROUPS),
        C("status", "str", choices=m.CARD_STATUSES, default="ACTIVE"),
        C("balance_alert_threshold", "int", min=0, default=5000),
        C("balance_alert_sent", "bool", default=False),
        C("last_balance_alert_at", "datetime"),
        C("last_sync_at", "datetime"),
    ), unique=(("user_id",), ("card_number",))),
    _sheet("user_profiles", m.UserProfile, (
        ID,
        C("user_id", "int", required=True, ref="users"),
        C("preferred_categories", "str_list", default=[], item_choices=m.SHOP_CATEGORIES),
        C("average_budget", "int", min=0, max=1_000_000),
        C("favorite_shops", "int_list", default=[], ref="shops"),
        C("conversation_style", "str", choices=m.CONVERSATION_STYLES, default="friendly"),
        C("taste_preferences", "json", json_type=dict, default={}),
        C("companion_patterns", "str_list", default=[]),
        C("location_preferences", "str_list", default=[]),
        C("dietary_restrictions", "str_list", default=[]),
        C("good_influence_preference", "decimal", min=0, max=1, default=Decimal("0.50")),
        C("interaction_count", "int", min=0, default=0),
        C("data_completeness", "decimal", min=0, max=1, default=Decimal("0.00")),
        C("recent_orders", "json", json_type=list, default=[]),
        C("onboarding_completed_at", "datetime"),
        C("last_updated", "datetime", default=SERVER_DEFAULT),
    ), unique=(("user_id",),)),
    _sheet("coupons", m.Coupon, (
        C("id", "str", required=True, max_len=50),
        C("coupon_name", "str", required=True),
        C("description", "str", required=True),
        C("coupon_type", "str", required=True, choices=m.COUPON_TYPES),
        C("discount_amount", "int", min=1),
        C("discount_rate", "decimal", min=0.01, max=1),
        C("max_discount_amount", "int", min=0),
        C("min_order_amount", "int", min=0, default=0),
        C("usage_type", "str", required=True, choices=m.COUPON_USAGE_TYPES),
        C("target_categories", "str_list", item_choices=m.SHOP_CATEGORIES),
        C("applicable_shop_ids", "int_list", ref="shops"),
        C("target_user_types", "str_list"),
        C("valid_from", "date", required=True),
        C("valid_until", "date", required=True),
        C("max_issue_count", "int", min=0),
        C("max_use_per_user", "int", min=1, default=1),
        C("total_issued", "int", min=0, default=0),
        C("total_used", "int", min=0, default=0),
        C("is_active", "bool", default=True),
        C("priority_score", "decimal", min=0, max=1, default=Decimal("0.50")),
        C("created_by", "str"),
    ), id_kind="str"),
    _sheet("user_coupon_wallet", m.UserCouponWallet, (
        ID,
        C("user_id", "int", required=True, ref="users"),
        C("coupon_id", "str", required=True, ref="coupons"),
        C("status", "str", choices=m.WALLET_STATUSES, default="ACTIVE"),
        C("issued_at", "datetime", required=True),
        C("issued_by", "str", default="SYSTEM"),
        C("acquisition_source", "str", required=True, choices=m.ACQUISITION_SOURCES),
        C("acquisition_context", "json", json_type=dict),
        C("used_at", "datetime"),
        C("used_shop_id", "int", ref="shops"),
        C("used_order_amount", "int", min=0),
        C("discount_applied", "int", min=0),
        C("redemption_key", "str"),
        C("expires_at", "datetime", required=True),
        C("expiry_notified", "bool", default=False),
        C("usage_probability", "decimal", min=0, max=1, default=Decimal("0.500")),
        C("recommended_usage_date", "date"),
    ), unique=(("redemption_key",),)),
    # Past selections (training logs for the ranker). Not a table: validated, then
    # read from the workbook by ml/ tools; each user's last 10 are in recent_orders.
    _sheet("orders", None, (
        ID,
        C("user_id", "int", required=True, ref="users"),
        C("shop_id", "int", required=True, ref="shops"),
        C("menu_id", "int", required=True, ref="menus"),
        C("menu_name", "str", required=True, max_len=200),
        C("price", "int", required=True, min=0, max=1_000_000),
        C("coupon_id", "str", ref="coupons"),
        C("final_price", "int", min=0, max=1_000_000),
        C("ordered_at", "datetime", required=True),
        C("companions", "str"),
        C("satisfaction", "decimal", min=1, max=5, scale=1),
    )),
)

SHEETS_BY_NAME = {s.name: s for s in SHEETS}
REQUIRED_SHEETS = ("shops", "menus")


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


# ---------------------------------------------------------------- business hours

def _minutes(text: Any) -> int | None:
    if not isinstance(text, str) or not _TIME_RE.match(text):
        return None
    hours, minutes = int(text[:2]), int(text[3:])
    if hours == 24 and minutes != 0:
        return None
    return hours * 60 + minutes


def business_hours_problems(hours: dict) -> list[str]:
    """What is wrong with a business_hours object (empty list: fine).

    Format (seed 004 §3.1): ``{"monday": {"open": "09:00", "close": "22:00",
    "break_start": "15:00", "break_end": "17:00"}, ..., "sunday": {"closed": true}}``.
    ``close`` "24:00" is midnight; a ``close`` earlier than ``open`` means the next day
    (``{"open": "17:00", "close": "02:00"}``); 24 hours is ``{"open": "00:00", "close": "24:00"}``.
    """
    problems = []
    for key, day in hours.items():
        if key not in HOURS_KEYS:
            problems.append(f"unknown day {key!r} (use {', '.join(HOURS_KEYS)})")
            continue
        if not isinstance(day, dict):
            problems.append(f"{key}: expected an object")
            continue
        if day.get("closed") is True:
            continue
        opening, closing = _minutes(day.get("open")), _minutes(day.get("close"))
        if opening is None or closing is None:
            problems.append(f"{key}: open and close must be HH:MM (00:00-24:00)")
            continue
        if opening == closing or opening == 24 * 60:
            problems.append(f"{key}: open and close must differ (24 hours is 00:00-24:00)")
            continue
        has_start, has_end = "break_start" in day, "break_end" in day
        if has_start != has_end:
            problems.append(f"{key}: break_start and break_end go together")
            continue
        if has_start:
            start, end = _minutes(day["break_start"]), _minutes(day["break_end"])
            if start is None or end is None or start >= end:
                problems.append(f"{key}: break must be HH:MM with break_start before break_end")
                continue
            closing_same_day = closing if closing > opening else 24 * 60
            if not (opening <= start and end <= closing_same_day):
                problems.append(f"{key}: the break must lie within opening hours")
    return problems
