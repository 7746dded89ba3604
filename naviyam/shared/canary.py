"""The canary split: which users a candidate model serves (issue 15).

Stdlib only, so that the Rasa environment (the LLM NLU component routes each message to the
production or the canary NLU adapter) and the app (the registry and the ranker's serving
path) apply the same rule. ``naviyam.domain.learning`` re-exports it for the app.
"""
from __future__ import annotations

import hashlib


def canary_bucket(user_key: str, salt: str) -> float:
    """A stable number in [0, 100) for a user and a candidate model (the hashed split)."""
    digest = hashlib.sha256(f"{salt}:{user_key}".encode("utf-8")).digest()
    return int.from_bytes(digest[:8], "big") % 10000 / 100.0


def in_canary(user_key: str, salt: str, share_percent: float) -> bool:
    return canary_bucket(user_key, salt) < share_percent


def serves_canary(user_key: str, kind: str, canary_version: str, share_percent: float) -> bool:
    """Whether ``user_key`` gets the canary ``canary_version`` of ``kind`` (the one split rule
    of the registry, the ranker's serving path and the LLM NLU component)."""
    return in_canary(user_key, f"{kind}:{canary_version}", share_percent)


def canary_key(sender_id: str) -> str:
    """The pseudonymous key a channel puts in a message's metadata (``canary_key``) so that the
    NLU can route a user's messages without seeing the sender id: a hash, stable per sender."""
    return hashlib.sha256(f"naviyam-canary:{sender_id}".encode("utf-8")).hexdigest()[:24]
