"""The tracker key forget-user deletes is the key Rasa's RedisTrackerStore writes.

Runs in the Rasa environment (Rasa 3.6). No Redis needed: the store only connects
when it reads or writes.
"""
from __future__ import annotations

import pytest
import yaml
from rasa.core.tracker_store import RedisTrackerStore
from rasa.shared.core.domain import Domain

from naviyam.shared.cache_keys import DEFAULT_TRACKER_KEY_PREFIX, rasa_tracker_key
from scripts.render_endpoints import render


def rasa_key(key_prefix: str | None, sender_id: str) -> str:
    store = RedisTrackerStore(Domain.empty(), host="127.0.0.1", key_prefix=key_prefix)
    return store.key_prefix + sender_id


@pytest.mark.parametrize("prefix", ["naviyam_tracker", "naviyam", None])
def test_our_key_is_rasas_key(prefix):
    assert rasa_tracker_key("kakao:abc", prefix) == rasa_key(prefix, "kakao:abc")


def test_the_prefix_we_configure_is_the_one_forget_user_assumes(monkeypatch):
    monkeypatch.delenv("NAVIYAM_RASA_TRACKER_KEY_PREFIX", raising=False)
    endpoints = yaml.safe_load(render(5055, "redis://127.0.0.1:6379/3"))
    configured = endpoints["tracker_store"]["key_prefix"]
    assert configured.isalnum(), "Rasa ignores a prefix that is not alphanumeric"
    assert configured == DEFAULT_TRACKER_KEY_PREFIX  # NAVIYAM_RASA_TRACKER_KEY_PREFIX's default (naviyam.config)
    assert rasa_key(configured, "telegram:42") == rasa_tracker_key("telegram:42", configured)
