"""What the user asked to eat: food type → matching menus, taste words, query terms.

A stated food type ("치킨", "김밥", "국물 있는 거") narrows the candidates to matching
menus when any passes the hard filters; otherwise the engine says so and shows the
best of everything (this is relevance, not a hard filter).
"""
from __future__ import annotations

import re

import numpy as np

from naviyam.db.models import SHOP_CATEGORIES
from naviyam.recommend.catalog import Catalog

# Words that name a shop category (besides the category names themselves).
CATEGORY_WORDS: dict[str, str] = {
    "한식": "한식", "밥집": "한식", "백반": "한식", "국밥": "한식", "찌개": "한식",
    "중식": "중식", "중국집": "중식", "중국음식": "중식", "중화요리": "중식",
    "일식": "일식", "일본음식": "일식",
    "양식": "양식", "레스토랑": "양식",
    "치킨": "치킨", "통닭": "치킨", "닭강정": "치킨",
    "피자": "피자",
    "패스트푸드": "패스트푸드", "햄버거": "패스트푸드", "버거": "패스트푸드", "패스트 푸드": "패스트푸드",
    "분식": "분식", "분식집": "분식",
    "카페": "카페/디저트", "디저트": "카페/디저트", "카페/디저트": "카페/디저트", "빵집": "카페/디저트",
    "베이커리": "카페/디저트", "간식": "카페/디저트",
    "도시락": "도시락/죽", "죽": "도시락/죽", "도시락/죽": "도시락/죽",
    "프랜차이즈": "프랜차이즈",
    "편의점": "편의점",
    "기타음식": "기타음식",
}
# Food words that match menus by text rather than by shop category.
MENU_WORDS: dict[str, tuple[str, ...]] = {
    "국물": ("국물", "국", "탕", "찌개", "라면", "우동", "국밥", "쌀국수", "짬뽕"),
    "면": ("면", "국수", "라면", "우동", "짜장", "짬뽕", "파스타", "냉면", "라멘", "소바"),
    "밥": ("밥", "덮밥", "비빔밥", "볶음밥", "김밥", "도시락", "백반", "오므라이스", "카레"),
    "고기": ("고기", "불고기", "제육", "돈까스", "돈가스", "갈비", "삼겹", "스테이크", "닭"),
    "매운": ("매운", "맵기", "매콤", "얼큰", "떡볶이", "불닭", "짬뽕", "마라"),
    "튀김": ("튀김", "치킨", "돈까스", "돈가스", "후라이드", "까스"),
    "채식": ("채식", "비건", "샐러드", "야채"),
    "달콤": ("달콤", "디저트", "케이크", "빙수", "와플", "아이스크림", "초콜릿"),
}
_TASTE = {"매운": "매운", "매콤": "매운", "얼큰": "매운", "국물": "국물", "달달": "달콤", "달콤": "달콤",
          "단거": "달콤", "바삭": "튀김", "튀김": "튀김", "고기": "고기", "담백": "담백", "짭짤": "짭짤",
          "시원": "국물", "뜨끈": "국물", "따뜻": "국물", "치즈": "치즈", "단": "달콤", "바삭한": "튀김"}


def _clean(text: str | None) -> str:
    return re.sub(r"\s+", "", str(text or "")).lower()


MEAL_MENU_CATEGORIES = ("메인메뉴", "세트메뉴")
SNACK_SHOP_CATEGORIES = ("카페/디저트",)


def meal_mask(catalog: Catalog) -> np.ndarray:
    """Menus that make a meal: main and set menus (drinks and sides only when asked for)."""
    cached = catalog.memo.get("meal")
    if cached is None:
        snack_shop = np.array([c in SNACK_SHOP_CATEGORIES for c in catalog.shop_categories], dtype=bool)
        cached = np.array([(c or "메인메뉴") in MEAL_MENU_CATEGORIES for c in catalog.menu_categories],
                          dtype=bool) | snack_shop[catalog.menu_shop]
        catalog.memo["meal"] = cached
    return cached


def food_type_scores(catalog: Catalog, food_type: str | None) -> np.ndarray | None:
    """How well each menu matches the food type: 1 shop category, 0.8 menu name, 0.5 other text."""
    word = _clean(food_type)
    for suffix in ("종류", "같은거", "같은것", "먹고싶어", "류", "집"):
        if word.endswith(suffix) and len(word) > len(suffix) + 1:
            word = word[: -len(suffix)]
    if not word:
        return None
    key = ("food_type_scores", word)
    cached = catalog.memo.get(key)
    if cached is not None:
        return cached
    category = CATEGORY_WORDS.get(word) or (word if word in SHOP_CATEGORIES else None)
    scores = np.zeros(catalog.n_menus, dtype=np.float32)
    words = MENU_WORDS.get(word, (word,))
    text_match = np.fromiter((any(w in t for w in words) for t in catalog.menu_text),
                             dtype=bool, count=catalog.n_menus)
    name_match = np.fromiter((any(w in n for w in words) for n in catalog.menu_names),
                             dtype=bool, count=catalog.n_menus)
    scores[text_match] = 0.5
    scores[name_match] = 0.8
    if category:
        shop_match = np.array([c == category for c in catalog.shop_categories], dtype=bool)
        scores[shop_match[catalog.menu_shop]] = 1.0
    catalog.memo[key] = scores
    return scores


def food_type_mask(catalog: Catalog, food_type: str | None) -> np.ndarray | None:
    """Menus matching the stated food type (None when no food type was stated)."""
    scores = food_type_scores(catalog, food_type)
    return None if scores is None else scores > 0


def taste_words(taste: str | None) -> list[str]:
    text = _clean(taste)
    if text in ("순한", "순하게", "안매운"):
        return []
    return sorted({v for k, v in _TASTE.items() if k in text}) or ([text] if 0 < len(text) <= 6 else [])
