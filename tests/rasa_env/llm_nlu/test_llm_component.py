"""The LLM intent component in the Rasa environment, against the real tiny model server.

The tiny model (ml/llm/build_tiny_model.py) is a dev/test LM: the tests check what a
user of the pipeline relies on (a full ranking with confidences, DIET standing in when
the LLM is slow, broken or absent, cache hits), not the tiny model's accuracy.
"""
from __future__ import annotations

import math
import socket
import time

import pytest

from bot.nlu.llm_intent_classifier import merge_entities, merge_intents
from llm_nlu.support import FIXTURE_NLU, diet_message

INTENTS = ["balance_check", "budget_inquiry", "coupon_inquiry", "food_request", "goodbye", "greet"]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


# ------------------------------------------------------------------ real model server


def test_train_records_the_domain_intents_and_entity_types(make_component):
    component = make_component(url="")
    assert component.candidate_intents == INTENTS
    assert component.entity_types == ["budget", "food_type"]


def test_parse_gives_a_full_ranking_with_confidences(make_component, model_server, cache):
    component = make_component(url=model_server, merge_policy="llm_only", timeout_ms=20000)
    message = diet_message("쿠폰 있어?")
    component.process([message])

    ranking = message.get("intent_ranking")
    assert sorted(item["name"] for item in ranking) == INTENTS
    assert math.isclose(sum(item["confidence"] for item in ranking), 1.0, abs_tol=1e-6)
    assert all(0 <= item["confidence"] <= 1 for item in ranking)
    assert ranking == sorted(ranking, key=lambda item: -item["confidence"])
    assert message.get("intent") == {"name": ranking[0]["name"], "confidence": ranking[0]["confidence"]}
    assert message.get("intent_source") == "llm"
    llm = message.get("llm_nlu")
    assert llm["model"] == "tiny-test" and llm["cached"] is False
    # the debugging fields reach Rasa's parse output
    assert {"intent_source", "llm_nlu"} <= set(message.as_dict(only_output_properties=True))


def test_second_call_is_a_cache_hit_on_normalised_text(make_component, model_server, cache):
    component = make_component(url=model_server, merge_policy="llm_only", timeout_ms=20000)
    first, second = diet_message("잔액 얼마 남았어?"), diet_message("  잔액   얼마 남았어? ")
    component.process([first])
    component.process([second])
    assert component.calls == 1
    assert second.get("llm_nlu")["cached"] is True
    assert second.get("intent_ranking") == first.get("intent_ranking")


def test_diet_stands_when_llm_is_not_confident_enough(make_component, model_server, cache):
    component = make_component(url=model_server, threshold=1.01, timeout_ms=20000)
    message = diet_message("쿠폰 있어?", intent="greet", confidence=0.4)
    component.process([message])
    assert message.get("intent") == {"name": "greet", "confidence": 0.4}
    assert message.get("intent_source") == "diet"
    assert message.get("llm_nlu")["intent"]["name"] in INTENTS  # still recorded for comparison


# ------------------------------------------------------------------ off, slow, broken


def test_no_url_is_a_no_op(make_component, cache):
    component = make_component(url=None)  # and NAVIYAM_LLM_URL unset
    message = diet_message("치킨 먹고 싶어", intent="food_request", confidence=0.9)
    before = dict(message.data)
    component.process([message])
    assert message.data == before
    assert component.enabled is False and component.calls == 0


def test_timeout_falls_back_to_diet(make_component, fakes, cache):
    component = make_component(url=fakes.url("slow"), timeout_ms=300)
    message = diet_message("치킨 먹고 싶어", intent="food_request", confidence=0.55)
    component.process([message])
    assert message.get("intent") == {"name": "food_request", "confidence": 0.55}
    assert message.get("intent_source") == "diet"
    assert "300 ms" in message.get("llm_nlu")["error"]
    assert component.fallbacks == 1
    assert cache.get("nlu:llm:fallbacks") == 1


