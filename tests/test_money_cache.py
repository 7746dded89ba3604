"""The card and wallet reads of a recommendation turn come from the cache, and every change shows at once.

Real PostgreSQL (or SQLite locally) and Redis (in CI); committed rows of fresh users. A
"turn" here is what ``recommend`` reads about money: the spendable budget, the coupon
slack and the best coupon for a menu (``naviyam.usecases.budget``).
"""
from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import event, select, update

from helpers_coupons import give, make_card, make_coupon, make_shop, make_user
from naviyam.adapters.card_operator import CardOperatorClient, sync_balances
from naviyam.adapters.db.models import Coupon, FoodcardUser, UserCouponWallet
from naviyam.adapters.db.session import get_engine, unit_of_work
from naviyam.adapters.db.user_cache import coupon_definitions_version
from naviyam.adapters.resilience import circuit_breaker
from naviyam.usecases.budget import best_coupon, budget_for, coupon_slack
from naviyam.usecases.coupons import redemption
from naviyam.usecases.coupons.reservation import reserve_in_session

KST = ZoneInfo("Asia/Seoul")


@contextmanager
def counted(url: str) -> Iterator[list[str]]:
    statements: list[str] = []

    def hook(_conn, _cursor, statement, *_args) -> None:
        statements.append(statement)

    engine = get_engine(url)
    event.listen(engine, "before_cursor_execute", hook)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", hook)


def money(url: str, user_id: int, shop_id: int, now: datetime) -> tuple[tuple, int]:
    """(spendable, slack, discount at the shop for 8,000원) as a turn reads them, and the statements."""
    with counted(url) as statements, unit_of_work() as session:
        budget = budget_for(session, user_id, None, now)
        slack = coupon_slack(session, user_id, budget.hard_budget, now)
        choice = best_coupon(session, user_id, {"shop_id": shop_id, "category": "한식", "foodcard": "Y"}, 8000, now)
    return (budget.spendable, slack, choice.discount if choice else 0), len(statements)


@pytest.fixture()
def wallet(loaded_database_url, cache):
    """A fresh user with a card (20,000원) and one 1,000원 coupon; (user id, shop id, coupon id, now)."""
    now = datetime.now(KST).replace(microsecond=0)
    with unit_of_work() as session:
        user = make_user(session)
        make_card(session, user, balance=20000, last_sync_at=now)
        shop = make_shop(session)
        coupon = make_coupon(session, now.date(), discount_amount=1000)
        give(session, user, coupon, now)
        ids = user.id, shop.id, coupon.id
    return (*ids, now)


def test_a_second_turn_reads_money_from_the_cache(loaded_database_url, wallet):
    user_id, shop_id, _coupon, now = wallet
    first, reads = money(loaded_database_url, user_id, shop_id, now)
    assert first == (20000, 1000, 1000) and reads >= 6     # card, wallet + coupons, user facts
    again, cached_reads = money(loaded_database_url, user_id, shop_id, now)
    assert again == first and cached_reads == 0


def test_a_balance_sync_shows_on_the_next_turn(loaded_database_url, wallet):
    from devtools.operator_simulator import OperatorSimulator, SimulatorThread

    user_id, shop_id, _coupon, now = wallet
    assert money(loaded_database_url, user_id, shop_id, now)[0][0] == 20000
    with unit_of_work() as session:
        number = session.scalar(select(FoodcardUser.card_number).where(FoodcardUser.user_id == user_id))
    sim = OperatorSimulator(seed=3)
    server = SimulatorThread(sim)
    base = server.start()
    try:
        sim.put_card(number, balance=4000, spent_as_of=date.today().isoformat())
        breaker = circuit_breaker(f"test-{uuid.uuid4().hex[:6]}", fail_max=3, reset_s=1)
        client = CardOperatorClient(base, timeout_s=1.0, retries=0, breaker=breaker)
        assert sync_balances(client=client, card_numbers=[number]).updated == 1
    finally:
        server.stop()
    assert money(loaded_database_url, user_id, shop_id, now)[0][0] == 4000


