"""Checks before a process serves: what must be configured for children's data to be safe."""
from __future__ import annotations

import secrets

from naviyam.adapters import crypto


def check_keys() -> None:
    """Raise :class:`naviyam.config.ConfigurationError` (one clear line) when the keys for card
    and phone numbers and for pseudonyms are missing or malformed (dev mode generates them)."""
    crypto.get_keys()


def new_keys(kid: str = "k1") -> dict[str, str]:
    """Fresh production keys, as environment assignments (``manage new-keys``)."""
    return {"NAVIYAM_DATA_KEY": crypto.new_data_key(kid),
            "NAVIYAM_PSEUDONYM_KEY": secrets.token_urlsafe(32)}
