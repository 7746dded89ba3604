"""Reminders (issue 15): low balance and a coupon expiring within 24 hours, once each, never in
quiet hours (21:00-08:00) or to a user who opted out. The messenger is a fake (third party)."""
from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from helpers_coupons import give, make_card, make_coupon, make_user
from naviyam.adapters.db.models.learning import ReminderOptOut
from naviyam.adapters.db.session import unit_of_work
from naviyam.usecases.learning.reminders import in_quiet_hours, send_reminders

SEOUL = ZoneInfo("Asia/Seoul")


class FakePush:
    def __init__(self) -> None:
        self.sent: list[tuple[str, str, str]] = []

    def send(self, platform: str, external_user_id: str, text: str, params=None) -> bool:
        self.sent.append((platform, external_user_id, text))
        return True


def test_quiet_hours_are_21_to_8_local():
    assert in_quiet_hours(datetime(2031, 1, 1, 21, 0, tzinfo=SEOUL))
    assert in_quiet_hours(datetime(2031, 1, 1, 7, 59, tzinfo=SEOUL))
    assert not in_quiet_hours(datetime(2031, 1, 1, 8, 0, tzinfo=SEOUL))
    assert not in_quiet_hours(datetime(2031, 1, 1, 20, 59, tzinfo=SEOUL))


def test_reminders_go_once_outside_quiet_hours_and_respect_opt_out(loaded_database_url):
    noon = datetime(2031, 6, 3, 12, 0, tzinfo=SEOUL)
    with unit_of_work() as session:
        low, opted, coupon_user = (make_user(session) for _ in range(3))
        for user in (low, opted, coupon_user):
            user.platform = "telegram"
        make_card(session, low, balance=1200)
        make_card(session, opted, balance=800)
        make_card(session, coupon_user, balance=30000)
        coupon = make_coupon(session, noon.date())
        give(session, coupon_user, coupon, noon, days=0.5)
        session.add(ReminderOptOut(user_id=opted.id))
        ids = {low.external_user_id: "low", opted.external_user_id: "opted", coupon_user.external_user_id: "coupon"}
    push = FakePush()
    assert send_reminders(datetime(2031, 6, 3, 22, 30, tzinfo=SEOUL), push) == 0  # quiet hours
    send_reminders(noon, push)
    send_reminders(noon + timedelta(minutes=10), push)  # the next run: nothing twice
    mine = sorted((ids[e], t) for _, e, t in push.sent if e in ids)
    assert [who for who, _ in mine] == ["coupon", "low"]
    assert "1,200원" in dict(mine)["low"] and "쿠폰" in dict(mine)["coupon"]