def test_reserving_and_redeeming_show_on_the_next_turn(loaded_database_url, wallet):
    user_id, shop_id, coupon_id, now = wallet
    assert money(loaded_database_url, user_id, shop_id, now)[0] == (20000, 1000, 1000)
    with unit_of_work() as session:
        held = reserve_in_session(session, user_id=user_id, coupon_id=coupon_id, shop_id=shop_id,
                                  menu_id=None, price=8000, now=now)
    assert held is not None
    # A reserved coupon still prices the user's options, but no longer widens the budget filter.
    assert money(loaded_database_url, user_id, shop_id, now)[0] == (20000, 0, 1000)
    result = redemption.redeem(shop_id=shop_id, order_amount=8000, idempotency_key=uuid.uuid4().hex,
                               now=now, user_id=user_id, reservation_code=held.code, coupon_id=coupon_id)
    assert result.status == redemption.REDEEMED
    assert money(loaded_database_url, user_id, shop_id, now)[0] == (20000, 0, 0)


def test_a_new_wallet_coupon_shows_on_the_next_turn(loaded_database_url, wallet):
    from naviyam.usecases.coupons.issuance import issue_welcome_coupon
    from naviyam.usecases.coupons.wallet_cache import cached_wallet

    user_id, shop_id, _coupon, now = wallet
    money(loaded_database_url, user_id, shop_id, now)
    with unit_of_work() as session:
        assert issue_welcome_coupon(session, user_id, now).issued
    _figures, reads = money(loaded_database_url, user_id, shop_id, now)
    assert reads > 0                          # the wallet was read again
    with unit_of_work() as session:
        entries, _facts = cached_wallet(session, user_id, now)
    assert sorted(e.terms.coupon_id for e in entries)[-1] == "WELCOME1000" and len(entries) == 2


def test_a_coupon_edit_shows_on_the_next_turn(loaded_database_url, wallet):
    user_id, shop_id, coupon_id, now = wallet
    assert money(loaded_database_url, user_id, shop_id, now)[0] == (20000, 1000, 1000)
    version = coupon_definitions_version()
    with unit_of_work() as session:        # the shop raises its discount (an ORM edit)
        session.get(Coupon, coupon_id).discount_amount = 2500
    assert coupon_definitions_version() != version
    assert money(loaded_database_url, user_id, shop_id, now)[0] == (20000, 2500, 2500)
    with unit_of_work() as session:        # the operator switches it off (a table statement)
        session.execute(update(Coupon).where(Coupon.id == coupon_id).values(is_active=False))
    assert money(loaded_database_url, user_id, shop_id, now)[0] == (20000, 0, 0)


def test_counters_do_not_invalidate_every_wallet(loaded_database_url, wallet):
    user_id, shop_id, coupon_id, now = wallet
    money(loaded_database_url, user_id, shop_id, now)
    version = coupon_definitions_version()
    with unit_of_work() as session:        # what issuing and redeeming do to the coupon row
        session.execute(update(Coupon).where(Coupon.id == coupon_id).values(total_used=Coupon.total_used + 1))
    assert coupon_definitions_version() == version
    assert money(loaded_database_url, user_id, shop_id, now)[1] == 0


def test_a_transaction_that_changed_the_user_reads_the_database(loaded_database_url, wallet):
    """Inside the redemption's own transaction the turn's read sees the uncommitted change,
    and nothing uncommitted is left in the cache when it rolls back."""
    user_id, shop_id, coupon_id, now = wallet
    money(loaded_database_url, user_id, shop_id, now)
    with pytest.raises(RuntimeError), unit_of_work() as session:
        from naviyam.adapters.db.invalidation import invalidate_after_commit

        session.execute(update(UserCouponWallet).where(UserCouponWallet.user_id == user_id)
                        .values(status="CANCELLED"))
        invalidate_after_commit(session, [user_id])
        assert coupon_slack(session, user_id, 20000, now) == 0
        raise RuntimeError("roll back")
    assert money(loaded_database_url, user_id, shop_id, now)[0] == (20000, 1000, 1000)


def test_a_cache_outage_reads_the_database(loaded_database_url, wallet):
    """Without the cache the wallet is read from the database. (The spendable budget then
    falls back to the stated one: the operator's breaker state lives in the cache too.)"""
    from naviyam.shared import cache as cache_module

    user_id, shop_id, _coupon, now = wallet
    cache_module.set_cache(cache_module.RedisCache("redis://127.0.0.1:1/0", socket_timeout=0.2))
    try:
        _figures, reads = money(loaded_database_url, user_id, shop_id, now)
        with unit_of_work() as session:
            slack = coupon_slack(session, user_id, 20000, now)
    finally:
        cache_module.set_cache(None)
    assert _figures[2] == 1000 and slack == 1000 and reads >= 5
