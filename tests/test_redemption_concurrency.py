"""A coupon can never be used twice: concurrent redemptions against the real database.

Each thread redeems through ``naviyam.usecases.coupons.redemption.redeem``, which opens its own
session (its own pooled connection) and transaction. The proof runs on PostgreSQL:
under CI=true the ``backend`` fixture fails when PostgreSQL is unreachable, and this
module refuses to pass on anything else there. Locally it also runs on SQLite, where
writers are serialised by the database lock.
"""
from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import func, select

from tests.conftest import IN_CI
from helpers_coupons import give, make_coupon, make_shop, make_user
from naviyam.usecases.coupons import redemption
from naviyam.usecases.coupons.redemption import redeem, redeem_in_session
from naviyam.usecases.coupons.reservation import reserve_in_session
from naviyam.adapters.db.models import Coupon, UserCouponWallet
from naviyam.adapters.db.session import unit_of_work

SEOUL = ZoneInfo("Asia/Seoul")
WORKERS = 24


@pytest.fixture(autouse=True)
def _postgres_in_ci(backend):
    if IN_CI:
        assert backend == "postgres", "the redemption proof must run on PostgreSQL in CI"


@pytest.fixture()
def now() -> datetime:
    return datetime.now(SEOUL).replace(microsecond=0)


def _setup(url: str, now: datetime, copies: int = 1, max_use_per_user: int = 1):
    with unit_of_work(url) as session:
        user = make_user(session)
        shop = make_shop(session)
        coupon = make_coupon(session, now.date(), discount_amount=1500, max_use_per_user=max_use_per_user)
        rows = [give(session, user, coupon, now) for _ in range(copies)]
        return user.id, shop.id, coupon.id, [r.id for r in rows]


def _fire(calls):
    """Run the callables at the same instant (barrier) on WORKERS threads."""
    barrier = threading.Barrier(len(calls))

    def run(call):
        barrier.wait(timeout=30)
        return call()

    with ThreadPoolExecutor(max_workers=len(calls)) as pool:
        return list(pool.map(run, calls))


def _wallet_rows(url: str, coupon_id: str):
    with unit_of_work(url) as session:
        rows = session.scalars(select(UserCouponWallet).where(UserCouponWallet.coupon_id == coupon_id)
                               .order_by(UserCouponWallet.id)).all()
        total_used = session.scalar(select(Coupon.total_used).where(Coupon.id == coupon_id))
        return rows, total_used


def _assert_consistent(rows, total_used):
    used = [r for r in rows if r.status == "USED"]
    assert total_used == len(used)
    for row in rows:
        if row.status == "USED":
            assert row.used_at is not None and row.used_shop_id is not None
            assert row.used_order_amount is not None and row.discount_applied is not None
            assert row.redemption_key is not None
        else:
            assert row.used_at is None and row.used_shop_id is None and row.used_order_amount is None
            assert row.discount_applied is None and row.redemption_key is None


def test_one_wallet_row_redeemed_by_many_at_once(database_url, now):
    user_id, shop_id, coupon_id, (wallet_id,) = _setup(database_url, now)
    calls = [
        (lambda i=i: redeem(database_url, wallet_id=wallet_id, user_id=user_id, shop_id=shop_id,
                            order_amount=7000, idempotency_key=f"order-{wallet_id}-{i}", now=now))
        for i in range(WORKERS)
    ]
    results = _fire(calls)
    winners = [r for r in results if r.status == redemption.REDEEMED]
    assert len(winners) == 1
    assert winners[0].discount == 1500 and winners[0].final_amount == 5500
    losers = [r for r in results if r.status != redemption.REDEEMED]
    assert {r.status for r in losers} == {redemption.REJECTED}
    assert {r.reason for r in losers} == {redemption.ALREADY_USED}

    rows, total_used = _wallet_rows(database_url, coupon_id)
    assert total_used == 1
    _assert_consistent(rows, total_used)
    assert rows[0].redemption_key == f"order-{wallet_id}-{results.index(winners[0])}"
    assert rows[0].used_order_amount == 7000 and rows[0].discount_applied == 1500


