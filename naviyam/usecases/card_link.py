"""Linking, replacing and unlinking a meal card in chat (issue 12).

``card_link_start`` says whether the flow may ask for a number (agreement to the terms and
privacy notice, attempts left today, the card linked now). ``link_card`` reads the number,
counts the attempt (``NAVIYAM_CARD_LINK_ATTEMPTS_PER_DAY`` per user and day), asks the card
operator to verify it *outside* any transaction, then in one transaction creates the user's
``foodcard_users`` row (or replaces the card of a user who has one: a lost card) with the
operator's figures, so the next answer is capped by the new card at once (the user's cache
keys are dropped after the commit). A refused number changes no row. ``unlink_card``
deletes the row.

The number is stored encrypted with its keyed hash (``EncryptedString``, migration 0004);
only its masked form (``****-****-****-3456``) leaves this module.
"""
from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timezone

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from naviyam.adapters.cache import get_cache
from naviyam.adapters.card_operator import (
    CardOperatorClient, CardState, OperatorError, OperatorUnavailable,
)
from naviyam.adapters.crypto import lookup_hash
from naviyam.adapters.db.invalidation import invalidate_after_commit
from naviyam.adapters.db.models import FoodcardUser
from naviyam.adapters.db.session import unit_of_work
from naviyam.adapters.resilience import CircuitOpenError
from naviyam.config import get_balance_settings, get_settings
from naviyam.domain import card_link as rules
from naviyam.domain.card_link import Verification
from naviyam.shared.cache_keys import card_link_attempts_key
from naviyam.usecases.balance.budget import SpendableBudget, spendable_budget
from naviyam.domain.consent import NOTICE_BOTH
from naviyam.usecases.consent import consent_state
from naviyam.usecases.senders import Sender, user_id_of

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LinkStart:
    agreed: bool                    # terms and privacy notice agreed (else: consent first)
    attempts_left: int
    current_card: str | None        # the masked number linked now, if any
    notice: str = NOTICE_BOTH       # which consent notice to show when not agreed


@dataclass(frozen=True)
class LinkOutcome:
    refusal: str | None                         # naviyam.domain.card_link reason, None: linked
    masked: str | None = None                   # the number tried, masked
    replaced: str | None = None                 # the previous card, masked, when one was replaced
    verification: Verification | None = None
    budget: SpendableBudget | None = None       # the new card's budget, right after linking
    attempts_left: int | None = None
    digit_count: int = 0

    @property
    def linked(self) -> bool:
        return self.refusal is None


def _local(now: datetime) -> datetime:
    tz = get_settings().timezone
    return (now.replace(tzinfo=tz) if now.tzinfo is None else now).astimezone(tz)


def _attempts_used(user_id: int, now: datetime) -> int:
    value = get_cache().get(card_link_attempts_key(user_id, _local(now).date().isoformat()))
    return int(value or 0)


def _count_attempt(user_id: int, now: datetime) -> int:
    local = _local(now)
    return get_cache().incr_window(card_link_attempts_key(user_id, local.date().isoformat()),
                                   rules.seconds_until_tomorrow(local))


def _current_card(sender: Sender) -> tuple[int, str | None]:
    with unit_of_work() as session:
        user_id = user_id_of(session, sender)
        number = session.scalar(select(FoodcardUser.card_number).where(FoodcardUser.user_id == user_id))
        return user_id, number


def card_link_start(sender: Sender, now: datetime) -> LinkStart:
    """May the flow ask for a card number now? (It writes nothing for a user who did not agree.)"""
    consent = consent_state(sender, _local(now).date())
    if not consent.agreed:
        return LinkStart(agreed=False, attempts_left=0, current_card=None, notice=consent.notice)
    user_id, number = _current_card(sender)
    limit = get_balance_settings().card_link_attempts_per_day
    return LinkStart(agreed=True, attempts_left=max(0, limit - _attempts_used(user_id, now)),
                     current_card=rules.mask_card_number(number) if number else None)


def _verify(digits: str, client: CardOperatorClient | None) -> tuple[CardState, Verification] | None | str:
    """The operator's answer (None: unknown card), or OPERATOR_UNAVAILABLE. Outside any transaction."""
    settings = get_balance_settings()
    if client is None and not settings.base_url:
        return rules.OPERATOR_UNAVAILABLE
    try:
        client = client or CardOperatorClient.from_settings(settings, retries=1)
        return client.verify_card(digits)
    except (CircuitOpenError, OperatorUnavailable, OperatorError) as exc:
        log.warning("Card verification failed: %s", exc)
        return rules.OPERATOR_UNAVAILABLE


