"""What the user asked for, in one value object the engine understands."""
from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any

MEAL_SLOTS = ("아침", "점심", "저녁", "야식")


def meal_slot_for(when: datetime) -> str:
    """The meal of the day at ``when`` (아침 05-10, 점심 10-15, 저녁 15-21, 야식 otherwise)."""
    hour = when.hour
    if 5 <= hour < 10:
        return "아침"
    if 10 <= hour < 15:
        return "점심"
    if 15 <= hour < 21:
        return "저녁"
    return "야식"


@dataclass
class RecommendationRequest:
    """One recommendation request.

    ``now`` is the request time (metadata ``now`` in tests and demos); ``location`` the
    resolved position (metadata → named place → remembered place → profile area) with ``location_source``
    saying which. ``stated_budget`` is what the user said; the hard budget also depends
    on the card (see budget.py). ``exclude_*`` hold what earlier pages already showed.
    """

    now: datetime
    user_id: int | None = None
    session_key: str | None = None
    text: str = ""
    intent: str | None = None
    stated_budget: int | None = None
    food_type: str | None = None
    food_type_source: str | None = None      # entity (this message) | slot (an earlier turn) | text
    time_preference: str | None = None
    party_size: int | None = None
    budget_scope: str | None = None          # per_person | total for a group's stated budget
    location: tuple[float, float] | None = None
    location_source: str | None = None       # metadata | place | remembered | profile | None
    place_name: str | None = None
    place_said: bool = False                 # place_name was said in this message (not an earlier slot)
    taste_preference: str | None = None
    companions: str | None = None
    urgency: str | None = None
    dietary_restrictions: list[str] = field(default_factory=list)
    portion_size: str | None = None
    exclude_shop_ids: set[int] = field(default_factory=set)
    exclude_menu_ids: set[int] = field(default_factory=set)
    limit: int = 3
    radius_m: int | None = None
    open_at: datetime | None = None          # another time ("내일 점심"): shops must be open then
    time_label: str | None = None            # how the answer says that time ("내일 점심(12:00)")

    @property
    def open_moment(self) -> datetime:
        """When the shops must be open: the asked-for time, else now."""
        return self.open_at or self.now

    @property
    def meal_slot(self) -> str:
        if self.time_preference in MEAL_SLOTS:
            return self.time_preference
        return meal_slot_for(self.open_moment)

    @property
    def query_text(self) -> str:
        """The words retrieval should match (free text plus the content entities)."""
        parts = [self.food_type, self.taste_preference, self.text]
        return " ".join(p for p in parts if p).strip()

    def to_log(self) -> dict[str, Any]:
        data = asdict(self)
        data["now"] = self.now.isoformat()
        data["exclude_shop_ids"] = sorted(self.exclude_shop_ids)
        data["exclude_menu_ids"] = sorted(self.exclude_menu_ids)
        data["location"] = list(self.location) if self.location else None
        data["open_at"] = self.open_at.isoformat() if self.open_at else None
        return data

    def to_state(self) -> dict[str, Any]:
        """What a later "다른 거" turn needs to repeat this request (stored in a slot)."""
        return {
            "stated_budget": self.stated_budget, "food_type": self.food_type,
            "food_type_source": self.food_type_source,
            "time_preference": self.time_preference, "party_size": self.party_size,
            "budget_scope": self.budget_scope,
            "location": list(self.location) if self.location else None,
            "location_source": self.location_source, "place_name": self.place_name,
            "taste_preference": self.taste_preference, "companions": self.companions,
            "urgency": self.urgency, "dietary_restrictions": list(self.dietary_restrictions),
            "portion_size": self.portion_size, "text": self.text,
        }

    @classmethod
    def from_state(cls, state: dict[str, Any], **overrides: Any) -> RecommendationRequest:
        values = dict(state or {})
        loc = values.get("location")
        values["location"] = (float(loc[0]), float(loc[1])) if loc else None
        values["dietary_restrictions"] = list(values.get("dietary_restrictions") or [])
        values.update(overrides)
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in values.items() if k in known})
