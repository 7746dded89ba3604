"""Telegram side of the tests: Update builders and a fake Bot API server.

The fake answers ``/bot<token>/<method>`` like the real Bot API for the methods the
bot uses (getMe, sendMessage, answerCallbackQuery, setWebhook, deleteWebhook,
getWebhookInfo, setMyCommands, getUpdates with long polling), accepts JSON and form
bodies (python-telegram-bot sends forms), and enforces the limits that matter: 4096
characters a message, 64 bytes of callback data, valid HTML for ``parse_mode=HTML``,
the right token, and no getUpdates while a webhook is set.
"""
from __future__ import annotations

import asyncio
import html
import itertools
import json
import re
import time
from typing import Any

from aiohttp import web

from tests.fakes.server import FakeServer

TEST_TOKEN = "123456789:AAH-test-token-for-naviyam"
TEST_SECRET = "naviyam-webhook-secret_42"

_update_ids = itertools.count(10_000)
_message_ids = itertools.count(500)


def _user(user_id: int, first_name: str = "민수") -> dict[str, Any]:
    return {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "ko"}


def _chat(chat_id: int, first_name: str = "민수") -> dict[str, Any]:
    return {"id": chat_id, "first_name": first_name, "type": "private"}


def _message(chat_id: int, **fields: Any) -> dict[str, Any]:
    return {"message_id": next(_message_ids), "from": _user(chat_id), "chat": _chat(chat_id),
            "date": int(time.time()), **fields}


def text_update(chat_id: int, text: str) -> dict[str, Any]:
    fields: dict[str, Any] = {"text": text}
    if text.startswith("/"):
        command = text.split(" ", 1)[0]
        fields["entities"] = [{"offset": 0, "length": len(command), "type": "bot_command"}]
    return {"update_id": next(_update_ids), "message": _message(chat_id, **fields)}


def location_update(chat_id: int, lat: float, lng: float) -> dict[str, Any]:
    return {"update_id": next(_update_ids),
            "message": _message(chat_id, location={"latitude": lat, "longitude": lng})}


def callback_update(chat_id: int, data: str) -> dict[str, Any]:
    bot_message = {"message_id": next(_message_ids),
                   "from": {"id": 7000001, "is_bot": True, "first_name": "나비얌",
                            "username": "naviyam_test_bot"},
                   "chat": _chat(chat_id), "date": int(time.time()), "text": "추천 카드"}
    return {"update_id": next(_update_ids),
            "callback_query": {"id": str(next(_update_ids) * 7919), "from": _user(chat_id),
                               "message": bot_message, "chat_instance": "-8812345678901234567",
                               "data": data}}


_ALLOWED_TAGS = {"b", "strong", "i", "em", "u", "ins", "s", "strike", "del", "a", "code", "pre",
                 "tg-spoiler", "span", "blockquote", "tg-emoji"}
_TOKEN = re.compile(r"<(/?)([a-zA-Z-]+)(\s[^<>]*)?>|&(?:lt|gt|amp|quot|#\d+|#x[0-9a-fA-F]+);|[<>&]")


def html_error(text: str) -> str | None:
    """What the real Bot API would complain about in ``parse_mode=HTML`` text, if anything."""
    stack: list[str] = []
    for match in _TOKEN.finditer(text):
        token = match.group(0)
        if token in ("<", ">", "&"):
            return f"Bad Request: can't parse entities: unescaped {token!r} at {match.start()}"
        if token.startswith("&"):
            continue
        closing, tag = match.group(1), match.group(2).lower()
        if tag not in _ALLOWED_TAGS:
            return f"Bad Request: can't parse entities: Unsupported start tag \"{tag}\""
        if closing:
            if not stack or stack.pop() != tag:
                return f"Bad Request: can't parse entities: unexpected end tag \"{tag}\""
        else:
            stack.append(tag)
    if stack:
        return f"Bad Request: can't parse entities: unclosed tag \"{stack[-1]}\""
    return None


def visible_text(text: str) -> str:
    """The text a user sees for HTML-formatted ``text`` (tags removed, entities decoded)."""
    return html.unescape(re.sub(r"<[^<>]+>", "", text))


