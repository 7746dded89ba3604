"""The Rasa server as we run it: ``rasa`` 's own CLI with three start-up changes (issue 11).

    .venv-rasa/bin/python -m bot.server run --model models/naviyam.tar.gz --endpoints ...

Every argument goes to Rasa's CLI unchanged (``rasa.__main__.main``); ``scripts/serve.sh``
and the test harness start Rasa this way. Before handing over it changes three things that
Rasa Open Source 3.6 offers no extension point for (its plugin hooks are Rasa Pro's), so
they are replaced at the one place Rasa looks them up. Re-check both on every Rasa upgrade
(pinned 3.6.x); ``tests/rasa_env/test_server_start.py`` and ``test_action_endpoint.py`` fail if
their shapes change.

1. **The action server's answer is checked against a validator compiled once.**
   ``RemoteAction._validate_action_result`` calls ``jsonschema.validate`` for every action
   call, and ``validate`` first checks Rasa's constant response schema against the JSON
   Schema 2020-12 meta-schema: measured with py-spy on a recommendation turn, that meta-check
   was 55 % of the Rasa server's CPU (docs/PERFORMANCE.md). The answer is still validated
   against the same schema, with the same error and message; only the constant schema is
   checked once, at start.
2. **Ready means warm.** Rasa loads the model in a ``before_server_start`` listener
   (``rasa.core.run.load_agent_on_start``); the first message after that used to pay
   TensorFlow's graph tracing of DIET and TED and Kiwi's first analysis (3.1 s against
   0.4 s for a plain bot). The listener now also parses a few messages and predicts the next
   action on a throw-away tracker (nothing is stored), so the server accepts requests warm.
3. **One HTTP session to the action server per worker.** Rasa opens a new aiohttp session (and
   TCP connection) for every action call; the same listener replaces the action endpoint by
   ``bot.action_endpoint.PooledEndpointConfig`` (Rasa's ``request``, one kept-open session per
   worker: pooled, kept-alive connections), and Rasa's ``close_resources`` listener closes
   that session when the worker stops.
"""
from __future__ import annotations

import logging
import sys
from functools import lru_cache
from typing import Any, Dict, Optional, Text

import rasa.core.run
from bot.action_endpoint import PooledEndpointConfig
from jsonschema import exceptions, validators
from rasa.core.actions.action import RemoteAction
from rasa.core.agent import Agent
from rasa.core.utils import AvailableEndpoints
from rasa.shared.constants import DOCS_BASE_URL
from rasa.shared.core.events import ActionExecuted, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

logger = logging.getLogger(__name__)

# What a child typically writes first: a request with a budget, a dish, a greeting.
WARM_UP_MESSAGES = ("5천원으로 점심 추천해줘", "떡볶이 먹고 싶어", "안녕", "동의해요")
WARM_UP_SENDER = "naviyam-warm-up"


@lru_cache(maxsize=1)
def action_response_validator() -> Any:
    """Rasa's action-response schema, checked against its meta-schema once."""
    spec = RemoteAction.action_response_format_spec()
    cls = validators.validator_for(spec)
    cls.check_schema(spec)
    return cls(spec)


def validate_action_result(self: RemoteAction, result: Dict[Text, Any]) -> bool:
    """``RemoteAction._validate_action_result`` with the compiled validator (same errors)."""
    error = exceptions.best_match(action_response_validator().iter_errors(result))
    if error is not None:
        error.message += (  # Rasa's own wording (rasa/core/actions/action.py)
            ". Failed to validate Action server response from API, "
            "make sure your response from the Action endpoint is valid. "
            f"For more information about the format visit "
            f"{DOCS_BASE_URL}/custom-actions"
        )
        raise error
    return True


async def warm_up(agent: Agent) -> None:
    """Run the NLU pipeline and the policies once per message shape; store nothing."""
    if not agent.is_ready():
        return
    for text in WARM_UP_MESSAGES:
        parsed = await agent.parse_message(text)
        tracker = DialogueStateTracker(WARM_UP_SENDER, agent.domain.slots)
        tracker.update_with_events(
            [ActionExecuted("action_session_start"), SessionStarted(), ActionExecuted("action_listen"),
             UserUttered(text, parsed.get("intent"), parsed.get("entities", []), parse_data=parsed)],
            agent.domain,
        )
        agent.predict_next_with_tracker(tracker)
    logger.info("Rasa model warmed up (%d messages)", len(WARM_UP_MESSAGES))


_load_agent_on_start = rasa.core.run.load_agent_on_start
_close_resources = rasa.core.run.close_resources


def pool_action_endpoint(endpoints: Optional[AvailableEndpoints]) -> None:
    """Give the agent-to-be a pooled action endpoint (same URL, headers, auth, token, cafile)."""
    action = endpoints.action if endpoints is not None else None
    if action is not None and not isinstance(action, PooledEndpointConfig):
        endpoints.action = PooledEndpointConfig.from_endpoint(action)


async def load_and_warm_agent_on_start(model_path: Text, endpoints: Optional[AvailableEndpoints],
                                       *args: Any, **kwargs: Any) -> Agent:
    """Rasa's ``load_agent_on_start`` with a pooled action endpoint, then a warm-up before the
    server accepts requests."""
    pool_action_endpoint(endpoints)
    agent = await _load_agent_on_start(model_path, endpoints, *args, **kwargs)
    try:
        await warm_up(agent)
    except Exception:  # noqa: BLE001 - a failed warm-up costs speed, never the start
        logger.exception("Warm-up failed; the first requests will be slower")
    return agent


async def close_resources_and_action_session(app: Any, loop: Any) -> None:
    """Rasa's ``close_resources`` (after the server stopped), then the action endpoint's session."""
    try:
        await _close_resources(app, loop)
    finally:
        endpoint = getattr(getattr(app.ctx, "agent", None), "action_endpoint", None)
        if isinstance(endpoint, PooledEndpointConfig):
            await endpoint.close()


def install() -> None:
    """Put the three changes in place (idempotent)."""
    RemoteAction._validate_action_result = validate_action_result  # type: ignore[method-assign]
    rasa.core.run.load_agent_on_start = load_and_warm_agent_on_start
    rasa.core.run.close_resources = close_resources_and_action_session


def main() -> None:
    install()
    from rasa.__main__ import main as rasa_main

    sys.argv[0] = "rasa"
    rasa_main()


if __name__ == "__main__":
    main()
