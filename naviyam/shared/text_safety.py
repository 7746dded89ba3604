"""Text safety at the door and in storage. Standard library only.

Importable from both environments (the Rasa server's channels and the action server):

- ``clean_user_text``: Unicode NFC normalisation, control / invisible formatting
  characters removed, whitespace tidied (seed 001 §3.1 step 2.1).
- ``MAX_MESSAGE_CHARS``: the longest message the bot reads (500, seed 001 §3.1).
- ``escape_html``: for anything that is shown back with HTML formatting (Telegram).
- ``mask_personal_data``: names, phone / card / resident numbers, e-mails and street
  addresses replaced by neutral placeholders (seed 001 §9.4) in logs and in anything
  stored for training.
- ``pseudonymise_id`` / ``anonymise_training_record``: what seed 001 §9.4's
  ``process_training_data`` does, with an optional key (HMAC) for the hash.

The masking is deliberately conservative with names: the seed's pattern (any word that
starts with a common surname syllable) would also mask 이거, 정말, 김밥 and most of a
food request, so a name is only masked where the text introduces one
("제 이름은 김민수예요", "저는 박지호입니다", "김서연이라고 해요"). Known gap: a food
named like a person in that frame ("전 우동이에요") is masked too; that is harmless.
"""
from __future__ import annotations

import hashlib
import hmac
import html
import re
import unicodedata
from typing import Any

MAX_MESSAGE_CHARS = 500

# Characters removed from user text: C0/C1 controls (except tab and newline), bidi
# overrides/isolates (used to disguise text), zero-width spaces and the BOM. The
# zero-width joiner (U+200D) and variation selectors stay: emoji sequences need them.
_REMOVED_FORMAT_CHARS = frozenset(
    "\u200b\u200c\u200e\u200f\u2028\u2029\u2060\ufeff"
    "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
)
_KEPT_CONTROLS = frozenset("\n\t")
_SPACES = re.compile(r"[ \t\u00a0\u3000]+")
_BLANK_LINES = re.compile(r"\n{3,}")


def clean_user_text(text: str | None) -> str:
    """NFC-normalised text without control or invisible formatting characters.

    Tabs and runs of spaces collapse to one space, three or more newlines to two,
    and the result is stripped. Idempotent: ``clean(clean(x)) == clean(x)``.
    """
    if not text:
        return ""
    text = unicodedata.normalize("NFC", text.replace("\r\n", "\n").replace("\r", "\n"))
    kept = []
    for char in text:
        if char in _KEPT_CONTROLS:
            kept.append(char)
        elif char in _REMOVED_FORMAT_CHARS or unicodedata.category(char) in ("Cc", "Cs"):
            continue
        else:
            kept.append(char)
    text = _SPACES.sub(" ", "".join(kept))
    text = "\n".join(line.strip() for line in text.split("\n"))
    text = _BLANK_LINES.sub("\n\n", text).strip()
    # NFC again: removing a character can bring a base and a combining mark together.
    return unicodedata.normalize("NFC", text)


def escape_html(text: str) -> str:
    """Escape ``<``, ``>``, ``&`` and quotes for HTML parse modes."""
    return html.escape(text or "", quote=True)


# --- personal data masking -------------------------------------------------------

MASK_NAME = "[이름]"
MASK_PHONE = "[전화번호]"
MASK_CARD = "[카드번호]"
MASK_RRN = "[주민번호]"
MASK_EMAIL = "[이메일]"
MASK_ADDRESS = "[주소]"

