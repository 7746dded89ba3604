"""The migrated schema enforces the seed's rules (CHECK, UNIQUE, FK)."""
from __future__ import annotations

import pytest
from sqlalchemy import inspect
from sqlalchemy.exc import IntegrityError

from naviyam.adapters.db.models import Menu, Shop

CORE_TABLES = {
    "shops", "menus", "users", "foodcard_users", "user_profiles", "coupons",
    "user_coupon_wallet", "conversations", "recommendations_log", "performance_logs",
    "conversation_contexts",
}


def test_migrations_build_every_core_table(engine):
    assert CORE_TABLES <= set(inspect(engine).get_table_names())


def _shop(**overrides) -> Shop:
    values = dict(shop_name="테스트분식", category="분식", address_name="서울 광진구 화양동 1",
                  latitude=37.54, longitude=127.07, is_food_card_shop="Y")
    values.update(overrides)
    return Shop(**values)


def test_unknown_category_is_refused(db_session):
    db_session.add(_shop(category="우주음식"))
    with pytest.raises(IntegrityError):
        db_session.flush()


def test_negative_price_is_refused(db_session):
    shop = _shop()
    db_session.add(shop)
    db_session.flush()
    db_session.add(Menu(shop_id=shop.id, menu_name="떡볶이", price=-1, category="메인메뉴"))
    with pytest.raises(IntegrityError):
        db_session.flush()


def test_menu_name_is_unique_per_shop(db_session):
    shop = _shop()
    db_session.add(shop)
    db_session.flush()
    db_session.add_all([
        Menu(shop_id=shop.id, menu_name="김밥", price=3000, category="메인메뉴"),
        Menu(shop_id=shop.id, menu_name="김밥", price=3500, category="메인메뉴"),
    ])
    with pytest.raises(IntegrityError):
        db_session.flush()
