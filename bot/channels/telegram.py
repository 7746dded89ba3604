"""Telegram channel: Bot API webhook inside the Rasa server.

Route: ``POST /webhooks/telegram/webhook`` (``credentials.yml``:
``bot.channels.telegram.TelegramInput:``; its ``name()`` is ``telegram``, so Rasa's own
aiogram-based telegram channel must not be configured at the same time).

- Every request must carry ``X-Telegram-Bot-Api-Secret-Token`` equal to
  ``TELEGRAM_WEBHOOK_SECRET`` (the ``secret_token`` given to setWebhook; see
  ``scripts/telegram_webhook.py``). Without a configured secret every request is
  refused (secure by default).
- Commands: ``/start`` (greeting and onboarding), ``/balance``, ``/coupons``, ``/help``.
- Recommendations become one message per shop with an inline keyboard (choose, menu)
  and a final keyboard of next steps; a tapped button (callback query) becomes the
  matching intent payload and is acknowledged with answerCallbackQuery.
- A shared location becomes ``metadata.location`` for this turn and the next ones
  (30 minutes), and asks for places near there (``/location_inquiry``).
- Text is sent with ``parse_mode=HTML``, everything escaped, split at 4096 characters.
- Outbound calls go to ``TELEGRAM_API_BASE`` + ``/bot<token>/<method>``.
- The webhook answers at once; the update is processed in the background, in order per
  chat (one queue a chat), so a slow turn never makes Telegram time out and retry. Telegram
  retries an update it thinks was lost: each ``update_id`` is claimed with set-if-absent in
  the cache (Redis when ``REDIS_URL`` is set) for a day, so a retried update never runs a
  turn twice. ``GET /webhooks/telegram/`` reports how many updates are still in progress.
- In group chats, stickers, photos and other non-text messages are ignored silently (the
  "please type" hint is only for private chats, where it is addressed to the sender).
- ``bot/channels/telegram_polling.py`` feeds this same webhook from getUpdates for
  development without a public URL.
"""
from __future__ import annotations

import asyncio
import hmac
import logging
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from naviyam.shared.cache import Cache
from naviyam.shared.cache_keys import (
    telegram_callback_key,
    telegram_location_key,
    telegram_update_key,
)
from naviyam.shared.text_safety import mask_personal_data

from bot.channels import rendering
from bot.channels.common import (
    CALLBACK_TOKEN_TTL_SECONDS,
    LOCATION_TTL_SECONDS,
    NOT_JSON,
    parse_json,
    cache_call,
    location_from,
    post_json,
    with_canary_key,
)
from bot.channels.door import Door
from bot.settings import TelegramSettings

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
COMMAND_PAYLOADS = {
    "start": "/greet",
    "balance": "/balance_check",
    "coupons": "/coupon_inquiry",
}
LOCATION_PAYLOAD = "/location_inquiry"  # "places near me", with metadata.location
HELP_TEXT = (
    "안녕하세요! 저는 급식카드로 먹을 수 있는 맛집을 찾아 드리는 나비얌이에요 🦋\n\n"
    "이렇게 말해 보세요:\n"
    "• \"5천원으로 점심 추천해줘\"\n"
    "• \"친구 3명이랑 떡볶이 먹고 싶어\"\n"
    "• 📎 버튼으로 위치를 보내 주시면 가까운 곳부터 찾아 드려요\n\n"
    "명령어:\n"
    "/start 처음 시작하기\n"
    "/balance 급식카드 잔액 보기\n"
    "/coupons 내 쿠폰 보기\n"
    "/help 도움말"
)
UPDATE_SEEN_TTL_SECONDS = 24 * 3600  # Telegram stops retrying an update well before a day
GROUP_CHAT_TYPES = ("group", "supergroup", "channel")
NON_TEXT_REPLY = "글자로 말씀해 주시면 더 잘 도와드릴 수 있어요 🙂 (위치 공유도 좋아요!)"


def parse_command(text: str) -> tuple[str, str] | None:
    """``"/start@NaviyamBot abc"`` → ``("start", "abc")``; ``None`` for plain text."""
    if not text.startswith("/"):
        return None
    head, _, rest = text[1:].partition(" ")
    command = head.split("@", 1)[0].lower()
    if not command.isascii() or not command.replace("_", "").isalnum():
        return None
    return command, rest.strip()


