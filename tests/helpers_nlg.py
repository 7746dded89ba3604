"""The actions' messages as Rasa 3.6 turns them into bot messages, for tests without a Rasa server.

Actions send responses by name (``dispatcher.utter_message(response="utter_...", **values)``).
Rasa's ``RemoteAction`` hands each to its ``TemplatedNaturalLanguageGenerator``: a variation
of the response (channel-specific ones for their channel, else the plain ones), its
``{placeholders}`` filled from the slots and the values the action sent, then the action's
buttons after the response's own. ``render`` does the same, strictly: a placeholder with no
value fails the test (Rasa would send the template with the braces in it), and so does an
action that sends text of its own instead of a response. ``tests/rasa_env/test_action_responses.py``
checks these responses with Rasa's own generator.
"""
from __future__ import annotations

import random
import re
from typing import Any

from rasa_sdk.executor import CollectingDispatcher

PLACEHOLDER = re.compile(r"{([^\n{}]+?)}")      # the pattern of rasa.core.nlg.interpolator
_RNG = random.Random(20261117)


def fill(template: str, values: dict[str, Any], response: str) -> str:
    missing = [key for key in PLACEHOLDER.findall(template) if key not in values]
    assert not missing, f"{response}: no value for {missing} (Rasa would send the raw template)"
    return PLACEHOLDER.sub(lambda m: str(values[m.group(1)]), template)


def variation(variants: list[dict[str, Any]], channel: str | None, rng: random.Random) -> dict[str, Any]:
    specific = [v for v in variants if channel and v.get("channel") == channel]
    return rng.choice(specific or [v for v in variants if not v.get("channel")])


def render(messages: list[dict[str, Any]], domain: dict[str, Any], slots: dict[str, Any] | None = None,
           channel: str | None = None, rng: random.Random | None = None) -> list[dict[str, Any]]:
    """``[{"text", "buttons"?, "response"}, {"custom"}, ...]`` as the channels receive them."""
    out: list[dict[str, Any]] = []
    for message in messages:
        assert not message.get("text"), f"an action sent text of its own: {message['text'][:80]!r}"
        name = message.get("response") or message.get("template")
        if name:
            variants = (domain.get("responses") or {}).get(name)
            assert variants, f"{name} is not in the domain"
            chosen = variation(variants, channel, rng or _RNG)
            values = {**(slots or {}), **message}
            bot: dict[str, Any] = {"response": name, "text": fill(chosen.get("text") or "", values, name)}
            buttons = list(chosen.get("buttons") or []) + list(message.get("buttons") or [])
            if buttons:
                bot["buttons"] = buttons
            out.append(bot)
        if message.get("custom"):
            out.append({"custom": message["custom"]})
    return out


def said(dispatcher: CollectingDispatcher, domain: dict[str, Any], **options: Any) -> list[dict[str, Any]]:
    return render(dispatcher.messages, domain, **options)


def texts(dispatcher: CollectingDispatcher, domain: dict[str, Any]) -> str:
    return "\n".join(m["text"] for m in said(dispatcher, domain) if m.get("text"))
