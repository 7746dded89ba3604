"""RequestFamilyConfidence: request intents that lead to the same action share confidence."""
import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.nlu.classifiers.fallback_classifier import FallbackClassifier
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.request_family_confidence import RequestFamilyConfidence


@pytest.fixture()
def components(tmp_path):
    storage = LocalModelStorage(tmp_path)
    context = ExecutionContext(GraphSchema({}), "test")
    merger = RequestFamilyConfidence.create(RequestFamilyConfidence.get_default_config(), storage,
                                            Resource("family"), context)
    fallback = FallbackClassifier.create({**FallbackClassifier.get_default_config(), "threshold": 0.7,
                                          "ambiguity_threshold": 0.1}, storage, Resource("fallback"), context)
    return merger, fallback


def message(*ranking: tuple[str, float]) -> Message:
    entries = [{"name": n, "confidence": c} for n, c in ranking]
    return Message(data={TEXT: "너무 배고파", INTENT: dict(entries[0]), INTENT_RANKING_KEY: entries})


def test_a_split_between_request_intents_is_not_a_fallback(components):
    merger, fallback = components
    msg = message(("emergency_food", 0.55), ("food_request", 0.35), ("greet", 0.05))
    fallback.process(merger.process([msg]))
    assert msg.get(INTENT)["name"] == "emergency_food"
    assert msg.get(INTENT)["confidence"] == pytest.approx(0.90)
    assert [r["name"] for r in msg.get(INTENT_RANKING_KEY)] == ["emergency_food", "food_request", "greet"]


def test_without_the_merger_the_same_split_falls_back(components):
    _merger, fallback = components
    msg = message(("emergency_food", 0.55), ("food_request", 0.35), ("greet", 0.05))
    fallback.process([msg])
    assert msg.get(INTENT)["name"] == "nlu_fallback"


def test_other_intents_and_unsure_requests_are_untouched(components):
    merger, fallback = components
    chat = message(("greet", 0.5), ("goodbye", 0.45))
    merger.process([chat])
    assert chat.get(INTENT) == {"name": "greet", "confidence": 0.5}
    unsure = message(("food_request", 0.4), ("balance_check", 0.35), ("budget_inquiry", 0.2))
    fallback.process(merger.process([unsure]))
    assert unsure.get(INTENT)["name"] == "nlu_fallback"      # 0.6 as a request: still unsure
