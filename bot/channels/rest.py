"""REST channel with the same door as Kakao and Telegram.

Replaces Rasa's built-in ``rest`` channel at the same route
(``POST /webhooks/rest/webhook`` with ``{"sender", "message", "metadata"}``) and the same
answer (a JSON list of bot messages), but every message passes ``bot.channels.door``
first: at most 500 characters, NFC-normalised, control characters removed, rate-limited
per sender. A refused message gets a polite Korean answer without reaching Rasa; a
malformed request gets a 400 with a clear error for the developer who sent it.
Button payloads (``/choose_option{...}``) are allowed here, as REST clients send them
as text. Streaming (``?stream=true``) is not offered.

Who may call it (``bot.settings.SecuritySettings``):
- Production (``NAVIYAM_DEV_MODE`` unset): every request needs
  ``Authorization: Bearer $NAVIYAM_REST_TOKEN`` (constant-time compare); with the token
  unset every request is refused (secure by default) and the log says why. Senders land in
  the ``rest:`` namespace (a REST client cannot speak as a demo user or anyone else's
  account), and only ``metadata.location`` is passed on: a client cannot set the business
  clock (``now``) or its platform.
- Dev mode (``NAVIYAM_DEV_MODE=1``, scripts/run.sh and the tests): no token needed, senders
  as given (demo users), the client's metadata passed on as is.
- Always: a sender in the ``kakao:`` or ``telegram:`` namespace is refused (only those
  channels, which authenticate their platform, speak for those users), and one client
  address has its own rate limit besides the sender's.
"""
from __future__ import annotations

import hmac
import logging
from typing import Any, Awaitable, Callable

from rasa.core.channels.channel import CollectingOutputChannel, UserMessage
from rasa.core.channels.rest import RestInput
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from bot.channels.common import with_canary_key
from bot.channels.door import Door
from bot.settings import SecuritySettings
from naviyam.shared.cache_keys import PLATFORM_PREFIXES
from naviyam.shared.text_safety import mask_personal_data

log = logging.getLogger(__name__)

REPLY_FAILURE = "앗, 잠시 문제가 생겼어요 😢 조금 뒤에 다시 말씀해 주시겠어요?"


class GuardedRestInput(RestInput):
    """Rasa's REST channel behind the door."""

    @classmethod
    def name(cls) -> str:
        return "rest"

    def __init__(self, door: Door | None = None, security: SecuritySettings | None = None) -> None:
        self.door = door or Door()
        self.security = security or SecuritySettings()
        if self.security.dev_mode:
            log.warning("NAVIYAM_DEV_MODE is on: the REST channel takes requests without a token "
                        "and trusts client metadata (local trials and tests only)")
        elif not self.security.rest_token:
            log.warning("NAVIYAM_REST_TOKEN is not set: the REST channel refuses every request "
                        "(set it, or NAVIYAM_DEV_MODE=1 for a local trial)")

    def refusal(self, authorization: str | None) -> tuple[int, str] | None:
        """(status, error) when the request may not be served, None when it may."""
        if self.security.dev_mode:
            return None
        if not self.security.rest_token:
            log.warning("Refused a REST request: NAVIYAM_REST_TOKEN is not set and dev mode is off")
            return 403, "the REST channel is closed (NAVIYAM_REST_TOKEN unset)"
        scheme, _, given = (authorization or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(
                given.strip().encode(), self.security.rest_token.encode()):
            log.warning("Refused a REST request without the right bearer token")
            return 401, "missing or wrong bearer token"
        return None

    def sender_and_metadata(self, sender: str, metadata: dict | None) -> tuple[str, dict | None]:
        """The Rasa sender id and the metadata Rasa sees (see the module docstring)."""
        if self.security.dev_mode:
            return sender, metadata
        location = (metadata or {}).get("location")
        kept = {"location": location} if location is not None else None
        return (sender if sender.startswith("rest:") else f"rest:{sender}"), kept

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
            refused = self.refusal(request.headers.get("Authorization"))
            if refused:
                return response.json({"error": refused[1]}, status=refused[0])
            body = _json_object(request)
            problem = _request_problem(body)
            if problem:
                return response.json({"error": problem}, status=400)
            if str(body["sender"]).strip().lower().startswith(PLATFORM_PREFIXES):
                log.warning("Refused a REST request naming a messenger user (%s...)",
                            str(body["sender"]).split(":", 1)[0])
                return response.json({"error": "senders in the kakao:/telegram: namespaces are "
                                               "reserved for those channels"}, status=403)
            raw = body.get("message")
            sender, metadata = self.sender_and_metadata(
                str(body["sender"]), body.get("metadata") if isinstance(body.get("metadata"), dict) else None)
            verdict = await self.door.admit(
                "rest", sender, raw, client_ip=request.remote_addr or request.ip,
                is_payload=isinstance(raw, str) and raw.lstrip().startswith("/"), per_address=True,
            )
            if not verdict.allowed:
                log.info("REST message from %s refused at the door: %s", sender, verdict.reason)
                return response.json([{"recipient_id": sender, "text": verdict.reply}])
            collector = CollectingOutputChannel()
            try:
                await on_new_message(UserMessage(verdict.text, collector, sender, input_channel=self.name(),
                                                 metadata=with_canary_key(sender, metadata)))
            except Exception:  # noqa: BLE001 - the user gets an apology, operators the trace
                log.exception("REST message from %s failed: %s", sender,
                              mask_personal_data(verdict.text)[:200])
                return response.json([{"recipient_id": sender, "text": REPLY_FAILURE}])
            if not any(m.get("text") or m.get("custom") for m in collector.messages):
                # Nothing came back (the action server is down or restarting): say so politely.
                log.warning("REST turn for %s produced no answer; apologising", sender)
                return response.json(collector.messages + [{"recipient_id": sender, "text": REPLY_FAILURE}])
            return response.json(collector.messages)

        return webhook


def _json_object(request: Request) -> dict | None:
    try:
        body = request.json
    except Exception:  # noqa: BLE001 - invalid JSON or encoding: the caller answers 400
        return None
    return body if isinstance(body, dict) else None


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
