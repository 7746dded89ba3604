"""Finding and masking personal data however it is written. Standard library only.

``mask_personal_data`` (re-exported by ``naviyam.shared.text_safety``) is the one masking
function of the project: conversations rows, exported training rows, Rasa tracker events
(``bot.tracker_store``) and every log record (``naviyam.shared.log_masking``) go through it.

Numbers are found on the text as people really type them, not with one regex per format:
``digit_runs`` reads any Unicode decimal digit (full-width ``０１０``, Arabic-Indic,
superscripts: ``unicodedata.digit``) and the sino-Korean digit words (영/공/빵, 일, 이,
삼, 사, 오, 육/륙, 칠, 팔, 구) as the digits they stand for, and lets up to three
separators sit between groups: any dash (Unicode category Pd, the minus sign, ``ㅡ``),
dots and middle dots, commas, spaces of any kind, slashes, underscores and brackets.
Scripts mix freely ("010-일이삼사-5678"); a Korean group glued to the next word loses
a final 이, which is then a particle ("오육칠팔이에요").

A run of 9 or more digits is always masked, named by its shape: a phone (starts with 0
and has 9-11 digits, or +82), a resident registration number (13 digits whose first six
are a date and whose seventh is 1-8), a card number (13-19 digits passing Luhn, or typed
in card groups 4-4-4-4 / 4-6-5), otherwise ``[번호]``. No amount or head count the bot
understands has 9 digits (budgets over 1,000,000원 are refused by the NLU), so amounts,
dates ("2026-11-23") and counts stay as written. A 7-8 digit run right after a phone cue
(전화, 번호, 연락처, 폰) is a local phone number.

Names are masked only where the text introduces one (a surname list alone would mask
김밥 and 이거); addresses after a cue (주소는 ..., 사는 곳은 ...) and numbered street,
lot and apartment addresses anywhere.
"""
from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass

MASK_NAME = "[이름]"
MASK_PHONE = "[전화번호]"
MASK_CARD = "[카드번호]"
MASK_RRN = "[주민번호]"
MASK_NUMBER = "[번호]"
MASK_EMAIL = "[이메일]"
MASK_ADDRESS = "[주소]"

KOREAN_DIGITS = {"영": "0", "공": "0", "빵": "0", "일": "1", "이": "2", "삼": "3", "사": "4",
                 "오": "5", "육": "6", "륙": "6", "칠": "7", "팔": "8", "구": "9"}
_EXTRA_DASHES = frozenset("\u2212\u02d7\u2043\u2796\u30fc\uff70\u3161\u2500\u2501\u23af\ufe63\uff0d")
_DOTS = frozenset(".,·•∙・。．，‧'`/\\_()[]（）")
MAX_SEPARATORS = 3
MIN_MASKED_DIGITS = 9
_PHONE_CUE = re.compile(r"(전화|번호|연락처|핸드폰|휴대폰|폰|phone|tel|call)", re.IGNORECASE)


def digit_of(char: str) -> str | None:
    """The ASCII digit a character stands for (any Unicode decimal digit), else None."""
    if "0" <= char <= "9":
        return char
    value = unicodedata.digit(char, None)
    if value is None:
        folded = unicodedata.normalize("NFKC", char)
        if len(folded) == 1 and "0" <= folded <= "9":
            return folded
        return None
    return str(value)


def is_separator(char: str) -> bool:
    """A character people put between digit groups (dashes, dots, spaces, brackets)."""
    if char in _DOTS or char in _EXTRA_DASHES or char.isspace():
        return True
    category = unicodedata.category(char)
    return category in ("Pd", "Zs")


@dataclass(frozen=True)
class DigitRun:
    start: int
    end: int
    digits: str
    groups: tuple[int, ...]


def digit_runs(text: str) -> list[DigitRun]:
    """Every run of digits (any script, Korean digit words) with the separators between groups."""
    runs: list[DigitRun] = []
    i, n = 0, len(text)
    while i < n:
        first = digit_of(text[i])
        korean = first is None and text[i] in KOREAN_DIGITS
        if first is None and not korean:
            i += 1
            continue
        digits, positions, groups = [first or KOREAN_DIGITS[text[i]]], [i], [1]
        last_korean, j, seps = korean, i + 1, 0
        while j < n:
            char = text[j]
            arabic = digit_of(char)
            is_korean = arabic is None and char in KOREAN_DIGITS
            if arabic is not None or is_korean:
                if seps:
                    groups.append(0)
                groups[-1] += 1
                digits.append(arabic or KOREAN_DIGITS[char])
                positions.append(j)
                last_korean, seps = is_korean, 0
            elif is_separator(char) and seps < MAX_SEPARATORS:
                seps += 1
            else:
                break
            j += 1
        if last_korean and not seps and j < n and "\uac00" <= text[j] <= "\ud7a3":
            # A Korean group glued to a word: its last 이 is a particle ("오육칠팔이에요").
            if text[positions[-1]] == "이":
                digits.pop()
                positions.pop()
                groups[-1] -= 1
                if groups[-1] == 0:
                    groups.pop()
        if positions:
            runs.append(DigitRun(i, positions[-1] + 1, "".join(digits), tuple(groups)))
        i = max(positions[-1] + 1 if positions else i + 1, i + 1)
    return runs


