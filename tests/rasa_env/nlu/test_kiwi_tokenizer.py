"""KiwiTokenizer: tokens index the original text, never overlap, split particles off."""
from pathlib import Path

import pytest
from rasa.shared.nlu.constants import TEXT
from rasa.shared.nlu.training_data.loading import load_data
from rasa.shared.nlu.training_data.message import Message

from bot.nlu.kiwi_tokenizer import KiwiTokenizer, merge_morphemes

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="module")
def tokenizer() -> KiwiTokenizer:
    return KiwiTokenizer(KiwiTokenizer.get_default_config())


def surfaces(tokenizer, text):
    return [t.text for t in tokenizer.tokenize(Message(data={TEXT: text}), TEXT)]


@pytest.mark.parametrize(("text", "expected"), [
    ("5천원으로", ["5", "천", "원", "으로"]),
    ("만원으로저녁뭐먹지", ["만", "원", "으로", "저녁", "뭐", "먹", "지"]),
    ("1만5천원", ["1", "만", "5", "천", "원"]),
    ("7,000원", ["7,000", "원"]),
    ("알려줘", ["알려", "줘"]),  # 알리/VV(0,2)+어/EC(1,1) share a character; 주 does not
])
def test_particles_and_number_units_are_separate_tokens(tokenizer, text, expected):
    assert surfaces(tokenizer, text) == expected


def _check_alignment(tokens, text):
    previous_end = 0
    for token in tokens:
        assert text[token.start:token.end] == token.text
        assert token.start >= previous_end, f"overlap at {token.text!r} in {text!r}"
        assert token.text.strip() == token.text and token.text
        previous_end = token.end


def test_every_training_example_is_tokenised_on_its_own_characters(tokenizer):
    data = load_data(str(ROOT / "data" / "nlu"))
    assert len(data.intent_examples) > 500
    for example in data.intent_examples:
        text = example.get(TEXT)
        _check_alignment(tokenizer.tokenize(Message(data={TEXT: text}), TEXT), text)


def test_every_annotated_entity_starts_and_ends_on_token_boundaries(tokenizer):
    data = load_data(str(ROOT / "data" / "nlu"))
    for example in data.entity_examples:
        text = example.get(TEXT)
        tokens = tokenizer.tokenize(Message(data={TEXT: text}), TEXT)
        starts = {t.start for t in tokens}
        ends = {t.end for t in tokens}
        for entity in example.get("entities", []):
            assert entity["start"] in starts and entity["end"] in ends, (text, entity)


@pytest.mark.parametrize("text", ["떡뽁이먹고싶어ㅠㅠ", "🍕피자 ㄱㄱ", "  지금 당장 배고파!!  ",
                                  "ㅋㅋㅋㅋ", "?!", "abc 123 치킨", "급식카드잔액얼마야"])
def test_odd_text_stays_aligned(tokenizer, text):
    tokens = tokenizer.tokenize(Message(data={TEXT: text}), TEXT)
    assert tokens
    _check_alignment(tokens, text)


def test_overlapping_morphemes_are_merged_and_lemma_drops_endings():
    text = "알려주세요"
    morphemes = [("알리", "VV", 0, 2), ("어", "EC", 1, 1), ("주", "VX", 2, 1),
                 ("시", "EP", 3, 1), ("어요", "EF", 3, 2)]
    tokens = merge_morphemes(text, morphemes)
    assert [(t.text, t.start, t.end) for t in tokens] == [("알려", 0, 2), ("주", 2, 3),
                                                          ("세요", 3, 5)]
    assert [t.lemma for t in tokens[:2]] == ["알리", "주"]
    assert tokens[0].get("pos") == "VV"


def test_banmal_and_jondaemal_share_the_lemma(tokenizer):
    a = tokenizer.tokenize(Message(data={TEXT: "알려줘"}), TEXT)
    b = tokenizer.tokenize(Message(data={TEXT: "알려주세요"}), TEXT)
    assert [t.lemma for t in a[:2]] == [t.lemma for t in b[:2]] == ["알리", "주"]
