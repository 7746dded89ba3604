"""Korean numbers as users type them: money → integer won, head counts, ordinals.

Stdlib only (imported by the Rasa server's entity normaliser and by the app).

``parse_money("만 이천원") == 12000``, ``parse_money("1.5만원") == 15000``,
``parse_head_count("세 명이서") == 3``, ``parse_ordinal("두번째 거") == 2``.

Rules worth knowing (documented in docs/NLU_DIALOGUE.md):
- Arabic digits, commas, decimals and sino-Korean numerals mix freely
  ("1만5천", "삼천오백", "3천5백", "1.5만", "7,000").
- Colloquial short forms: a bare digit after 만 or 천 is the next unit down
  ("만오" → 15000, "삼천오" → 3500); a trailing "이" is read as a particle, not 2
  ("오천이면 돼" → 5000).
- Without "원", amounts below 100 are not money (``parse_money("5") is None``).
"""
from __future__ import annotations

import math
import re
import unicodedata

SINO_DIGITS = {"영": 0, "공": 0, "일": 1, "이": 2, "삼": 3, "사": 4, "오": 5,
               "육": 6, "륙": 6, "칠": 7, "팔": 8, "구": 9}
SMALL_UNITS = {"십": 10, "백": 100, "천": 1000}
BIG_UNITS = {"만": 10_000, "억": 100_000_000}

_CURRENCY = ("원", "냥", "₩", "won", "WON", "Won")
# Words that follow an amount without being part of it (checked longest first).
_MONEY_SUFFIXES = sorted([
    "이하", "이내", "미만", "안쪽", "안에서", "안으로", "안에", "안", "정도", "쯤", "까지",
    "짜리", "대", "밖에", "뿐", "으로", "로", "이면", "면", "이랑", "랑", "에", "만큼",
    "가량", "내외", "선에서", "선", "요", "은", "는", "이", "가", "을", "를", "도", "언",
], key=len, reverse=True)

# Longer digit strings are no amount or count (and int() refuses over 4300 digits).
MAX_DIGITS = 30
_ARABIC = re.compile(r"\d+(?:[.,]\d+)*")
_NUMBER_CHARS = re.compile(r"[\d.,영공일이삼사오육륙칠팔구십백천만억 ]+")


