"""REST channel with the same door as Kakao and Telegram.

Replaces Rasa's built-in ``rest`` channel at the same route
(``POST /webhooks/rest/webhook`` with ``{"sender", "message", "metadata"}``) and the same
answer (a JSON list of bot messages), but every message passes ``bot.channels.door``
first: at most 500 characters, NFC-normalised, control characters removed, rate-limited
per sender. A refused message gets a polite Korean answer without reaching Rasa; a
malformed request gets a 400 with a clear error for the developer who sent it.
Button payloads (``/choose_option{...}``) are allowed here, as REST clients send them
as text. Streaming (``?stream=true``) is not offered.
"""
from __future__ import annotations

import logging
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.door import Door
from naviyam.shared.text_safety import mask_personal_data

log = logging.getLogger(__name__)

REPLY_FAILURE = "앗, 잠시 문제가 생겼어요 😢 조금 뒤에 다시 말씀해 주시겠어요?"


class GuardedRestInput(RestInput):
    """Rasa's REST channel behind the door."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def __init__(self, door: Door | None = None) -> None:
        self.door = door or Door()

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> GuardedRestInput:
        return cls()

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        webhook = Blueprint("naviyam_rest_webhook", __name__)

        @webhook.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok"})

        @webhook.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            body = request.json if isinstance(request.json, dict) else None
            problem = _request_problem(body)
            if problem:
                return response.json({"error": problem}, status=400)
            sender = str(body["sender"])
            raw = body.get("message")
            metadata = body.get("metadata") if isinstance(body.get("metadata"), dict) else None
            verdict = await self.door.admit(
                "rest", sender, raw, client_ip=request.remote_addr or request.ip,
                is_payload=isinstance(raw, str) and raw.lstrip().startswith("/"),
            )
            if not verdict.allowed:
                log.info("REST message from %s refused at the door: %s", sender, verdict.reason)
                return response.json([{"recipient_id": sender, "text": verdict.reply}])
            collector = CollectingOutputChannel()
            try:
                await on_new_message(UserMessage(verdict.text, collector, sender,
                                                 input_channel=self.name(), metadata=metadata))
            except Exception:  # noqa: BLE001 - the user gets an apology, operators the trace
                log.exception("REST message from %s failed: %s", sender,
                              mask_personal_data(verdict.text)[:200])
                return response.json([{"recipient_id": sender, "text": REPLY_FAILURE}])
            return response.json(collector.messages)

        return webhook


def _request_problem(body: dict | None) -> str | None:
    if body is None:
        return 'expected a JSON object {"sender": str, "message": str, "metadata"?: object}'
    if not isinstance(body.get("sender"), (str, int)) or str(body.get("sender")).strip() == "":
        return '"sender" must be a non-empty string'
    if not isinstance(body.get("message"), str):
        return '"message" must be a string'
    if "metadata" in body and body["metadata"] is not None and not isinstance(body["metadata"], dict):
        return '"metadata" must be an object'
    return None
