"""SQLAlchemy 2.0 typed models for the core tables of seed 004 §3.

PostgreSQL is the target; the same models run on SQLite for the embedded default.
Portable types: JSONB on PostgreSQL / JSON elsewhere, ARRAY on PostgreSQL / JSON
list elsewhere. Alembic owns the schema (``naviyam/adapters/db/migrations``); departures from
the seed are listed in docs/DATA_MODEL.md.
"""
from naviyam.adapters.db.models.base import Base, BigId, IntArray, JsonType, TextArray, TimestampMixin
from naviyam.adapters.db.models.catalog import Shop, Menu
from naviyam.adapters.db.models.users import User, FoodcardUser, UserProfile
from naviyam.adapters.db.models.coupons import Coupon, UserCouponWallet
from naviyam.adapters.db.models.logs import Conversation, RecommendationLog, PerformanceLog, ConversationContext
from naviyam.adapters.db.models.shop_accounts import ShopAccount, ShopSession
from naviyam.adapters.db.models import learning  # noqa: F401 - the learning loop's tables (issue 15)
from naviyam.adapters.db.models.feedback import RecommendationFeedback, ShopClosureReport
from naviyam.domain.vocabulary import (  # the CHECK constraints' vocabularies, for callers' convenience
    SHOP_CATEGORIES,
    MENU_CATEGORIES,
    FOODCARD_STATUSES,
    SHOP_STATUSES,
    PLATFORMS,
    USER_STATUSES,
    CARD_TYPES,
    AGE_GROUPS,
    CARD_STATUSES,
    CONVERSATION_STYLES,
    COUPON_TYPES,
    COUPON_USAGE_TYPES,
    WALLET_STATUSES,
    ACQUISITION_SOURCES,
    SEED_INTENTS,
    USER_STRATEGIES,
    RECOMMENDATION_METHODS,
)

__all__ = [
    "Base",
    "BigId",
    "IntArray",
    "JsonType",
    "TextArray",
    "TimestampMixin",
    "Shop",
    "Menu",
    "User",
    "FoodcardUser",
    "UserProfile",
    "Coupon",
    "UserCouponWallet",
    "ShopAccount",
    "ShopSession",
    "RecommendationFeedback",
    "ShopClosureReport",
    "Conversation",
    "RecommendationLog",
    "PerformanceLog",
    "ConversationContext",
    "SHOP_CATEGORIES",
    "MENU_CATEGORIES",
    "FOODCARD_STATUSES",
    "SHOP_STATUSES",
    "PLATFORMS",
    "USER_STATUSES",
    "CARD_TYPES",
    "AGE_GROUPS",
    "CARD_STATUSES",
    "CONVERSATION_STYLES",
    "COUPON_TYPES",
    "COUPON_USAGE_TYPES",
    "WALLET_STATUSES",
    "ACQUISITION_SOURCES",
    "SEED_INTENTS",
    "USER_STRATEGIES",
    "RECOMMENDATION_METHODS",
]