def test_server_errors_fall_back_and_open_the_circuit(make_component, fakes, cache):
    component = make_component(url=fakes.url("broken"), failure_threshold=2, failure_cooldown_s=60)
    for _ in range(3):
        message = diet_message("안녕", intent="greet", confidence=0.8)
        component.process([message])
        assert message.get("intent") == {"name": "greet", "confidence": 0.8}
    assert component.calls == 2  # the third message skipped the dead server
    assert message.get("llm_nlu") == {"error": "circuit open"}
    assert component.fallbacks == 3


def test_after_the_cooldown_one_trial_call_is_let_through(make_component, fakes, cache):
    component = make_component(url=fakes.url("broken"), failure_threshold=2, failure_cooldown_s=0.2)
    for _ in range(3):
        component.process([diet_message("안녕", intent="greet", confidence=0.8)])
    assert component.calls == 2
    time.sleep(0.25)  # the cooldown itself is what is tested, not a server start
    trial, after = diet_message("안녕", intent="greet", confidence=0.8), diet_message("안녕")
    component.process([trial])
    component.process([after])
    assert component.calls == 3  # the trial reached the server; its failure reopened the circuit
    assert "HTTP 500" in trial.get("llm_nlu")["error"]
    assert after.get("llm_nlu") == {"error": "circuit open"}


def test_cached_answers_are_used_while_the_circuit_is_open(make_component, fakes, cache):
    component = make_component(url=fakes.url("oai") + "/v1", backend="openai", model="ax",
                               openai_mode="completions", merge_policy="llm_only")
    component.process([diet_message("쿠폰 있어?")])
    component.client.breaker.open()
    again, other = diet_message("쿠폰 있어?"), diet_message("잔액 얼마야?")
    component.process([again, other])
    assert again.get("intent")["name"] == "coupon_inquiry" and again.get("llm_nlu")["cached"] is True
    assert other.get("llm_nlu") == {"error": "circuit open"} and other.get("intent_source") == "diet"
    assert component.calls == 1


def test_unreachable_server_falls_back(make_component, cache):
    component = make_component(url=f"http://127.0.0.1:{free_port()}")
    message = diet_message("안녕", intent="greet", confidence=0.8)
    component.process([message])
    assert message.get("intent_source") == "diet" and component.fallbacks == 1


# ------------------------------------------------------------------ OpenAI-compatible backend


def test_openai_completions_backend_scores_labels_by_logprobs(make_component, fakes, cache):
    component = make_component(url=fakes.url("oai") + "/v1", backend="openai", model="ax-3.1-light",
                               openai_mode="completions", merge_policy="llm_only")
    message = diet_message("만원이면 뭐 먹어?")  # keywords: 원 (budget_inquiry) and 먹 (food_request)
    component.process([message])
    ranking = message.get("intent_ranking")
    assert {item["name"] for item in ranking[:2]} == {"budget_inquiry", "food_request"}
    assert math.isclose(sum(item["confidence"] for item in ranking), 1.0, abs_tol=1e-6)
    assert message.get("llm_nlu")["model"] == "ax-3.1-light"
    # the entity the fake generated is added (DIET found no budget)
    assert {"entity": "budget", "start": 0, "end": 2, "value": "만원",
            "extractor": "LLMIntentClassifier"} in message.get("entities")
    path, body = [r for r in fakes.requests if r[0] == "/oai/v1/completions"][0]
    assert body["echo"] is True and len(body["prompt"]) == len(INTENTS)


def test_openai_auto_mode_switches_to_chat_json_without_logprobs(make_component, fakes, cache):
    component = make_component(url=fakes.url("nologprobs"), backend="openai", model="ax",
                               merge_policy="llm_only")
    message = diet_message("쿠폰 있어?")
    component.process([message])
    assert message.get("intent")["name"] == "coupon_inquiry"
    assert math.isclose(message.get("intent")["confidence"], 0.9)
    assert component.client.backend.mode == "chat"


def test_openai_backend_needs_a_model_name(make_component):
    with pytest.raises(ValueError, match="model name"):
        make_component(trained=False, url="http://127.0.0.1:1", backend="openai")


# ------------------------------------------------------------------ merge rules (pure)


LLM_RANKING = [{"name": "coupon_inquiry", "confidence": 0.8}, {"name": "greet", "confidence": 0.2}]


