"""One rendering of the bot's messages for every messenger.

The bot's answer for a turn arrives as Rasa's collected messages (``text`` with
optional ``buttons``, ``image``, and one ``custom`` json_message per answer, see
docs/ARCHITECTURE.md "Message contract"). ``collect`` turns them into a neutral
``Reply`` (texts, recommendation cards, alternative cards, quick options);
``to_kakao`` and ``to_telegram`` turn a ``Reply`` into the platform's format while
respecting its limits (Kakao: 3 outputs, 10 carousel items, 10 quick replies, 1000
characters of simpleText, 3 buttons per card; Telegram: 4096 characters a message,
64 bytes of callback data).

Pure functions, no I/O: the channels store the returned choice maps / callback tokens
in the cache and send the messages.
"""
from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from typing import Any, Iterable

from naviyam.shared.text_safety import escape_html
from naviyam.shared.reason_words import FOODCARD_PARTLY_TEXT, REASON_TEXT

CHOOSE_PAYLOAD = "/choose_option"
MENU_PAYLOAD = "/shop_menu"
CHOOSE_LABEL = "이걸로 할게요"
MENU_LABEL = "메뉴 보기"
CALL_LABEL = "전화하기"
EMPTY_REPLY = "죄송해요, 지금은 답을 드리기 어려워요. 잠시 후 다시 말씀해 주세요 🙏"
OPTIONS_PROMPT = "더 필요한 게 있으면 아래에서 골라 주세요 👇"
# kind "ask_location" (actions/place.py): Telegram can send the position with one tap.
SHARE_LOCATION_PROMPT = "아래 📍 버튼으로 지금 위치를 보내 주셔도 돼요."
SHARE_LOCATION_LABEL = "📍 내 위치 보내기"

FOODCARD_LINES = {"Y": "💳 급식카드 사용 가능", "P": f"💳 {FOODCARD_PARTLY_TEXT}"}
REASON_LABELS = REASON_TEXT  # one table with the action's text answer

KAKAO_MAX_OUTPUTS = 3
KAKAO_MAX_CAROUSEL_ITEMS = 10
KAKAO_MAX_QUICK_REPLIES = 10
KAKAO_MAX_SIMPLE_TEXT = 1000
KAKAO_MAX_CARD_TITLE = 50
KAKAO_MAX_CARD_DESCRIPTION = 230
KAKAO_MAX_LABEL = 14
KAKAO_MAX_BUTTONS = 3
TELEGRAM_MAX_TEXT = 4096
TELEGRAM_MAX_CALLBACK_BYTES = 64


@dataclass(frozen=True)
class Option:
    """A tappable next step: ``payload`` is a Rasa intent string or plain user text."""

    title: str
    payload: str


@dataclass
class Card:
    number: int
    title: str
    lines: list[str]
    choose: Option | None = None
    menu: Option | None = None
    phone: str | None = None
    alternative: bool = False


@dataclass
class Reply:
    texts: list[str] = field(default_factory=list)
    images: list[str] = field(default_factory=list)
    cards: list[Card] = field(default_factory=list)
    alternatives: list[Card] = field(default_factory=list)
    options: list[Option] = field(default_factory=list)
    kind: str | None = None

    @property
    def is_empty(self) -> bool:
        return not (self.texts or self.images or self.cards or self.alternatives)


def choose_payload(number: int) -> str:
    return CHOOSE_PAYLOAD + json.dumps({"option_number": number})


def _won(value: Any) -> str | None:
    try:
        return f"{int(value):,}원"
    except (TypeError, ValueError):
        return None


