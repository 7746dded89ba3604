"""The workbook layout: its sheets, their columns and the unique keys of each sheet.

One sheet per table (plus ``orders``, validated and read by tools). Every sheet has an
explicit integer ``id`` (coupons: a text code) so re-imports upsert. Column kinds and
cell conversion: ``naviyam.adapters.workbook.cells``; rules that involve several
columns of a row: ``naviyam.adapters.workbook.row_rules``.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from sqlalchemy import Numeric, String

from naviyam.adapters.db import models as m
from naviyam.adapters.workbook.cells import SERVER_DEFAULT, Column


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
        C("free_meal_offer", "str"),
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
        C("seats", "int", min=0, max=10_000),
        C("group_friendly", "bool"),
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

REQUIRED_SHEETS = ("shops", "menus")  # a workbook without these is refused