def test_same_idempotency_key_from_many_callers_returns_the_same_result(database_url, now):
    user_id, shop_id, coupon_id, (wallet_id,) = _setup(database_url, now)
    key = f"retry-{wallet_id}"
    calls = [
        (lambda: redeem(database_url, wallet_id=wallet_id, shop_id=shop_id, order_amount=6000,
                        idempotency_key=key, now=now))
        for _ in range(WORKERS)
    ]
    results = _fire(calls)
    assert [r.status for r in results].count(redemption.REDEEMED) == 1
    assert all(r.status in (redemption.REDEEMED, redemption.REPLAYED) for r in results), results
    assert {(r.wallet_id, r.discount, r.final_amount) for r in results} == {(wallet_id, 1500, 4500)}
    rows, total_used = _wallet_rows(database_url, coupon_id)
    assert total_used == 1
    _assert_consistent(rows, total_used)

    # Later retries of the same key still answer the first result, even after the coupon is used.
    again = redeem(database_url, wallet_id=wallet_id, shop_id=shop_id, order_amount=6000,
                   idempotency_key=key, now=now + timedelta(minutes=5))
    assert again.status == redemption.REPLAYED and again.final_amount == 4500
    # The same key for another coupon is a conflict, not a redemption.
    _, _, _, (other_wallet,) = _setup(database_url, now)
    conflict = redeem(database_url, wallet_id=other_wallet, shop_id=shop_id, order_amount=6000,
                      idempotency_key=key, now=now)
    assert conflict.reason == redemption.KEY_CONFLICT


def test_per_user_limit_holds_across_two_copies_redeemed_at_once(database_url, now):
    user_id, shop_id, coupon_id, wallet_ids = _setup(database_url, now, copies=2, max_use_per_user=1)
    calls = [
        (lambda i=i: redeem(database_url, user_id=user_id, coupon_id=coupon_id, shop_id=shop_id,
                            order_amount=8000, idempotency_key=f"pair-{coupon_id}-{i}", now=now))
        for i in range(WORKERS)
    ]
    results = _fire(calls)
    assert [r.status for r in results].count(redemption.REDEEMED) == 1
    assert {r.reason for r in results if not r.ok} <= {redemption.ALREADY_USED, "USE_LIMIT", redemption.NOT_FOUND}
    rows, total_used = _wallet_rows(database_url, coupon_id)
    assert total_used == 1 and [r.status for r in rows].count("USED") == 1
    _assert_consistent(rows, total_used)


def test_failure_after_redeeming_leaves_no_partial_rows(database_url, now):
    _, shop_id, coupon_id, (wallet_id,) = _setup(database_url, now)

    class OrderFailed(RuntimeError):
        pass

    with pytest.raises(OrderFailed):
        with unit_of_work(database_url) as session:
            result = redeem_in_session(session, wallet_id=wallet_id, shop_id=shop_id, order_amount=9000,
                                       idempotency_key=f"failing-{wallet_id}", now=now)
            assert result.status == redemption.REDEEMED
            raise OrderFailed("the card payment step failed")
    rows, total_used = _wallet_rows(database_url, coupon_id)
    assert total_used == 0 and rows[0].status == "ACTIVE"
    _assert_consistent(rows, total_used)
    # And the coupon is still usable afterwards.
    assert redeem(database_url, wallet_id=wallet_id, shop_id=shop_id, order_amount=9000,
                  idempotency_key=f"second-{wallet_id}", now=now).status == redemption.REDEEMED


