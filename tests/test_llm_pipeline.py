"""LLM NLU pipeline in the app environment: data → tiny LM → LoRA → model server.

The real code path end to end on a tiny causal LM the project builds itself (no model
hub here). The Rasa side of the same path is tested in tests/rasa_env/llm_nlu.
"""
from __future__ import annotations

import json
import math
import os
import subprocess
import sys
import time
import uuid
from decimal import Decimal
from pathlib import Path

import pytest
import requests

from naviyam.shared import llm_prompts as prompts
from ml.llm.dataset import (
    read_collected_rows,
    read_rasa_nlu,
    rows_from_conversations,
    stratified_split,
)

PROJECT_ROOT = Path(__file__).resolve().parent.parent
FIXTURE_NLU = PROJECT_ROOT / "tests" / "fixtures" / "llm" / "nlu_small.yml"
SEED_INTENTS = {"food_request", "budget_inquiry", "coupon_inquiry", "location_inquiry", "time_inquiry",
                "general_chat", "menu_option", "emergency_food", "group_dining", "balance_check",
                "balance_charge"}


# ------------------------------------------------------------------ prompt format and data


@pytest.mark.parametrize("raw, text, entities", [
    ("[5천원](budget)으로 뭐 먹지?", "5천원으로 뭐 먹지?", [("budget", "5천원")]),
    ('[치킨]{"entity": "food_type", "value": "치킨"} 먹고 싶어', "치킨 먹고 싶어", [("food_type", "치킨")]),
    ("[돈까스](food_type:돈가스)   먹고싶다", "돈까스 먹고싶다", [("food_type", "돈까스")]),
    ("잔액 얼마야", "잔액 얼마야", []),
])
def test_entity_annotations_are_stripped_and_kept_as_targets(raw, text, entities):
    got_text, got_entities = prompts.strip_annotations(raw)
    assert got_text == text
    assert [(e["entity"], e["value"]) for e in got_entities] == entities


def test_generated_entities_must_occur_in_the_text():
    text = "만원으로 치킨 먹을래"
    generated = " budget=만원|food_type=피자|location=치킨|budget=만원\n개체: extra"
    assert prompts.parse_entities(generated, text, allowed=["budget", "food_type"]) == [
        {"entity": "budget", "value": "만원", "start": 0, "end": 2}]
    assert prompts.parse_entities(" -", text) == []


def test_training_target_round_trips_through_the_parser():
    target = prompts.training_target("food_request", [{"entity": "food_type", "value": "치킨"}])
    assert target.startswith(prompts.intent_label("food_request"))
    generated = target.split(prompts.ENTITY_PREFIX, 1)[1]
    assert prompts.parse_entities(generated, "치킨 먹고 싶어") == [
        {"entity": "food_type", "value": "치킨", "start": 0, "end": 2}]


def test_project_nlu_data_covers_the_seed_intents():
    examples = read_rasa_nlu([PROJECT_ROOT / "data" / "nlu"])
    intents = {example.intent for example in examples}
    assert SEED_INTENTS <= intents
    assert all("[" not in example.text and "](" not in example.text for example in examples)


