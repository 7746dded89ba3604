"""Request-family confidence: how sure the NLU is that this is a request for food.

Seven intents (food_request, budget_inquiry, emergency_food, group_dining,
time_inquiry, location_inquiry, menu_option) differ only in what they stress, and all
lead to the same action (``action_recommend``; docs/NLU_DIALOGUE.md, "Labelling
convention"). A child's "너무 배고파" may split 0.55 / 0.35 between two of them. Each
share is under the 0.7 threshold, yet the bot is sure of what to do. This
component runs just before the FallbackClassifier. When the top intent is in the
family, its confidence becomes the family's summed confidence, so the threshold (0.7,
seed 001) and the ambiguity check judge the decision that matters: recommend or not.
The intent name and the other ranking entries are unchanged; a message outside the
family is untouched.
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Text

from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.shared.nlu.constants import INTENT, INTENT_RANKING_KEY
from rasa.shared.nlu.training_data.message import Message

logger = logging.getLogger(__name__)

REQUEST_INTENTS = ["food_request", "budget_inquiry", "emergency_food", "group_dining",
                   "time_inquiry", "location_inquiry", "menu_option"]


@DefaultV1Recipe.register(DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER, is_trainable=False)
class RequestFamilyConfidence(GraphComponent):
    """Raises a request intent's confidence to its family's summed confidence."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Returns the component's default config."""
        return {
            # Intents that lead to the same action; their confidences are summed
            "family": list(REQUEST_INTENTS),
        }

    def __init__(self, config: Dict[Text, Any]) -> None:
        self.family = set((config or {}).get("family") or REQUEST_INTENTS)

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> RequestFamilyConfidence:
        """Creates the component (nothing to train or persist)."""
        return cls({**cls.get_default_config(), **(config or {})})

    def process(self, messages: List[Message]) -> List[Message]:
        """Sets the family's confidence on the top intent of each request message."""
        for message in messages:
            self._merge(message)
        return messages

    def _merge(self, message: Message) -> None:
        intent = message.get(INTENT) or {}
        ranking = message.get(INTENT_RANKING_KEY) or []
        if intent.get("name") not in self.family or not ranking:
            return
        total = min(1.0, sum(float(r.get("confidence") or 0.0) for r in ranking if r.get("name") in self.family))
        original = float(intent.get("confidence") or 0.0)
        if total <= original:
            return
        logger.debug("Request family confidence for %r: %.3f -> %.3f", intent.get("name"), original, total)
        message.set(INTENT, {**intent, "confidence": total}, add_to_output=True)
        ranking = [dict(r) for r in ranking]
        for entry in ranking:
            if entry.get("name") == intent.get("name"):
                entry["confidence"] = total
        ranking.sort(key=lambda r: -float(r.get("confidence") or 0.0))
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