@pytest.mark.parametrize("kwargs,reason", [
    (dict(order_amount=1000, min_order=5000), "MIN_ORDER"),
    (dict(order_amount=-5), "INVALID_PRICE"),
    (dict(order_amount=6000, key=""), redemption.BAD_REQUEST),
    (dict(order_amount=6000, shop_missing=True), redemption.UNKNOWN_SHOP),
    (dict(order_amount=6000, expired=True), "EXPIRED"),
])
def test_rejections_write_nothing(database_url, now, kwargs, reason):
    with unit_of_work(database_url) as session:
        user = make_user(session)
        shop = make_shop(session)
        coupon = make_coupon(session, now.date(), discount_amount=1000,
                             min_order_amount=kwargs.get("min_order", 0))
        row = give(session, user, coupon, now, days=-0.01 if kwargs.get("expired") else 3,
                   issued_at=now - timedelta(days=1))
        ids = (row.id, shop.id, coupon.id)
    wallet_id, shop_id, coupon_id = ids
    result = redeem(database_url, wallet_id=wallet_id,
                    shop_id=shop_id + 10**6 if kwargs.get("shop_missing") else shop_id,
                    order_amount=kwargs["order_amount"], idempotency_key=kwargs.get("key", f"rej-{wallet_id}"),
                    now=now)
    assert result.status == redemption.REJECTED and result.reason == reason
    rows, total_used = _wallet_rows(database_url, coupon_id)
    assert total_used == 0 and rows[0].status == "ACTIVE"
    _assert_consistent(rows, total_used)
    with unit_of_work(database_url) as session:
        assert session.scalar(select(func.count()).select_from(UserCouponWallet)
                              .where(UserCouponWallet.redemption_key == f"rej-{wallet_id}")) == 0


# ------------------------------------------------------------- reserved codes (issue 13)

def _reserve(url: str, user_id: int, coupon_id: str, shop_id: int, now: datetime):
    with unit_of_work(url) as session:
        return reserve_in_session(session, user_id=user_id, coupon_id=coupon_id, shop_id=shop_id,
                                  menu_id=None, price=7000, now=now)


def test_one_code_redeemed_by_many_at_once(database_url, now):
    user_id, shop_id, coupon_id, (wallet_id,) = _setup(database_url, now)
    code = _reserve(database_url, user_id, coupon_id, shop_id, now).code
    calls = [
        (lambda i=i: redeem(database_url, reservation_code=code, shop_id=shop_id, order_amount=7000,
                            idempotency_key=f"code-{code}-{i}", now=now))
        for i in range(WORKERS)
    ]
    results = _fire(calls)
    assert [r.status for r in results].count(redemption.REDEEMED) == 1
    assert {r.reason for r in results if r.status != redemption.REDEEMED} == {redemption.ALREADY_USED}
    rows, total_used = _wallet_rows(database_url, coupon_id)
    assert total_used == 1 and rows[0].status == "USED" and rows[0].used_shop_id == shop_id
    _assert_consistent(rows, total_used)


def test_never_reserved_for_one_choice_and_redeemed_for_another(database_url, now):
    """Half the threads redeem the code at shop A; half move the reservation to shop B."""
    user_id, shop_a, coupon_id, (wallet_id,) = _setup(database_url, now)
    with unit_of_work(database_url) as session:
        shop_b = make_shop(session).id
    code = _reserve(database_url, user_id, coupon_id, shop_a, now).code
    calls = []
    for i in range(WORKERS):
        if i % 2:
            calls.append(lambda: ("move", _reserve(database_url, user_id, coupon_id, shop_b, now)))
        else:
            calls.append(lambda i=i: ("redeem", redeem(database_url, reservation_code=code, shop_id=shop_a,
                                                       order_amount=7000, idempotency_key=f"mix-{i}", now=now)))
    results = _fire(calls)
    redeemed = [r for kind, r in results if kind == "redeem" and r.status == redemption.REDEEMED]
    assert len(redeemed) <= 1
    rows, total_used = _wallet_rows(database_url, coupon_id)
    _assert_consistent(rows, total_used)
    [row] = rows
    if redeemed:
        assert row.status == "USED" and row.used_shop_id == shop_a and total_used == 1
    else:
        assert row.status == "RESERVED" and row.reserved_shop_id == shop_b and total_used == 0
    assert row.status != "RESERVED" or row.used_at is None
