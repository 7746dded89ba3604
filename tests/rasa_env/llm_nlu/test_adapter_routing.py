"""The registry's NLU adapters through the Rasa component (issue 15): each user's messages go to
the production or the canary adapter by the canary split shared with the app, per the model
server's serving state; answers are cached per adapter; no key or no routing → production."""
from __future__ import annotations

from llm_nlu.conftest import REGISTERED
from llm_nlu.support import diet_message

from naviyam.shared.canary import canary_key, serves_canary

PRODUCTION, CANARY = REGISTERED


def _ask(component, text: str, key: str | None):
    message = diet_message(text)
    if key is not None:
        message.set("metadata", {"canary_key": key, "platform": "kakao"})
    component.process([message])
    return message.get("llm_nlu")


def test_each_user_gets_the_adapter_the_canary_split_gives(make_component, registry_model_server, cache):
    component = make_component(url=registry_model_server, merge_policy="diet_only", timeout_ms=20000)
    keys = [canary_key(f"kakao:kid{i}") for i in range(16)]
    expected = {k: CANARY if serves_canary(k, "llm_adapter", CANARY, 50.0) else PRODUCTION for k in keys}
    assert set(expected.values()) == {PRODUCTION, CANARY}  # both groups are exercised
    for key in keys:  # the same text: the second user of an adapter is a cache hit of that adapter
        answer = _ask(component, "쿠폰 있어?", key)
        assert answer["model"] == expected[key], key
    assert component.calls == 2  # one question per adapter, the rest from the cache
    assert _ask(component, "잔액 얼마야?", None)["model"] == PRODUCTION  # no key: production
    assert [_ask(component, "잔액 얼마야?", keys[0])["model"] for _ in range(2)] == [expected[keys[0]]] * 2


def test_routing_off_leaves_the_choice_to_the_server(make_component, registry_model_server, cache):
    component = make_component(url=registry_model_server, merge_policy="diet_only", timeout_ms=20000,
                               adapter_refresh_s=0)
    key = next(canary_key(f"kakao:kid{i}") for i in range(100)
               if serves_canary(canary_key(f"kakao:kid{i}"), "llm_adapter", CANARY, 50.0))
    assert _ask(component, "쿠폰 있어?", key)["model"] == PRODUCTION


def test_a_server_without_registry_routing_still_answers(make_component, model_server, cache):
    component = make_component(url=model_server, merge_policy="diet_only", timeout_ms=20000)
    assert _ask(component, "쿠폰 있어?", canary_key("kakao:kid1"))["model"] == "tiny-test"
