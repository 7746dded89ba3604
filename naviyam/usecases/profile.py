"""What the user tells about themself: sessions, onboarding answers, stated preferences.

Each function is one use case in one transaction (the user is created on first
contact). Saving the onboarding answers and issuing the welcome coupon commit or roll
back together (seed 004 §5.3 scenario 2: the coupon follows the profile creation).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from naviyam.adapters.db import profiles
from naviyam.adapters.db.session import unit_of_work
from naviyam.adapters.db.users import split_sender
from naviyam.domain.onboarding import OnboardingAnswers
from naviyam.usecases.coupons.issuance import issue_welcome_coupon
from naviyam.usecases.senders import Sender, user_id_of


@dataclass(frozen=True)
class OnboardingSaved:
    answers: OnboardingAnswers
    welcome_coupon: bool                  # the welcome coupon was issued now


def start_session(sender: Sender) -> bool:
    """Count a new conversation session; True when this session should offer onboarding."""
    external_id, platform = split_sender(sender.sender_id, sender.platform_hint)
    with unit_of_work() as session:
        return profiles.start_session(session, external_id, platform).is_new


def save_onboarding(sender: Sender, answers: OnboardingAnswers, now: datetime) -> OnboardingSaved:
    """Store the answers (onboarding done) and, the first time, issue the welcome coupon."""
    with unit_of_work() as session:
        user_id = user_id_of(session, sender)
        saved = profiles.save_onboarding(session, user_id, answers, now)
        coupon = bool(issue_welcome_coupon(session, user_id, now)) if saved.first_time else False
    return OnboardingSaved(answers=answers, welcome_coupon=coupon)


def save_preferences(sender: Sender, *, foods: list[str], budget: int | None,
                     restrictions: list[str]) -> None:
    """Add a preference said outside onboarding ("나 떡볶이 좋아해") to the profile."""
    with unit_of_work() as session:
        profiles.update_preferences(session, user_id_of(session, sender), foods=foods, budget=budget,
                                    restrictions=restrictions)
