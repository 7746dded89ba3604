"""Why an item was picked: the stable reason codes (issue 4) and the words a child reads.

One table for both environments: the action's text answer (naviyam/domain/recommend/reasons.py)
and the channels' cards (bot/channels/rendering.py, Rasa env) say the same thing.
"""
from __future__ import annotations

BUDGET_FIT, NEARBY, POPULAR = "BUDGET_FIT", "NEARBY", "POPULAR"
FOODCARD_OK, HIGH_QUALITY, USER_PREFERENCE = "FOODCARD_OK", "HIGH_QUALITY", "USER_PREFERENCE"

REASON_TEXT = {
    BUDGET_FIT: "예산 안이에요",
    NEARBY: "가까워요",
    POPULAR: "인기가 많아요",
    FOODCARD_OK: "급식카드로 결제돼요",
    HIGH_QUALITY: "평이 좋아요",
    # Said only when the item's category is one the child chose or keeps choosing.
    USER_PREFERENCE: "좋아하는 종류예요",
}

# Not a reason code: the card line of a shop that takes the meal card for some menus only
# (is_food_card_shop "P"), in the action's text and the channels' cards alike.
FOODCARD_PARTLY_TEXT = "급식카드 일부 메뉴만 가능"
