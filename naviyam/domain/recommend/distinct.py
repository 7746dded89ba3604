"""Text columns of a catalogue snapshot, each distinct text kept once.

Menus repeat: chains share their menu, many shops sell 김밥 or 떡볶이 with the same words.
A rule that must look at the text of every menu (a food word, a dietary restriction)
asks each distinct text once and numpy maps the answers back to every menu through
``inverse``, so the Python work grows with the distinct texts, not with the catalogue.
"""
from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable
from dataclasses import dataclass
from typing import Any

import numpy as np

SEPARATOR = "\x1f"   # joins list columns (tags); never typed by users


@dataclass(frozen=True)
class Distinct:
    values: list[Any]          # each distinct value once
    inverse: np.ndarray        # menu row → index into ``values``

    def where(self, predicate: Callable[[Any], bool]) -> np.ndarray:
        """``predicate(value)`` for every menu, evaluated once per distinct value."""
        hits = np.fromiter((bool(predicate(v)) for v in self.values), dtype=bool, count=len(self.values))
        return hits[self.inverse] if len(self.inverse) else np.zeros(0, dtype=bool)

    def contains_any(self, patterns: Iterable[str]) -> np.ndarray:
        """Menus whose text contains any of ``patterns`` (substring match)."""
        patterns = tuple(patterns)
        if not patterns:
            return np.zeros(len(self.inverse), dtype=bool)
        return self.where(lambda text: any(p in text for p in patterns))


def distinct(values: Iterable[Hashable]) -> Distinct:
    index: dict[Hashable, int] = {}
    inverse = np.fromiter((index.setdefault(v, len(index)) for v in values), dtype=np.int64)
    return Distinct(list(index), inverse)


def joined(items: Iterable[str]) -> str:
    """A list column as one string: ``SEP a SEP b SEP`` (exact items match ``SEP x SEP``)."""
    return SEPARATOR + SEPARATOR.join(items) + SEPARATOR
