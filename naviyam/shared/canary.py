"""The canary split: which users a candidate model serves (issue 15).

Stdlib only, so that the Rasa environment (the LLM NLU component routes each message to the
production or the canary NLU adapter) and the app (the registry and the ranker's serving
path) apply the same rule. ``naviyam.domain.learning`` re-exports it for the app.
"""
from __future__ import annotations

import hashlib
from typing import Any, Optional

ADAPTER_KIND = "llm_adapter"      # the registry's kind for NLU (LLM LoRA) adapters
CANARY_METADATA_KEY = "canary_key"  # the message metadata key the channels set (see canary_key)


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


def served_version(state: dict[str, Any], user_key: Optional[str], kind: str) -> Optional[dict[str, Any]]:
    """The serving snapshot's entry (``{"version", ...}``) that serves ``user_key``: the canary for
    its hashed share, else production (also when there is no key). ``state`` has the shape of the
    registry snapshot and of the model server's ``/v1/nlu/adapters``."""
    canary = state.get("canary")
    if user_key and isinstance(canary, dict) and canary.get("version") and serves_canary(
            user_key, kind, str(canary["version"]), float(canary.get("percent") or 0)):
        return canary
    production = state.get("production")
    return production if isinstance(production, dict) else None
