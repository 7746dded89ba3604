"""The sample dataset generator: deterministic, big enough, realistic and consistent."""
from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta

import pytest
from openpyxl import load_workbook

from devtools.sampledata.catalog.menus import DIETARY_MARKERS, TAGS
from devtools.sampledata.catalog.people import DEMO_PERSONAS
from devtools.sampledata.catalog.places import NEIGHBOURHOODS
from devtools.sampledata.dates import AS_OF
from devtools.sampledata.generate import build_dataset, generate_workbook, main
from naviyam.adapters.db import models
from naviyam.adapters.workbook.cells import SEOUL
from naviyam.adapters.workbook.row_rules import business_hours_problems
from naviyam.adapters.workbook.schema import SHEETS
from naviyam.adapters.workbook.validate import validate_workbook
from naviyam.domain.geo import haversine_m
from naviyam.domain.hours import is_open_at
from tests.conftest import PROJECT_ROOT

MEAT_OR_FISH = ("돼지고기 포함", "소고기 포함", "닭고기 포함", "해산물 포함", "갑각류 포함")
MONDAY = date(2026, 11, 16)  # any Monday; the property must hold every week


@pytest.fixture(scope="module")
def data():
    return build_dataset()


@pytest.fixture(scope="module")
def menus_by_shop(data):
    result: dict[int, list[dict]] = {}
    for menu in data["menus"]:
        result.setdefault(menu["shop_id"], []).append(menu)
    return result


def _sheet_values(path):
    wb = load_workbook(path, read_only=True)
    try:
        return {ws.title: [tuple(r) for r in ws.iter_rows(values_only=True)] for ws in wb.worksheets}
    finally:
        wb.close()


def test_same_seed_same_workbook(tmp_path):
    first, second = tmp_path / "a.xlsx", tmp_path / "b.xlsx"
    generate_workbook(first)
    generate_workbook(second)
    assert first.read_bytes() == second.read_bytes()
    assert _sheet_values(first) == _sheet_values(second)
    assert [s.name for s in SHEETS] == list(_sheet_values(first))


def test_committed_sample_is_what_the_generator_writes(tmp_path):
    """data/sample_data.xlsx holds what the default options generate: regenerate it
    (python -m devtools.sampledata.generate) whenever the generator changes."""
    path = tmp_path / "sample.xlsx"
    generate_workbook(path)
    assert _sheet_values(path) == _sheet_values(PROJECT_ROOT / "data" / "sample_data.xlsx")


def test_other_seed_other_data():
    assert build_dataset(seed=7)["shops"] != build_dataset()["shops"]


def test_sizes_and_categories(data, menus_by_shop):
    assert len(data["shops"]) >= 300
    assert set(s["category"] for s in data["shops"]) == set(models.SHOP_CATEGORIES)
    assert len(data["menus"]) >= 2000
    assert all(6 <= len(menus_by_shop[s["id"]]) <= 12 for s in data["shops"])
    assert {s["neighbourhood"] for s in data["shops"]} == {h.name for h in NEIGHBOURHOODS}
    assert 35 <= len(data["users"]) <= 45


def test_shop_names_addresses_and_places(data):
    hoods = {h.name: h for h in NEIGHBOURHOODS}
    names = [s["shop_name"] for s in data["shops"]]
    assert len(set(names)) == len(names)
    for shop in data["shops"]:
        hood = hoods[shop["neighbourhood"]]
        distance = haversine_m(hood.lat, hood.lng, float(shop["latitude"]), float(shop["longitude"]))
        assert distance <= 1250, shop
        assert shop["address_name"].startswith(f"서울 {hood.gu} ")
        assert shop["road_address_name"].startswith(f"서울 {hood.gu} ")
        assert shop["phone"] is None or shop["phone"].startswith("02-")
        assert 0 <= shop["popularity_score"] <= 1 and 0 <= shop["quality_score"] <= 1
    assert any(n.startswith("CU ") for n in names) and any(n.startswith("GS25 ") for n in names)


def test_meal_card_mix_and_good_shops(data):
    shops = data["shops"]
    statuses = Counter(s["is_food_card_shop"] for s in shops)
    assert set(statuses) == {"Y", "N", "P", "U"}
    assert statuses["Y"] > len(shops) / 2
    assert all(s["is_food_card_shop"] == "Y" for s in shops if s["category"] == "편의점")
    share = sum(s["is_good_influence_shop"] for s in shops) / len(shops)
    assert 0.15 <= share <= 0.35
    messages = [s["owner_message"] for s in shops if s["owner_message"]]
    assert len(set(messages)) >= 15
    assert not any("급식카드" in (s["owner_message"] or "") for s in shops if s["is_food_card_shop"] in ("N", "U"))


