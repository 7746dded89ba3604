"""The sender's coupon wallet for "쿠폰 있어?": active, used and expired coupons (read only)."""
from __future__ import annotations

from datetime import datetime

from naviyam.adapters.db.session import unit_of_work
from naviyam.usecases.coupons.wallet import WalletItem, WalletListing, wallet_listing
from naviyam.usecases.senders import Sender, user_id_of

__all__ = ["WalletItem", "WalletListing", "list_coupons"]


def list_coupons(sender: Sender, now: datetime) -> WalletListing:
    """The wallet as the user sees it now (one transaction; the user is created on first contact)."""
    with unit_of_work() as session:
        return wallet_listing(session, user_id_of(session, sender), now)
