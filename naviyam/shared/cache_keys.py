"""Redis key names of per-sender state kept outside our cache namespace (stdlib only).

Importable from both environments, so a Rasa-environment test can check these names
against Rasa's own ``RedisTrackerStore`` (tests/rasa_env/test_tracker_store_keys.py).
"""
from __future__ import annotations

# Rasa 3.6, rasa/core/tracker_store.py: DEFAULT_REDIS_TRACKER_STORE_KEY_PREFIX.
RASA_TRACKER_KEY_PREFIX = "tracker:"


def rasa_tracker_key(sender_id: str, key_prefix: str | None) -> str:
    """The Redis key of a sender's tracker, as Rasa 3.6's RedisTrackerStore builds it.

    Rasa keeps a configured prefix only if it is alphanumeric ("naviyam" →
    ``naviyam:tracker:<sender>``); anything else, such as "naviyam_tracker" (underscore), is
    ignored with a warning and the default ``tracker:<sender>`` is used.
    """
    if key_prefix and key_prefix.isalnum():
        return f"{key_prefix}:{RASA_TRACKER_KEY_PREFIX}{sender_id}"
    return f"{RASA_TRACKER_KEY_PREFIX}{sender_id}"