def test_collected_rows_and_a_clear_error_for_a_bad_line(tmp_path):
    rows = tmp_path / "rows.jsonl"
    rows.write_text(json.dumps({"text": " 쿠폰  줘 ", "intent": "coupon_inquiry"}, ensure_ascii=False)
                    + "\n\n" + json.dumps({"text": "만원", "intent": "budget_inquiry",
                                           "entities": [{"entity": "budget", "value": "만원"}]}) + "\n",
                    encoding="utf-8")
    examples = read_collected_rows(rows)
    assert [(e.text, e.intent, e.entities) for e in examples] == [
        ("쿠폰 줘", "coupon_inquiry", ()), ("만원", "budget_inquiry", (("budget", "만원"),))]
    rows.write_text('{"text": "no intent"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="rows.jsonl:1"):
        read_collected_rows(rows)


def test_split_keeps_every_intent_on_both_sides():
    examples = read_rasa_nlu([FIXTURE_NLU])
    train, held_out = stratified_split(examples, 0.2, seed=1)
    assert {e.intent for e in train} == {e.intent for e in held_out} == {e.intent for e in examples}
    assert not {(e.text, e.intent) for e in train} & {(e.text, e.intent) for e in held_out}


def test_conversation_rows_are_exported_when_confident(db_session):
    from naviyam.adapters.db.models import Conversation

    db_session.add_all([
        Conversation(input_text="쿠폰 있어요?", response_text="네", rasa_intent="coupon_inquiry",
                     intent_confidence=Decimal("0.950")),
        Conversation(input_text="음...", response_text="네?", rasa_intent="greet",
                     intent_confidence=Decimal("0.400")),
    ])
    db_session.flush()
    rows = rows_from_conversations(db_session, min_confidence=0.9)
    assert {"text": "쿠폰 있어요?", "intent": "coupon_inquiry"} in rows
    assert all(row["text"] != "음..." for row in rows)


# ------------------------------------------------------------------ tiny LM end to end


@pytest.fixture(scope="module")
def fine_tuned(tmp_path_factory):
    """The tiny dev LM built from the fixture data and LoRA fine-tuned (about 30 s)."""
    import torch

    from ml.llm.build_tiny_model import build
    from ml.llm.finetune_lora import TrainConfig, train

    torch.set_num_threads(1)
    root = tmp_path_factory.mktemp("llm")
    base = build([FIXTURE_NLU], root / "tiny-base", pretrain_steps=100)
    config = TrainConfig(base_model=str(base), output=str(root / "adapter"), nlu=[str(FIXTURE_NLU)],
                         lr=2e-3, batch_size=8, grad_accum=1, epochs=30, eval_fraction=0.2,
                         select="last", model_name="tiny-test", metrics_path=str(root / "metrics.json"))
    metrics = train(config)
    return base, Path(config.output), metrics, root


@pytest.mark.slow
def test_fine_tuning_saves_adapter_metadata_and_metrics(fine_tuned):
    base, adapter, metrics, root = fine_tuned
    assert (base / "naviyam_model.json").exists()
    for name in ("adapter_config.json", "adapter_model.safetensors", "tokenizer.json",
                 "naviyam_adapter.json", "metrics.json"):
        assert (adapter / name).exists(), name
    adapter_config = json.loads((adapter / "adapter_config.json").read_text())
    assert (adapter_config["r"], adapter_config["lora_alpha"]) == (16, 32)
    assert math.isclose(adapter_config["lora_dropout"], 0.05)
    metadata = json.loads((adapter / "naviyam_adapter.json").read_text(encoding="utf-8"))
    assert metadata["intents"] == sorted({e.intent for e in read_rasa_nlu([FIXTURE_NLU])})
    assert metadata["entity_types"] == ["budget", "food_type"]
    saved = json.loads((root / "metrics.json").read_text(encoding="utf-8"))
    assert 0 <= saved["intent_accuracy"] <= 1 and 0 <= saved["macro_f1"] <= 1
    assert saved["held_out_examples"] == metrics["held_out_examples"] > 0
    history = saved["history"]
    assert history[-1]["train_loss"] < history[0]["train_loss"] / 3  # it learned


def _serve(env: dict):
    """Run ml.llm.model_server on a free port with ``env``; yield its URL, stop it afterwards."""
    process = subprocess.Popen([sys.executable, "-m", "ml.llm.model_server", "--port", "0"],
                               cwd=PROJECT_ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                               text=True)
    try:
        port = None
        deadline = time.monotonic() + 120
        while port is None and time.monotonic() < deadline:
            line = process.stdout.readline()
            if not line and process.poll() is not None:
                pytest.fail(f"model server exited: {process.stderr.read()[-2000:]}")
            if line.startswith("NAVIYAM_LLM_SERVER_LISTENING"):
                port = int(line.split()[1])
        assert port, "the model server did not report its port"
        url = f"http://127.0.0.1:{port}"
        assert requests.get(url + "/health", timeout=5).json()["status"] == "ok"
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()


@pytest.fixture(scope="module")
def server(fine_tuned):
    base, adapter, _, _ = fine_tuned
    yield from _serve({**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "OMP_NUM_THREADS": "1",
                       "NAVIYAM_LLM_BASE_MODEL": str(base), "NAVIYAM_LLM_ADAPTER": str(adapter)})


@pytest.mark.slow
def test_server_ranks_the_trained_intents(server):
    examples = read_rasa_nlu([FIXTURE_NLU])
    health = requests.get(server + "/health", timeout=5).json()
    assert health["model"] == "tiny-test" and health["intents"] == sorted({e.intent for e in examples})
    correct = 0
    for example in examples:
        answer = requests.post(server + "/v1/nlu/parse", json={"text": example.text}, timeout=30).json()
        ranking = answer["intents"]
        assert sorted(item["name"] for item in ranking) == health["intents"]
        assert math.isclose(sum(item["confidence"] for item in ranking), 1.0, abs_tol=1e-6)
        correct += ranking[0]["name"] == example.intent
        for entity in answer["entities"]:
            assert example.text[entity["start"]:entity["end"]] == entity["value"]
    assert correct / len(examples) >= 0.8  # the adapter learned its training data


@pytest.mark.slow
def test_server_scores_only_the_given_intents_and_rejects_bad_requests(server):
    answer = requests.post(server + "/v1/nlu/parse", json={
        "text": "쿠폰 있어?", "intents": ["greet", "coupon_inquiry"], "entities": False}, timeout=30).json()
    assert {item["name"] for item in answer["intents"]} == {"greet", "coupon_inquiry"}
    assert answer["entities"] == [] and answer["latency_ms"] >= 0
    assert requests.post(server + "/v1/nlu/parse", json={"text": "  "}, timeout=5).status_code == 400
    assert requests.post(server + "/v1/nlu/parse", data="not json", timeout=5).status_code == 400
    assert requests.post(server + "/v1/nlu/parse", json={"text": "x" * 600}, timeout=5).status_code == 413


# ------------------------------------------------------------------ registry: production + canary adapters


@pytest.fixture(scope="module")
def registered(fine_tuned, database_url):
    """Two registered adapters: a briefly trained one through ``--register`` (production, the
    first of its kind) and the fixture's well trained one (the canary)."""
    from ml.llm.finetune_lora import TrainConfig, train_and_register
    from naviyam.usecases.learning import registry

    base, adapter, _, root = fine_tuned
    tag = uuid.uuid4().hex[:6]
    weak, strong = f"{tag}-weak", f"{tag}-strong"
    config = TrainConfig(base_model=str(base), output=str(root / "adapter-weak"), nlu=[str(FIXTURE_NLU)],
                         lr=2e-3, batch_size=8, grad_accum=1, epochs=1, eval_fraction=0.2, select="last",
                         model_name=weak, register=True, version=weak)
    train_and_register(config)
    row = registry.record_trained_adapter(adapter, strong)
    assert row is not None and row.deployment_status == "canary"
    return base, weak, strong


@pytest.fixture(scope="module")
def registry_server(registered, database_url):
    base, _, _ = registered
    env = {**os.environ, "PYTHONPATH": str(PROJECT_ROOT), "OMP_NUM_THREADS": "1", "DATABASE_URL": database_url,
           "NAVIYAM_LLM_BASE_MODEL": str(base), "NAVIYAM_LLM_REGISTRY": "on", "NAVIYAM_REGISTRY_REFRESH_S": "1"}
    env.pop("NAVIYAM_LLM_ADAPTER", None)
    env.pop("REDIS_URL", None)  # the server's registry snapshot in its own process cache (1 s)
    yield from _serve(env)


@pytest.mark.slow
def test_registering_records_the_training_run(registered):
    from naviyam.adapters.db.models.learning import ModelVersion, TrainingJob
    from naviyam.adapters.db.session import unit_of_work

    _, weak, strong = registered
    with unit_of_work() as session:
        rows = {r.version: r for r in session.query(ModelVersion).filter(ModelVersion.model_type == "llm_adapter")}
        assert (rows[weak].deployment_status, rows[strong].deployment_status) == ("production", "canary")
        job = session.get(TrainingJob, rows[weak].training_job_id)
        assert (job.status, job.model_type) == ("completed", "llm_adapter")
        assert job.data_count == job.data_window["examples"] > 0 and job.data_window["nlu"] == [str(FIXTURE_NLU)]
        assert 0 <= rows[weak].performance_metrics["intent_accuracy"] <= 1


@pytest.mark.slow
def test_server_serves_production_and_canary_and_follows_the_registry(registry_server, registered, server):
    from naviyam.usecases.learning import registry

    _, weak, strong = registered
    serving = requests.get(registry_server + "/v1/nlu/adapters", timeout=5).json()
    assert serving == {"production": {"version": weak}, "canary": {"version": strong, "percent": 10.0}}
    examples = read_rasa_nlu([FIXTURE_NLU])[:12]

    def ask(adapter: str | None, text: str) -> dict:
        body = {"text": text, "entities": False, **({"adapter": adapter} if adapter else {})}
        return requests.post(registry_server + "/v1/nlu/parse", json=body, timeout=30).json()

    answers = {name: [ask(name, e.text) for e in examples] for name in (weak, strong)}
    assert {a["model"] for a in answers[strong]} == {strong} and {a["model"] for a in answers[weak]} == {weak}
    # each request ran on its own adapter's weights: the two give different confidences
    assert any(abs(a["intents"][0]["confidence"] - b["intents"][0]["confidence"]) > 1e-4
               for a, b in zip(answers[weak], answers[strong]))
    # the canary answers exactly as a server pinned to that adapter (merged there, unmerged here)
    for answer, example in zip(answers[strong], examples):
        pinned = requests.post(server + "/v1/nlu/parse", json={"text": example.text, "entities": False},
                               timeout=30).json()
        assert answer["intents"][0]["name"] == pinned["intents"][0]["name"]
        assert math.isclose(answer["intents"][0]["confidence"], pinned["intents"][0]["confidence"], abs_tol=1e-3)
    assert ask("no-such-version", "쿠폰 있어?")["model"] == weak and ask(None, "쿠폰 있어?")["model"] == weak
    assert requests.post(registry_server + "/v1/nlu/parse", json={"text": "x", "adapter": 7}, timeout=5).status_code == 400

    # The canary agrees with the labels more often: promoted; the server drops the old production.
    with_labels = [(weak, 5), (strong, 20)]
    from naviyam.adapters.db.models.learning import NluTrainingRow
    from naviyam.adapters.db.session import unit_of_work
    with unit_of_work() as session:
        for model, agreed in with_labels:
            for i in range(20):
                session.add(NluTrainingRow(event_key=f"t-{uuid.uuid4().hex}", input_text="쿠폰 있어?",
                                           true_intent="coupon_inquiry", label_source="confident",
                                           review_status="none", llm_model=model,
                                           llm_intent="coupon_inquiry" if i < agreed else "greet"))
    assert registry.judge_canary("llm_adapter", min_samples=20) == "promote"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:  # the server re-reads the registry every second
        serving = requests.get(registry_server + "/v1/nlu/adapters", timeout=5).json()
        if serving["production"] == {"version": strong}:
            break
        time.sleep(0.2)  # polling interval, bounded by the deadline
    assert serving == {"production": {"version": strong}, "canary": None}
    assert ask(weak, "쿠폰 있어?")["model"] == strong  # the retired version is no longer served