def card_lines(item: dict[str, Any]) -> list[str]:
    """The human lines of one recommendation item (menu, price, walk, meal card, why)."""
    lines: list[str] = []
    menu = item.get("menu") or {}
    final_price, price = menu.get("final_price"), menu.get("price")
    price_text = _won(final_price if final_price is not None else price)
    if menu.get("name"):
        line = f"🍽 {menu['name']}" + (f" · {price_text}" if price_text else "")
        if final_price is not None and price is not None and int(final_price) < int(price):
            line += f" (원래 {_won(price)})"
        lines.append(line)
    coupon = item.get("coupon")
    if isinstance(coupon, dict):
        name = coupon.get("name") or coupon.get("title") or coupon.get("coupon_id")
        if name:
            lines.append(f"🎟 {name} 적용")
    if item.get("walk_minutes") is not None:
        lines.append(f"🚶 걸어서 {int(item['walk_minutes'])}분")
    elif item.get("distance_m") is not None:
        lines.append(f"📍 {int(item['distance_m'])}m")
    foodcard = FOODCARD_LINES.get(str(item.get("foodcard") or "").upper())
    if foodcard:
        lines.append(foodcard)
    if item.get("business_hours_today"):
        lines.append(f"🕒 {item['business_hours_today']}")
    if item.get("alternative_reason"):
        lines.append(f"ℹ️ {item['alternative_reason']}")
    reasons = [REASON_LABELS.get(str(r), str(r)) for r in item.get("reasons") or []][:2]
    if reasons:
        lines.append("✨ " + ", ".join(reasons))
    return lines


def menu_request_text(shop: str) -> str:
    return f"{shop} 메뉴 보여주세요"


def menu_payload(shop_id: Any, shop: str) -> str:
    """The "메뉴 보기" button: the shop_menu intent with the shop's id (plain text without one)."""
    if isinstance(shop_id, int) or (isinstance(shop_id, str) and shop_id.isdigit()):
        return f'{MENU_PAYLOAD}{{"shop_id": {int(shop_id)}}}'
    return menu_request_text(shop)


def _card(item: dict[str, Any], number: int, alternative: bool) -> Card:
    shop = str(item.get("shop_name") or "가게")
    return Card(
        number=number,
        title=f"{number}. {shop}" if not alternative else shop,
        lines=card_lines(item),
        choose=None if alternative else Option(CHOOSE_LABEL, choose_payload(number)),
        menu=Option(MENU_LABEL, menu_payload(item.get("shop_id"), shop)),
        phone=str(item["phone"]).strip() if item.get("phone") else None,
        alternative=alternative,
    )


def _add_options(target: list[Option], raw: Iterable[Any]) -> None:
    seen = {o.payload for o in target}
    for entry in raw or []:
        if not isinstance(entry, dict):
            continue
        title = str(entry.get("title") or "").strip()
        payload = str(entry.get("payload") or title).strip()
        if title and payload not in seen:
            target.append(Option(title, payload))
            seen.add(payload)


def collect(messages: Iterable[dict[str, Any]]) -> Reply:
    """A neutral ``Reply`` from one turn's collected Rasa messages."""
    reply = Reply()
    for message in messages or []:
        if message.get("text"):
            reply.texts.append(str(message["text"]).strip())
        if message.get("image"):
            reply.images.append(str(message["image"]))
        _add_options(reply.options, message.get("buttons") or [])
        custom = message.get("custom")
        if isinstance(custom, dict):
            reply.kind = custom.get("kind") or reply.kind
            for item in custom.get("recommendations") or []:
                if isinstance(item, dict):
                    reply.cards.append(_card(item, len(reply.cards) + 1, alternative=False))
            for item in custom.get("alternatives") or []:
                if isinstance(item, dict):
                    reply.alternatives.append(_card(item, len(reply.alternatives) + 1, alternative=True))
            _add_options(reply.options, custom.get("quick_replies") or [])
            if isinstance(custom.get("text"), str) and custom["text"].strip():
                reply.texts.append(custom["text"].strip())
    reply.texts = [t for t in reply.texts if t]
    return reply


def _trim(text: str, limit: int) -> str:
    return text if len(text) <= limit else text[: limit - 1].rstrip() + "…"