class FakeTelegramAPI(FakeServer):
    def __init__(self, token: str = TEST_TOKEN) -> None:
        super().__init__()
        self.token = token
        self.webhook: dict[str, Any] = {}
        self.updates: list[dict[str, Any]] = []
        self._new_update: asyncio.Event | None = None

    # test helpers -------------------------------------------------------------

    def push_update(self, update: dict[str, Any]) -> None:
        """Queue an update for getUpdates (long polling)."""
        def add() -> None:
            self.updates.append(update)
            if self._new_update is not None:
                self._new_update.set()
        self.call_soon(add)

    def sent(self, method: str = "sendMessage") -> list[dict[str, Any]]:
        return [c["params"] for c in self.calls if c["method"] == method and c["status"] == 200]

    # server -------------------------------------------------------------------

    def routes(self, app: web.Application) -> None:
        app.router.add_route("*", "/bot{token}/{method}", self._dispatch)

    async def _params(self, request: web.Request) -> dict[str, Any]:
        params: dict[str, Any] = dict(request.query)
        if request.can_read_body:
            if request.content_type == "application/json":
                params.update(await request.json())
            else:
                for key, value in (await request.post()).items():
                    try:
                        params[key] = json.loads(value) if isinstance(value, str) else value
                    except ValueError:
                        params[key] = value
        return params

    async def _dispatch(self, request: web.Request) -> web.Response:
        method = request.match_info["method"]
        params = await self._params(request)
        if request.match_info["token"] != self.token:
            status, body = 401, {"ok": False, "error_code": 401, "description": "Unauthorized"}
        else:
            handler = getattr(self, f"_m_{method}", None)
            if handler is None:
                status, body = 404, {"ok": False, "error_code": 404, "description": "Not Found"}
            else:
                status, body = await handler(params)
        if method != "getUpdates" or status != 200 or body.get("result"):
            self.record(method=method, params=params, status=status, response=body)
        return web.json_response(body, status=status)

    @staticmethod
    def _ok(result: Any) -> tuple[int, dict[str, Any]]:
        return 200, {"ok": True, "result": result}

    @staticmethod
    def _bad(description: str, code: int = 400) -> tuple[int, dict[str, Any]]:
        return code, {"ok": False, "error_code": code, "description": description}

    async def _m_getMe(self, params: dict[str, Any]):
        return self._ok({"id": 7000001, "is_bot": True, "first_name": "나비얌",
                         "username": "naviyam_test_bot", "can_join_groups": True,
                         "can_read_all_group_messages": False, "supports_inline_queries": False})

    async def _m_sendMessage(self, params: dict[str, Any]):
        text = params.get("text")
        if params.get("chat_id") in (None, ""):
            return self._bad("Bad Request: chat_id is empty")
        if not isinstance(text, str) or not text.strip():
            return self._bad("Bad Request: message text is empty")
        if params.get("parse_mode") == "HTML":
            error = html_error(text)
            if error:
                return self._bad(error)
        if len(visible_text(text) if params.get("parse_mode") == "HTML" else text) > 4096:
            return self._bad("Bad Request: message is too long")
        markup = params.get("reply_markup") or {}
        for row in markup.get("inline_keyboard", []):
            for button in row:
                data = button.get("callback_data")
                if data is not None and not 1 <= len(str(data).encode("utf-8")) <= 64:
                    return self._bad("Bad Request: BUTTON_DATA_INVALID")
        chat_id = int(params["chat_id"])
        return self._ok({"message_id": next(_message_ids), "date": int(time.time()),
                         "chat": _chat(chat_id), "from": {"id": 7000001, "is_bot": True,
                                                         "first_name": "나비얌"},
                         "text": visible_text(text)})

    async def _m_answerCallbackQuery(self, params: dict[str, Any]):
        if not params.get("callback_query_id"):
            return self._bad("Bad Request: query is too old and response timeout expired or query ID is invalid")
        return self._ok(True)

    async def _m_setWebhook(self, params: dict[str, Any]):
        secret = params.get("secret_token")
        if secret is not None and not re.fullmatch(r"[A-Za-z0-9_-]{1,256}", str(secret)):
            return self._bad("Bad Request: secret token contains unallowed characters")
        self.webhook = {"url": params.get("url", ""), "secret_token": secret,
                        "allowed_updates": params.get("allowed_updates") or []}
        return self._ok(True)

    async def _m_deleteWebhook(self, params: dict[str, Any]):
        self.webhook = {}
        return self._ok(True)

    async def _m_getWebhookInfo(self, params: dict[str, Any]):
        return self._ok({"url": self.webhook.get("url", ""), "has_custom_certificate": False,
                         "pending_update_count": len(self.updates),
                         "allowed_updates": self.webhook.get("allowed_updates", [])})

    async def _m_setMyCommands(self, params: dict[str, Any]):
        return self._ok(True)

    async def _m_getUpdates(self, params: dict[str, Any]):
        if self.webhook.get("url"):
            return self._bad("Conflict: can't use getUpdates method while webhook is active; "
                             "use deleteWebhook to delete the webhook first", 409)
        offset = int(params.get("offset") or 0)
        self.updates = [u for u in self.updates if u["update_id"] >= offset]
        if not self.updates:
            self._new_update = asyncio.Event()
            try:
                await asyncio.wait_for(self._new_update.wait(), timeout=min(float(params.get("timeout") or 0), 5.0))
            except asyncio.TimeoutError:
                pass
        return self._ok([u for u in self.updates if u["update_id"] >= offset][:100])
