"""The sample-data workbook's cells, sheets and row rules: what an operator's edited cell becomes."""
from __future__ import annotations

from datetime import date, datetime, timezone
from decimal import Decimal

import pytest

from devtools.sampledata.generate import build_dataset
from naviyam.adapters.workbook.cells import SERVER_DEFAULT, SEOUL, CellError, Column, from_cell, to_cell
from naviyam.adapters.workbook.row_rules import business_hours_problems, row_problems
from naviyam.adapters.workbook.schema import SHEETS

BY_NAME = {s.name: s for s in SHEETS}


def col(sheet: str, name: str) -> Column:
    return BY_NAME[sheet].by_name[name]


# ---------------------------------------------------------------- cells

def test_every_generated_value_survives_the_round_trip_through_a_cell():
    dataset = build_dataset(seed=5, n_shops=39)
    for sheet in SHEETS:
        for row in dataset[sheet.name]:
            for column in sheet.columns:
                value = row.get(column.name)
                if value is None or value is SERVER_DEFAULT:
                    continue
                back = from_cell(column, to_cell(column, value))
                assert back == value, (sheet.name, column.name, value, back)


def test_numbers_typed_by_hand_are_read_as_numbers():
    price = col("menus", "price")
    assert from_cell(price, "1,200") == 1200
    assert from_cell(price, 4500.0) == 4500
    with pytest.raises(CellError, match="whole number"):
        from_cell(price, "4500.5")
    with pytest.raises(CellError, match="below the minimum"):
        from_cell(price, -1)
    with pytest.raises(CellError, match="above the maximum"):
        from_cell(price, 2_000_000)
    assert from_cell(col("shops", "popularity_score"), "0.5") == Decimal("0.5")


def test_booleans_accept_the_usual_spellings():
    available = col("menus", "is_available")
    assert [from_cell(available, v) for v in ("TRUE", "y", "O", 1, True)] == [True] * 5
    assert [from_cell(available, v) for v in ("false", "N", "x", 0, False)] == [False] * 5
    with pytest.raises(CellError, match="TRUE or FALSE"):
        from_cell(available, "maybe")


def test_blank_cells_take_the_column_default_or_are_refused_when_required():
    assert from_cell(col("menus", "is_available"), None) is True
    assert from_cell(col("menus", "tags"), "  ") == []
    assert from_cell(col("menus", "description"), "") is None
    assert from_cell(col("user_profiles", "last_updated"), None) is SERVER_DEFAULT
    with pytest.raises(CellError, match="required"):
        from_cell(col("shops", "shop_name"), None)


def test_timestamps_without_an_offset_are_seoul_time_and_stored_in_utc():
    issued = col("user_coupon_wallet", "issued_at")
    value = from_cell(issued, "2026-11-20T09:00:00")
    assert value == datetime(2026, 11, 20, 9, 0, tzinfo=SEOUL)
    assert value.tzinfo == timezone.utc and value.hour == 0
    assert from_cell(issued, "2026-11-20T09:00:00+00:00").hour == 9
    assert from_cell(col("users", "birth_date"), "2012-03-01") == date(2012, 3, 1)
    with pytest.raises(CellError, match="ISO 8601"):
        from_cell(issued, "20 Nov")


def test_choices_lists_and_json():
    with pytest.raises(CellError, match="is not one of"):
        from_cell(col("shops", "category"), "라멘")
    categories = col("user_profiles", "preferred_categories")
    assert from_cell(categories, "한식, 분식") == ["한식", "분식"]
    assert from_cell(categories, '["한식"]') == ["한식"]
    with pytest.raises(CellError, match="is not one of"):
        from_cell(categories, "한식, 라멘")
    assert from_cell(col("user_profiles", "favorite_shops"), "[3, 4]") == [3, 4]
    hours = col("shops", "business_hours")
    assert from_cell(hours, '{"monday": {"closed": true}}') == {"monday": {"closed": True}}
    with pytest.raises(CellError, match="invalid JSON"):
        from_cell(hours, "{monday")
    with pytest.raises(CellError, match="JSON an object"):
        from_cell(hours, "[]")


def test_text_lengths_come_from_the_database_columns():
    name = col("shops", "shop_name")
    assert name.max_len
    with pytest.raises(CellError, match=f"longer than {name.max_len}"):
        from_cell(name, "가" * (name.max_len + 1))


# ---------------------------------------------------------------- sheets

def test_sheets_in_import_order_with_ids_and_references():
    assert [s.name for s in SHEETS] == ["shops", "menus", "users", "foodcard_users", "user_profiles",
                                        "coupons", "user_coupon_wallet", "orders"]
    position = {s.name: i for i, s in enumerate(SHEETS)}
    for sheet in SHEETS:
        assert sheet.column_names[0] == "id" and sheet.by_name["id"].required
        for column in sheet.columns:
            if column.ref:  # a sheet refers only to sheets imported before it
                assert position[column.ref] < position[sheet.name], (sheet.name, column.name)
    assert BY_NAME["coupons"].id_kind == "str" and BY_NAME["orders"].model is None


# ---------------------------------------------------------------- row rules

def test_business_hours_rules():
    assert business_hours_problems({
        "monday": {"open": "17:00", "close": "02:00"},
        "tuesday": {"open": "00:00", "close": "24:00"},
        "wednesday": {"open": "10:00", "close": "21:00", "break_start": "15:00", "break_end": "16:30"},
        "sunday": {"closed": True}, "holiday": {"closed": True},
    }) == []
    problems = business_hours_problems({
        "funday": {"closed": True},
        "monday": {"open": "9:00", "close": "22:00"},
        "tuesday": {"open": "10:00", "close": "10:00"},
        "wednesday": {"open": "10:00", "close": "21:00", "break_start": "09:00", "break_end": "09:30"},
        "thursday": {"open": "10:00", "close": "21:00", "break_start": "15:00"},
    })
    assert [p.split(":")[0] for p in problems] == ["unknown day 'funday' (use monday, tuesday, wednesday, "
                                                   "thursday, friday, saturday, sunday, holiday)",
                                                   "monday", "tuesday", "wednesday", "thursday"]


def test_coupon_wallet_and_card_rules():
    coupon = {"discount_amount": 500, "discount_rate": Decimal("0.1"), "coupon_type": "FIXED_AMOUNT",
              "valid_from": date(2026, 2, 1), "valid_until": date(2026, 1, 1), "usage_type": "SHOP",
              "applicable_shop_ids": None}
    assert {c for c, _ in row_problems("coupons", coupon)} == {"discount_amount", "valid_until",
                                                               "applicable_shop_ids"}
    issued = datetime(2026, 3, 1, tzinfo=timezone.utc)
    wallet = {"issued_at": issued, "expires_at": issued, "status": "USED", "used_at": None}
    assert list(row_problems("user_coupon_wallet", wallet)) == [("used_at", "status USED needs used_at")]
    card = {"daily_limit": 9000, "daily_spent": 9500, "monthly_limit": None, "monthly_spent": 0}
    assert list(row_problems("foodcard_users", card)) == [("daily_spent", "daily_spent is above daily_limit")]