def link_card(sender: Sender, text: str, now: datetime, *,
              client: CardOperatorClient | None = None) -> LinkOutcome:
    """Link the card whose number is in ``text`` to the sender (replacing a card they have)."""
    parsed = rules.parse_card_number(text)
    if parsed.digits is None:
        return LinkOutcome(refusal=parsed.problem, digit_count=parsed.digit_count)
    digits, masked = parsed.digits, rules.mask_card_number(parsed.digits)
    if not consent_state(sender, _local(now).date()).agreed:
        return LinkOutcome(refusal=rules.NO_CONSENT, masked=masked)
    user_id, _ = _current_card(sender)
    limit = get_balance_settings().card_link_attempts_per_day
    try:
        used = _count_attempt(user_id, now)
    except Exception:  # noqa: BLE001 - without the counter, no unlimited guessing: refuse for now
        log.exception("Card-link attempt counter unavailable")
        return LinkOutcome(refusal=rules.OPERATOR_UNAVAILABLE, masked=masked)
    left = max(0, limit - used)
    if used > limit:
        return LinkOutcome(refusal=rules.TOO_MANY_ATTEMPTS, masked=masked, attempts_left=0)

    answer = _verify(digits, client)
    if answer == rules.OPERATOR_UNAVAILABLE:
        return LinkOutcome(refusal=rules.OPERATOR_UNAVAILABLE, masked=masked, attempts_left=left)
    state, verification = answer if answer is not None else (None, None)
    try:
        return _store(user_id, digits, masked, state, verification, now, left)
    except IntegrityError:  # a concurrent link of the same card won: nothing of ours was written
        return LinkOutcome(refusal=rules.LINKED_ELSEWHERE, masked=masked, attempts_left=left)


def _store(user_id: int, digits: str, masked: str, state: CardState | None,
           verification: Verification | None, now: datetime, left: int) -> LinkOutcome:
    """One transaction: refuse (nothing written) or create/replace the user's card row."""
    digest = lookup_hash(digits)
    with unit_of_work() as session:
        owner = session.scalar(select(FoodcardUser.user_id).where(FoodcardUser.card_number_hash == digest))
        refusal = rules.link_refusal(verification, known_to_operator=state is not None,
                                     owner_user_id=owner, user_id=user_id)
        if refusal is not None:
            return LinkOutcome(refusal=refusal, masked=masked, verification=verification, attempts_left=left)
        card = session.scalar(select(FoodcardUser).where(FoodcardUser.user_id == user_id).with_for_update())
        replaced = rules.mask_card_number(card.card_number) if card is not None and card.card_number else None
        if card is None:
            card = FoodcardUser(user_id=user_id, card_number=digits, card_type=verification.card_type,
                                target_age_group=verification.target_age_group, status=verification.status,
                                balance=state.balance)
            session.add(card)
        else:  # a lost or new card replaces the old one: the old card's figures go with it
            card.card_number, card.card_number_hash = digits, digest
            card.card_type, card.target_age_group = verification.card_type, verification.target_age_group
            card.balance_alert_sent, card.last_balance_alert_at = False, None
        for name in ("status", "balance", "daily_limit", "monthly_limit", "daily_spent",
                     "monthly_spent", "spent_as_of"):
            setattr(card, name, getattr(state, name))
        card.last_sync_at = now.astimezone(timezone.utc) if now.tzinfo else now
        session.flush()   # the operator's figures of this very moment: the balance is fresh at once
        invalidate_after_commit(session, [user_id])
        budget = spendable_budget(session, user_id, now)
        log.info("Meal card %s linked to user %s%s", masked, user_id, " (replaced)" if replaced else "")
        return LinkOutcome(refusal=None, masked=masked, replaced=replaced, verification=verification,
                           budget=budget, attempts_left=left)


def unlink_card(sender: Sender, now: datetime) -> str | None:
    """Delete the sender's card row; returns the masked number that was unlinked (None: no card)."""
    with unit_of_work() as session:
        user_id = user_id_of(session, sender)
        card = session.scalar(select(FoodcardUser).where(FoodcardUser.user_id == user_id).with_for_update())
        if card is None:
            return None
        masked = rules.mask_card_number(card.card_number)
        session.delete(card)
        invalidate_after_commit(session, [user_id])
        log.info("Meal card %s unlinked from user %s", masked, user_id)
        return masked
