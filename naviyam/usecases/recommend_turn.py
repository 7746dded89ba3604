"""One recommendation request of a chat turn (issue 12): the card first, then the answer.

In one transaction: the user; the low-balance rules (the once-per-24-hours alert claim and
the emergency coupon, ``naviyam.usecases.low_balance``) on every request, not only when the
balance is asked; then either the zero-balance answer (``naviyam.usecases.zero_balance``:
an active card that lets the child spend almost nothing now) or the recommendation engine
(``naviyam.usecases.recommend.recommend``), which sees an emergency coupon issued just now.
"""
from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from naviyam.adapters.db.conversation_log import log_turn
from naviyam.adapters.db.places import remembered_place
from naviyam.adapters.db.profile_queries import load_profile
from naviyam.adapters.gazetteer import get_gazetteer
from naviyam.adapters.db.session import unit_of_work
from naviyam.config import get_balance_settings, get_recommend_settings, get_settings
from naviyam.domain.recommend.context import resolve_location
from naviyam.domain.recommend.request import RecommendationRequest
from naviyam.domain.zero_balance import is_zero_balance
from naviyam.usecases.place_memory import fresh_memory
from naviyam.usecases.low_balance import LowBalanceOutcome, handle_low_balance
from naviyam.usecases.recommend import RecommendationResult, recommend
from naviyam.usecases.senders import Sender, consented_user_id
from naviyam.usecases.turns import Turn, written_by_events
from naviyam.usecases.zero_balance import ZeroBalanceOffer, zero_balance_offer

# A zero-balance answer looks a little further than a recommendation: a free meal is worth a walk.
ZERO_BALANCE_RADIUS_FACTOR = 2


@dataclass(frozen=True)
class RecommendTurn:
    low: LowBalanceOutcome
    result: RecommendationResult | None = None
    zero: ZeroBalanceOffer | None = None


def recommend_turn(sender: Sender, request: RecommendationRequest,
                   describe: Callable[["RecommendTurn"], Turn] | None = None) -> RecommendTurn:
    """The turn's answer in one transaction; with ``describe`` (the action's rendering: pure,
    no I/O) the turn's conversations row joins the same transaction.

    A sender who has not agreed (docs/SECURITY.md "Consent") is served anonymously: no card,
    so neither the low-balance rules nor the zero-balance answer apply.
    """
    with unit_of_work() as session:
        request.user_id = consented_user_id(session, sender)
        request.session_key = request.session_key or sender.sender_id
        turn = _answer(session, request)
        if describe is not None:
            row = describe(turn)
            if not written_by_events():     # else the event consumer writes it (docs/LEARNING_LOOP.md)
                log_turn(session, row.to_record(request.user_id))
        return turn


def _answer(session, request: RecommendationRequest) -> RecommendTurn:
    low = handle_low_balance(session, request.user_id, request.now)
    budget = low.budget
    if request.user_id is not None and is_zero_balance(
            budget.has_card, budget.amount, get_balance_settings().zero_balance_won):
        memory = remembered_place(session, request.user_id)
        days = get_recommend_settings().place_memory_days
        resolve_location(request, load_profile(session, request.user_id), get_gazetteer(),
                         fresh_memory(memory, request, days))
        radius = (request.radius_m or get_settings().search_radius_m) * ZERO_BALANCE_RADIUS_FACTOR
        offer = zero_balance_offer(session, request.user_id, budget, request.now, request.location, radius)
        return RecommendTurn(low=low, zero=offer)
    return RecommendTurn(low=low, result=recommend(session, request))