def test_prices_fit_the_menu(data):
    by_name = Counter()
    for menu in data["menus"]:
        assert 1000 <= menu["price"] <= 30000, menu
        by_name[menu["menu_name"]] += 1
        name, price = menu["menu_name"], menu["price"]
        if name == "김밥":
            assert 3000 <= price <= 4500
        if name == "떡볶이":
            assert 4000 <= price <= 5000
        if name == "짜장면":
            assert 6000 <= price <= 7000
        if name.endswith("삼각김밥"):
            assert 1200 <= price <= 1800
        if name in ("후라이드치킨", "양념치킨"):
            assert 17000 <= price <= 20000
    assert by_name["김밥"] and by_name["짜장면"] and by_name["후라이드치킨"]
    assert any(not m["is_available"] for m in data["menus"])
    assert any(m["options"] for m in data["menus"])
    assert {m["category"] for m in data["menus"]} == set(models.MENU_CATEGORIES)


def test_tags_and_dietary_info_use_the_vocabulary(data):
    for menu in data["menus"]:
        assert menu["tags"] and set(menu["tags"]) <= set(TAGS), menu
        markers = menu["dietary_info"].split(",") if menu["dietary_info"] else []
        assert set(markers) <= set(DIETARY_MARKERS), menu
        if "채식" in menu["tags"] or "채식" in markers or "비건" in markers:
            assert not any(m in markers for m in MEAT_OR_FISH), menu
        assert menu["description"]
    tags = Counter(t for m in data["menus"] for t in m["tags"])
    for needed in ("매운맛", "국물", "튀김", "밥", "면", "채식", "고기", "해산물", "달콤", "든든", "가벼움"):
        assert tags[needed] >= 20, needed


def test_business_hours_are_valid_and_varied(data):
    kinds = Counter()
    for shop in data["shops"]:
        hours = shop["business_hours"]
        assert business_hours_problems(hours) == [], shop["shop_name"]
        for day in hours.values():
            if day.get("closed"):
                kinds["closed day"] += 1
            elif (day["open"], day["close"]) == ("00:00", "24:00"):
                kinds["24 hours"] += 1
            elif day["close"] < day["open"]:
                kinds["past midnight"] += 1
            if "break_start" in day:
                kinds["break"] += 1
    assert all(kinds[k] >= 10 for k in ("closed day", "24 hours", "past midnight", "break")), kinds


def test_past_midnight_hours_mean_the_next_day(data):
    late = next(s for s in data["shops"]
                if s["business_hours"].get("friday", {}).get("close", "99") < s["business_hours"]["friday"].get("open", ""))
    friday = MONDAY + timedelta(days=4)
    assert is_open_at(late["business_hours"], datetime(friday.year, friday.month, friday.day, 23, 30, tzinfo=SEOUL))
    saturday_early = datetime(friday.year, friday.month, friday.day + 1, 1, 0, tzinfo=SEOUL)
    assert is_open_at(late["business_hours"], saturday_early)


@pytest.mark.parametrize("hood", NEIGHBOURHOODS, ids=lambda h: h.key)
def test_a_cheap_meal_card_meal_is_open_at_any_hour(data, menus_by_shop, hood):
    """Every hour of every weekday, near each neighbourhood centre (1 km), some meal-card
    (Y) shop is open with an available menu of 5,000원 or less."""
    candidates = [
        s for s in data["shops"]
        if s["is_food_card_shop"] == "Y"
        and haversine_m(hood.lat, hood.lng, float(s["latitude"]), float(s["longitude"])) <= 1000
        and any(m["is_available"] and m["price"] <= 5000 for m in menus_by_shop[s["id"]])
    ]
    missing = []
    for day in range(7):
        for hour in range(24):
            for minute in (0, 30):
                when = datetime(MONDAY.year, MONDAY.month, MONDAY.day, hour, minute, tzinfo=SEOUL) + timedelta(days=day)
                if not any(is_open_at(s["business_hours"], when) for s in candidates):
                    missing.append(when.strftime("%a %H:%M"))
    assert missing == []
    # and not only convenience stores: at lunch and dinner there is real choice
    lunch = datetime(MONDAY.year, MONDAY.month, MONDAY.day, 12, 30, tzinfo=SEOUL)
    assert len({s["category"] for s in candidates if is_open_at(s["business_hours"], lunch)}) >= 4


def test_coupons_cover_every_kind(data):
    coupons = {c["id"]: c for c in data["coupons"]}
    assert {c["usage_type"] for c in coupons.values()} == set(models.COUPON_USAGE_TYPES)
    assert {c["coupon_type"] for c in coupons.values()} == {"FIXED_AMOUNT", "PERCENTAGE"}
    for c in coupons.values():
        assert (c["discount_amount"] is None) != (c["discount_rate"] is None)
        if c["coupon_type"] == "PERCENTAGE":
            assert c["discount_rate"] and c["max_discount_amount"]
    assert {"WELCOME1000", "FOODCARD500", "EMERGENCY_ASSIST"} <= set(coupons)
    emergency = coupons["EMERGENCY_ASSIST"]
    assert emergency["usage_type"] in ("ALL", "FOODCARD") and 1000 <= emergency["discount_amount"] <= 2000
    today = date(2026, 11, 21)
    assert any(c["valid_until"] < today for c in coupons.values())
    assert any(not c["is_active"] for c in coupons.values())
    valid_now = [c for c in coupons.values() if c["is_active"] and c["valid_from"] <= today <= c["valid_until"]]
    assert {c["usage_type"] for c in valid_now} == set(models.COUPON_USAGE_TYPES)