def split_text(text: str, limit: int, measure=len) -> list[str]:
    """Split at paragraph, then line, then space boundaries so each part fits ``limit``."""
    parts: list[str] = []
    rest = text.strip()
    while rest:
        if measure(rest) <= limit:
            parts.append(rest)
            break
        cut = -1
        for sep in ("\n\n", "\n", " "):
            pos = len(rest)
            while pos > 0:
                pos = rest.rfind(sep, 0, pos)
                if pos <= 0:
                    break
                if measure(rest[:pos]) <= limit:
                    cut = pos
                    break
            if cut > 0:
                break
        if cut <= 0:  # one long word: cut by characters
            cut = limit
            while cut > 1 and measure(rest[:cut]) > limit:
                cut -= 1
        parts.append(rest[:cut].strip())
        rest = rest[cut:].strip()
    return [p for p in parts if p]


# --- Kakao i Open Builder (skill response 2.0) ----------------------------------

def _kakao_card(card: Card, thumbnail_url: str | None, choices: dict[str, str]) -> dict[str, Any]:
    shop = card.title.split(". ", 1)[-1] if not card.alternative else card.title
    buttons: list[dict[str, Any]] = []
    if card.choose:
        text = f"{card.number}번 {shop} 선택할게요"
        choices[text] = card.choose.payload
        buttons.append({"label": card.choose.title, "action": "message", "messageText": text})
    if card.menu:
        text = menu_request_text(shop)
        if card.menu.payload != text:
            choices[text] = card.menu.payload
        buttons.append({"label": card.menu.title, "action": "message", "messageText": text})
    if card.phone:
        buttons.append({"label": CALL_LABEL, "action": "phone", "phoneNumber": card.phone})
    body: dict[str, Any] = {
        "title": _trim(card.title, KAKAO_MAX_CARD_TITLE),
        "description": _trim("\n".join(card.lines), KAKAO_MAX_CARD_DESCRIPTION),
        "buttons": [
            {**b, "label": _trim(b["label"], KAKAO_MAX_LABEL)} for b in buttons[:KAKAO_MAX_BUTTONS]
        ],
    }
    if thumbnail_url:
        body["thumbnail"] = {"imageUrl": thumbnail_url}
    return body


def _kakao_carousel(cards: list[Card], thumbnail_url: str | None, choices: dict[str, str]) -> dict:
    card_type = "basicCard" if thumbnail_url else "textCard"
    return {
        "carousel": {
            "type": card_type,
            "items": [_kakao_card(c, thumbnail_url, choices) for c in cards[:KAKAO_MAX_CAROUSEL_ITEMS]],
        }
    }


def to_kakao(
    reply: Reply, *, thumbnail_url: str | None = None, note: str | None = None
) -> tuple[dict[str, Any], dict[str, str]]:
    """A SkillResponse 2.0 and the choice map ``{messageText: payload}`` for its buttons.

    Kakao buttons of action ``message`` send their ``messageText`` as the user's next
    utterance; the channel keeps the choice map for the user and turns that text back
    into the exact intent payload (so "1번 김밥천국 선택할게요" becomes
    ``/choose_option{"option_number": 1}`` without relying on NLU).
    """
    choices: dict[str, str] = {}
    carousels: list[dict[str, Any]] = []
    if reply.cards:
        carousels.append(_kakao_carousel(reply.cards, thumbnail_url, choices))
    if reply.alternatives:
        carousels.append(_kakao_carousel(reply.alternatives, thumbnail_url, choices))
    carousels = carousels[:KAKAO_MAX_OUTPUTS]

    texts = list(reply.texts)
    if note:
        texts.append(note)
    if reply.is_empty and not note:
        texts = [EMPTY_REPLY]
    chunks = split_text("\n\n".join(texts), KAKAO_MAX_SIMPLE_TEXT) if texts else []
    images = [{"simpleImage": {"imageUrl": url, "altText": "이미지"}} for url in reply.images]
    slots = KAKAO_MAX_OUTPUTS - len(carousels)
    if len(chunks) > max(slots, 1 if chunks else 0):
        keep = max(slots, 1)
        chunks = chunks[: keep - 1] + [_trim(chunks[keep - 1], KAKAO_MAX_SIMPLE_TEXT - 1) + "…"]
    text_outputs = [{"simpleText": {"text": chunk}} for chunk in chunks]
    outputs = (text_outputs + images[: max(0, slots - len(text_outputs))] + carousels)[:KAKAO_MAX_OUTPUTS]

    template: dict[str, Any] = {"outputs": outputs}
    quick = []
    for option in reply.options[:KAKAO_MAX_QUICK_REPLIES]:
        text = option.title
        if option.payload != option.title:
            choices[text] = option.payload
        quick.append({"label": _trim(option.title, KAKAO_MAX_LABEL), "action": "message", "messageText": text})
    if quick:
        template["quickReplies"] = quick
    return {"version": "2.0", "template": template}, choices


