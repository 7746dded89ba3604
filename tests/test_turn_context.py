"""A client's clock and platform count only in dev mode (issue 10: a forged clock changes nothing)."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk import Tracker

from actions.common import TurnContext
from naviyam.config import reset_settings_cache

FORGED = "2031-01-01T12:30:00+09:00"


def tracker(metadata: dict) -> Tracker:
    message = {"text": "안녕", "intent": {"name": "greet", "confidence": 0.9}, "entities": []}
    events = [{"event": "user", "text": "안녕", "parse_data": message, "metadata": metadata}]
    return Tracker("rest:kid", {}, message, events, False, None, {}, "action_listen")


@pytest.fixture
def dev_mode(monkeypatch):
    def switch(on: bool) -> None:
        monkeypatch.setenv("NAVIYAM_DEV_MODE", "1" if on else "0")
        reset_settings_cache()
    yield switch
    reset_settings_cache()


def test_a_forged_clock_and_platform_are_ignored_outside_dev_mode(dev_mode):
    dev_mode(False)
    context = TurnContext.from_tracker(tracker({"now": FORGED, "platform": "kakao",
                                                "location": {"lat": 37.5404, "lng": 127.0693}}))
    assert abs(context.now - datetime.now(ZoneInfo("Asia/Seoul"))) < timedelta(minutes=1)
    assert context.platform_hint is None
    assert context.location == (37.5404, 127.0693)  # the user's own position still counts


def test_dev_mode_honours_the_client_clock(dev_mode):
    dev_mode(True)
    context = TurnContext.from_tracker(tracker({"now": FORGED, "platform": "web"}))
    assert context.now == datetime(2031, 1, 1, 12, 30, tzinfo=ZoneInfo("Asia/Seoul"))
    assert context.platform_hint == "web"