def test_demo_users(data):
    users = {u["external_user_id"]: u for u in data["users"]}
    cards = {c["user_id"]: c for c in data["foodcard_users"]}
    profiles = {p["user_id"]: p for p in data["user_profiles"]}
    for persona in DEMO_PERSONAS:
        assert persona.external_user_id in users
    card = lambda ext: cards.get(users[ext]["id"])  # noqa: E731
    assert card("demo_kid_01")["balance"] >= 10000
    assert card("demo_lowbal_01")["balance"] < 5000
    assert card("demo_zero_01")["balance"] == 0
    assert card("demo_nocard_01") is None
    assert card("demo_suspended_01")["status"] == "SUSPENDED"
    assert profiles[users["demo_new_01"]["id"]]["interaction_count"] == 0
    assert profiles[users["demo_allergy_01"]["id"]]["dietary_restrictions"] == ["돼지고기", "갑각류"]
    assert any(p["interaction_count"] >= 12 for p in profiles.values())
    assert {u["platform"] for u in data["users"]} >= {"test", "web", "kakao", "telegram"}
    assert all(u["external_user_id"].startswith("kakao:") for u in data["users"] if u["platform"] == "kakao")
    for c in data["foodcard_users"]:
        assert c["card_number"].startswith("9410-****-****-")
        assert 0 <= c["daily_spent"] <= c["daily_limit"] and 0 <= c["monthly_spent"] <= c["monthly_limit"]
        assert c["spent_as_of"] == AS_OF
    assert len(cards) > len(data["users"]) // 2 and len(cards) < len(data["users"])
    assert all(u["email"] is None and u["phone_number"] is None and u["name"] is None for u in data["users"])


def test_order_histories_are_consistent(data):
    shops = {s["id"]: s for s in data["shops"]}
    menus = {m["id"]: m for m in data["menus"]}
    users = {u["id"]: u for u in data["users"]}
    cards = {c["user_id"] for c in data["foodcard_users"]}
    for profile in data["user_profiles"]:
        restrictions = profile["dietary_restrictions"]
        assert len(profile["recent_orders"]) <= 10
        if profile["interaction_count"] == 0:
            assert profile["recent_orders"] == []
        for order in profile["recent_orders"]:
            menu, shop = menus[order["menu_id"]], shops[order["shop_id"]]
            assert menu["shop_id"] == shop["id"] and menu["menu_name"] == order["menu_name"]
            assert menu["price"] == order["price"]
            assert shop["neighbourhood"] == users[profile["user_id"]]["preferred_location"]
            when = datetime.fromisoformat(order["order_date"])
            assert is_open_at(shop["business_hours"], when), (shop["shop_name"], order)
            if profile["user_id"] in cards:
                assert shop["is_food_card_shop"] in ("Y", "P")
            for word in restrictions:
                assert f"{word} 포함" not in (menu["dietary_info"] or ""), (word, menu)
        assert set(profile["favorite_shops"]) <= {o["shop_id"] for o in profile["recent_orders"]} | set(shops)


def test_wallets_are_consistent(data):
    coupons = {c["id"]: c for c in data["coupons"]}
    seen = set()
    for w in data["user_coupon_wallet"]:
        assert (w["status"] == "USED") == (w["used_at"] is not None)
        assert w["expires_at"] >= w["issued_at"]
        if w["status"] == "USED":
            assert w["issued_at"] <= w["used_at"] and w["used_shop_id"] and w["discount_applied"] > 0
        key = (w["user_id"], w["coupon_id"], w["status"])
        assert key not in seen or w["status"] != "ACTIVE"
        seen.add(key)
    assert {w["status"] for w in data["user_coupon_wallet"]} == {"ACTIVE", "USED", "EXPIRED", "CANCELLED"}
    for cid, n in Counter(w["coupon_id"] for w in data["user_coupon_wallet"]).items():
        assert coupons[cid]["total_issued"] == n


def test_generated_workbook_passes_validation(tmp_path):
    path = tmp_path / "sample.xlsx"
    generate_workbook(path)
    parsed, issues = validate_workbook(path)
    assert issues == []
    assert len(parsed["shops"].rows) == len(build_dataset()["shops"])


def test_cli_writes_a_smaller_workbook(tmp_path, capsys):
    out = tmp_path / "small.xlsx"
    assert main(["--out", str(out), "--shops", "60", "--seed", "3"]) == 0
    assert "shops 60" in capsys.readouterr().out
    assert len(_sheet_values(out)["shops"]) == 61
    with pytest.raises(SystemExit):
        main(["--out", str(out), "--shops", "5"])
