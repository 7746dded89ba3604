"""Property tests (Hypothesis): the number parsers never raise, and personal numbers are
masked in the many ways people write them, while amounts and head counts survive."""
from __future__ import annotations

import unicodedata

from hypothesis import given, settings
from hypothesis import strategies as st

from naviyam.shared.korean import numbers
from naviyam.shared.personal_data import (
    KOREAN_DIGITS,
    digit_runs,
    contains_personal_number,
    luhn_valid,
    mask_personal_data,
)

# Every Unicode decimal-digit script (Nd) Python knows: ASCII, full-width, Arabic-Indic...
DIGIT_SCRIPTS = sorted({chr(c - unicodedata.digit(chr(c))) for c in range(0x110000)
                        if unicodedata.category(chr(c)) == "Nd" and unicodedata.digit(chr(c), None) == 0})
KOREAN_WORD = {d: [k for k, v in KOREAN_DIGITS.items() if v == d and k != "륙"] for d in "0123456789"}
SEPARATORS = ["-", " ", ".", "‐", "‑", "‒", "–", "—", "―", "−", "－", "ㅡ", "·", "  ", " - ", "．", "\u3000", "/"]
PREFIXES = ["", "제 번호는 ", "전화번호 ", "엄마 폰 ", "카드 ", "이거 ", "연락처: ", "번호 알려줄게 "]
SUFFIXES = ["", "이에요", " 이에요", "입니다", "로 연락 주세요", "!", " 맞아요?", "요"]


@st.composite
def grouped(draw, digits: str, sizes: list[int]) -> str:
    parts, i = [], 0
    for size in sizes:
        parts.append(digits[i:i + size])
        i += size
    sep = draw(st.sampled_from(SEPARATORS + [""]))
    mode = draw(st.sampled_from(["script", "korean", "mixed-groups"]))
    zero = draw(st.sampled_from(DIGIT_SCRIPTS))
    out = []
    for part in parts:
        kind = mode if mode != "mixed-groups" else draw(st.sampled_from(["script", "korean"]))
        if kind == "script":
            out.append("".join(chr(ord(zero) + int(d)) for d in part))
        else:
            out.append("".join(draw(st.sampled_from(KOREAN_WORD[d])) for d in part))
    return sep.join(out)


@st.composite
def mobile_numbers(draw):
    digits = "01" + draw(st.sampled_from("016789")) + draw(st.text("0123456789", min_size=8, max_size=8))
    return draw(grouped(digits, [3, 4, 4]))


@st.composite
def landline_numbers(draw):
    area = draw(st.sampled_from(["02", "031", "051", "062", "070"]))
    digits = area + draw(st.text("0123456789", min_size=7, max_size=8))
    return draw(grouped(digits, [len(area), len(digits) - len(area) - 4, 4]))


@st.composite
def card_numbers(draw):
    body = draw(st.text("0123456789", min_size=15, max_size=15))
    check = next(d for d in "0123456789" if luhn_valid(body + d))
    return draw(grouped(body + check, [4, 4, 4, 4]))


@st.composite
def resident_numbers(draw):
    year = draw(st.integers(0, 99))
    month, day = draw(st.integers(1, 12)), draw(st.integers(1, 28))
    digits = f"{year:02d}{month:02d}{day:02d}" + draw(st.sampled_from("1234")) + \
        draw(st.text("0123456789", min_size=6, max_size=6))
    return draw(grouped(digits, [6, 7]))


PERSONAL = st.one_of(mobile_numbers(), landline_numbers(), card_numbers(), resident_numbers())


def _digits_left(text: str) -> int:
    """The longest stretch of digits (any script or Korean words) left in ``text``."""
    return max((len(run.digits) for run in digit_runs(text)), default=0)


@settings(max_examples=400, deadline=None)
@given(st.sampled_from(PREFIXES), PERSONAL, st.sampled_from(SUFFIXES))
def test_personal_numbers_in_any_form_are_masked(prefix, number, suffix):
    text = prefix + number + suffix
    masked = mask_personal_data(text)
    assert number not in masked
    assert "[" in masked
    assert _digits_left(masked) < 7, masked
    assert not contains_personal_number(masked)


@settings(max_examples=300, deadline=None)
@given(st.text())
def test_parsers_and_masking_never_raise(text):
    numbers.parse_money(text)
    numbers.parse_head_count(text)
    numbers.parse_ordinal(text)
    masked = mask_personal_data(text)
    assert mask_personal_data(masked) == masked


@settings(max_examples=300, deadline=None)
@given(st.text(alphabet=st.sampled_from(list("0123456789.,-― ·만천백십원명이삼오공일영억 ０１２") +
                                        ["\u0661", "²", "①"]), max_size=40))
def test_parsers_never_raise_on_number_soup(text):
    numbers.parse_money(text)
    numbers.parse_head_count(text)
    numbers.parse_ordinal(text)
    mask_personal_data(text)


def test_dotted_and_huge_numbers_do_not_raise():
    # Read or not, never an exception (the entity normaliser refuses implausible values).
    for text in ("1.2.3", "010.1234.5678", "1..2", "9" * 5000 + "원", "1e400원", "억억억억억억억억억억억억억억억억억억억억억억억억억억억억억억억억억억억억억억억억억억억원"):
        value = numbers.parse_money(text)
        assert value is None or isinstance(value, int)
    assert isinstance(numbers.parse_head_count("9" * 5000 + "명"), int)


@settings(max_examples=200, deadline=None)
@given(st.sampled_from(["5천원", "만 이천원", "4500원", "1만5천원", "삼천오백원", "7,000원", "12,000원",
                        "8000원 이하", "1.5만원", "만원으로"]),
       st.sampled_from(["", "세 명", "3명", "다섯 명이서", "혼자", "2인분"]),
       st.sampled_from(["", "떡볶이 ", "근처 ", "오늘 점심 "]))
def test_amounts_and_head_counts_are_left_alone(amount, people, lead):
    text = f"{lead}{amount} {people}".strip()
    assert mask_personal_data(text) == text
    assert numbers.parse_money(amount) is not None


def test_values_copied_from_a_message_lose_what_masking_removed_from_it():
    from naviyam.shared.personal_data import MASK_HIDDEN, mask_in_context

    text = "제 이름은 김민수예요 010-1234-5678"
    entities = {"food_type": "김민수", "budget": "5000", "note": "010-1234-5678", "intent": "김민수"}
    masked = mask_in_context(entities, text, frozenset({"intent"}))
    assert masked["food_type"] == MASK_HIDDEN          # a name known only from its context
    assert masked["note"] == "[전화번호]"               # masked on its own, as before
    assert masked["budget"] == "5000"                  # not in the text: left alone
    assert masked["intent"] == "김민수"                # identifier keys are not touched
    # nothing personal in the message: values stay as they are
    assert mask_in_context({"food_type": "떡볶이"}, "떡볶이 먹고 싶어") == {"food_type": "떡볶이"}
    assert mask_in_context([{"value": "김민수"}], None) == [{"value": "김민수"}]
