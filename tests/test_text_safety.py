"""Text cleaning at the door and personal-data masking (seed 001 §3.1 step 2.1, §9.4)."""
from __future__ import annotations

import unicodedata

import pytest
from hypothesis import given
from hypothesis import strategies as st

from naviyam.shared.text_safety import (
    anonymise_training_record,
    clean_user_text,
    escape_html,
    mask_personal_data,
    pseudonymise_id,
)


@pytest.mark.parametrize("text,expected", [
    ("제 이름은 김민수예요", "제 이름은 [이름]예요"),
    ("저는 박지호입니다", "저는 [이름]입니다"),
    ("김서연이라고 해요", "[이름]이라고 해요"),
    ("010-1234-5678로 연락 주세요", "[전화번호]로 연락 주세요"),
    ("01012345678", "[전화번호]"),
    ("전화 02-123-4567", "전화 [전화번호]"),
    ("+82 10-1234-5678", "[전화번호]"),
    ("카드 1234-5678-9012-3456 이에요", "카드 [카드번호] 이에요"),
    ("주민번호 900101-1234567", "주민번호 [주민번호]"),
    ("메일 kid.kim@example.co.kr 로", "메일 [이메일] 로"),
    ("서울 강남구 테헤란로 123에 살아요", "서울 강남구 [주소]에 살아요"),
    ("역삼로10길 5-2", "[주소]"),
    ("역삼동 123-45번지", "[주소]"),
    ("101동 1203호", "[주소]"),
])
def test_personal_data_is_masked(text, expected):
    assert mask_personal_data(text) == expected


@pytest.mark.parametrize("text", [
    "5천원으로 2명 먹을 곳", "만원으로 3개", "학교로 5분 안에", "강남역으로 10분", "8000원 이하 2인분",
    "저는 정말 배고파요", "저는 고등학생이에요", "이거 정말 맛있어요", "김밥 먹고 싶어", "이름이 뭐예요?",
    "역삼동 근처 맛집", "2026-11-23 점심", "4500원", "정말 맛있는 김치찌개",
])
def test_food_requests_are_left_alone(text):
    assert mask_personal_data(text) == text


def test_training_record_is_anonymised():
    record = {"user_id": "kakao:abc", "input_text": "010-1111-2222로 전화줘", "response_text": "네",
              "intent": "general_chat"}
    out = anonymise_training_record(record, key="pepper")
    assert out["input_text"] == "[전화번호]로 전화줘"
    assert out["user_id"] == pseudonymise_id("kakao:abc", "pepper") != pseudonymise_id("kakao:abc")
    assert len(out["user_id"]) == 16 and out["intent"] == "general_chat"
    assert record["user_id"] == "kakao:abc"  # the input is not modified


def test_clean_user_text():
    raw = " 안녕\u202e하세요\x00\x07 \t 떡볶이\r\n\r\n\r\n\r\n먹자 👨\u200d👩\u200d👧 "
    assert clean_user_text(raw) == "안녕하세요 떡볶이\n\n먹자 👨\u200d👩\u200d👧"
    assert clean_user_text(unicodedata.normalize("NFD", "떡볶이")) == "떡볶이"
    assert clean_user_text(None) == ""


def test_escape_html():
    assert escape_html('<b>"김&이"</b>') == "&lt;b&gt;&quot;김&amp;이&quot;&lt;/b&gt;"


@given(st.text())
def test_cleaning_is_idempotent_and_leaves_no_controls(text):
    cleaned = clean_user_text(text)
    assert clean_user_text(cleaned) == cleaned
    assert unicodedata.is_normalized("NFC", cleaned)
    assert not any(unicodedata.category(c) == "Cc" and c not in "\n\t" for c in cleaned)
    assert cleaned == cleaned.strip()


@given(st.text())
def test_masking_never_fails_and_is_stable(text):
    masked = mask_personal_data(text)
    assert mask_personal_data(masked) == masked
