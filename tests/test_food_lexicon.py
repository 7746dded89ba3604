"""The food lexicon (data/food_lexicon.yml): broad, well-formed, in sync with the lookup table,
and used by the recommender so that a named dish nobody nearby sells gets an honest answer."""
from __future__ import annotations

import pytest

from actions.recommend import _food_missing
from naviyam.domain.recommend import relevance
from naviyam.domain.vocabulary import SHOP_CATEGORIES
from naviyam.shared import food_lexicon
from scripts import gen_food_lookup
from tests.test_recommend_food import ask, session  # noqa: F401  (fixtures)
from tests.test_recommend_food import _recommender  # noqa: F401


@pytest.fixture(scope="module")
def lexicon():
    return food_lexicon.read(gen_food_lookup.LEXICON, SHOP_CATEGORIES)


def test_the_lexicon_is_broad_and_every_category_is_a_shop_category(lexicon):
    assert len(lexicon.dishes) >= 600
    assert {d.category for d in lexicon.dishes} <= set(SHOP_CATEGORIES)
    assert len({d.category for d in lexicon.dishes}) >= 12


@pytest.mark.parametrize("typed, dish, category", [
    ("떡뽁이", "떡볶이", "분식"), ("김치 찜", "김치찜", "한식"), ("제육 볶음", "제육볶음", "한식"),
    ("감자탕", "감자탕", "한식"), ("스파게티", "스파게티", "양식"), ("아이스 아메리카노", "아메리카노", "카페/디저트"),
    ("삼김", "삼각김밥", "편의점"), ("탕슉", "탕수육", "중식"),
])
def test_spellings_and_spacing_variants_find_the_dish(lexicon, typed, dish, category):
    assert lexicon.dish(typed).name == dish
    assert lexicon.category_of(typed) == category


@pytest.mark.parametrize("word", ["맛집", "식당", "레스토랑", "집", "가게"])
def test_generic_words_are_not_dishes(lexicon, word):
    assert lexicon.is_generic(word) and lexicon.dish(word) is None
    assert word not in lexicon.lookup_elements()


def test_a_broken_lexicon_is_refused():
    with pytest.raises(food_lexicon.LexiconError):
        food_lexicon.parse({"categories": {"한식": ["김치찌개"], "중식": ["짜장면 | 김치찌개"]}})
    with pytest.raises(food_lexicon.LexiconError):
        food_lexicon.parse({"categories": {"우주음식": ["별사탕"]}}, SHOP_CATEGORIES)


def test_the_generated_lookup_table_is_in_sync_with_the_lexicon(lexicon):
    """Fails when data/food_lexicon.yml was edited without rerunning scripts/gen_food_lookup.py."""
    expected = gen_food_lookup.render(lexicon, gen_food_lookup.hand_made_synonyms())
    assert gen_food_lookup.OUTPUT.read_text(encoding="utf-8") == expected, \
        "run .venv-app/bin/python scripts/gen_food_lookup.py"


def test_a_dish_in_a_sentence_is_found_and_generic_words_are_not_food():
    assert relevance.food_word_in_text("부산 가는데 돼지국밥 맛집 알려줘") == "돼지국밥"
    assert relevance.food_word_in_text("그럼 감자탕 먹을래 ㅋㅋ") == "감자탕"
    assert relevance.food_word_in_text("근처 맛집 추천해줘") is None
    assert relevance.lexicon_patterns("감자탕")[1] == "한식"


def test_generic_food_type_is_no_food_type(session):  # noqa: F811
    result = ask(session, None, "맛집 추천해줘", food_type="맛집")
    assert result.items and result.food_type is None


def test_a_dish_nobody_sells_gets_an_honest_answer_with_its_category(session):  # noqa: F811
    """감자탕 is sold nowhere in the sample data: say so, offer 한식 by name, never a silent swap."""
    result = ask(session, None, "감자탕 먹고 싶어", food_type="감자탕")
    assert result.items
    assert all("감자탕" not in item.menu_name for item in result.items)
    assert result.food_type.category == "한식"
    assert result.food_type.missing_reason == "none"
    assert result.food_type_matched is False
    assert result.payload()["food_type"]["category"] == "한식"
    key, values = _food_missing(result)
    assert key == "utter_food_type_far" and values["food"] == "감자탕" and values["category"] == "한식"
    if result.food_type.shown_level == "related":
        assert all(item.category == "한식" for item in result.items)
