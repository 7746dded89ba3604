"""Shop staff accounts and their login sessions (issue 13): one account per shop."""
from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from naviyam.adapters.db.models.base import AwareDateTime, Base, DefaultNow


class ShopAccount(Base):
    __tablename__ = "shop_accounts"

    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    shop_id: Mapped[int] = mapped_column(ForeignKey("shops.id", ondelete="CASCADE"), nullable=False, unique=True)
    username: Mapped[str] = mapped_column(String(64), nullable=False, unique=True)
    password_hash: Mapped[str] = mapped_column(String(255), nullable=False)
    failed_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0)
    locked_until: Mapped[datetime | None] = mapped_column(AwareDateTime())
    last_login_at: Mapped[datetime | None] = mapped_column(AwareDateTime())
    created_at: Mapped[DefaultNow]


class ShopSession(Base):
    """A staff login; the cookie holds the token, the table only its SHA-256."""

    __tablename__ = "shop_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[int] = mapped_column(ForeignKey("shop_accounts.id", ondelete="CASCADE"), nullable=False,
                                            index=True)
    csrf_token: Mapped[str] = mapped_column(String(64), nullable=False)
    expires_at: Mapped[datetime] = mapped_column(AwareDateTime(), nullable=False)
    created_at: Mapped[DefaultNow]