def _nfc(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip()


def _arabic_value(raw: str) -> float:
    """"7,000" uses commas as thousands separators; "1.5" is a decimal; "1.2.3" (a dotted
    number, not an amount) reads as its digits. Never raises."""
    raw = raw.replace(",", "")[:MAX_DIGITS]
    if raw.count(".") > 1:
        raw = raw.replace(".", "")
    try:
        return float(raw)
    except ValueError:
        return 0.0


def _lex(run: str) -> list[tuple[str, float]]:
    """Split a run like "1만5천" or "삼천오백" into (kind, value) tokens."""
    tokens: list[tuple[str, float]] = []
    i = 0
    while i < len(run):
        ch = run[i]
        m = _ARABIC.match(run, i) if ch.isdigit() else None
        if m is not None:
            tokens.append(("num", _arabic_value(m.group(0))))
            i = m.end()
            continue
        if ch in SINO_DIGITS:
            tokens.append(("num", float(SINO_DIGITS[ch])))
        elif ch in SMALL_UNITS:
            tokens.append(("small", float(SMALL_UNITS[ch])))
        elif ch in BIG_UNITS:
            tokens.append(("big", float(BIG_UNITS[ch])))
        i += 1
    return tokens


def _evaluate(tokens: list[tuple[str, float]], colloquial: bool = True) -> float | None:
    """Value of a lexed run; a digit right after another digit starts a new number."""
    total = 0.0
    section = 0.0
    current: float | None = None
    last_unit: float | None = None
    seen = False
    for kind, value in tokens:
        if kind == "num":
            if current is not None:  # "이5천": the first digit was not part of the amount
                total, section, last_unit = 0.0, 0.0, None
            current = value
            seen = True
        elif kind == "small":
            section += (current if current is not None else 1.0) * value
            current = None
            last_unit = value
            seen = True
        else:  # big unit
            section += current if current is not None else 0.0
            if section == 0:
                section = 1.0
            total += section * value
            section = 0.0
            current = None
            last_unit = value
            seen = True
    if not seen:
        return None
    if current is not None:
        if colloquial and last_unit is not None and last_unit >= 1000 and current < 10:
            # "만오" → 만 + 5천, "삼천오" → 삼천 + 5백
            current *= last_unit / 10
        section += current
    return total + section


def _strip_suffixes(text: str) -> str:
    changed = True
    while changed and text:
        changed = False
        for suffix in _MONEY_SUFFIXES:
            if text.endswith(suffix) and len(text) > len(suffix):
                text = text[: -len(suffix)].rstrip()
                changed = True
                break
    return text


def _last_run(text: str) -> str | None:
    runs = [m.group(0).replace(" ", "") for m in _NUMBER_CHARS.finditer(text)]
    runs = [r for r in runs if r.strip(".,")]
    return runs[-1] if runs else None


def parse_money(text: str) -> int | None:
    """Integer won for a money expression, or None if there is no amount in it."""
    text = _nfc(text)
    if not text:
        return None
    has_currency = False
    for mark in _CURRENCY:
        if mark == "₩" and mark in text:
            text = text.replace(mark, "")
            has_currency = True
    cut = text.find("원")
    if cut > 0:
        text, has_currency = text[:cut], True
    elif text.lower().endswith("won"):
        text, has_currency = text[:-3], True
    text = _strip_suffixes(text.strip())
    run = _last_run(text)
    if run is None:
        return None
    value = _evaluate(_lex(run))
    if value is None or not math.isfinite(value):
        return None
    won = int(round(value))
    if won <= 0 or (not has_currency and won < 100):
        return None
    return won


# ---------------------------------------------------------------- head counts

_NATIVE_TENS = {"열": 10, "스물": 20, "스무": 20, "서른": 30, "마흔": 40, "쉰": 50}
_NATIVE_ONES = {"하나": 1, "한": 1, "둘": 2, "두": 2, "셋": 3, "세": 3, "석": 3, "서": 3,
                "넷": 4, "네": 4, "넉": 4, "너": 4, "다섯": 5, "닷": 5, "여섯": 6, "엿": 6,
                "일곱": 7, "여덟": 8, "여덜": 8, "아홉": 9}
_SOLO = ("혼자", "혼밥", "나혼자", "나 혼자", "1인", "일인", "솔로")
_NATIVE_RE = re.compile(
    "(" + "|".join(sorted(_NATIVE_TENS, key=len, reverse=True)) + ")?"
    "(" + "|".join(sorted(_NATIVE_ONES, key=len, reverse=True)) + ")?"
)
_COUNTER_RE = re.compile(r"([\d영공일이삼사오육칠팔구십백]+)\s*(?:명|인|사람|분)")
_DIGITS_RE = re.compile(r"\d+")


def parse_head_count(text: str) -> int | None:
    """Number of people in "10명", "다섯 명", "세 명이서", "열두 명", "둘이서", "혼자"."""
    text = _nfc(text)
    if not text:
        return None
    if any(word in text for word in _SOLO):
        return 1
    counter = _COUNTER_RE.search(text)
    if counter:
        value = _evaluate(_lex(counter.group(1)), colloquial=False)
        if value and value >= 1 and math.isfinite(value):
            return int(value)
    best: tuple[int, int] | None = None  # (matched length, value)
    for m in _NATIVE_RE.finditer(text):
        if not m.group(0):
            continue
        tens = _NATIVE_TENS.get(m.group(1) or "", 0)
        ones = _NATIVE_ONES.get(m.group(2) or "", 0)
        rest = text[m.end():].lstrip()
        # Short forms ("세", "네", "두", "한", "서", "너") count only before a counter
        # or "이서"/"이" ("세 명", "둘이서"); whole words ("셋", "다섯") stand alone.
        short = m.group(2) in {"한", "두", "세", "석", "서", "네", "넉", "너", "닷", "엿"}
        if short and not tens and not re.match(r"(명|사람|분|이서|이|식구|명이)", rest):
            continue
        if (m.group(2) in {"하나", "둘", "셋", "넷"} or tens) or rest.startswith(("명", "사람", "분", "이")):
            candidate = (len(m.group(0)), tens + ones)
            if best is None or candidate[0] > best[0]:
                best = candidate
        elif m.group(2) in {"다섯", "여섯", "일곱", "여덟", "여덜", "아홉"}:
            candidate = (len(m.group(0)), tens + ones)
            if best is None or candidate[0] > best[0]:
                best = candidate
    if best and best[1] > 0:
        return best[1]
    digits = _DIGITS_RE.search(text)
    if digits:
        return int(digits.group(0)[:MAX_DIGITS]) or None
    return None


# ---------------------------------------------------------------- ordinals

_ORDINAL_WORDS = [("첫", 1), ("처음", 1), ("맨 앞", 1), ("맨앞", 1), ("두", 2), ("둘", 2),
                  ("세", 3), ("셋", 3), ("네", 4), ("넷", 4), ("다섯", 5)]


def parse_ordinal(text: str) -> int | None:
    """Option number in "1번", "두번째 거", "첫 번째", "세 번째꺼", "2"."""
    text = _nfc(text)
    if not text:
        return None
    digits = _DIGITS_RE.search(text)
    if digits:
        return int(digits.group(0)[:MAX_DIGITS]) or None
    compact = text.replace(" ", "")
    for word, value in _ORDINAL_WORDS:
        if compact.startswith(word.replace(" ", "")):
            return value
    m = re.match(r"([일삼사오])번", compact)  # not "이번" ("this time")
    if m:
        return SINO_DIGITS[m.group(1)]
    return None