class TelegramInput(InputChannel):
    """Rasa input channel for the Telegram Bot API (webhook mode)."""

    @classmethod
    def name(cls) -> str:
        return "telegram"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> TelegramInput:
        return cls(TelegramSettings.from_credentials(credentials))

    def __init__(self, settings: TelegramSettings | None = None, door: Door | None = None,
                 cache: Cache | None = None) -> None:
        self.settings = settings or TelegramSettings()
        self.door = door or Door(cache=cache)
        self.cache = cache
        if not self.settings.webhook_secret:
            log.warning("TELEGRAM_WEBHOOK_SECRET is not set: the Telegram channel refuses "
                        "every update (see docs/CHANNELS.md)")
        if not self.settings.bot_token:
            log.warning("TELEGRAM_BOT_TOKEN is not set: the Telegram channel cannot answer")
        self._tails: dict[Any, asyncio.Future] = {}  # last queued update of each chat
        self._running: set[asyncio.Future] = set()

    # --- HTTP -------------------------------------------------------------------

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        telegram = Blueprint("naviyam_telegram_webhook", __name__)

        @telegram.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok", "configured": self.configured,
                                  "pending": len(self._running)})

        @telegram.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            if not self.settings.webhook_secret:
                log.warning("Refused a Telegram update: TELEGRAM_WEBHOOK_SECRET is not set")
                return response.json({"ok": False, "error": "webhook secret not configured"}, status=403)
            given = request.headers.get(SECRET_HEADER) or ""
            if not hmac.compare_digest(given.encode(), self.settings.webhook_secret.encode()):
                log.warning("Refused a Telegram update with a wrong secret token from %s", request.ip)
                return response.json({"ok": False, "error": "wrong secret token"}, status=403)
            if not self.settings.bot_token:
                log.error("Telegram update received but TELEGRAM_BOT_TOKEN is not set")
                return response.json({"ok": False, "error": "bot token not configured"}, status=503)
            update = parse_json(request.body)
            if update is NOT_JSON:
                return response.json({"ok": False, "error": "body is not JSON"}, status=400)
            if not isinstance(update, dict):
                return response.json({"ok": False, "error": "not an Update"}, status=400)
            await self.enqueue(update, on_new_message)
            return response.json({"ok": True})

        return telegram

    @property
    def configured(self) -> bool:
        return bool(self.settings.webhook_secret and self.settings.bot_token)

    # --- queueing ---------------------------------------------------------------

    async def enqueue(self, update: dict[str, Any],
                      on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> bool:
        """Queue ``update`` behind the same chat's earlier updates; False for a retry already seen."""
        update_id = update.get("update_id")
        if isinstance(update_id, int) and not isinstance(update_id, bool):
            claimed = await cache_call(self.cache, "set_if_absent", telegram_update_key(update_id),
                                       1, UPDATE_SEEN_TTL_SECONDS)
            if claimed is False:
                log.info("Telegram update %s already received; not running it again", update_id)
                return False
        chat = _chat_of(update)
        previous = self._tails.get(chat)

        async def run() -> None:
            if previous is not None:
                await asyncio.wait({previous})
            try:
                await self.handle_update(update, on_new_message)
            except Exception:  # noqa: BLE001 - one broken update must not stop the chat's queue
                log.exception("Telegram update %s failed", update_id)

        task = asyncio.ensure_future(run())
        self._tails[chat] = task
        self._running.add(task)
        task.add_done_callback(lambda done: self._finished(chat, done))
        return True

    def _finished(self, chat: Any, task: asyncio.Future) -> None:
        self._running.discard(task)
        if self._tails.get(chat) is task:
            del self._tails[chat]

    async def drain(self) -> None:
        """Wait until every queued update has been handled (tests, shutdown)."""
        while self._running:
            await asyncio.wait(set(self._running))

    # --- one update -------------------------------------------------------------

    async def handle_update(self, update: dict[str, Any],
                            on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> None:
        metadata: dict[str, Any] = {"platform": "telegram"}
        if isinstance(update.get("callback_query"), dict):
            query = update["callback_query"]
            chat_id = _field(query, "message", "chat", "id") or _field(query, "from", "id")
            user_id = _field(query, "from", "id")
            await self.call("answerCallbackQuery", {"callback_query_id": query.get("id")})
            text, is_payload = await self._resolve_callback(str(query.get("data") or ""))
        elif isinstance(update.get("message"), dict):
            message = update["message"]
            chat_id = _field(message, "chat", "id")
            user_id = _field(message, "from", "id")
            if not isinstance(chat_id, int):
                return  # Telegram chat ids are integers; anything else is not a real update
            location = location_from(message.get("location"))
            if location:
                metadata["location"] = location
                await cache_call(self.cache, "set", telegram_location_key(chat_id),
                                 location, LOCATION_TTL_SECONDS)
                text, is_payload = LOCATION_PAYLOAD, True
            elif isinstance(message.get("text"), str):
                command = parse_command(message["text"].strip())
                if command and command[0] == "help":
                    await self.send_texts(chat_id, [HELP_TEXT])
                    return
                if command and command[0] in COMMAND_PAYLOADS:
                    text, is_payload = COMMAND_PAYLOADS[command[0]], True
                else:
                    text, is_payload = message["text"], False
            else:
                group = _field(message, "chat", "type") in GROUP_CHAT_TYPES
                if not group:
                    await self.send_texts(chat_id, [NON_TEXT_REPLY])
                return
        else:
            return  # edited messages, channel posts, ...: nothing to answer
        if not isinstance(chat_id, int):
            return

        verdict = await self.door.admit("telegram", str(user_id) if user_id else None, text,
                                        is_payload=is_payload)
        if not verdict.allowed:
            log.info("Telegram door refused a message from chat %s (%s)", chat_id, verdict.reason)
            await self.send_texts(chat_id, [verdict.reply or rendering.EMPTY_REPLY])
            return
        if "location" not in metadata:
            known = await cache_call(self.cache, "get", telegram_location_key(chat_id))
            if location_from(known):
                metadata["location"] = location_from(known)
        log.debug("Telegram message from chat %s: %s", chat_id, mask_personal_data(verdict.text))

        collector = CollectingOutputChannel()
        try:
            sender_id = f"telegram:{chat_id}"
            await on_new_message(UserMessage(verdict.text, collector, sender_id, input_channel=self.name(),
                                             metadata=with_canary_key(sender_id, metadata)))
        except Exception:  # noqa: BLE001 - the user still hears from us
            log.exception("Rasa failed on a Telegram message from chat %s", chat_id)
        await self.send_reply(chat_id, collector.messages)

    async def _resolve_callback(self, data: str) -> tuple[str, bool]:
        if data.startswith("p:"):
            payload = await cache_call(self.cache, "get", telegram_callback_key(data))
            if isinstance(payload, str):
                return payload, payload.startswith("/")
            return "", False  # expired button: the door answers politely
        return data, data.startswith("/")

    # --- Bot API ----------------------------------------------------------------

    async def send_reply(self, chat_id: int | str, messages: list[dict[str, Any]]) -> None:
        outgoing, tokens = rendering.to_telegram(rendering.collect(messages), chat_id)
        for token, payload in tokens.items():
            await cache_call(self.cache, "set", telegram_callback_key(token), payload,
                             CALLBACK_TOKEN_TTL_SECONDS)
        for params in outgoing:
            await self.call("sendMessage", params)

    async def send_texts(self, chat_id: int | str, texts: list[str]) -> None:
        await self.send_reply(chat_id, [{"text": t} for t in texts])

    async def call(self, method: str, params: dict[str, Any]) -> Any:
        if not self.settings.bot_token:
            log.error("Cannot call Telegram %s: TELEGRAM_BOT_TOKEN is not set", method)
            return None
        status, body = await post_json(self.settings.method_url(method), params)
        if status != 200 or not (isinstance(body, dict) and body.get("ok")):
            description = body.get("description") if isinstance(body, dict) else body
            log.warning("Telegram %s failed: %s %s", method, status, str(description)[:200])
            return None
        return body.get("result")




def _chat_of(update: dict[str, Any]) -> Any:
    """The chat an update belongs to (its queue), or None."""
    if isinstance(update.get("callback_query"), dict):
        return _field(update, "callback_query", "message", "chat", "id") \
            or _field(update, "callback_query", "from", "id")
    return _field(update, "message", "chat", "id")


def _field(container: Any, *path: str) -> int | str | None:
    """``container[path...]`` when every step is an object and the end an id or a string."""
    for name in path:
        container = container.get(name) if isinstance(container, dict) else None
    return container if isinstance(container, (int, str)) and not isinstance(container, bool) else None
