"""Children's data at rest: authenticated encryption of card and phone numbers, keyed hashes.

- ``encrypt``/``decrypt``: AES-256-GCM from the ``cryptography`` package (a maintained,
  audited library; no home-made crypto). A stored value reads
  ``enc:v1:<key id>:<base64url(nonce | ciphertext+tag)>``; the column's name is the
  associated data, so a value copied into another column does not decrypt.
- Keys: ``NAVIYAM_DATA_KEY`` = ``kid:base64(32 bytes)[,kid:base64,...]``. The first key
  encrypts; every listed key decrypts, so rotation is: put the new key first, keep the old
  one, restart, run ``python -m naviyam.manage reencrypt``, then drop the old key.
- ``lookup_hash``: HMAC-SHA256 of the normalised value (card numbers without spaces and
  hyphens), keyed from ``NAVIYAM_PSEUDONYM_KEY``: the column that equality look-ups use.
- ``pseudonym``: ``naviyam.shared.text_safety.pseudonymise_id`` with that same key.
- Keys come from the environment only. In dev mode (``NAVIYAM_DEV_MODE=1``) a missing key
  is generated once into ``var/dev-keys.json`` (mode 0600) so local trials and tests work;
  outside dev mode a missing key is a :class:`~naviyam.config.ConfigurationError` at start.
"""
from __future__ import annotations

import base64
import hashlib
import hmac
import json
import logging
import os
import re
import secrets
import threading
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from naviyam.config import ConfigurationError, get_settings
from naviyam.shared.text_safety import pseudonymise_id

log = logging.getLogger(__name__)

PREFIX = "enc:v1:"
DEV_KEYS_FILE = "dev-keys.json"
_KID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
_LOCK = threading.Lock()


class DecryptionError(ValueError):
    """A stored value that no configured key opens (wrong key, tampered or truncated)."""


@dataclass(frozen=True)
class Keys:
    data: tuple[tuple[str, bytes], ...]  # (kid, 32-byte key), the first encrypts
    pseudonym: bytes

    @property
    def lookup(self) -> bytes:
        return hmac.new(self.pseudonym, b"naviyam lookup hash v1", hashlib.sha256).digest()


def parse_data_keys(raw: str) -> tuple[tuple[str, bytes], ...]:
    """``kid:base64[,kid:base64]`` → ((kid, key), ...); a clear error naming what is wrong."""
    keys: list[tuple[str, bytes]] = []
    for part in (p.strip() for p in raw.split(",") if p.strip()):
        kid, sep, encoded = part.partition(":")
        if not sep or not _KID.match(kid):
            raise ConfigurationError("NAVIYAM_DATA_KEY: each entry is 'kid:base64key' with a short "
                                     "alphanumeric key id")
        try:
            key = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        except ValueError:
            raise ConfigurationError(f"NAVIYAM_DATA_KEY: key {kid!r} is not base64") from None
        if len(key) != 32:
            raise ConfigurationError(f"NAVIYAM_DATA_KEY: key {kid!r} must be 32 bytes, got {len(key)}")
        if kid in dict(keys):
            raise ConfigurationError(f"NAVIYAM_DATA_KEY: key id {kid!r} appears twice")
        keys.append((kid, key))
    if not keys:
        raise ConfigurationError("NAVIYAM_DATA_KEY is empty")
    return tuple(keys)


def new_data_key(kid: str = "k1") -> str:
    """A fresh ``kid:base64`` entry (``python -m naviyam.manage new-key`` prints one)."""
    return f"{kid}:{base64.urlsafe_b64encode(secrets.token_bytes(32)).decode().rstrip('=')}"


def _dev_keys(var_dir: Path) -> dict[str, str]:
    path = var_dir / DEV_KEYS_FILE
    with _LOCK:
        if not path.exists():
            var_dir.mkdir(parents=True, exist_ok=True)
            values = {"data_key": new_data_key("dev1"), "pseudonym_key": secrets.token_urlsafe(32)}
            fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(fd, "w") as handle:
                json.dump(values, handle)
            log.warning("Dev mode: generated local keys in %s (never use them in production)", path)
        return json.loads(path.read_text())


@lru_cache(maxsize=1)
def get_keys() -> Keys:
    """The configured keys (dev mode: generated into var/ when unset; otherwise required)."""
    settings = get_settings()
    data = settings.data_key.get_secret_value() if settings.data_key else None
    pseudonym = settings.pseudonym_key.get_secret_value() if settings.pseudonym_key else None
    if (data is None or pseudonym is None) and settings.dev_mode:
        dev = _dev_keys(settings.var_dir)
        data, pseudonym = data or dev["data_key"], pseudonym or dev["pseudonym_key"]
    missing = [name for name, value in (("NAVIYAM_DATA_KEY", data), ("NAVIYAM_PSEUDONYM_KEY", pseudonym))
               if not value]
    if missing:
        raise ConfigurationError(
            f"{' and '.join(missing)} not set: card and phone numbers are stored encrypted and "
            "pseudonyms are keyed. Generate keys with `python -m naviyam.manage new-keys` "
            "(or NAVIYAM_DEV_MODE=1 for a local trial)")
    if len(pseudonym) < 32:
        raise ConfigurationError("NAVIYAM_PSEUDONYM_KEY must be at least 32 characters")
    return Keys(parse_data_keys(data), pseudonym.encode("utf-8"))


def reset_keys_cache() -> None:
    get_keys.cache_clear()


def encrypt(value: str, column: str) -> str:
    kid, key = get_keys().data[0]
    nonce = secrets.token_bytes(12)
    sealed = AESGCM(key).encrypt(nonce, value.encode("utf-8"), column.encode("utf-8"))
    return f"{PREFIX}{kid}:{base64.urlsafe_b64encode(nonce + sealed).decode().rstrip('=')}"


def is_encrypted(value: str) -> bool:
    return value.startswith(PREFIX)


def key_id_of(value: str) -> str | None:
    return value[len(PREFIX):].split(":", 1)[0] if is_encrypted(value) else None


def decrypt(value: str, column: str) -> str:
    kid, _, encoded = value[len(PREFIX):].partition(":")
    key = dict(get_keys().data).get(kid)
    if key is None:
        raise DecryptionError(f"{column}: encrypted with key {kid!r}, which NAVIYAM_DATA_KEY no longer lists")
    try:
        blob = base64.urlsafe_b64decode(encoded + "=" * (-len(encoded) % 4))
        return AESGCM(key).decrypt(blob[:12], blob[12:], column.encode("utf-8")).decode("utf-8")
    except (InvalidTag, ValueError):
        raise DecryptionError(f"{column}: a stored value does not decrypt (tampered or wrong key)") from None


def normalise_card_number(value: str) -> str:
    return re.sub(r"[\s-]", "", value)


def lookup_hash(value: str | None) -> str | None:
    """Keyed hash for equality look-ups of a card number (None for None)."""
    if value is None:
        return None
    digest = hmac.new(get_keys().lookup, normalise_card_number(value).encode("utf-8"), hashlib.sha256)
    return digest.hexdigest()


def pseudonym(value: object) -> str:
    """A keyed pseudonym for logs and training sets (never a bare hash)."""
    return pseudonymise_id(value, get_keys().pseudonym)
