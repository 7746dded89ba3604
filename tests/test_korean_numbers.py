"""Korean money, head-count and ordinal expressions → integers (naviyam.shared.korean.numbers)."""
import pytest

from naviyam.shared.korean.numbers import parse_head_count, parse_money, parse_ordinal

MONEY = [
    ("5천원", 5000), ("오천원", 5000), ("만원", 10000), ("1만5천원", 15000),
    ("만 이천원", 12000), ("4500원", 4500), ("6천 원", 6000), ("2만원 안에서", 20000),
    ("만오천원", 15000), ("삼천오백원", 3500), ("7,000원", 7000), ("1.5만원", 15000),
    ("만 원짜리", 10000), ("5000원", 5000), ("오천 원", 5000), ("천원", 1000),
    ("천오백원", 1500), ("3천5백원", 3500), ("1만 5천원", 15000), ("이만원", 20000),
    ("일만원", 10000), ("만원 이하", 10000), ("5천원으로", 5000), ("8천원밖에", 8000),
    ("칠천원 정도", 7000), ("9,500원", 9500), ("12000원", 12000), ("만이천원", 12000),
    ("육천원", 6000), ("4천원", 4000), ("오천", 5000), ("5천", 5000), ("3000", 3000),
    ("만 오천 원", 15000), ("2.5천원", 2500), ("만원대", 10000), ("₩6,500", 6500),
    ("삼만원", 30000), ("오천이면", 5000), ("만원으로", 10000), ("5천원 이내", 5000),
    ("만오", 15000), ("삼천오", 3500), ("1만원", 10000), ("이천오백원", 2500),
    ("팔천 원 안으로", 8000), ("한 만원", 10000), ("10,000원", 10000), ("6천원짜리", 6000),
    ("만 원", 10000), ("사천 오백원", 4500), ("5천 언", 5000),
]

NOT_MONEY = ["", "점심", "5", "배고파", "원"]

HEADS = [
    ("10명", 10), ("다섯 명", 5), ("세 명이서", 3), ("열두 명", 12), ("둘이서", 2),
    ("혼자", 1), ("혼밥", 1), ("4명", 4), ("두명", 2), ("네 명", 4), ("셋이서", 3),
    ("넷이", 4), ("스무 명", 20), ("스물다섯명", 25), ("열 명", 10), ("서른 명", 30),
    ("이십명", 20), ("15명이서", 15), ("여섯명", 6), ("일곱 명", 7), ("여덟명이", 8),
    ("친구 셋", 3), ("2인분", 2), ("3인", 3), ("나 혼자", 1), ("열한명", 11), ("한 명", 1),
    ("아홉 명", 9),
]

ORDINALS = [("1번", 1), ("2번", 2), ("두번째", 2), ("첫 번째 거", 1), ("세 번째꺼", 3),
            ("3", 3), ("첫번째", 1), ("셋째", 3), ("오번", 5), ("둘째", 2)]


@pytest.mark.parametrize(("text", "won"), MONEY)
def test_money_expressions_become_won(text, won):
    assert parse_money(text) == won


@pytest.mark.parametrize("text", NOT_MONEY)
def test_text_without_an_amount_is_not_money(text):
    assert parse_money(text) is None


@pytest.mark.parametrize(("text", "count"), HEADS)
def test_head_counts(text, count):
    assert parse_head_count(text) == count


@pytest.mark.parametrize(("text", "number"), ORDINALS)
def test_ordinals(text, number):
    assert parse_ordinal(text) == number


def test_tables_are_large_enough():
    assert len(MONEY) >= 40 and len(HEADS) >= 15
