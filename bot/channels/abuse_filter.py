"""Profanity and abuse at the door: korcen plus a designer-editable list (data/door/abuse_words.yml).

Why both: korcen (PyPI, MIT) is the maintained Korean keyword filter, but it misses common
forms (measured: it passes "씨발" and "존나") and flags nothing in some spellings, so the
list adds what it misses (``deny``) and takes out innocent words that contain a denied
sequence (``allow``: "수박씨", "시발점"). Matching runs on a folded copy of the text (NFC,
lower case, spaces, digits and punctuation between letters removed), so "씨 발" and "씨1발"
match. The text itself is never echoed back or logged.
"""
from __future__ import annotations

import logging
import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml

log = logging.getLogger(__name__)

WORDS_FILE = Path(__file__).resolve().parents[2] / "data" / "door" / "abuse_words.yml"
_NOT_LETTER = re.compile(r"[^0-9a-z\u1100-\u11ff\u3130-\u318f\uac00-\ud7a3]+")
_DIGITS = re.compile(r"[0-9]+")

try:  # korcen is pinned in requirements/rasa.lock; the list still works without it
    from korcen import korcen as _korcen
except ImportError:  # pragma: no cover - reported once at start
    _korcen = None
    log.warning("korcen is not installed: the profanity filter uses data/door/abuse_words.yml only")


def fold(text: str) -> str:
    """Lower case, NFC, with everything but letters removed (digits too: "씨1발")."""
    folded = _NOT_LETTER.sub("", unicodedata.normalize("NFC", text).lower())
    return _DIGITS.sub("", folded)


@dataclass(frozen=True)
class WordLists:
    deny: tuple[str, ...]
    allow: tuple[str, ...]

    @classmethod
    def load(cls, path: Path = WORDS_FILE) -> WordLists:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        deny = tuple(w for w in (fold(str(x)) for x in data.get("deny") or []) if w)
        allow = tuple(w for w in (fold(str(x)) for x in data.get("allow") or []) if w)
        return cls(deny, tuple(sorted(allow, key=len, reverse=True)))


@lru_cache(maxsize=4)
def word_lists(path: Path = WORDS_FILE) -> WordLists:
    try:
        return WordLists.load(path)
    except (OSError, yaml.YAMLError) as exc:
        log.error("Cannot read the abuse word list %s (%s); using korcen only", path, exc)
        return WordLists((), ())


def is_abusive(text: str, lists: WordLists | None = None) -> bool:
    """True when ``text`` holds profanity or abuse (list or korcen), after the allow list."""
    lists = lists or word_lists()
    folded = fold(text)
    for word in lists.allow:
        folded = folded.replace(word, " ")
    if any(word in folded for word in lists.deny):
        return True
    if _korcen is None:
        return False
    remaining = text
    for word in lists.allow:  # korcen sees the text without the allowed words
        remaining = re.sub(r"\s*".join(map(re.escape, word)), " ", remaining, flags=re.IGNORECASE)
    try:
        return bool(_korcen.check(remaining))
    except Exception as exc:  # noqa: BLE001 - a library bug must not stop the conversation
        log.warning("korcen failed (%s); the word list alone decided", type(exc).__name__)
        return False
