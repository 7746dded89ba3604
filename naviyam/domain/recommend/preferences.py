"""Group, urgency and portion: how they change a recommendation (issue 12).

- **Group** (``party_size`` ≥ 2): the budget is per person unless the user says it is the
  total ("10명이서 다 합쳐서 3만원" → 3,000원 each); "10명이서 3만원" without a word saying
  which is asked back (``needs_scope_question``). Shops are ordered by how well they suit
  the group (``group_tiers``): known to fit (enough seats; for more than ``SMALL_GROUP``
  people also taking groups) before unknown before known not to fit. Unknown is said as such.
- **Urgency** high ("급해", "빨리"): only shops open ``urgent_open_minutes`` more minutes
  (the hard filter, ``FilterContext.open_for_min``), and the ranker's own contribution of
  distance counts double and of budget fit 1.5x (seed 003 §12-1, ``reweighted_logits``).
- **Portion** ("많이", "든든하게", "곱빼기" → large; "조금만" → small): menus tagged 든든 /
  with a 곱빼기·라지 option within the budget (large), or tagged 가벼움 / with a small option
  (small), come first (``portion_marks``).

Preferences order the pool (after the named food's tiers, before the ranker score); they
never break a hard filter and never empty an answer.
"""
from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

from naviyam.domain.recommend.catalog import Catalog

PER_PERSON, TOTAL = "per_person", "total"
BUDGET_SCOPES = (PER_PERSON, TOTAL)
SMALL_GROUP = 4               # up to this many fit any table: seats decide, not group-friendliness
GROUP_SUITS, GROUP_UNKNOWN, GROUP_NOT = 2, 1, 0
LARGE, SMALL = "large", "small"
URGENT = "high"
# seed 003 §12-1: distance_penalty *= 2, budget_compatibility *= 1.5 in urgent mode
URGENT_FEATURE_WEIGHTS = {"distance_norm": 2.0, "budget_fit": 1.5}

_PER_PERSON_WORDS = ("1인당", "일인당", "인당", "한명당", "한사람당", "명당", "각자", "사람당")
_TOTAL_WORDS = ("전체", "다합쳐", "모두합쳐", "합쳐서", "총액", "총금액", "다해서", "전부해서", "통틀어")
_TOTAL_RE = re.compile(r"(^|[^가-힣])총\s*[0-9일이삼사오육칠팔구십백천만]")
_LARGE_TAGS, _SMALL_TAGS = ("든든",), ("가벼움",)
_LARGE_OPTIONS = ("곱빼기", "곱배기", "라지", "large", "특대", "대자", "대(", "사리 추가", "사리추가")
_SMALL_OPTIONS = ("미니", "small", "스몰", "하프", "소자", "소(")
_EXACT_LARGE, _EXACT_SMALL = ("대", "l"), ("소", "s")
_SMALL_NAMES = ("미니", "꼬마", "하프", "컵")


# ---- group budgets ----------------------------------------------------------------

def budget_scope_in_text(text: str | None) -> str | None:
    """"1인당 5천원" → per_person, "다 합쳐서 3만원" / "총 3만원" → total, otherwise None."""
    raw = text or ""
    compact = re.sub(r"\s+", "", raw)
    if any(w in compact for w in _PER_PERSON_WORDS):
        return PER_PERSON
    if any(w in compact for w in _TOTAL_WORDS) or _TOTAL_RE.search(raw):
        return TOTAL
    return None


def normalise_scope(value: object) -> str | None:
    """An entity or slot value (per_person | total, or the words) → per_person | total | None."""
    text = str(value or "").strip()
    return text if text in BUDGET_SCOPES else budget_scope_in_text(text)


def needs_scope_question(stated_budget: int | None, party_size: int | None, scope: str | None) -> bool:
    """"10명이서 3만원": a group, an amount, and no word saying 1인당 or 전체."""
    return bool(stated_budget) and (party_size or 1) > 1 and scope is None


@dataclass(frozen=True)
class GroupBudget:
    party_size: int
    scope: str                    # per_person | total (per_person when the user did not say)
    per_person: int
    total: int

    def to_payload(self) -> dict[str, object]:
        return {"party_size": self.party_size, "scope": self.scope, "per_person": self.per_person,
                "total": self.total}


