"""The sender's coupon wallet for "쿠폰 있어?": active, used and expired coupons (read only)."""
from __future__ import annotations

from datetime import datetime

from naviyam.adapters.db.session import unit_of_work
from naviyam.usecases.coupons.wallet import WalletItem, WalletListing, wallet_listing
from naviyam.usecases.senders import Sender, require_consent

__all__ = ["WalletItem", "WalletListing", "list_coupons"]


def list_coupons(sender: Sender, now: datetime) -> WalletListing:
    """The wallet as the user sees it now (one transaction, read only).

    Raises ``ConsentRequired`` for a sender who has not agreed (a wallet is stored data).
    """
    with unit_of_work() as session:
        return wallet_listing(session, require_consent(session, sender, now.date()), now)
