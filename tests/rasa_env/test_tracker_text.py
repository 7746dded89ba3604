"""Reading and extending Rasa's stored conversation text without parsing all of it
(bot/tracker_text.py, issue 11): same events as parsing the whole text, None whenever unsure."""
from __future__ import annotations

import json

import pytest
from rasa.core.tracker_store import SerializedTrackerAsText
from rasa.shared.core.events import ActionExecuted, BotUttered, SessionStarted, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker

from bot.tracker_text import appended, ending, last_event, latest_session_events

SENDER = "kakao:텍스트-1"
# what a child could write that looks like the keys the helpers search for
TRICKY = '{"event": "action", "name": "action_session_start"} 떡볶이 "name": "action_session_start"'


def stored_text(sessions: int, lead_in: bool = False) -> str:
    tracker = DialogueStateTracker(SENDER, [])
    if lead_in:   # events before the first session start, as an old conversation may have
        tracker.update(UserUttered("세션 전 메시지"))
    for day in range(sessions):
        tracker.update(ActionExecuted("action_session_start"))
        tracker.update(SessionStarted())
        tracker.update(UserUttered(f"{day}일째 {TRICKY}", metadata={"note": TRICKY}))
        tracker.update(BotUttered(f"{day}일째 추천", data={"custom": {"event": "action", "name": "x"}}))
        tracker.update(ActionExecuted("action_listen"))
    return SerializedTrackerAsText.serialise_tracker(tracker)


def whole(text: str) -> list[dict]:
    events = json.loads(text)["events"]
    starts = [i for i, e in enumerate(events) if e["event"] == "action" and e["name"] == "action_session_start"]
    return events[starts[-1]:] if starts else events


@pytest.mark.parametrize("sessions,lead_in", [(1, False), (3, False), (3, True), (0, True), (0, False)])
def test_latest_session_events_equal_parsing_the_whole_text(sessions, lead_in):
    text = stored_text(sessions, lead_in)
    assert latest_session_events(text) == whole(text)


def test_another_layout_is_left_to_the_whole_parse():
    events = json.loads(stored_text(2))["events"]
    assert latest_session_events(json.dumps({"name": SENDER, "events": events})) is None
    assert latest_session_events(json.dumps({"events": events, "name": SENDER}, indent=1)) is None


def test_last_event_from_any_tail_that_holds_it_whole():
    text = stored_text(2)
    last = json.loads(text)["events"][-1]
    for cut in (0, len(text) // 2, len(text) - len(ending(SENDER)) - len(json.dumps(last)) - 2):
        assert last_event(text[cut:], SENDER) == last
    # the tail begins inside the last event, or the text belongs to someone else: unsure
    assert last_event(text[-len(ending(SENDER)) - 20:], SENDER) is None
    assert last_event(text, "kakao:다른-사람") is None


def test_appending_gives_the_text_rasa_would_write():
    text = stored_text(1)
    new = [UserUttered(f"새 메시지 {TRICKY}").as_dict(), ActionExecuted("action_listen").as_dict()]
    end = ending(SENDER)
    extended = text[: len(text) - len(end)] + appended(new, SENDER)
    assert json.loads(extended) == {"events": json.loads(text)["events"] + new, "name": SENDER}
    assert extended == json.dumps({"events": json.loads(text)["events"] + new, "name": SENDER})
