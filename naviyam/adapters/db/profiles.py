"""User profiles: reading them, counting sessions, onboarding answers (seed 001 §3.3.1).

Plain Python over SQLAlchemy sessions; the caller owns the transaction
(``with unit_of_work() as session: ...``), so saving the answers and issuing the
welcome coupon commit or roll back together.

A user is *new* while ``interaction_count < 3`` (seed 001 §3.3.1: 1-3회차) and the
onboarding has not been completed or skipped. ``interaction_count`` counts sessions
(``start_session``, called by ``action_session_start``); the recommendation
selection transaction (seed 001 §3.3.1 transaction flow) may add to it as well.
"""
from __future__ import annotations

import logging
import re
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from naviyam.adapters.db.invalidation import invalidate_after_commit
from naviyam.usecases.coupons.wallet import issue_welcome_coupon
from naviyam.adapters.db.models import UserProfile
from naviyam.adapters.db.users import get_or_create_user

log = logging.getLogger(__name__)

NEW_USER_INTERACTIONS = 3
SKIPPED = "skip"
MIN_BUDGET = 500
MAX_BUDGET = 100_000
MAX_LIST_ITEMS = 20


@dataclass(frozen=True)
class ProfileView:
    """What the dialogue needs to know about a user's profile."""

    user_id: int
    interaction_count: int
    preferred_categories: list[str]
    average_budget: int | None
    dietary_restrictions: list[str]
    onboarding_completed: bool

    @property
    def is_new(self) -> bool:
        return self.interaction_count < NEW_USER_INTERACTIONS and not self.onboarding_completed


@dataclass
class OnboardingAnswers:
    """Answers to the three onboarding questions; None means skipped."""

    foods: list[str] | None = None
    budget: int | None = None
    restrictions: list[str] | None = None

    @property
    def answered(self) -> int:
        return sum(x is not None for x in (self.foods, self.budget, self.restrictions))


@dataclass
class OnboardingResult:
    profile: ProfileView
    answers: OnboardingAnswers
    welcome_coupon: Any = None
    notes: list[str] = field(default_factory=list)


def _view(profile: UserProfile) -> ProfileView:
    return ProfileView(
        user_id=profile.user_id,
        interaction_count=profile.interaction_count or 0,
        preferred_categories=list(profile.preferred_categories or []),
        average_budget=profile.average_budget,
        dietary_restrictions=list(profile.dietary_restrictions or []),
        onboarding_completed=profile.onboarding_completed_at is not None,
    )


def _profile_for_update(session: Session, user_id: int) -> UserProfile:
    profile = session.scalar(
        select(UserProfile).where(UserProfile.user_id == user_id).with_for_update()
    )
    if profile is None:
        profile = UserProfile(user_id=user_id)
        session.add(profile)
        session.flush()
    return profile


def get_profile(session: Session, user_id: int) -> ProfileView:
    profile = session.scalar(select(UserProfile).where(UserProfile.user_id == user_id))
    if profile is None:
        profile = _profile_for_update(session, user_id)
    return _view(profile)


def start_session(session: Session, external_user_id: str, platform: str = "rest") -> ProfileView:
    """Counts a new conversation session; returns the profile as it was *before* it.

    ``result.is_new`` tells whether this session should offer onboarding.
    """
    user = get_or_create_user(session, external_user_id, platform)
    profile = _profile_for_update(session, user.id)
    before = _view(profile)
    profile.interaction_count = (profile.interaction_count or 0) + 1
    session.flush()
    return before


def _merge(existing: list[str], new: list[str]) -> list[str]:
    merged = list(existing or [])
    for item in new:
        item = str(item).strip()
        if item and item not in merged:
            merged.append(item)
    return merged[-MAX_LIST_ITEMS:]


def valid_budget(value: Any) -> int | None:
    """A usual meal budget in won, or None if it is not a plausible amount."""
    try:
        won = int(round(float(value)))
    except (TypeError, ValueError):
        return None
    return won if MIN_BUDGET <= won <= MAX_BUDGET else None


