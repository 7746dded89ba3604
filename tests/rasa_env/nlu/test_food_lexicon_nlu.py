"""The food lexicon reaches the NLU: variants become the dish, generic words are no food_type."""
import pytest

from tests.rasa_env.nlu.test_entity_normalizer import normalizer, run  # noqa: F401  (fixture)


@pytest.mark.parametrize(("text", "surface", "canonical"), [
    ("김치 찜 먹고 싶어", "김치 찜", "김치찜"), ("제육 볶음 먹을래", "제육 볶음", "제육볶음"),
    ("감자탕집 어디", "감자탕집", "감자탕"), ("탕슉 먹고 싶다", "탕슉", "탕수육"),
    ("스파게리 먹자", "스파게리", "파스타"), ("삼김 살래", "삼김", "삼각김밥"),
])
def test_lexicon_variants_become_the_dish(normalizer, text, surface, canonical):  # noqa: F811
    [entity] = run(normalizer, text, "food_type", surface)
    assert entity["value"] == canonical


@pytest.mark.parametrize("word", ["맛집", "식당", "가게", "레스토랑"])
def test_generic_words_are_never_a_food_type(normalizer, word):  # noqa: F811
    assert run(normalizer, f"{word} 추천해줘", "food_type", word) == []
