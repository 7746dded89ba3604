"""What the user tells about themself: sessions, onboarding answers, stated preferences.

Each function is one use case in one transaction. Nothing is stored for a sender who
has not agreed to the terms and the privacy notice (docs/SECURITY.md "Consent"):
``start_session`` then only reads, and the saving use cases raise ``ConsentRequired``.
Saving the onboarding answers and issuing the welcome coupon commit or roll back
together (seed 004 §5.3 scenario 2: the coupon follows the profile creation).
"""
from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from naviyam.adapters.db import profiles
from naviyam.adapters.db.session import unit_of_work
from naviyam.adapters.db.users import find_user, split_sender
from naviyam.domain.onboarding import OnboardingAnswers
from naviyam.usecases.coupons.issuance import issue_welcome_coupon
from naviyam.usecases.senders import Sender, has_agreed, require_consent


@dataclass(frozen=True)
class OnboardingSaved:
    answers: OnboardingAnswers
    welcome_coupon: bool                  # the welcome coupon was issued now


@dataclass(frozen=True)
class SessionStart:
    onboarding_pending: bool              # this session should offer onboarding
    agreed: bool                          # the user agreed to the terms and the privacy notice


def start_session(sender: Sender) -> SessionStart:
    """Start a conversation session: counted on the profile of a user who agreed.

    A sender who has not agreed is not counted (nothing is stored); they are offered the
    onboarding (which starts with the consent question) while their profile, if any, is new.
    """
    external_id, platform = split_sender(sender.sender_id, sender.platform_hint)
    with unit_of_work() as session:
        user = find_user(session, external_id)
        if not has_agreed(user):
            pending = user is None or profiles.peek_profile(session, user.id).is_new
            return SessionStart(onboarding_pending=pending, agreed=False)
        return SessionStart(onboarding_pending=profiles.start_session(session, external_id, platform).is_new,
                            agreed=True)


def save_onboarding(sender: Sender, answers: OnboardingAnswers, now: datetime) -> OnboardingSaved:
    """Store the answers (onboarding done) and, the first time, issue the welcome coupon.

    Raises ``ConsentRequired`` (nothing written) for a sender who has not agreed.
    """
    with unit_of_work() as session:
        user_id = require_consent(session, sender, now.date())
        saved = profiles.save_onboarding(session, user_id, answers, now)
        coupon = bool(issue_welcome_coupon(session, user_id, now)) if saved.first_time else False
    return OnboardingSaved(answers=answers, welcome_coupon=coupon)


def save_preferences(sender: Sender, *, foods: list[str], budget: int | None,
                     restrictions: list[str], now: datetime) -> None:
    """Add a preference said outside onboarding ("나 떡볶이 좋아해") to the profile.

    Raises ``ConsentRequired`` (nothing written) for a sender who has not agreed.
    """
    with unit_of_work() as session:
        profiles.update_preferences(session, require_consent(session, sender, now.date()), foods=foods,
                                    budget=budget, restrictions=restrictions)
