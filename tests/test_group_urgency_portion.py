"""Group, urgency and portion (issue 12): the pure rules, then the use case on the sample data."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import numpy as np
import pytest

from naviyam.domain.hours import is_open_at
from naviyam.domain.recommend.catalog import build_catalog
from naviyam.domain.recommend.filters import FilterContext, apply_hard_filters, check_open
from naviyam.domain.recommend.preferences import (
    GROUP_NOT, GROUP_SUITS, GROUP_UNKNOWN, budget_scope_in_text, group_budget, group_tiers,
    needs_scope_question, portion_marks, portion_option, reweighted_logits,
)
from naviyam.domain.recommend.request import RecommendationRequest
from naviyam.usecases.recommend import recommend

KST = ZoneInfo("Asia/Seoul")
MONDAY_LUNCH = datetime(2026, 11, 23, 12, 30, tzinfo=KST)
MONDAY_2040 = datetime(2026, 11, 23, 20, 40, tzinfo=KST)
GEONDAE = (37.5404, 127.0693)
HOURS = {d: {"open": "10:00", "close": "21:00"} for d in
         ("monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday")}


# ---- pure rules ----------------------------------------------------------------------

@pytest.mark.parametrize("text, scope", [
    ("10명이서 1인당 5천원", "per_person"), ("한 명당 6천원이요", "per_person"), ("각자 만원", "per_person"),
    ("다 합쳐서 3만원", "total"), ("전체예요", "total"), ("총 3만원", "total"), ("10명이서 3만원", None),
    ("총각김치", None),
])
def test_budget_scope_words(text, scope):
    assert budget_scope_in_text(text) == scope


def test_group_budget_is_per_person_unless_total():
    total = group_budget(30000, 10, "total")
    assert (total.per_person, total.total) == (3000, 30000)
    per = group_budget(30000, 10, None)
    assert (per.scope, per.per_person, per.total) == ("per_person", 30000, 300000)
    assert group_budget(5000, 1, None) is None and group_budget(None, 4, "total") is None
    assert needs_scope_question(30000, 10, None)
    assert not needs_scope_question(30000, 10, "total") and not needs_scope_question(30000, 1, None)


def _shop(i: int, **extra) -> dict:
    return {"id": i, "shop_name": f"s{i}", "category": "한식", "latitude": 37.5, "longitude": 127.0,
            "business_hours": HOURS, "is_food_card_shop": "Y", **extra}


def _menu(i: int, shop: int, **extra) -> dict:
    return {"id": i, "shop_id": shop, "menu_name": f"m{i}", "price": 5000, **extra}


def test_group_tiers_known_fits_unknown_and_not():
    shops = [_shop(1, seats=40, group_friendly=True), _shop(2, seats=6, group_friendly=None),
             _shop(3), _shop(4, seats=60, group_friendly=False), _shop(5, seats=None, group_friendly=True)]
    catalog = build_catalog(shops, [_menu(i, i) for i in range(1, 6)], "t")
    assert list(group_tiers(catalog, 10)) == [GROUP_SUITS, GROUP_NOT, GROUP_UNKNOWN, GROUP_NOT, GROUP_SUITS]
    # up to four people: seats decide
    assert list(group_tiers(catalog, 3)) == [GROUP_SUITS, GROUP_SUITS, GROUP_UNKNOWN, GROUP_SUITS, GROUP_UNKNOWN]


def test_portion_marks_tags_and_options_within_budget():
    size = {"size": [{"name": "보통", "price": 0}, {"name": "곱빼기", "price": 1000}]}
    menus = [_menu(1, 1, tags=["든든"]), _menu(2, 1, options=size), _menu(3, 1, tags=["가벼움"]),
             _menu(4, 1, menu_name="미니 우동")]
    catalog = build_catalog([_shop(1)], menus, "t")
    assert list(portion_marks(catalog, "large", 6000)) == [True, True, False, False]
    assert list(portion_marks(catalog, "large", 5500)) == [True, False, False, False]   # 곱빼기 would cost 6,000원
    assert list(portion_marks(catalog, "small", None)) == [False, False, True, True]
    assert portion_marks(catalog, None, 5000) is None
    assert portion_option(size, "large") == ("곱빼기", 1000)


def test_urgent_filter_keeps_only_shops_open_30_more_minutes():
    catalog = build_catalog([_shop(1), _shop(2, business_hours={**HOURS, "monday": {"open": "10:00",
                                                                                      "close": "23:00"}})],
                            [_menu(1, 1), _menu(2, 2)], "t")
    plain = apply_hard_filters(catalog, FilterContext(now=MONDAY_2040, budget=None))
    urgent = FilterContext(now=MONDAY_2040, budget=None, open_for_min=30)
    assert plain.mask.tolist() == [True, True]
    assert apply_hard_filters(catalog, urgent).mask.tolist() == [False, True]
    # the plain rule agrees with the vectorised one
    assert [check_open(h, urgent) for h in catalog.shop_hours] == [False, True]
    assert is_open_at(HOURS, MONDAY_2040 + timedelta(minutes=19))


def test_urgency_counts_distance_twice_and_budget_fit_one_and_a_half_times():
    weights = np.array([-2.0, 1.0, 0.5])       # distance, budget fit, something else

    def logits(dense, crosses):
        return dense @ weights

    dense = np.array([[0.8, 0.5, 1.0], [0.2, 0.4, 1.0]], dtype=np.float32)
    adjusted = reweighted_logits(logits, dense, np.zeros((2, 1)), {0: 2.0, 1: 1.5})
    expected = dense @ np.array([-4.0, 1.5, 0.5])
    assert np.allclose(adjusted, expected)
    assert adjusted[1] - adjusted[0] > logits(dense, None)[1] - logits(dense, None)[0]   # the near one gains


# ---- the use case on the sample data -------------------------------------------------------

@pytest.fixture(autouse=True)
def _recommender(recommender_env):
    """Isolated index/ranker folders and a fresh catalog (tests/conftest.py)."""


def _ask(session, now=MONDAY_LUNCH, **kw):
    request = RecommendationRequest(now=now, session_key="t-group", location=GEONDAE, **kw)
    return recommend(session, request, write_log=False)


def test_ten_people_thirty_thousand_total_is_three_thousand_each(loaded_database_url, db_session):
    plain = _ask(db_session, text="3만원", stated_budget=30000)
    group = _ask(db_session, text="10명이서 다 합쳐서 3만원", stated_budget=30000, party_size=10, budget_scope="total")
    assert group.budget.hard_budget == 3000
    assert group.items and all(i.final_price <= 3000 for i in group.items)
    assert any(i.final_price > 3000 for i in plain.items)            # the plain request is not capped so
    assert group.payload()["group_budget"] == {"party_size": 10, "scope": "total", "per_person": 3000,
                                               "total": 30000}
    assert all(i.group is not None and i.group["suits"] in ("yes", "unknown") for i in group.items)


def test_group_prefers_shops_that_fit(loaded_database_url, db_session):
    plain = _ask(db_session, text="만원으로", stated_budget=10000)
    group = _ask(db_session, text="10명이서 1인당 만원", stated_budget=10000, party_size=10, budget_scope="per_person")
    assert [i.group["suits"] for i in group.items] == ["yes"] * len(group.items)
    assert [i.shop_id for i in group.items] != [i.shop_id for i in plain.items]
    assert group.filtering_steps["group_suited"] >= len(group.items)


def test_urgent_leaves_out_shops_closing_within_30_minutes(loaded_database_url, db_session):
    plain = _ask(db_session, now=MONDAY_2040, text="만원으로", stated_budget=10000)
    urgent = _ask(db_session, now=MONDAY_2040, text="급해 만원으로", stated_budget=10000, urgency="high")
    later = MONDAY_2040 + timedelta(minutes=30)
    assert all(is_open_at(_hours(db_session, i.shop_id), later) for i in urgent.items)
    assert urgent.filtering_steps["open"] < plain.filtering_steps["open"]   # shops closing at 21:00 left out


def test_portion_large_shows_filling_menus_first(loaded_database_url, db_session):
    plain = _ask(db_session, text="만원으로", stated_budget=10000)
    large = _ask(db_session, text="만원으로 든든하게", stated_budget=10000, portion_size="large")
    assert all(i.portion["matches"] for i in large.items)
    assert [i.menu_id for i in large.items] != [i.menu_id for i in plain.items]
    assert all(i.final_price + (i.portion["extra_price"] or 0) <= 10000 for i in large.items)


def _hours(session, shop_id):
    from naviyam.adapters.db.models import Shop
    return session.get(Shop, shop_id).business_hours
