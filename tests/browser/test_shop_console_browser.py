"""The child's chat and the shop's console in a real browser (issue 13).

One story, as a shop would live it: a child chats on the web page (tomorrow's lunch, 5,000원),
chooses an option that carries a coupon and sees the redeem code; the shop's staff log in
(after a wrong password), redeem that code read from the chat (and try it again, and a wrong
one), mark the chosen menu sold out, and the child's next recommendation no longer has it.
Screenshots go to docs/screenshots (linked from docs/SHOP_CONSOLE.md).
"""
from __future__ import annotations

import re
import time
import uuid
from datetime import datetime, timedelta

import pytest
from sqlalchemy import select

from helpers_coupons import give, make_coupon
from naviyam.adapters.db.models import User, UserCouponWallet
from naviyam.adapters.db.session import unit_of_work
from naviyam.config import get_settings
from naviyam.usecases.shop_accounts import create_account
from tests.browser.conftest import shot

PASSWORD = "browser-shop-2026"
SENDER = "demo_kid_01"
POLL_S = 30


@pytest.fixture()
def coupon_for_child(stack):
    """A 500원 coupon for every shop in the child's wallet, so an option carries a coupon."""
    now = datetime.now(get_settings().timezone).replace(microsecond=0)
    with unit_of_work() as s:
        user = s.scalar(select(User).where(User.external_user_id == SENDER))
        coupon = make_coupon(s, now.date(), discount_amount=500, coupon_name="브라우저 테스트 쿠폰")
        give(s, user, coupon, now)
        return coupon.id


def _lunch_tomorrow() -> str:
    tomorrow = datetime.now(get_settings().timezone).date() + timedelta(days=1)
    return f"{tomorrow.isoformat()}T12:30"


def _ask(page, text: str) -> None:
    before = page.locator(".msg.bot").count()
    page.fill("#text", text)
    page.click("#send")
    page.wait_for_function(f"document.querySelectorAll('.msg.bot').length > {before}", timeout=POLL_S * 1000)


def _submit(page, button: str) -> None:
    with page.expect_navigation():
        page.click(button)


def _card_menus(page) -> list[str]:
    return [c.inner_text() for c in page.locator(".cards").last.locator(".card").all()]