def luhn_valid(digits: str) -> bool:
    total = 0
    for index, char in enumerate(reversed(digits)):
        value = int(char)
        if index % 2:
            value = value * 2 - 9 if value > 4 else value * 2
        total += value
    return total % 10 == 0


def _rrn_like(digits: str) -> bool:
    if len(digits) != 13 or digits[6] not in "12345678":
        return False
    month, day = int(digits[2:4]), int(digits[4:6])
    return 1 <= month <= 12 and 1 <= day <= 31


def classify(digits: str, groups: tuple[int, ...] = (), plus: bool = False) -> str | None:
    """The mask for a digit run, or None when it is no personal number."""
    n = len(digits)
    if plus or (digits.startswith("82") and n in (11, 12) and digits[2] in "1234567"):
        if n >= 9:
            return MASK_PHONE
    if digits.startswith("0") and 9 <= n <= 11:
        return MASK_PHONE
    if _rrn_like(digits):
        return MASK_RRN
    if 13 <= n <= 19 and (luhn_valid(digits) or groups in ((4, 4, 4, 4), (4, 6, 5), (4, 4, 4, 3))):
        return MASK_CARD
    if n >= MIN_MASKED_DIGITS:
        return MASK_NUMBER
    return None


@dataclass(frozen=True)
class Span:
    start: int
    end: int
    mask: str


def number_spans(text: str) -> list[Span]:
    """Spans of phone, card, resident and other long numbers in ``text``."""
    spans: list[Span] = []
    for run in digit_runs(text):
        start = run.start
        plus = start > 0 and text[start - 1] in "+＋"
        mask = classify(run.digits, run.groups, plus)
        if mask is None and 7 <= len(run.digits) <= 8 and _PHONE_CUE.search(text[max(0, start - 12):start]):
            mask = MASK_PHONE
        if mask is None:
            continue
        spans.append(Span(start - 1 if plus else start, run.end, mask))
    return spans


def _fold(text: str) -> str:
    """Same length as ``text``: each character NFKC-folded where that keeps one character."""
    out = []
    for char in text:
        folded = unicodedata.normalize("NFKC", char)
        out.append(folded if len(folded) == 1 else char)
    return "".join(out)


_EMAIL = re.compile(
    r"[A-Za-z0-9._%+\-]+\s?(?:@|골뱅이|\(at\)|\[at\])\s?[A-Za-z0-9\-]+"
    r"(?:\s?(?:\.|닷|점|\(dot\)|\[dot\])\s?[A-Za-z0-9\-]+)*\s?(?:\.|닷|점|\(dot\))\s?[A-Za-z]{2,}"
)


def _replace(text: str, spans: list[Span]) -> str:
    if not spans:
        return text
    out, cursor = [], 0
    for span in sorted(spans, key=lambda s: s.start):
        if span.start < cursor:
            continue
        out.append(text[cursor:span.start])
        out.append(span.mask)
        cursor = span.end
    out.append(text[cursor:])
    return "".join(out)


# --- names and addresses (on text whose numbers are already masked) ----------------

_SURNAMES = (
    "김이박최정강조윤장임한오서신권황안송전홍유고문양손배백허남심노하곽성차주우구민진"
    "나지엄채원천방공현함변염여추도석선설마길연위표명기반왕금옥육인맹제모탁국어은편용"
)
_NAME = rf"[{_SURNAMES}][가-힣]{{1,2}}"
_ENDINGS = r"입니다|이에요|예요|이고|이라고|라고|이야|야|이요|요|$|[\s,.!?~]"
# A name introduced by 이름 ("제 이름은 김민수", "이름: 민수야"): any 1-4 syllables.
_NAME_AFTER_NAME_CUE = re.compile(
    rf"(?P<cue>이름\s?(?:은|는|이|:)\s?)(?P<name>[가-힣]{{1,4}}?)(?P<end>{_ENDINGS})"
)
# ... by "저는/나는 ... 입니다/예요" (the ending is required: "저는 정말 배고파요" is no name;
# 전 only opening a sentence: "방금 전 기준이에요" is no name) ...
_NAME_AFTER_SELF_CUE = re.compile(
    rf"(?P<cue>(?:(?<![가-힣])(?:저는|나는|난)|(?:^|(?<=[.!?,~\n]\s)|(?<=[.!?,~\n]))전)\s)"
    rf"(?P<name>{_NAME})(?P<end>입니다|이에요|예요|이고요)"
)
# ... or by the way it ends ("김민수라고 해요", "박지호라고 합니다").
_NAME_BEFORE_CUE = re.compile(
    rf"(?<![가-힣])(?P<name>{_NAME})(?P<end>(?:이)?라고\s?(?:해요|합니다|해|불러))"
)
_ADDRESS_AFTER_CUE = re.compile(
    r"(?<!\[)(?P<cue>(?:집\s?)?주소\s?(?:는|은|가|:)?\s?|사는\s?곳\s?(?:은|는|이|:)?\s?)"
    r"(?P<addr>[^\n.!?]{2,60}?)(?P<end>\s?(?:이에요|예요|입니다|이야|야|에요|요)?\s?(?:[\n.!?]|$))"
)
_ROAD = re.compile(
    r"(?<![가-힣A-Za-z0-9])(?P<road>[가-힣0-9]{1,15}(?:대로|로|길))\s?"
    r"(?P<num>\d{1,5}(?:-\d{1,5})?)(?:번길\s?\d{1,5}(?:-\d{1,5})?)?(?P<after>[^\s\d]*)"
)
_LOT = re.compile(
    r"(?<![가-힣A-Za-z0-9])[가-힣]{1,10}[0-9]?(?:동|리|가)\s?\d{1,5}(?:-\d{1,5}(?:\s?번지)?|\s?번지)"
)
_UNIT = re.compile(r"(?<!\d)\d{1,4}\s?동\s?\d{1,4}\s?호")
_COUNTER_AFTER_NUMBER = re.compile(
    r"^(?:명|개|인|원|천|만|분|시|번|살|세|층|km|m|키로|미터|그릇|판|인분|마리|잔|등)"
)
_NOT_ROADS = frozenset({"그로", "이로", "저로", "뭐로", "새로", "따로", "어디로", "여기로", "거기로", "저기로"})


