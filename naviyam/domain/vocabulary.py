"""The closed vocabularies of the data model (seed 004 §3): categories, statuses, types.

Pure constants; the database models build their CHECK constraints from them and the
domain (filters, features, relevance) reads them without touching the database layer.
"""
SHOP_CATEGORIES = (
    "한식", "중식", "일식", "양식", "치킨", "피자", "패스트푸드",
    "분식", "카페/디저트", "도시락/죽", "프랜차이즈", "기타음식", "편의점",
)
MENU_CATEGORIES = ("메인메뉴", "세트메뉴", "사이드메뉴", "음료", "디저트", "기타")
FOODCARD_STATUSES = ("Y", "N", "P", "U")
SHOP_STATUSES = ("OPEN", "CLOSED", "BREAK_TIME", "UNKNOWN")
PLATFORMS = ("web", "mobile_app", "kakao", "line", "facebook", "test", "telegram", "rest")
USER_STATUSES = ("ACTIVE", "INACTIVE", "SUSPENDED", "DELETED")
CARD_TYPES = ("아동급식카드", "청소년급식카드", "취약계층지원카드", "기타")
AGE_GROUPS = ("초등학생", "중학생", "고등학생", "대학생", "청년", "기타")
CARD_STATUSES = ("ACTIVE", "INACTIVE", "SUSPENDED", "EXPIRED", "LOST")
CONVERSATION_STYLES = ("friendly", "formal", "casual", "brief")
COUPON_TYPES = ("FIXED_AMOUNT", "PERCENTAGE", "FREEBIE", "BOGO")
COUPON_USAGE_TYPES = ("ALL", "SHOP", "CATEGORY", "FOODCARD", "NEW_USER", "LOYALTY")
WALLET_STATUSES = ("ACTIVE", "RESERVED", "USED", "EXPIRED", "CANCELLED")
ACQUISITION_SOURCES = (
    "WELCOME_BONUS", "LOYALTY_REWARD", "EMERGENCY_ASSIST", "PROMOTION", "ADMIN_GRANT", "REFERRAL",
)
SEED_INTENTS = (
    "FOOD_REQUEST", "BUDGET_INQUIRY", "COUPON_INQUIRY", "LOCATION_INQUIRY", "TIME_INQUIRY",
    "GENERAL_CHAT", "MENU_OPTION", "EMERGENCY_FOOD", "GROUP_DINING", "BALANCE_CHECK",
    "BALANCE_CHARGE", "UNKNOWN",
)
USER_STRATEGIES = ("ONBOARDING", "DATA_BUILDING", "NORMAL", "URGENT")
RECOMMENDATION_METHODS = ("WIDE_DEEP", "RAG", "HYBRID", "EMERGENCY", "COUPON_BASED", "FALLBACK")
