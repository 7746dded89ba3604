"""User profiles: reading them, counting sessions, onboarding answers (seed 001 §3.3.1).

Plain Python over SQLAlchemy sessions; the caller owns the transaction
(``with unit_of_work() as session: ...``), so saving the answers and issuing the
welcome coupon commit or roll back together.

A user is *new* while ``interaction_count < 3`` (seed 001 §3.3.1: 1-3회차) and the
onboarding has not been completed or skipped. ``interaction_count`` counts sessions
(``start_session``, called by ``action_session_start``); the recommendation
selection transaction (seed 001 §3.3.1 transaction flow) may add to it as well.
The welcome coupon after onboarding is the use case's side effect
(``naviyam.usecases.profile.save_onboarding``), not this module's.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from sqlalchemy import select
from sqlalchemy.orm import Session

from naviyam.adapters.db.invalidation import invalidate_after_commit
from naviyam.adapters.db.models import UserProfile
from naviyam.adapters.db.users import get_or_create_user
from naviyam.domain.onboarding import (  # noqa: F401 - re-exported for callers of this module
    MAX_BUDGET, MIN_BUDGET, SKIPPED, OnboardingAnswers, is_bare_answer, valid_budget,
)

log = logging.getLogger(__name__)

NEW_USER_INTERACTIONS = 3
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
class OnboardingResult:
    profile: ProfileView
    answers: OnboardingAnswers
    first_time: bool = False             # this save completed the onboarding
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


def peek_profile(session: Session, user_id: int) -> ProfileView:
    """The profile as stored, creating nothing (an empty view when there is none)."""
    profile = session.scalar(select(UserProfile).where(UserProfile.user_id == user_id))
    return _view(profile) if profile is not None else ProfileView(
        user_id=user_id, interaction_count=0, preferred_categories=[], average_budget=None,
        dietary_restrictions=[], onboarding_completed=False)


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

    ``first_time`` says whether this save completed the onboarding (seed 004 §5.3
    scenario 2: the use case then issues the welcome coupon in the same transaction).
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
    # Restrictions are a hard filter: the cached profile must not outlive this change.
    invalidate_after_commit(session, [user_id])
    return OnboardingResult(profile=_view(profile), answers=answers, first_time=first_time)