@pytest.mark.parametrize("diet_conf, threshold, expected, source", [
    (0.5, 0.7, "coupon_inquiry", "llm"),     # confident LLM beats a hesitant DIET
    (0.9, 0.7, "greet", "diet"),             # DIET more confident: it stands
    (0.5, 0.85, "greet", "diet"),            # LLM below the threshold
])
def test_llm_if_confident(diet_conf, threshold, expected, source):
    intent, ranking, got_source = merge_intents(
        {"name": "greet", "confidence": diet_conf}, [{"name": "greet", "confidence": diet_conf}],
        LLM_RANKING, "llm_if_confident", threshold)
    assert (intent["name"], got_source) == (expected, source)


def test_agreement_keeps_the_intent_with_the_higher_confidence():
    intent, _, source = merge_intents({"name": "coupon_inquiry", "confidence": 0.6}, [], LLM_RANKING,
                                      "llm_if_confident")
    assert intent == {"name": "coupon_inquiry", "confidence": 0.8} and source == "both"


def test_weighted_and_diet_only_policies():
    diet = {"name": "greet", "confidence": 0.9}
    diet_ranking = [diet, {"name": "coupon_inquiry", "confidence": 0.1}]
    intent, ranking, source = merge_intents(diet, diet_ranking, LLM_RANKING, "weighted", weight=0.5)
    assert intent["name"] == "greet" and math.isclose(intent["confidence"], 0.55) and source == "weighted"
    assert math.isclose(sum(item["confidence"] for item in ranking), 1.0)
    assert merge_intents(diet, diet_ranking, LLM_RANKING, "diet_only")[0] == diet


def test_llm_entities_only_fill_types_diet_missed():
    text = "만원으로 치킨 먹을래"
    diet = [{"entity": "food_type", "start": 5, "end": 7, "value": "치킨", "extractor": "DIETClassifier"}]
    llm = [{"entity": "food_type", "value": "치킨"}, {"entity": "budget", "value": "만원"},
           {"entity": "location", "value": "강남"}]  # not in the text: dropped
    merged = merge_entities(diet, llm, text)
    assert merged == diet + [{"entity": "budget", "start": 0, "end": 2, "value": "만원",
                              "extractor": "LLMIntentClassifier"}]


# ------------------------------------------------------------------ through Rasa's graph


@pytest.mark.slow
@pytest.mark.filterwarnings("ignore::UserWarning")  # whitespace tokens vs Korean entity spans
def test_rasa_trains_loads_and_parses_with_the_component(tmp_path, model_server, cache, monkeypatch):
    """The component as Rasa runs it: registered, trained, persisted, loaded, in /model/parse."""
    import asyncio

    from rasa.core.agent import Agent
    from rasa.model_training import train_nlu

    monkeypatch.setenv("NAVIYAM_LLM_URL", model_server)  # the trained model holds no URL
    config = tmp_path / "config.yml"
    config.write_text(
        "recipe: default.v1\nlanguage: ko\nassistant_id: llm-test\npipeline:\n"
        "  - name: WhitespaceTokenizer\n"
        "  - name: CountVectorsFeaturizer\n    analyzer: char_wb\n    min_ngram: 1\n    max_ngram: 3\n"
        "  - name: DIETClassifier\n    epochs: 5\n    random_seed: 1\n"
        "  - name: bot.nlu.llm_intent_classifier.LLMIntentClassifier\n"
        "    merge_policy: llm_only\n    timeout_ms: 20000\n"
        "  - name: EntitySynonymMapper\n", encoding="utf-8")
    model = train_nlu(str(config), str(FIXTURE_NLU), str(tmp_path / "models"))
    assert model, "rasa did not train"
    agent = Agent.load(model)
    result = asyncio.run(agent.parse_message("쿠폰 있어?"))
    assert result["intent_source"] == "llm"
    assert sorted(item["name"] for item in result["intent_ranking"]) == INTENTS
    assert result["intent"]["name"] == result["llm_nlu"]["intent"]["name"]
    assert result["llm_nlu"]["model"] == "tiny-test"