def group_budget(stated_budget: int | None, party_size: int | None, scope: str | None) -> GroupBudget | None:
    """The per-person budget of a group request (None for one person or no amount)."""
    if not stated_budget or not party_size or party_size <= 1:
        return None
    if scope == TOTAL:
        return GroupBudget(party_size, TOTAL, stated_budget // party_size, stated_budget)
    return GroupBudget(party_size, PER_PERSON, stated_budget, stated_budget * party_size)


def group_tiers(catalog: Catalog, party_size: int) -> np.ndarray:
    """Per shop: GROUP_SUITS, GROUP_UNKNOWN or GROUP_NOT for ``party_size`` people."""
    seats, friendly = catalog.shop_seats, catalog.shop_group_friendly
    if len(seats) != catalog.n_shops:           # a catalog built without the group columns
        return np.full(catalog.n_shops, GROUP_UNKNOWN, dtype=np.int8)
    known = seats >= 0
    fits = seats >= party_size
    if party_size <= SMALL_GROUP:
        not_suit = known & ~fits
        suit = known & fits
    else:
        not_suit = (friendly == 0) | (known & ~fits)
        suit = ~not_suit & ((friendly == 1) | known)
    tiers = np.full(catalog.n_shops, GROUP_UNKNOWN, dtype=np.int8)
    tiers[suit] = GROUP_SUITS
    tiers[not_suit] = GROUP_NOT
    return tiers


def group_fit(catalog: Catalog, shop: int, party_size: int) -> str:
    """yes | unknown | no for one shop (the item's ``group.suits`` in the payload)."""
    tier = int(group_tiers(catalog, party_size)[shop])
    return {GROUP_SUITS: "yes", GROUP_UNKNOWN: "unknown"}.get(tier, "no")


# ---- portions ---------------------------------------------------------------------

_LARGE_WORDS = ("든든", "곱빼기", "곱배기", "배부르게", "배부른", "많이", "양많", "푸짐", "넉넉하게")
_SMALL_WORDS = ("조금만", "조금", "가볍게", "가벼운", "적게", "양적", "소식")


def normalise_portion(value: str | None) -> str | None:
    return value if value in (LARGE, SMALL) else None


def portion_in_text(text: str | None) -> str | None:
    """"든든하게", "곱빼기", "많이" → large; "조금만", "가볍게" → small (the NLU gave no portion_size)."""
    compact = re.sub(r"\s+", "", text or "")
    if any(w in compact for w in _SMALL_WORDS):
        return SMALL
    if any(w in compact for w in _LARGE_WORDS):
        return LARGE
    return None


def _option_names(options: dict | None) -> list[tuple[str, int]]:
    found: list[tuple[str, int]] = []
    for items in (options or {}).values():
        for item in items if isinstance(items, list) else []:
            if isinstance(item, dict) and item.get("name"):
                found.append((str(item["name"]), int(item.get("price") or 0)))
    return found


def portion_option(options: dict | None, size: str) -> tuple[str, int] | None:
    """The cheapest option giving that portion ("곱빼기", 1000), or None."""
    words, exact = (_LARGE_OPTIONS, _EXACT_LARGE) if size == LARGE else (_SMALL_OPTIONS, _EXACT_SMALL)
    matching = [(name, extra) for name, extra in _option_names(options)
                if name.strip().lower() in exact or any(w in name.lower() for w in words)]
    return min(matching, key=lambda pair: pair[1]) if matching else None


def portion_marks(catalog: Catalog, size: str | None, budget: int | None,
                  rows: np.ndarray | None = None) -> np.ndarray | None:
    """Menus that serve the asked portion (None when no portion was asked).

    ``rows``: judge only these menus (those the hard filters examined; False elsewhere), so
    the Python work follows the neighbourhood, not the catalogue.
    """
    size = normalise_portion(size)
    if size is None:
        return None
    tags = _LARGE_TAGS if size == LARGE else _SMALL_TAGS
    has_options = len(catalog.menu_options) == catalog.n_menus
    marks = np.zeros(catalog.n_menus, dtype=bool)
    for i in (range(catalog.n_menus) if rows is None else rows.tolist()):
        if any(t in tag for tag in catalog.menu_tags[i] for t in tags):
            marks[i] = True
            continue
        opts = catalog.menu_options[i] if has_options else None
        if opts:
            option = portion_option(opts, size)
            if option is not None and (budget is None or int(catalog.menu_prices[i]) + option[1] <= budget):
                marks[i] = True
                continue
        if size == SMALL and any(w in catalog.menu_names[i] for w in _SMALL_NAMES):
            marks[i] = True
    return marks


# ---- urgency ----------------------------------------------------------------------

def reweighted_logits(logits: Callable[[np.ndarray, np.ndarray], np.ndarray], dense: np.ndarray,
                      crosses: np.ndarray, columns: dict[int, float]) -> np.ndarray:
    """The model's logits with the contribution of some features multiplied.

    A feature's contribution is the logit change when it is set to 0 (as in the ranker's
    explanations); weight 2 counts it twice, 1.5 one and a half times.
    """
    base = logits(dense, crosses)
    adjusted = base.copy()
    for column, weight in columns.items():
        occluded = dense.copy()
        occluded[:, column] = 0.0
        adjusted += (weight - 1.0) * (base - logits(occluded, crosses))
    return adjusted
