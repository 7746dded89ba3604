"""No message crashes NLU: hostile number forms through the Kiwi tokenizer and the entity
normaliser (Rasa environment, which has no Hypothesis: a seeded random generator draws
the same kinds of text as tests/test_personal_data_property.py)."""
from __future__ import annotations

import random

import pytest
from rasa.engine.graph import ExecutionContext, GraphSchema
from rasa.engine.storage.local_model_storage import LocalModelStorage
from rasa.engine.storage.resource import Resource
from rasa.shared.nlu.constants import ENTITIES, TEXT
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.entity_normalizer import KoreanEntityNormalizer
from bot.nlu.kiwi_tokenizer import KiwiTokenizer

ALPHABET = list("0123456789.,-‐–—―−－ㅡ·/ ()만천백십원명이삼오공일영억구칠팔사육") + \
    ["０", "１", "٣", "²", "①", "@", "+82", "이에요", "으로", "\u200b"]
FIXED = ["010.1234.5678", "1.2.3", "1..2", "０１０－１２３４－５６７８", "공일공 일이삼사 오육칠팔",
         "4111 1111 1111 1111원", "9" * 400 + "원", "억" * 60, "...", "-", "+82 10 1234 5678 원"]


def _texts() -> list[str]:
    rng = random.Random(16)
    drawn = ["".join(rng.choice(ALPHABET) for _ in range(rng.randint(1, 30))) for _ in range(300)]
    return FIXED + drawn


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory):
    storage = LocalModelStorage(tmp_path_factory.mktemp("storage"))
    context = ExecutionContext(GraphSchema({}), "test")
    normalizer = KoreanEntityNormalizer.create(
        KoreanEntityNormalizer.get_default_config(), storage, Resource("n"), context)
    return KiwiTokenizer(KiwiTokenizer.get_default_config()), normalizer


def test_tokenizer_and_normaliser_never_raise(pipeline):
    tokenizer, normalizer = pipeline
    for text in _texts():
        message = Message(data={TEXT: text})
        tokenizer.process([message])
        tokens = message.get("text_tokens") or []
        # Every entity the model could predict on these tokens: each token and the whole text.
        spans = [(t.start, t.end) for t in tokens] + [(0, len(text))]
        message.set(ENTITIES, [{"entity": name, "start": s, "end": e, "value": text[s:e]}
                               for s, e in spans for name in ("budget", "party_size", "option_number")])
        normalizer.process([message])
        for entity in message.get(ENTITIES):
            if entity["entity"] == "budget":
                assert 0 < entity["value"] <= 1_000_000, (text, entity)
            if entity["entity"] == "party_size":
                assert 0 < entity["value"] <= 50, (text, entity)
