"""The Korean food lexicon (``data/food_lexicon.yml``): dishes, their shop category, variants.

Read by both environments (PyYAML is in both): the Rasa entity normaliser (generic words
that are never a food), ``scripts/gen_food_lookup.py`` (the ``food_type`` lookup table and
the synonym map in ``data/nlu/lookup_food.yml``) and the recommender (a dish's usual shop
category, its spellings, a dish named in a sentence). The file's header documents the format.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

DEFAULT_PATH = Path(__file__).resolve().parents[2] / "data" / "food_lexicon.yml"
MIN_LOOKUP_LENGTH = 2          # one-syllable words (죽, 빵, 회) occur inside too many words
_SPACES = re.compile(r"\s+")


def compact(text: str) -> str:
    """NFKC, lower-case, no spaces: how words are compared (김치 찜 = 김치찜)."""
    return _SPACES.sub("", unicodedata.normalize("NFKC", str(text or ""))).lower()


@dataclass(frozen=True)
class Dish:
    name: str
    category: str
    variants: tuple[str, ...]

    @property
    def spellings(self) -> tuple[str, ...]:
        """The name and every variant."""
        return (self.name,) + self.variants


class LexiconError(ValueError):
    """The lexicon file breaks its format (unknown category, a word listed twice...)."""


@dataclass(frozen=True)
class FoodLexicon:
    dishes: tuple[Dish, ...]
    not_dishes: frozenset[str]              # compacted generic words (맛집, 식당...)
    _index: dict[str, Dish]                 # compact spelling → dish

    def dish(self, word: str | None) -> Dish | None:
        """The dish a word names (any spelling, spaces ignored), or None."""
        return self._index.get(compact(word or ""))

    def category_of(self, word: str | None) -> str | None:
        found = self.dish(word)
        return found.category if found else None

    def is_generic(self, word: str | None) -> bool:
        """맛집, 식당, 가게...: a word that asks for food but names none."""
        return compact(word or "") in self.not_dishes

    def find_in_text(self, text: str | None) -> Dish | None:
        """The dish a sentence names (the longest spelling of two or more letters wins)."""
        flat = compact(text or "")
        best: tuple[int, Dish] | None = None
        for key, found in self._index.items():
            if len(key) >= MIN_LOOKUP_LENGTH and key in flat and (best is None or len(key) > best[0]):
                best = (len(key), found)
        return best[1] if best else None

    def lookup_elements(self) -> list[str]:
        """Spellings for the lookup table: two letters or more, as typed (spaces kept)."""
        words = {s for d in self.dishes for s in d.spellings if len(compact(s)) >= MIN_LOOKUP_LENGTH}
        return sorted(w for w in words if compact(w) not in self.not_dishes)

    def synonyms(self) -> dict[str, str]:
        """variant → dish name (the synonym map)."""
        return {v: d.name for d in self.dishes for v in d.variants}


def _entry(raw: Any) -> tuple[str, tuple[str, ...]]:
    if not isinstance(raw, str) or not raw.strip():
        raise LexiconError(f"an entry must be 'dish' or 'dish | variant, ...', got {raw!r}")
    name, _, rest = raw.partition("|")
    variants = tuple(v.strip() for v in rest.split(",") if v.strip())
    return name.strip(), variants


def parse(data: dict[str, Any], categories: tuple[str, ...] | None = None) -> FoodLexicon:
    """Build the lexicon from the parsed YAML; raises LexiconError on a broken file."""
    if not isinstance(data, dict) or not isinstance(data.get("categories"), dict):
        raise LexiconError("the lexicon needs a 'categories' mapping")
    not_dishes = frozenset(compact(w) for w in data.get("not_dishes") or [])
    dishes: list[Dish] = []
    index: dict[str, Dish] = {}
    for category, entries in data["categories"].items():
        if categories is not None and category not in categories:
            raise LexiconError(f"unknown category {category!r} (use one of {', '.join(categories)})")
        for raw in entries or []:
            name, variants = _entry(raw)
            dish = Dish(name, str(category), variants)
            for spelling in dish.spellings:
                key = compact(spelling)
                if key in index and index[key].name == name:
                    continue            # a spacing variant of its own dish
                if key in index:
                    raise LexiconError(f"{spelling!r} is listed twice ({index[key].name}, {name})")
                if key in not_dishes:
                    raise LexiconError(f"{spelling!r} is both a dish and a generic word")
                index[key] = dish
            dishes.append(dish)
    return FoodLexicon(tuple(dishes), not_dishes, index)


def read(path: Path | str | None = None, categories: tuple[str, ...] | None = None) -> FoodLexicon:
    """Parse the lexicon file (not cached)."""
    with open(path or DEFAULT_PATH, encoding="utf-8") as handle:
        return parse(yaml.safe_load(handle), categories)


@lru_cache(maxsize=4)
def load(path: str | None = None) -> FoodLexicon:
    """The lexicon, read once per process (an empty one when the file is missing)."""
    try:
        return read(path)
    except FileNotFoundError:
        return FoodLexicon((), frozenset(), {})