def test_chat_reserve_login_redeem_sold_out(stack, browser, coupon_for_child):
    chat = browser.new_page(viewport={"width": 900, "height": 1000})
    chat.goto(f"{stack.shop_url}/chat")
    chat.wait_for_selector(f"#sender option[value='{SENDER}']", state="attached")
    chat.select_option("#sender", SENDER)
    chat.fill("#now", _lunch_tomorrow())
    _ask(chat, "5천원으로 점심 추천해줘")
    cards = _card_menus(chat)
    assert cards, "no recommendation cards"
    with_coupon = [i for i, text in enumerate(cards) if "쿠폰을 쓰면" in text]
    assert with_coupon, f"no option carries the coupon: {cards}"
    n = with_coupon[0] + 1
    chosen_shop = cards[n - 1].split("\n")[0].split(". ", 1)[1]
    chosen_menu = cards[n - 1].split("\n")[1].split(" · ")[0]
    shot(chat, "chat-recommendations")
    chat.locator(".chips button", has_text=f"{n}번 선택").last.click()
    chat.wait_for_selector("#reservation-code", timeout=POLL_S * 1000)
    code = chat.inner_text("#reservation-code").strip()
    assert re.fullmatch(r"[34679ACEFHKMNPRWXY]{6}", code), code
    assert chat.locator("#reservation img").count() == 1
    assert "가게에서 결제할 때 이 코드를 보여 주세요" in chat.inner_text("#log")
    shot(chat, "chat-reservation-code")

    with unit_of_work() as s:
        row = s.scalar(select(UserCouponWallet).where(UserCouponWallet.reservation_code == code))
        assert row.status == "RESERVED"
        shop_id, wallet_id = row.reserved_shop_id, row.id
    username = f"shop-{shop_id}-{uuid.uuid4().hex[:4]}"
    create_account(shop_id, username, PASSWORD, replace=True)

    console = browser.new_page(viewport={"width": 900, "height": 1200})
    console.goto(f"{stack.shop_url}/console")
    assert console.url.endswith("/login")
    console.fill("#username", username)
    console.fill("#password", "not-the-password")
    _submit(console, "#login")
    assert "아이디 또는 비밀번호가 맞지 않아요" in console.inner_text("#message")
    shot(console, "console-login-error")
    console.fill("#username", username)
    console.fill("#password", PASSWORD)
    _submit(console, "#login")
    console.wait_for_url(re.compile(r".*/console$"))
    assert code in console.inner_text("#reservations")
    shot(console, "console-home")

    console.fill("#code", "CCCCCC")
    console.fill("#order_amount", "6000")
    _submit(console, "#redeem")
    assert "없는 코드예요" in console.inner_text("#result")
    console.fill("#code", f"{code[:3].lower()} {code[3:]}")   # as staff may type it
    console.fill("#order_amount", "6000")
    _submit(console, "#redeem")
    receipt = re.search(r"쿠폰을 사용했어요: ([\d,]+)원 할인, 받을 금액 ([\d,]+)원", console.inner_text("#result"))
    assert receipt, console.inner_text("#result")
    discount, final = (int(x.replace(",", "")) for x in receipt.groups())
    assert discount > 0 and final == 6000 - discount
    shot(console, "console-redeemed")
    console.fill("#code", code)
    console.fill("#order_amount", "6000")
    _submit(console, "#redeem")
    assert "이미 사용된 쿠폰이에요" in console.inner_text("#result")
    shot(console, "console-already-used")
    with unit_of_work() as s:
        assert s.get(UserCouponWallet, wallet_id).status == "USED"

    with console.expect_navigation():
        console.locator(f"button[data-menu='{chosen_menu}']").click()
    console.wait_for_selector(f"td.soldout:text-is('{chosen_menu}')")
    shot(console, "console-sold-out")

    deadline = time.monotonic() + POLL_S
    while True:
        _ask(chat, "5천원으로 점심 추천해줘")
        if not any(chosen_shop in text and chosen_menu in text for text in _card_menus(chat)):
            break
        assert time.monotonic() < deadline, f"{chosen_shop} {chosen_menu} is still recommended when sold out"
        time.sleep(0.5)
    shot(chat, "chat-after-sold-out")
    with console.expect_navigation():   # available again for other tests
        console.locator(f"button[data-menu='{chosen_menu}']").click()
    console.wait_for_selector(f"td:not(.soldout):text-is('{chosen_menu}')")
    chat.close()
    console.close()


def test_chat_cancel_releases_the_reservation(stack, browser, coupon_for_child):
    chat = browser.new_page(viewport={"width": 900, "height": 1000})
    chat.goto(f"{stack.shop_url}/chat")
    chat.wait_for_selector(f"#sender option[value='{SENDER}']", state="attached")
    chat.select_option("#sender", SENDER)
    chat.fill("#now", _lunch_tomorrow())
    _ask(chat, "5천원으로 점심 추천해줘")
    cards = _card_menus(chat)
    n = next(i for i, text in enumerate(cards) if "쿠폰을 쓰면" in text) + 1
    chat.locator(".chips button", has_text=f"{n}번 선택").last.click()
    chat.wait_for_selector("#reservation-code", timeout=POLL_S * 1000)
    code = chat.inner_text("#reservation-code").strip()
    _ask(chat, "취소할래")
    assert "풀어 뒀어요" in chat.locator(".msg.bot").last.inner_text()
    shot(chat, "chat-cancelled")
    with unit_of_work() as s:
        row = s.scalar(select(UserCouponWallet).where(UserCouponWallet.reservation_code == code))
        assert row.status == "ACTIVE"
    chat.close()
