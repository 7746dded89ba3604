"""The held-out NLU test set stays held out: no sentence of it is in the training data."""
import re
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[3]
ANNOTATION = re.compile(r"\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\{[^}]*\}")
SEED_INTENTS = {"food_request", "budget_inquiry", "coupon_inquiry", "location_inquiry",
                "time_inquiry", "general_chat", "menu_option", "emergency_food",
                "group_dining", "balance_check", "balance_charge"}


def examples(paths) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for path in paths:
        for item in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
            if "intent" not in item:
                continue
            for line in item["examples"].splitlines():
                text = line.strip()[2:].strip()
                if text:
                    plain = ANNOTATION.sub(lambda m: m.group(1) or m.group(2), text)
                    found.setdefault(item["intent"], []).append(plain)
    return found


def test_no_held_out_sentence_is_trained_on():
    train = {t for ts in examples((ROOT / "data" / "nlu").glob("*.yml")).values() for t in ts}
    held = examples((ROOT / "tests" / "nlu_test").glob("*.yml"))
    leaked = [t for ts in held.values() for t in ts if t in train]
    assert leaked == []


def test_held_out_set_has_ten_examples_per_seed_intent():
    held = examples((ROOT / "tests" / "nlu_test").glob("*.yml"))
    assert {i: len(held.get(i, [])) for i in SEED_INTENTS if len(held.get(i, [])) < 10} == {}


def test_training_data_has_forty_examples_per_seed_intent():
    train = examples((ROOT / "data" / "nlu").glob("*.yml"))
    assert {i: len(train.get(i, [])) for i in SEED_INTENTS if len(train.get(i, [])) < 40} == {}