def kakao_callback_wait(text: str) -> dict[str, Any]:
    """The immediate answer when the real one follows on the callback URL."""
    return {"version": "2.0", "useCallback": True, "data": {"text": text}}


# --- Telegram Bot API ------------------------------------------------------------

def _callback_data(payload: str, tokens: dict[str, str]) -> str:
    if len(payload.encode("utf-8")) <= TELEGRAM_MAX_CALLBACK_BYTES:
        return payload
    token = "p:" + hashlib.sha256(payload.encode("utf-8")).hexdigest()[:20]
    tokens[token] = payload
    return token


def _keyboard(rows: list[list[Option]], tokens: dict[str, str]) -> dict[str, Any]:
    return {
        "inline_keyboard": [
            [{"text": o.title, "callback_data": _callback_data(o.payload, tokens)} for o in row]
            for row in rows
            if row
        ]
    }


def _pairs(options: list[Option]) -> list[list[Option]]:
    return [options[i : i + 2] for i in range(0, len(options), 2)]


def _html_parts(text: str) -> list[str]:
    """Escaped HTML parts of at most 4096 characters, split at readable boundaries."""
    return [escape_html(p) for p in split_text(text, TELEGRAM_MAX_TEXT, lambda s: len(escape_html(s)))]


def _telegram_card_text(card: Card) -> str:
    lines = [f"<b>{escape_html(card.title)}</b>"]
    lines += [escape_html(line) for line in card.lines]
    if card.phone:
        lines.append(f"📞 {escape_html(card.phone)}")
    return "\n".join(lines)[:TELEGRAM_MAX_TEXT]


def to_telegram(reply: Reply, chat_id: int | str) -> tuple[list[dict[str, Any]], dict[str, str]]:
    """``sendMessage`` parameter sets (HTML parse mode) and long-payload callback tokens."""
    tokens: dict[str, str] = {}
    messages: list[dict[str, Any]] = []

    def send(text: str, keyboard: dict[str, Any] | None = None) -> None:
        params: dict[str, Any] = {"chat_id": chat_id, "text": text, "parse_mode": "HTML"}
        if keyboard and keyboard["inline_keyboard"]:
            params["reply_markup"] = keyboard
        messages.append(params)

    texts = reply.texts or ([] if not reply.is_empty else [EMPTY_REPLY])
    for text in texts:
        for part in _html_parts(text):
            send(part)
    for url in reply.images:
        send(escape_html(url))
    for card in reply.cards + reply.alternatives:
        row = [o for o in (card.choose, card.menu) if o]
        send(_telegram_card_text(card), _keyboard([row], tokens))
    if reply.options:
        keyboard = _keyboard(_pairs(reply.options), tokens)
        if messages and not (reply.cards or reply.alternatives) and "reply_markup" not in messages[-1]:
            messages[-1]["reply_markup"] = keyboard
        else:
            send(escape_html(OPTIONS_PROMPT), keyboard)
    if reply.kind == "ask_location":
        messages.append({"chat_id": chat_id, "text": escape_html(SHARE_LOCATION_PROMPT), "parse_mode": "HTML",
                         "reply_markup": {"keyboard": [[{"text": SHARE_LOCATION_LABEL, "request_location": True}]],
                                          "one_time_keyboard": True, "resize_keyboard": True}})
    return messages, tokens
