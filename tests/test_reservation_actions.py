"""The child's side of reservations (issue 13): "1번 선택" shows a redeem code, a QR and the honest
price; the wallet shows the reservation; "취소할래" releases it; the job releases expired ones."""
from __future__ import annotations

import base64
import uuid
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from rasa_sdk import Tracker
from sqlalchemy import select

from actions.coupons import ActionShowCoupons
from actions.recommend import ActionChooseOption
from actions.reservation import ActionCancelReservation
from helpers_coupons import give, make_coupon
import helpers_actions
from helpers_actions import make_tracker
from naviyam import manage
from naviyam.adapters.db.models import Shop, User, UserCouponWallet
from naviyam.adapters.db.session import unit_of_work
from naviyam.domain import redeem_code
from naviyam.usecases.consent import record_consent
from naviyam.usecases.senders import Sender, user_id_of

SEOUL = ZoneInfo("Asia/Seoul")


def tracker(sender: str, text: str, intent: str, slots: dict | None = None, now: datetime | None = None) -> Tracker:
    return make_tracker(sender, text, intent, slots=slots, metadata={"now": now.isoformat()} if now else None)


def run(action, trk, domain):
    return helpers_actions.run(action, trk, domain)[1]


@pytest.fixture()
def child(loaded_database_url, cache):
    now = datetime.now(SEOUL).replace(microsecond=0)
    sender = f"resv_kid_{uuid.uuid4().hex[:8]}"
    record_consent(Sender(sender), now)     # a wallet is kept only for a user who agreed (issue 10)
    with unit_of_work() as s:
        user_id = user_id_of(s, Sender(sender))
        user = s.get(User, user_id)
        coupon = make_coupon(s, now.date(), discount_amount=500, coupon_name="테스트 500원 쿠폰")
        row = give(s, user, coupon, now)
        shop = s.scalars(select(Shop).order_by(Shop.id).limit(1)).one()
        option = {"shop_id": shop.id, "shop_name": shop.shop_name, "menu_id": None, "menu_name": "김밥",
                  "price": 4500, "final_price": 4000, "coupon_id": coupon.id}
        return sender, row.id, option, now


def test_choose_reserve_show_cancel(child, domain):
    sender, wallet_id, option, now = child
    messages = run(ActionChooseOption(), tracker(sender, "1번", "choose_option",
                                                 {"last_recommendations": [option], "option_number": 1}, now), domain)
    texts = "\n".join(m["text"] for m in messages if m.get("text"))
    custom = [m["custom"] for m in messages if m.get("custom")][0]
    assert "김밥" in texts and "4,500원" in texts     # either variation of the response
    assert "가게에서 결제할 때 이 코드를 보여 주세요" in texts and "쿠폰을 쓰면 4,000원" in texts
    reservation = custom["reservation"]
    code = reservation["code"]
    assert redeem_code.normalise(code) == code and redeem_code.spaced(code) in texts
    assert reservation["shop_id"] == option["shop_id"] and reservation["coupon_id"] == option["coupon_id"]
    expires = datetime.fromisoformat(reservation["expires_at"])
    assert expires == now + timedelta(minutes=60)
    assert reservation["qr_image"].startswith("data:image/png;base64,")
    assert base64.b64decode(reservation["qr_image"].split(",", 1)[1])[:8] == b"\x89PNG\r\n\x1a\n"

    wallet = run(ActionShowCoupons(), tracker(sender, "쿠폰 보여줘", "coupon_inquiry", now=now), domain)
    assert f"예약 중 · 코드 {redeem_code.spaced(code)}" in wallet[0]["text"]
    listed = [c for m in wallet if m.get("custom") for c in m["custom"]["coupons"]]
    assert [c["reservation_code"] for c in listed if c["status"] == "RESERVED"] == [code]

    cancelled = run(ActionCancelReservation(), tracker(sender, "취소할래", "cancel_reservation", now=now), domain)
    assert "테스트 500원 쿠폰" in cancelled[0]["text"] and "풀어 뒀어요" in cancelled[0]["text"]
    with unit_of_work() as s:
        assert s.get(UserCouponWallet, wallet_id).status == "ACTIVE"
    again = run(ActionCancelReservation(), tracker(sender, "취소할래", "cancel_reservation", now=now), domain)
    assert "잡아 둔 쿠폰은 없어요" in again[0]["text"]


def test_expired_reservations_are_released_by_the_manage_command(child, domain, capsys):
    sender, wallet_id, option, now = child
    past = now - timedelta(minutes=90)
    run(ActionChooseOption(), tracker(sender, "1번", "choose_option",
                                      {"last_recommendations": [option], "option_number": 1}, past), domain)
    with unit_of_work() as s:
        assert s.get(UserCouponWallet, wallet_id).status == "RESERVED"
    assert manage.main(["release-reservations"]) == 0
    assert "released" in capsys.readouterr().out
    with unit_of_work() as s:
        assert s.get(UserCouponWallet, wallet_id).status == "ACTIVE"


def test_a_choice_that_fails_after_reserving_leaves_the_coupon_free(child, monkeypatch):
    """The reservation is part of the choice's transaction: a later failure undoes it too."""
    from naviyam.usecases import selection
    from naviyam.usecases.turns import Turn

    sender, wallet_id, option, now = child

    def broken_log(session, turn):
        raise RuntimeError("the conversations table is unavailable")

    monkeypatch.setattr(selection, "log_turn", broken_log)
    with pytest.raises(RuntimeError):
        selection.choose_option(Sender(sender), option, recommendation_log_id=None, now=now,
                                turn=Turn(sender=Sender(sender), input_text="1번", intent="choose_option"))
    with unit_of_work() as s:
        row = s.get(UserCouponWallet, wallet_id)
        assert row.status == "ACTIVE" and row.reservation_code is None
