""""메뉴 보기": one shop's whole menu, through the action (no Rasa) and the service."""
from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk import Tracker
from sqlalchemy import select

from actions.recommend import ActionRecommend
from actions.shop_menu import ActionShowMenu
import helpers_actions
from helpers_actions import make_tracker, texts
from naviyam.adapters.db.models import Menu, Shop, User
from naviyam.usecases.shop_menu import brand_of, find_shop_id, shop_menu

KST = ZoneInfo("Asia/Seoul")
LUNCH = "2026-11-17T12:30:00+09:00"


@pytest.fixture(autouse=True)
def _recommender(recommender_env):
    """Isolated index/ranker folders and a fresh catalog (tests/conftest.py)."""


def tracker(text: str, intent: str, entities: list[dict], slots: dict | None = None,
            now: str = LUNCH, sender: str = "demo_kid_01") -> Tracker:
    return make_tracker(sender, text, intent, entities, slots=slots, metadata={"now": now})


def run(action, trk, domain) -> tuple[list[dict], str, dict | None]:
    events, messages = helpers_actions.run(action, trk, domain)
    return events, texts(messages), next((m["custom"] for m in messages if m.get("custom")), None)


def recommended(domain) -> tuple[dict, dict]:
    events, _text, custom = run(ActionRecommend(), tracker(
        "5천원으로 점심 추천해줘", "budget_inquiry", [{"entity": "budget", "value": 5000}]), domain)
    slots = {e["name"]: e["value"] for e in events if e.get("event") == "slot"}
    return custom, slots


def test_the_card_button_shows_the_shops_menu_marked_by_budget(loaded_database_url, domain):
    custom, slots = recommended(domain)
    first = custom["recommendations"][0]
    _events, text, menu = run(ActionShowMenu(), tracker(
        '/shop_menu{"shop_id": %d}' % first["shop_id"], "shop_menu",
        [{"entity": "shop_id", "value": first["shop_id"]}], slots={**slots, "budget": 5000}), domain)
    assert menu["kind"] == "shop_menu" and menu["shop_id"] == first["shop_id"]
    assert first["shop_name"] in text and "메뉴예요" in text
    assert menu["budget"] is not None and menu["budget"] <= 5000
    for line in menu["menus"]:
        assert line["fits_budget"] == (line["final_price"] <= menu["budget"])
    flags = [line["fits_budget"] for line in menu["menus"]]
    assert flags == sorted(flags, reverse=True)                 # what fits comes first
    assert first["menu"]["menu_id"] in {m["menu_id"] for m in menu["menus"] if m["fits_budget"]}
    assert "✅" in text


def test_an_option_number_or_a_name_finds_the_shop(loaded_database_url, domain):
    custom, slots = recommended(domain)
    second = custom["recommendations"][1]
    _e, _t, by_number = run(ActionShowMenu(), tracker(
        "2번 메뉴 보여줘", "shop_menu", [{"entity": "option_number", "value": 2}], slots=slots), domain)
    assert by_number["shop_id"] == second["shop_id"]
    _e, _t, by_name = run(ActionShowMenu(), tracker(
        f"{second['shop_name']} 메뉴 보여주세요", "shop_menu", [], slots={}), domain)
    assert by_name["shop_id"] == second["shop_id"]


def test_no_shop_named_gets_a_polite_question(loaded_database_url, domain):
    _e, text, custom = run(ActionShowMenu(), tracker("메뉴 보여줘", "shop_menu", [], slots={}), domain)
    assert custom is None and "어느 가게 메뉴" in text


def test_a_closed_shop_says_so_with_todays_hours(loaded_database_url, db_session, domain):
    from naviyam.domain.hours import is_open_at

    night = datetime(2026, 11, 17, 3, 30, tzinfo=KST)
    shop_id = next(s.id for s in db_session.scalars(select(Shop).where(Shop.menus.any()).order_by(Shop.id))
                   if s.business_hours and not is_open_at(s.business_hours, night))
    _e, text, menu = run(ActionShowMenu(), tracker(
        "메뉴 보여줘", "shop_menu", [{"entity": "shop_id", "value": shop_id}],
        now="2026-11-17T03:30:00+09:00"), domain)
    assert menu["open_now"] is False and "문을 닫았어요" in text


def test_service_lists_only_available_menus_and_counts_the_rest(loaded_database_url, db_session):
    shop = db_session.scalars(select(Shop).where(Shop.menus.any())).first()
    available = db_session.scalars(select(Menu).where(Menu.shop_id == shop.id, Menu.is_available)).all()
    kid = db_session.scalar(select(User.id).where(User.external_user_id == "demo_kid_01"))
    now = datetime(2026, 11, 17, 12, 30, tzinfo=KST)
    menu = shop_menu(db_session, shop.id, user_id=kid, now=now, stated_budget=6000, limit=2)
    assert len(menu.menus) == min(2, len(available)) and menu.more == max(0, len(available) - 2)
    assert {m.menu_id for m in menu.menus} <= {m.id for m in available}
    assert shop_menu(db_session, 10**9, user_id=kid, now=now) is None


def test_find_shop_id_prefers_recent_options(loaded_database_url, db_session):
    recent = [{"shop_id": 5, "shop_name": "김밥천국 건대점"}, {"shop_id": 6, "shop_name": "본죽 성수점"}]
    assert find_shop_id(db_session, "본죽 메뉴 뭐 있어?", recent) == 6
    assert find_shop_id(db_session, "2번 메뉴", recent, number=2) == 6
    assert find_shop_id(db_session, "메뉴", [], number=1) is None
    assert find_shop_id(db_session, "신촌에 있는 가게 메뉴", [{"shop_id": 7, "shop_name": "신촌 분식"}]) is None


def test_a_brand_finds_the_nearest_branch(loaded_database_url, db_session):
    from naviyam.domain.geo import haversine_m

    shops = db_session.scalars(select(Shop).order_by(Shop.id)).all()
    by_brand: dict[str, list[Shop]] = {}
    for shop in shops:
        by_brand.setdefault(shop.shop_name.split()[0], []).append(shop)
    brand, branches = next((b, s) for b, s in by_brand.items() if len(s) >= 2 and brand_of(b) == b)
    here = (float(branches[-1].latitude), float(branches[-1].longitude))
    nearest = min(branches, key=lambda s: haversine_m(*here, float(s.latitude), float(s.longitude)))
    assert find_shop_id(db_session, f"{brand} 메뉴 뭐 있어?", [], near=here) == nearest.id
    assert find_shop_id(db_session, f"{brand} 메뉴 뭐 있어?", []) == min(s.id for s in branches)
    assert find_shop_id(db_session, "아무 가게 메뉴", []) is None
    assert find_shop_id(db_session, "신촌에 있는 가게 메뉴 보여줘", []) is None     # a place, not a brand
