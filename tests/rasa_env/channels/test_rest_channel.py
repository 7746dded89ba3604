"""REST channel credentials: bearer token outside dev mode, messenger namespaces reserved."""
from __future__ import annotations

import pytest

from bot.channels.rest import GuardedRestInput
from bot.settings import SecuritySettings


def channel(**settings) -> GuardedRestInput:
    return GuardedRestInput(security=SecuritySettings(**settings))


def test_without_a_token_and_without_dev_mode_everything_is_refused(caplog):
    rest = channel(dev_mode=False)
    assert "NAVIYAM_REST_TOKEN is not set" in caplog.text
    assert rest.refusal("Bearer anything")[0] == 403
    assert rest.refusal(None)[0] == 403


@pytest.mark.parametrize("header", [None, "", "Bearer", "Bearer wrong", "Basic tok-123",
                                    "Bearer tok-1234", "tok-123"])
def test_a_wrong_or_missing_bearer_token_is_refused(header):
    assert channel(rest_token="tok-123").refusal(header)[0] == 401


def test_the_right_bearer_token_passes():
    assert channel(rest_token="tok-123").refusal("Bearer tok-123") is None
    assert channel(rest_token="tok-123").refusal("bearer  tok-123") is None


def test_dev_mode_needs_no_token():
    assert channel(dev_mode=True).refusal(None) is None


def test_outside_dev_mode_senders_are_namespaced_and_only_location_is_kept():
    rest = channel(rest_token="t")
    metadata = {"now": "2031-01-01T12:00:00+09:00", "platform": "kakao", "location": {"lat": 1, "lng": 2}}
    assert rest.sender_and_metadata("demo_kid_01", metadata) == ("rest:demo_kid_01", {"location": {"lat": 1, "lng": 2}})
    assert rest.sender_and_metadata("rest:abc", {"now": "x"}) == ("rest:abc", None)


def test_dev_mode_keeps_senders_and_metadata():
    metadata = {"now": "2026-11-17T12:30:00+09:00"}
    assert channel(dev_mode=True).sender_and_metadata("demo_kid_01", metadata) == ("demo_kid_01", metadata)


@pytest.mark.parametrize("raw,expected", [("1", True), ("true", True), ("0", False), ("", False),
                                          ("no", False)])
def test_dev_mode_flag_from_the_environment(monkeypatch, raw, expected):
    monkeypatch.setenv("NAVIYAM_DEV_MODE", raw)
    assert SecuritySettings().dev_mode is expected
