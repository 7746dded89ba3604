"""The recommender's read of a wallet, cached (``user:{id}:wallet``, naviyam.adapters.db.user_cache).

What is cached: every ACTIVE or RESERVED wallet row of the user with its coupon's terms
(expired or not: the time filter runs at each use, so an entry never outlives its
``expires_at``), and the facts the coupon rules read about the user (card status, account
age, interactions, uses per coupon). Issuing, reserving, releasing and redeeming a coupon,
a card sync or link and a profile change drop the key; a change of any coupon definition
changes the version the entry was read under. Redemption and reservation themselves
never read this cache: they re-read and lock the rows in their own transaction.
"""
from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from naviyam.adapters.cache import TTL_USER_MONEY
from naviyam.adapters.db.models import UserCouponWallet
from naviyam.adapters.db.user_cache import coupon_definitions_version, read_through
from naviyam.domain.coupon_rules import CouponTerms, UserFacts, WalletEntry
from naviyam.shared.cache_keys import wallet_key

_DATES = ("valid_from", "valid_until")
_DECIMALS = ("discount_rate", "priority_score")
_TUPLES = ("target_categories", "applicable_shop_ids", "target_user_types")


def _terms_json(terms: CouponTerms) -> dict[str, Any]:
    data = dict(terms.__dict__)
    for name in _DATES:
        data[name] = data[name].isoformat()
    for name in _DECIMALS:
        data[name] = None if data[name] is None else str(data[name])
    for name in _TUPLES:
        data[name] = list(data[name])
    return data


def _terms(data: dict[str, Any]) -> CouponTerms:
    data = dict(data)
    for name in _DATES:
        data[name] = date.fromisoformat(data[name])
    for name in _DECIMALS:
        data[name] = None if data[name] is None else Decimal(data[name])
    for name in _TUPLES:
        data[name] = tuple(data[name])
    return CouponTerms(**data)


def _encode(value: tuple[list[WalletEntry], UserFacts]) -> dict[str, Any]:
    entries, facts = value
    return {
        "entries": [{"wallet_id": e.wallet_id, "status": e.status, "expires_at": e.expires_at.isoformat(),
                     "acquisition_source": e.acquisition_source, "terms": _terms_json(e.terms)} for e in entries],
        "facts": {"has_active_card": facts.has_active_card, "interaction_count": facts.interaction_count,
                  "account_created_at": facts.account_created_at.isoformat() if facts.account_created_at else None,
                  "uses_by_coupon": dict(facts.uses_by_coupon)},
    }


def _decode(data: dict[str, Any]) -> tuple[list[WalletEntry], UserFacts]:
    entries = [WalletEntry(wallet_id=int(e["wallet_id"]), status=e["status"],
                           expires_at=datetime.fromisoformat(e["expires_at"]), terms=_terms(e["terms"]),
                           acquisition_source=e["acquisition_source"]) for e in data["entries"]]
    f = data["facts"]
    created = datetime.fromisoformat(f["account_created_at"]) if f["account_created_at"] else None
    facts = UserFacts(has_active_card=bool(f["has_active_card"]), account_created_at=created,
                      interaction_count=int(f["interaction_count"]),
                      uses_by_coupon={str(k): int(v) for k, v in f["uses_by_coupon"].items()})
    return entries, facts


def _load(session: Session, user_id: int, now: datetime) -> tuple[list[WalletEntry], UserFacts]:
    from naviyam.usecases.coupons.wallet import load_user_facts

    rows = session.scalars(
        select(UserCouponWallet)
        .options(selectinload(UserCouponWallet.coupon))
        .where(UserCouponWallet.user_id == user_id, UserCouponWallet.status.in_(("ACTIVE", "RESERVED")))
        .order_by(UserCouponWallet.expires_at, UserCouponWallet.id)
    ).all()
    return [WalletEntry.from_model(row) for row in rows], load_user_facts(session, user_id, now)


def cached_wallet(session: Session, user_id: int, now: datetime) -> tuple[list[WalletEntry], UserFacts]:
    """(ACTIVE and RESERVED rows with their raw status, any expiry; the user's coupon facts)."""
    version = coupon_definitions_version()   # read before the database, so a change meanwhile wins
    return read_through(session, user_id, wallet_key(user_id), lambda: _load(session, user_id, now),
                        encode=_encode, decode=_decode, ttl=TTL_USER_MONEY, version=version)


def active_coupon_terms(session: Session, user_id: int, now: datetime) -> list[CouponTerms]:
    """Terms of the user's ACTIVE wallet rows whose coupon is active (expiry not checked)."""
    entries, _facts = cached_wallet(session, user_id, now)
    return [e.terms for e in entries if e.status == "ACTIVE" and e.terms.is_active]