def _completeness(profile: UserProfile) -> Decimal:
    known = sum([
        bool(profile.preferred_categories),
        profile.average_budget is not None,
        profile.onboarding_completed_at is not None or bool(profile.dietary_restrictions),
    ])
    return Decimal(known) / Decimal(3) * Decimal("0.5") if known else Decimal("0.00")


def update_preferences(session: Session, user_id: int, *, foods: list[str] | None = None,
                       budget: int | None = None,
                       restrictions: list[str] | None = None) -> ProfileView:
    """Adds stated preferences (favourite foods, usual budget, restrictions) to the profile."""
    profile = _profile_for_update(session, user_id)
    if foods:
        profile.preferred_categories = _merge(profile.preferred_categories, foods)
    if budget is not None:
        checked = valid_budget(budget)
        if checked is None:
            raise ValueError(f"implausible budget: {budget!r}")
        profile.average_budget = checked
    if restrictions:
        profile.dietary_restrictions = _merge(profile.dietary_restrictions, restrictions)
    profile.data_completeness = max(Decimal(profile.data_completeness or 0),
                                    _completeness(profile)).quantize(Decimal("0.01"))
    session.flush()
    invalidate_after_commit(session, [user_id])
    return _view(profile)


def save_onboarding(session: Session, user_id: int, answers: OnboardingAnswers,
                    now: datetime) -> OnboardingResult:
    """Stores the onboarding answers and marks onboarding done (also when all were skipped).

    Seed 004 §5.3 scenario 2: a welcome coupon follows the profile creation; it is
    issued in the same transaction.
    """
    profile = _profile_for_update(session, user_id)
    if answers.foods:
        profile.preferred_categories = _merge(profile.preferred_categories, answers.foods)
    if answers.budget is not None:
        checked = valid_budget(answers.budget)
        if checked is not None:
            profile.average_budget = checked
    if answers.restrictions:
        profile.dietary_restrictions = _merge(profile.dietary_restrictions, answers.restrictions)
    first_time = profile.onboarding_completed_at is None
    profile.onboarding_completed_at = profile.onboarding_completed_at or now
    profile.data_completeness = max(Decimal(profile.data_completeness or 0),
                                    _completeness(profile)).quantize(Decimal("0.01"))
    session.flush()
    coupon = issue_welcome_coupon(session, user_id, now) if first_time else None
    # Restrictions are a hard filter: the cached profile must not outlive this change.
    invalidate_after_commit(session, [user_id])
    return OnboardingResult(profile=_view(profile), answers=answers, welcome_coupon=coupon)


_REQUEST_WORDS = re.compile(
    r"먹고|먹을|싶|추천|배고|뭐|알려|찾아|어디|있어|있나|가자|갈래|주문|시켜|땡겨|당기|ㄱㄱ"
    r"|\?|그럼|그러면|어때|없어|말고|빼고|은요|는요"  # "그럼 치킨은?" is a follow-up request
)
_FILLER = re.compile(r"[\s.,!?~^ㅎㅋㅠㅜ😊🙂]+|요$|이요$|입니다$|이에요$|예요$|요\b")


def is_bare_answer(text: str, entity_texts: list[str]) -> bool:
    """True for answers such as "치킨이요", "떡볶이랑 피자!" (no request words around).

    Used during onboarding: a bare food name answers "어떤 음식을 좋아해요?", while
    "치킨 먹고 싶어" is a request that gets recommendations first.
    """
    if _REQUEST_WORDS.search(text or ""):
        return False
    rest = text or ""
    for entity_text in entity_texts:
        rest = rest.replace(entity_text, " ")
    rest = _FILLER.sub("", rest)
    rest = re.sub(r"(이랑|랑|하고|그리고|와|과|도|이나|나|,|이|가|은|는|을|를|정도|쯤|요)", "", rest)
    return len(rest.strip()) <= 2
