"""Erasure in chat (actions/privacy.py) against the real database, cache and Redis.

The dialogue around it (confirmation, "아니요") is proven by tests/stories/test_privacy.yml
and the tracker-store side by tests/rasa_env/test_masking_tracker_store.py; the whole path
through both servers by tests/e2e/test_forget_in_chat.py.
"""
from __future__ import annotations

import uuid

import pytest

from actions.privacy import ERASURE_SLOT, ActionForgetUser
from helpers_actions import make_tracker, run, slots_of, texts
from naviyam.config import reset_settings_cache
from naviyam.shared import cache_keys
from naviyam.shared.cache_keys import rasa_tracker_key
from test_privacy import add_user_with_history, rows_of


@pytest.fixture()
def tracker_redis(redis_url, monkeypatch):
    """REDIS_URL for the use case (where Rasa keeps trackers), the settings re-read."""
    monkeypatch.setenv("REDIS_URL", redis_url or "")
    monkeypatch.setenv("NAVIYAM_RASA_TRACKER_KEY_PREFIX", "naviyam")
    reset_settings_cache()
    yield redis_url
    reset_settings_cache()


def test_confirmed_erasure_deletes_everything_and_says_what(database_url, cache, tracker_redis, domain):
    who = f"kakao:forget-{uuid.uuid4().hex[:8]}"
    uid = add_user_with_history(database_url, who, "kakao")
    cache.set(cache_keys.profile_key(uid), {"user": uid}, 600)
    tracker_key = rasa_tracker_key(who, "naviyam")
    if tracker_redis:
        cache.client.set(tracker_key, '{"events": [{"event": "user", "text": "우리집은 ..."}]}')

    events, messages = run(ActionForgetUser(), make_tracker(who, "네", "affirm"), domain)

    assert set(rows_of(database_url, uid).values()) == {0}
    assert cache.get(cache_keys.profile_key(uid)) is None
    if tracker_redis:
        assert not cache.client.exists(tracker_key)
    said = texts(messages)
    assert "모두 지웠어요" in said
    for item in ("프로필", "급식카드", "쿠폰함", "대화 기록 3건", "추천 기록 1건"):
        assert item in said, said
    assert slots_of(events)[ERASURE_SLOT]  # the marker the tracker store acts on
    custom = [m["custom"] for m in messages if m.get("custom")]
    assert custom and custom[0]["deleted"]["users"] == 1


def test_erasure_for_someone_never_stored_is_polite_and_still_resets(database_url, cache, tracker_redis,
                                                                      domain):
    events, messages = run(ActionForgetUser(), make_tracker("nobody-stored-here", "네", "affirm"), domain)
    assert "저장된 정보가 없었어요" in texts(messages)
    assert slots_of(events)[ERASURE_SLOT]


def test_failed_erasure_changes_nothing_and_sets_no_marker(database_url, cache, domain, monkeypatch):
    who = f"kakao:forget-{uuid.uuid4().hex[:8]}"
    uid = add_user_with_history(database_url, who, "kakao")
    before = rows_of(database_url, uid)
    monkeypatch.setenv("REDIS_URL", "redis://127.0.0.1:1/0")  # the tracker cannot be deleted
    reset_settings_cache()
    try:
        events, messages = run(ActionForgetUser(), make_tracker(who, "네", "affirm"), domain)
    finally:
        reset_settings_cache()
    assert "지우지 못했어요" in texts(messages)
    assert events == []
    assert rows_of(database_url, uid) == before  # one transaction: rolled back whole
