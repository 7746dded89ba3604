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

The masking itself (and how it reads numbers in any script, separator or Korean words)
is documented in ``naviyam.shared.personal_data``.
"""
from __future__ import annotations

import hashlib
import hmac
import html
import re
import unicodedata
from typing import Any

from naviyam.shared.personal_data import (  # noqa: F401 - re-exported
    MASK_ADDRESS,
    MASK_CARD,
    MASK_EMAIL,
    MASK_NAME,
    MASK_NUMBER,
    MASK_PHONE,
    MASK_RRN,
    mask_personal_data,
)

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


# --- personal data masking: naviyam.shared.personal_data (re-exported here) -------

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