# Common Korean surnames (the large majority of the population).
_SURNAMES = (
    "김이박최정강조윤장임한오서신권황안송전홍유고문양손배백허남심노하곽성차주우구민진"
    "나지엄채원천방공현함변염여추도석선설마길연위표명기반왕금옥육인맹제모탁국어은편용"
)
_NAME = rf"[{_SURNAMES}][가-힣]{{1,2}}"
# A name introduced by 이름 ("제 이름은 김민수", "이름: 박지호") ...
_NAME_AFTER_NAME_CUE = re.compile(
    rf"(?P<cue>이름\s?(?:은|이|:)\s?)(?P<name>{_NAME})"
    rf"(?P<end>입니다|이에요|예요|이고|이라고|라고|이야|야|$|[\s,.!?~])"
)
# ... by "저는/나는 ... 입니다/예요" (the ending is required: "저는 정말 배고파요" is no name) ...
_NAME_AFTER_SELF_CUE = re.compile(
    rf"(?P<cue>(?:저는|전|나는|난)\s)(?P<name>{_NAME})(?P<end>입니다|이에요|예요|이고요)"
)
# ... or by the way it ends ("김민수라고 해요", "박지호라고 합니다").
_NAME_BEFORE_CUE = re.compile(
    rf"(?<![가-힣])(?P<name>{_NAME})(?P<end>(?:이)?라고\s?(?:해요|합니다|해|불러))"
)

_EMAIL = re.compile(r"[A-Za-z0-9._%+-]+@[A-Za-z0-9-]+(?:\.[A-Za-z0-9-]+)*\.[A-Za-z]{2,}")
_RRN = re.compile(r"(?<!\d)\d{6}[ -]?[1-8]\d{6}(?!\d)")
_CARD = re.compile(
    r"(?<!\d)(?:\d{4}[ -]?){3}\d{4}(?!\d)|(?<!\d)\d{4}[ -]?\d{6}[ -]?\d{5}(?!\d)"
)
_PHONE = re.compile(
    r"(?<![\d-])(?:\+82[ -]?|0)(?:1[016789]|2|[3-6][1-5]|70|50\d?)[ )-]?\d{3,4}[ -]?\d{4}(?![\d-])"
)
# Street addresses with a number: "테헤란로 123", "역삼로10길 5-2", "역삼동 123-45(번지)",
# apartment units "101동 1203호".
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


def mask_personal_data(text: str) -> str:
    """Replace personal data with placeholders; everything else stays as written."""
    if not text:
        return text
    text = _EMAIL.sub(MASK_EMAIL, text)
    text = _RRN.sub(MASK_RRN, text)
    text = _CARD.sub(MASK_CARD, text)
    text = _PHONE.sub(MASK_PHONE, text)
    text = _UNIT.sub(MASK_ADDRESS, text)
    text = _LOT.sub(MASK_ADDRESS, text)
    text = _ROAD.sub(_mask_road, text)
    for pattern in (_NAME_AFTER_NAME_CUE, _NAME_AFTER_SELF_CUE):
        text = pattern.sub(lambda m: m.group("cue") + MASK_NAME + m.group("end"), text)
    text = _NAME_BEFORE_CUE.sub(lambda m: MASK_NAME + m.group("end"), text)
    return text


def pseudonymise_id(value: Any, key: str | bytes = b"") -> str:
    """A stable 16-hex-digit pseudonym for a user id (HMAC-SHA256 when a key is given)."""
    raw = str(value).encode("utf-8")
    if key:
        secret = key.encode("utf-8") if isinstance(key, str) else key
        return hmac.new(secret, raw, hashlib.sha256).hexdigest()[:16]
    return hashlib.sha256(raw).hexdigest()[:16]


TEXT_FIELDS = ("input_text", "response_text", "text", "utterance")
ID_FIELDS = ("user_id", "external_user_id", "sender_id")


def anonymise_training_record(record: dict[str, Any], key: str | bytes = b"") -> dict[str, Any]:
    """A copy of ``record`` fit for a training set: text fields masked, user ids hashed."""
    processed = dict(record)
    for name in TEXT_FIELDS:
        if isinstance(processed.get(name), str):
            processed[name] = mask_personal_data(processed[name])
    for name in ID_FIELDS:
        if processed.get(name) is not None:
            processed[name] = pseudonymise_id(processed[name], key)
    return processed