def _mask_road(match: re.Match[str]) -> str:
    road, after = match.group("road"), match.group("after")
    # "만원으로 2명", "강남역으로 10분", "학교로 5분": a particle 로, not a road name.
    if road.endswith("으로") or road in _NOT_ROADS or re.search(r"\d원로$", road):
        return match.group(0)
    if _COUNTER_AFTER_NUMBER.match(after):
        return match.group(0)
    return MASK_ADDRESS + after


def _mask_after_cue(match: re.Match[str]) -> str:
    if match.group("addr").strip() in ("", MASK_ADDRESS) or match.group("addr").startswith(("뭐", "어디")):
        return match.group(0)
    return match.group("cue") + MASK_ADDRESS + match.group("end")


def mask_personal_data(text: str) -> str:
    """Replace personal data with placeholders; everything else stays as written."""
    if not text:
        return text
    folded = _fold(text)
    spans = [Span(m.start(), m.end(), MASK_EMAIL) for m in _EMAIL.finditer(folded)]
    spans += number_spans(text)
    text = _replace(text, spans)
    text = _UNIT.sub(MASK_ADDRESS, text)
    text = _LOT.sub(MASK_ADDRESS, text)
    text = _ROAD.sub(_mask_road, text)
    text = _ADDRESS_AFTER_CUE.sub(_mask_after_cue, text)
    text = _NAME_AFTER_NAME_CUE.sub(
        lambda m: m.group(0) if m.group("name") in ("뭐", "뭐예", "뭐야", "무엇") or m.group("name").startswith("뭐")
        else m.group("cue") + MASK_NAME + m.group("end"), text)
    text = _NAME_AFTER_SELF_CUE.sub(lambda m: m.group("cue") + MASK_NAME + m.group("end"), text)
    text = _NAME_BEFORE_CUE.sub(lambda m: MASK_NAME + m.group("end"), text)
    return text


def contains_personal_number(text: str) -> bool:
    """Whether ``text`` holds a phone, card, resident or other long number."""
    return bool(text) and bool(number_spans(text))


def mask_values(value, skip_keys: frozenset = frozenset(), key=None):
    """``value`` with every string inside (dicts and lists walked) masked, except under
    ``skip_keys`` (identifiers). Non-string leaves are returned as they are."""
    if key in skip_keys:
        return value
    if isinstance(value, str):
        return mask_personal_data(value)
    if isinstance(value, dict):
        return {k: mask_values(v, skip_keys, k) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [mask_values(item, skip_keys) for item in value]
    return value


MASK_HIDDEN = "[가림]"


def mask_in_context(value, text: str | None, skip_keys: frozenset = frozenset()):
    """``mask_values(value)``, and every string in it that ``text`` contains but masked ``text``
    no longer does replaced by ``[가림]``.

    Some personal data is recognised only by its context: "제 이름은 김민수예요" masks 김민수 as
    a name, but an entity value "김민수" on its own is just a word (the NLU once took it for a
    dish). Entity values are copied out of the message, so what masking removed from the
    message is removed from them too.
    """
    masked = mask_values(value, skip_keys)
    if not text:
        return masked
    hidden = mask_personal_data(text)
    if hidden == text:
        return masked

    def walk(item, key=None):
        if key in skip_keys:
            return item
        if isinstance(item, str):
            return MASK_HIDDEN if item and item in text and item not in hidden else item
        if isinstance(item, dict):
            return {k: walk(v, k) for k, v in item.items()}
        if isinstance(item, (list, tuple)):
            return [walk(v) for v in item]
        return item

    return walk(masked)
