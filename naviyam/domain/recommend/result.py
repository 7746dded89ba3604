"""What a recommendation answers: the items, the nearest misses, and the payload the actions send.

``RecommendationResult.payload()`` is the REST ``custom`` contract for recommendations
(docs/ARCHITECTURE.md "Message contract"); ``RecommendedItem.to_state()`` is what a later
"1번 선택" needs from the ``last_recommendations`` slot.
"""
from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from naviyam.domain.recommend.filters import FilterOutcome
from naviyam.domain.recommend.focus import TOP_TIER, Focus
from naviyam.domain.recommend.money import BudgetInfo
from naviyam.domain.recommend.request import RecommendationRequest

ALTERNATIVE_OPENING_SOON = "opening_soon"
ALTERNATIVE_OVER_BUDGET = "over_budget"


@dataclass
class RecommendedItem:
    shop_id: int
    shop_name: str
    category: str
    menu_id: int
    menu_name: str
    price: int
    final_price: int
    foodcard: str
    distance_m: int | None
    walk_minutes: int | None
    reasons: list[str]
    score: float
    coupon: dict[str, Any] | None = None
    phone: str | None = None
    address: str | None = None
    business_hours_today: str | None = None
    feature_contributions: dict[str, float] = field(default_factory=dict)
    alternative_reason: str | None = None
    opens_at: datetime | None = None
    match_tier: int | None = None             # focus tier when a food type was named (5 = the real thing)
    group: dict[str, Any] | None = None       # party requests: seats, group_friendly, suits (yes|unknown|no)
    portion: dict[str, Any] | None = None     # portion requests: matches, option name and extra price

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {
            "shop_id": self.shop_id, "shop_name": self.shop_name, "category": self.category,
            "menu": {"menu_id": self.menu_id, "name": self.menu_name, "price": self.price,
                     "final_price": self.final_price},
            "foodcard": self.foodcard, "distance_m": self.distance_m,
            "walk_minutes": self.walk_minutes, "reasons": list(self.reasons),
            "score": round(float(self.score), 4),
        }
        if self.coupon:
            payload["coupon"] = self.coupon
        for key in ("phone", "address", "business_hours_today"):
            if getattr(self, key):
                payload[key] = getattr(self, key)
        if self.feature_contributions:
            payload["feature_contributions"] = self.feature_contributions
        if self.alternative_reason:
            payload["alternative_reason"] = self.alternative_reason
        if self.opens_at:
            payload["opens_at"] = self.opens_at.isoformat()
        if self.match_tier is not None:
            payload["food_type_match"] = tier_name(self.match_tier)
        if self.group is not None:
            payload["group"] = self.group
        if self.portion is not None:
            payload["portion"] = self.portion
        return payload

    def to_state(self) -> dict[str, Any]:
        """What a later "1번 선택" needs (kept in the last_recommendations slot)."""
        return {"shop_id": self.shop_id, "shop_name": self.shop_name, "menu_id": self.menu_id,
                "menu_name": self.menu_name, "price": self.price, "final_price": self.final_price,
                "category": self.category, "coupon_id": (self.coupon or {}).get("coupon_id"),
                "alternative": bool(self.alternative_reason)}


def tier_name(tier: int) -> str:
    """Focus tier → how well the item matches the named food: exact | partial | related | none."""
    return "exact" if tier >= TOP_TIER else "partial" if tier >= 3 else "related" if tier >= 1 else "none"


@dataclass
class FoodTypeOutcome:
    """How the named food was served: what was shown and, if not the real thing, why."""

    requested: str                      # as the user (or the NLU) said it
    word: str                           # normalised ("치킨은" → 치킨)
    source: str | None                  # entity | slot | text
    shown_level: str                    # best shown item: exact | partial | related | none
    missing_reason: str | None          # budget | closed | far | none | no_more (when not exact)
    category: str | None = None         # a named dish's usual shop category (food lexicon), if known

    def to_payload(self) -> dict[str, Any]:
        payload: dict[str, Any] = {"requested": self.requested, "word": self.word, "match": self.shown_level,
                                   "missing_reason": self.missing_reason}
        if self.category:
            payload["category"] = self.category
        return payload


def food_type_outcome(focus: Focus, outcome: FilterOutcome, items: list[RecommendedItem],
                      request: RecommendationRequest) -> FoodTypeOutcome | None:
    """How the shown items serve the named food (None when no food was named)."""
    if focus.match is None:
        return None
    best = max((i.match_tier or 0 for i in items), default=0)
    shown = tier_name(best) if items else "none"
    reason = None if shown == "exact" else (focus.missing_reason(outcome) or "none")
    if reason == "none" and request.exclude_shop_ids and shown != "exact":
        reason = "no_more"          # "다른 거": every shop selling it was shown already
    return FoodTypeOutcome(requested=str(request.food_type), word=focus.match.word,
                           source=request.food_type_source, shown_level=shown, missing_reason=reason,
                           category=None if focus.match.names_category else focus.match.category)


@dataclass
class RecommendationResult:
    items: list[RecommendedItem]
    alternatives: list[RecommendedItem]
    method: str
    ranker: str
    filtering_steps: dict[str, Any]
    total_candidates: int
    timings_ms: dict[str, float]
    budget: BudgetInfo
    request: RecommendationRequest
    has_more: bool = False
    food_type_matched: bool | None = None     # the real thing was shown (None: no food named)
    food_type: FoodTypeOutcome | None = None
    location_source: str | None = None
    place_name: str | None = None
    log_id: int | None = None
    diversity: float = 0.0
    needs_location: bool = False              # nothing known about where: the answer asks
    place_choices: list[str] = field(default_factory=list)   # quick replies of that question
    group_budget: dict[str, Any] | None = None   # party_size, scope, per_person, total (issue 12)
    excluded_by_feedback: int = 0                # shops left out because this user disliked or reported them
    policy_log: dict[str, Any] | None = None    # exploration and propensities (recommendations_log.policy_log)

    @property
    def shown_shop_ids(self) -> list[int]:
        return [i.shop_id for i in self.items]

    @property
    def no_usable_shop_near(self) -> bool:
        """A place was searched and no open meal-card shop's menu is within the radius at all
        (the hard filters' ``radius`` step left nothing), whatever the budget or dish."""
        return self.filtering_steps.get("radius") == 0

    @property
    def shown(self) -> list[RecommendedItem]:
        """Items, then alternatives: the numbered options of the answer ("1번", "2번", ...)."""
        return self.items + self.alternatives

    def payload(self) -> dict[str, Any]:
        kind = "recommendations" if self.items else "no_results"
        data: dict[str, Any] = {
            "kind": kind,
            "recommendations": [i.to_payload() for i in self.items],
            "method": self.method,
            "budget": self.budget.hard_budget,
        }
        if self.alternatives:
            data["alternatives"] = [a.to_payload() for a in self.alternatives]
        if self.food_type is not None:
            data["food_type"] = self.food_type.to_payload()
        if self.log_id is not None:
            data["recommendation_id"] = self.log_id
        if self.place_name:
            data["place"] = {"name": self.place_name, "source": self.location_source}
        if self.request.open_at is not None:
            data["open_at"] = {"at": self.request.open_at.isoformat(), "label": self.request.time_label}
        if self.group_budget is not None:
            data["group_budget"] = self.group_budget
        if self.request.urgency == "high":
            data["urgency"] = "high"
        if self.request.portion_size in ("large", "small"):
            data["portion_size"] = self.request.portion_size
        return data
