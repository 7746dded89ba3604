"""What the user asked to eat: menu kinds, food type → graded matches, taste words.

Two questions are answered here, both as plain numpy masks over the catalog:

1. **Which menus make a meal** (``menu_kinds``, ``meal_mask``). ``menus.category``
   gives the kind: 메인메뉴/세트메뉴 = meal, 사이드메뉴 = side, 기타 = extra (공기밥),
   음료 = drink, 디저트 = dessert. A meal request shows meals; sides only when no
   meal fits at all (tiny budgets); extras, drinks and desserts never, unless the
   user asked for a drink, dessert, café or snack (``wants_snack``).

2. **How well each menu matches a stated food type** (``food_type_match``), in levels:
   ``EXACT`` (3) the thing itself, ``PARTIAL`` (2) a menu that contains it,
   ``RELATED`` (1) the same kind of place or a mention, 0 no match.
   - a word that names a shop category ("치킨", "중국집", "분식"): EXACT = a shop of
     that category; PARTIAL = the word in the menu name (치킨너겟 at a burger shop);
     RELATED = the word in the tags or description;
   - a dish word ("떡볶이", "짜장면", "국물"): EXACT = the dish in the menu name
     (or, for kind words like 국물/면/밥, the menu's tag); PARTIAL = the dish in the
     tags; RELATED = the dish in the description or a shop of its usual category
     (떡볶이 → 분식집).

This is relevance, not a hard filter: the service orders by (match tier, ranker score),
says honestly when the real thing is out of reach, and never shows something that
breaks a hard filter (docs/RECOMMENDATION.md "Meals and food types").
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field

import numpy as np

from naviyam.domain.vocabulary import SHOP_CATEGORIES
from naviyam.shared import food_lexicon
from naviyam.shared.korean.vocab import strip_particles
from naviyam.domain.recommend.catalog import Catalog
from naviyam.domain.recommend.distinct import Distinct, distinct, joined

# ---- menu kinds -------------------------------------------------------------------

MEAL, SIDE, EXTRA, DRINK, DESSERT = "meal", "side", "extra", "drink", "dessert"
KIND_OF_MENU_CATEGORY = {"메인메뉴": MEAL, "세트메뉴": MEAL, "사이드메뉴": SIDE, "기타": EXTRA,
                         "음료": DRINK, "디저트": DESSERT}
MEAL_MENU_CATEGORIES = ("메인메뉴", "세트메뉴")

# Words that ask for a drink, a dessert, a café or a snack: every menu kind may be shown.
SNACK_WORDS = (
    "카페", "디저트", "후식", "간식", "음료", "마실", "마시", "커피", "라떼", "에이드", "주스", "쥬스",
    "스무디", "버블티", "밀크티", "빙수", "케이크", "케익", "아이스크림", "와플", "마카롱", "쿠키",
    "크로플", "붕어빵", "베이커리", "빵집", "빵", "티라미수", "달달한", "단거", "단 거",
)


def menu_kinds(catalog: Catalog) -> np.ndarray:
    """The kind of every menu (``MEAL``, ``SIDE``, ``EXTRA``, ``DRINK``, ``DESSERT``)."""
    cached = catalog.memo.get("menu_kinds")
    if cached is None:
        cached = np.array([KIND_OF_MENU_CATEGORY.get(c or "메인메뉴", MEAL) for c in catalog.menu_categories],
                          dtype="<U7")
        catalog.memo["menu_kinds"] = cached
    return cached


def kind_mask(catalog: Catalog, *kinds: str) -> np.ndarray:
    key = ("kind_mask", kinds)
    cached = catalog.memo.get(key)
    if cached is None:
        cached = np.isin(menu_kinds(catalog), list(kinds))
        catalog.memo[key] = cached
    return cached


def meal_mask(catalog: Catalog) -> np.ndarray:
    """Menus that make a meal: main and set menus (also at cafés: 샌드위치 yes, 아메리카노 no)."""
    return kind_mask(catalog, MEAL)


def side_mask(catalog: Catalog) -> np.ndarray:
    return kind_mask(catalog, SIDE)


def _clean(text: str | None) -> str:
    return re.sub(r"\s+", "", str(text or "")).lower()


def wants_snack(food_type: str | None, text: str | None = None) -> bool:
    """Did the user ask for a drink, a dessert, a café or a snack (not a meal)?"""
    words = _clean(food_type) + " " + _clean(text)
    if any(w.replace(" ", "") in words for w in SNACK_WORDS):
        return True
    return normalise_food_word(food_type) in CATEGORY_WORDS and \
        CATEGORY_WORDS[normalise_food_word(food_type)] == "카페/디저트"


# ---- food types -------------------------------------------------------------------

EXACT, PARTIAL, RELATED = 3, 2, 1
LEVEL_NAMES = {EXACT: "exact", PARTIAL: "partial", RELATED: "related", 0: "none"}

# Words that name a shop category.
CATEGORY_WORDS: dict[str, str] = {
    "한식": "한식", "밥집": "한식", "한식집": "한식",
    "중식": "중식", "중국집": "중식", "중국음식": "중식", "중화요리": "중식",
    "일식": "일식", "일본음식": "일식", "일식집": "일식",
    "양식": "양식", "레스토랑": "양식", "경양식": "양식",
    "치킨": "치킨", "치킨집": "치킨", "통닭": "치킨",
    "피자": "피자", "피자집": "피자",
    "패스트푸드": "패스트푸드",
    "분식": "분식", "분식집": "분식",
    "카페": "카페/디저트", "디저트": "카페/디저트", "카페/디저트": "카페/디저트", "빵집": "카페/디저트",
    "베이커리": "카페/디저트", "디저트카페": "카페/디저트",
    "도시락": "도시락/죽", "죽": "도시락/죽", "도시락/죽": "도시락/죽", "죽집": "도시락/죽",
    "프랜차이즈": "프랜차이즈",
    "편의점": "편의점",
    "기타음식": "기타음식",
}
# Dish words: the patterns a menu name may contain, and the shop category they usually come from.
DISH_WORDS: dict[str, tuple[tuple[str, ...], str | None]] = {
    "떡볶이": (("떡볶이", "떡볶기", "라볶이"), "분식"),
    "라볶이": (("라볶이",), "분식"),
    "김밥": (("김밥",), "분식"),
    "순대": (("순대",), "분식"),
    "어묵": (("어묵", "오뎅"), "분식"),
    "오뎅": (("어묵", "오뎅"), "분식"),
    "라면": (("라면",), "분식"),
    "쫄면": (("쫄면",), "분식"),
    "주먹밥": (("주먹밥", "오니기리"), "분식"),
    "만두": (("만두",), "분식"),
    "짜장면": (("짜장", "자장"), "중식"), "짜장": (("짜장", "자장"), "중식"), "자장면": (("짜장", "자장"), "중식"),
    "짬뽕": (("짬뽕",), "중식"), "탕수육": (("탕수육",), "중식"), "마라탕": (("마라",), None),
    "초밥": (("초밥", "스시"), "일식"), "스시": (("초밥", "스시"), "일식"),
    "돈까스": (("돈까스", "돈가스", "까스", "카츠"), "일식"), "돈가스": (("돈까스", "돈가스", "까스", "카츠"), "일식"),
    "우동": (("우동",), "일식"), "라멘": (("라멘",), "일식"), "덮밥": (("덮밥",), "일식"),
    "규동": (("규동",), "일식"),
    "파스타": (("파스타", "스파게티"), "양식"), "스파게티": (("파스타", "스파게티"), "양식"),
    "스테이크": (("스테이크",), "양식"), "리조또": (("리조또",), "양식"), "오므라이스": (("오므라이스",), "양식"),
    "햄버거": (("버거",), "패스트푸드"), "버거": (("버거",), "패스트푸드"),
    "샌드위치": (("샌드위치", "서브"), None), "토스트": (("토스트",), None),
    "비빔밥": (("비빔밥",), "한식"), "국밥": (("국밥",), "한식"), "찌개": (("찌개",), "한식"),
    "백반": (("백반", "정식"), "한식"), "불고기": (("불고기",), "한식"), "제육": (("제육",), "한식"),
    "냉면": (("냉면",), "한식"), "김치찌개": (("김치찌개",), "한식"), "된장찌개": (("된장찌개",), "한식"),
    "닭강정": (("닭강정",), "치킨"), "후라이드": (("후라이드", "프라이드"), "치킨"),
    "양념치킨": (("양념",), "치킨"),
    "빵": (("빵", "베이글", "브레드", "토스트"), "카페/디저트"),
    "케이크": (("케이크", "케익"), "카페/디저트"), "와플": (("와플", "크로플"), "카페/디저트"),
    "빙수": (("빙수",), "카페/디저트"), "커피": (("커피", "아메리카노", "라떼"), "카페/디저트"),
    "아이스크림": (("아이스크림",), None), "음료": (("에이드", "주스", "쿨피스", "콜라", "사이다", "음료"), None),
    "음료수": (("에이드", "주스", "쿨피스", "콜라", "사이다", "음료"), None),
}
# Kind words: a menu tag says it best (tags of the sample data), or these name patterns.
KIND_WORDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "국물": ("국물", ("국밥", "찌개", "라면", "우동", "쌀국수", "짬뽕", "칼국수", "잔치국수", "전골", "된장국",
                     "어묵탕", "라멘")),
    "면": ("면", ("국수", "라면", "우동", "짜장", "짬뽕", "파스타", "스파게티", "냉면", "라멘", "소바", "쫄면")),
    "밥": ("밥", ("덮밥", "비빔밥", "볶음밥", "김밥", "도시락", "백반", "오므라이스", "카레", "컵밥")),
    "고기": ("고기", ("불고기", "제육", "돈까스", "돈가스", "갈비", "삼겹", "스테이크", "닭", "치킨")),
    "매운": ("매운맛", ("매운", "매콤", "얼큰", "떡볶이", "불닭", "짬뽕", "마라")),
    "매운거": ("매운맛", ("매운", "매콤", "얼큰", "떡볶이", "불닭", "짬뽕", "마라")),
    "튀김": ("튀김", ("튀김", "치킨", "돈까스", "돈가스", "후라이드", "까스")),
    "채식": ("채식", ("채식", "비건", "샐러드")),
    "해산물": ("해산물", ("해물", "새우", "오징어", "초밥")),
    "간식": ("간식", ()),
    "달콤": ("달콤", ("디저트", "케이크", "빙수", "와플", "아이스크림", "초콜릿")),
    "든든": ("든든", ()),
}

_SUFFIXES = ("종류", "같은거", "같은것", "먹고싶어", "먹고싶다", "먹을래", "요리", "류", "있는거", "있는것")


def normalise_food_word(food_type: str | None) -> str:
    """``"치킨은"`` → ``치킨``, ``"분식 종류"`` → ``분식``, ``"국물 있는 거"`` → ``국물``."""
    word = _clean(strip_particles(str(food_type or "")))
    changed = True
    while changed:
        changed = False
        for suffix in _SUFFIXES:
            if word.endswith(suffix) and len(word) > len(suffix):
                word = word[: -len(suffix)]
                changed = True
    return word


@dataclass(frozen=True)
class FoodTypeMatch:
    """Graded matches of one food word over the catalog (``levels[i]`` in 0..3)."""

    word: str
    category: str | None          # the shop category the word names or usually comes from
    names_category: bool          # the word IS a category ("치킨", "중국집")
    levels: np.ndarray            # int8 per menu
    facts: dict = field(default_factory=dict, compare=False)   # per-snapshot answers about the word (focus)

    @property
    def scores(self) -> np.ndarray:
        """Levels scaled to [0, 1] (the ranker's ``query_match`` feature)."""
        return (self.levels / EXACT).astype(np.float32)


MAX_REMEMBERED_WORDS = 128   # food words whose matches a catalogue snapshot keeps (oldest dropped)


def _food_texts(catalog: Catalog) -> tuple[Distinct, Distinct, Distinct]:
    """Cleaned menu names, tags (joined) and descriptions, each distinct text once (per snapshot)."""
    cached = catalog.memo.get("food_texts")
    if cached is None:
        cached = (distinct(_once(_clean, catalog.menu_names)),
                  distinct(_once(lambda ts: joined(_clean(t) for t in ts), catalog.menu_tags)),
                  distinct(_once(_clean, catalog.menu_descriptions)))
        catalog.memo["food_texts"] = cached
    return cached


def _once(clean, values):
    """``clean(v)`` for every value, computed once per distinct value (menus repeat their texts)."""
    memo: dict = {}
    for value in values:
        found = memo.get(value)
        if found is None:
            found = memo[value] = clean(value)
        yield found


def prepare(catalog: Catalog) -> None:
    """Build the snapshot's menu kinds and distinct food texts now (at load), not on a request."""
    meal_mask(catalog)
    side_mask(catalog)
    _food_texts(catalog)


def _remember(catalog: Catalog, key: tuple, match: FoodTypeMatch) -> None:
    """Keep ``match``; past MAX_REMEMBERED_WORDS words, forget the oldest (words are open-ended)."""
    words = [k for k in list(catalog.memo) if isinstance(k, tuple) and k[:1] == ("food_type_match",)]
    for old in words[:max(0, len(words) - MAX_REMEMBERED_WORDS + 1)]:
        catalog.memo.pop(old, None)
    catalog.memo[key] = match


def food_type_match(catalog: Catalog, food_type: str | None) -> FoodTypeMatch | None:
    """Graded matches of the stated food type (None when nothing was stated)."""
    word = normalise_food_word(food_type)
    if not word or food_lexicon.load().is_generic(word):
        return None                     # "맛집", "식당": food, but no particular food
    key = ("food_type_match", word)
    cached = catalog.memo.get(key)
    if cached is not None:
        return cached
    names, tags, descriptions = _food_texts(catalog)
    shop_categories = np.array(catalog.shop_categories, dtype=object)
    levels = np.zeros(catalog.n_menus, dtype=np.int8)

    def raise_to(mask: np.ndarray, level: int) -> None:
        levels[mask & (levels < level)] = level

    def shops_of(category: str) -> np.ndarray:
        return (shop_categories == category)[catalog.menu_shop]

    category = CATEGORY_WORDS.get(word) or (word if word in SHOP_CATEGORIES else None)
    if category is not None:
        raise_to(tags.contains_any((word,)) | descriptions.contains_any((word,)), RELATED)
        raise_to(names.contains_any((word,)), PARTIAL)
        raise_to(shops_of(category), EXACT)
        match = FoodTypeMatch(word, category, True, levels)
    elif word in KIND_WORDS:
        tag, patterns = KIND_WORDS[word]
        raise_to(descriptions.contains_any(patterns + (word,)), RELATED)
        raise_to(tags.contains_any((joined([tag]),)) | names.contains_any(patterns), EXACT)
        match = FoodTypeMatch(word, None, False, levels)
    else:
        patterns, related = DISH_WORDS.get(word) or lexicon_patterns(word)
        if related is not None:
            raise_to(shops_of(related), RELATED)
        raise_to(descriptions.contains_any(patterns), RELATED)
        raise_to(tags.contains_any(patterns), PARTIAL)
        raise_to(names.contains_any(patterns), EXACT)
        match = FoodTypeMatch(word, related, False, levels)
    _remember(catalog, key, match)
    return match


def lexicon_patterns(word: str) -> tuple[tuple[str, ...], str | None]:
    """A dish of the food lexicon: its spellings (two letters or more) and its usual shop category."""
    dish = food_lexicon.load().dish(word)
    if dish is None:
        return (word,), None
    spellings = {food_lexicon.compact(s) for s in dish.spellings}
    spellings = {s for s in spellings if len(s) >= food_lexicon.MIN_LOOKUP_LENGTH} | {word}
    return tuple(sorted(spellings)), dish.category


def food_type_scores(catalog: Catalog, food_type: str | None) -> np.ndarray | None:
    """How well each menu matches the food type, in [0, 1] (None when none was stated)."""
    match = food_type_match(catalog, food_type)
    return None if match is None else match.scores


def food_type_mask(catalog: Catalog, food_type: str | None) -> np.ndarray | None:
    """Menus matching the stated food type at any level (None when no food type was stated)."""
    match = food_type_match(catalog, food_type)
    return None if match is None else match.levels > 0


def food_word_in_text(text: str | None) -> str | None:
    """The food a sentence names when the NLU gave no food_type ("국물 있는 거 먹고 싶어" → 국물).

    The closed vocabularies above and the food lexicon are looked for (the longest word
    wins), so a sentence without a food word ("5천원으로 점심") gives None.
    """
    compact = _clean(text).replace("이라면", " ")   # "5천원이라면" is not 라면
    if not compact:
        return None
    found = [w for w in list(CATEGORY_WORDS) + list(DISH_WORDS) + list(KIND_WORDS)
             if len(w) >= 2 and w in compact and w not in ("간식", "든든", "달콤")]
    dish = food_lexicon.load().find_in_text(compact)
    if dish is not None:
        found.append(dish.name)
    if not found:
        return "음료" if ("마시" in compact or "마실" in compact) else None
    return max(found, key=len)


# ---- taste words ------------------------------------------------------------------

_TASTE = {"매운": "매운", "매콤": "매운", "얼큰": "매운", "국물": "국물", "달달": "달콤", "달콤": "달콤",
          "단거": "달콤", "바삭": "튀김", "튀김": "튀김", "고기": "고기", "담백": "담백", "짭짤": "짭짤",
          "시원": "국물", "뜨끈": "국물", "따뜻": "국물", "치즈": "치즈", "단": "달콤", "바삭한": "튀김"}


def taste_words(taste: str | None) -> list[str]:
    text = _clean(taste)
    if text in ("순한", "순하게", "안매운"):
        return []
    return sorted({v for k, v in _TASTE.items() if k in text}) or ([text] if 0 < len(text) <= 6 else [])
