"""KakaoTalk channel: a Kakao i Open Builder skill server (skill response format 2.0).

Route: ``POST /webhooks/kakao/webhook`` (``credentials.yml``:
``bot.channels.kakao.KakaoInput:``). The Open Builder block calls the skill with a
SkillPayload; we answer with ``{"version": "2.0", "template": {...}}``.

The flow of one request:
1. The shared secret: header ``X-Naviyam-Skill-Secret`` equal to ``KAKAO_SKILL_SECRET``
   (constant-time compare; the operator adds it to the skill in Open Builder, see
   docs/SECURITY.md). The bot id in the payload is no credential (every payload carries
   it). Then shape check and the bot allow-list (``KAKAO_BOT_IDS``, ids compared without
   the trailing ``!`` Kakao adds in some payloads). Either setting unset refuses
   everything and logs why (secure by default).
2. The text: the utterance, turned back into the exact intent payload when it is the text
   of a button or quick reply we rendered for this user (choice map in the cache). A
   ``action.clientExtra.payload`` is taken only when it is one of the payloads in that same
   map: a request can never name a free intent.
3. The door: rate limit and validation (``door.py``); a refusal is a polite simpleText.
4. Rasa handles the message with ``sender_id = "kakao:<user id>"`` and metadata
   ``{"platform": "kakao"}`` (plus ``location`` when the request carries one).
5. Kakao waits 5 seconds. With a ``callbackUrl`` (AI chatbot callback) we wait up to
   ``KAKAO_CALLBACK_BUDGET_SECONDS``, then answer ``useCallback: true`` with a short
   waiting text and POST the real answer to the callback URL once when it is ready.
   Without one we answer after at most ``KAKAO_RESPONSE_LIMIT_SECONDS`` with what is
   ready and a polite note.
"""
from __future__ import annotations

import asyncio
import hmac
import json
import logging
import posixpath
import time
from typing import Any, Awaitable, Callable
from urllib.parse import unquote, urlparse

from rasa.core.channels.channel import CollectingOutputChannel, InputChannel, UserMessage
from sanic import Blueprint, response
from sanic.request import Request
from sanic.response import HTTPResponse

from naviyam.shared.cache import Cache
from naviyam.shared.cache_keys import kakao_choices_key
from naviyam.shared.text_safety import clean_user_text, mask_personal_data, pseudonymise_id

from bot.channels import rendering
from bot.channels.common import (
    CHOICES_TTL_SECONDS,
    NOT_JSON,
    cache_call,
    location_from,
    parse_json,
    post_json,
    with_canary_key,
)
from bot.channels.door import Door
from bot.settings import KakaoSettings, pseudonym_key

log = logging.getLogger(__name__)

WAIT_TEXT = "맛있는 곳을 찾고 있어요! 잠시만 기다려 주세요 🍚"
SLOW_NOTE = "답을 찾는 데 시간이 조금 걸리고 있어요. 잠시 후 한 번 더 말씀해 주시면 바로 알려 드릴게요 🙏"
CALLBACK_VALID_SECONDS = 55.0  # Kakao keeps a callback URL valid for one minute
SECRET_HEADER = "X-Naviyam-Skill-Secret"


def _dumps(body: Any) -> str:
    return json.dumps(body, ensure_ascii=False)


def simple_text(text: str) -> dict[str, Any]:
    return {"version": "2.0", "template": {"outputs": [{"simpleText": {"text": text}}]}}


class KakaoInput(InputChannel):
    """Rasa input channel for Kakao i Open Builder skills."""

    @classmethod
    def name(cls) -> str:
        return "kakao"

    @classmethod
    def from_credentials(cls, credentials: dict[str, Any] | None) -> KakaoInput:
        return cls(KakaoSettings.from_credentials(credentials))

    def __init__(self, settings: KakaoSettings | None = None, door: Door | None = None,
                 cache: Cache | None = None) -> None:
        self.settings = settings or KakaoSettings()
        self.door = door or Door(cache=cache)
        self.cache = cache
        self._pending: set[asyncio.Task] = set()
        if not self.settings.bot_ids:
            log.warning("KAKAO_BOT_IDS is not set: the Kakao channel refuses every request "
                        "until the Open Builder bot id is allowed (see docs/CHANNELS.md)")
        if not self.settings.skill_secret:
            log.warning("KAKAO_SKILL_SECRET is not set: the Kakao channel refuses every request "
                        "(see docs/SECURITY.md)")

    def secret_refusal(self, given: str | None) -> tuple[int, dict[str, Any]] | None:
        """Refuse a request without the shared skill secret (header ``X-Naviyam-Skill-Secret``)."""
        if not self.settings.skill_secret:
            log.warning("Refused a Kakao request: KAKAO_SKILL_SECRET is not set")
            return 403, {"error": "this skill accepts no request yet (KAKAO_SKILL_SECRET unset)"}
        if not hmac.compare_digest((given or "").encode(), self.settings.skill_secret.encode()):
            log.warning("Refused a Kakao request without the right %s header", SECRET_HEADER)
            return 403, {"error": "wrong or missing skill secret"}
        return None

    # --- HTTP -------------------------------------------------------------------

    def blueprint(self, on_new_message: Callable[[UserMessage], Awaitable[Any]]) -> Blueprint:
        kakao = Blueprint("kakao_webhook", __name__)

        @kakao.route("/", methods=["GET"])
        async def health(_: Request) -> HTTPResponse:
            return response.json({"status": "ok", "allow_list_configured": bool(self.settings.bot_ids)})

        @kakao.route("/webhook", methods=["POST"])
        async def receive(request: Request) -> HTTPResponse:
            refused = self.secret_refusal(request.headers.get(SECRET_HEADER))
            if refused:
                return response.json(refused[1], status=refused[0])
            payload = parse_json(request.body)
            if payload is NOT_JSON:
                return response.json({"error": "body is not JSON"}, status=400)
            status, body = await self.handle(payload, on_new_message, client_ip=request.ip)
            return response.json(body, status=status, dumps=_dumps)

        return kakao

    # --- one skill request ------------------------------------------------------

    async def handle(self, payload: Any, on_new_message: Callable[[UserMessage], Awaitable[Any]],
                     client_ip: str | None = None) -> tuple[int, dict[str, Any]]:
        started = time.perf_counter()
        if not isinstance(payload, dict) or not isinstance(payload.get("userRequest"), dict):
            return 400, {"error": "not a Kakao SkillPayload (userRequest missing)"}
        bot = payload.get("bot") if isinstance(payload.get("bot"), dict) else {}
        bot_id = str(bot.get("id") or "")[:100]
        if not self.settings.bot_ids:
            log.warning("Refused Kakao request from bot %r: KAKAO_BOT_IDS is not set", bot_id)
            return 403, {"error": "this skill accepts no bot yet (KAKAO_BOT_IDS unset)"}
        if not self.settings.bot_allowed(bot_id):
            log.warning("Refused Kakao request from bot %r: not in KAKAO_BOT_IDS", bot_id)
            return 403, {"error": "bot not allowed"}

        user_request = payload["userRequest"]
        user = user_request.get("user") if isinstance(user_request.get("user"), dict) else {}
        user_id = str(user.get("id") or "").strip()[:200] or None
        sender_id = (f"kakao:{user_id}" if user_id
                     else f"kakao:anonymous-{pseudonymise_id(client_ip, pseudonym_key())}")
        raw_text, is_payload = await self._incoming_text(payload, user_id)
        verdict = await self.door.admit("kakao", user_id, raw_text, client_ip=client_ip,
                                        is_payload=is_payload)
        if not verdict.allowed:
            log.info("Kakao door refused a message from %s (%s)", sender_id, verdict.reason)
            return 200, simple_text(verdict.reply or rendering.EMPTY_REPLY)
        log.debug("Kakao message from %s: %s", sender_id, mask_personal_data(verdict.text))

        collector = CollectingOutputChannel()
        message = UserMessage(verdict.text, collector, sender_id, input_channel=self.name(),
                              metadata=with_canary_key(sender_id, self.metadata(payload)))
        task = asyncio.ensure_future(on_new_message(message))
        callback_url = self._allowed_callback(user_request.get("callbackUrl"))
        budget = (self.settings.callback_budget_seconds if callback_url
                  else self.settings.response_limit_seconds)
        remaining = max(0.0, budget - (time.perf_counter() - started))
        # A budget of 0 with a callback URL means: always answer through the callback.
        done = set() if callback_url and budget <= 0 else (await asyncio.wait({task}, timeout=remaining))[0]
        if task in done:
            self._report_failure(task, sender_id)
            return 200, await self.render(collector.messages, user_id)
        if callback_url:
            follow_up = asyncio.ensure_future(
                self._deliver_callback(task, collector, callback_url, user_id, sender_id))
            self._pending.add(follow_up)
            follow_up.add_done_callback(self._pending.discard)
            return 200, rendering.kakao_callback_wait(WAIT_TEXT)
        log.warning("Kakao answer for %s not ready within %.1fs; answering with what is ready",
                    sender_id, budget)
        return 200, await self.render(collector.messages, user_id, note=SLOW_NOTE)

    async def _incoming_text(self, payload: dict[str, Any], user_id: str | None) -> tuple[str, bool]:
        """The text for Rasa and whether it is one of our intent payloads."""
        extra = _client_extra(payload)
        raw = payload["userRequest"].get("utterance")
        utterance = raw if isinstance(raw, str) else ""
        if not user_id:
            return utterance, False
        choices = await cache_call(self.cache, "get", kakao_choices_key(user_id))
        if not isinstance(choices, dict):
            return utterance, False
        asked = extra.get("payload") if isinstance(extra, dict) else None
        if isinstance(asked, str) and asked in choices.values():
            return asked, True  # one of the buttons we rendered for this user
        key = clean_user_text(utterance)
        if key in choices:
            return choices[key], True
        return utterance, False

    def metadata(self, payload: dict[str, Any]) -> dict[str, Any]:
        metadata: dict[str, Any] = {"platform": "kakao"}
        extra = _client_extra(payload)
        location = location_from(extra.get("location")) if isinstance(extra, dict) else None
        if location:
            metadata["location"] = location
        return metadata

    def _allowed_callback(self, url: Any) -> str | None:
        """Only POST to Kakao's own callback hosts (or the configured prefixes): no SSRF."""
        if not isinstance(url, str) or not url:
            return None
        if callback_allowed(url, self.settings.callback_url_prefixes):
            return url
        log.warning("Ignoring a callbackUrl outside the allowed hosts")
        return None

    # --- answers ----------------------------------------------------------------

    async def render(self, messages: list[dict[str, Any]], user_id: str | None,
                     note: str | None = None) -> dict[str, Any]:
        body, choices = rendering.to_kakao(
            rendering.collect(messages), thumbnail_url=self.settings.card_thumbnail_url, note=note)
        if user_id and choices:
            choices = {clean_user_text(text): payload for text, payload in choices.items()}
            await cache_call(self.cache, "set", kakao_choices_key(user_id), choices,
                             CHOICES_TTL_SECONDS)
        return body

    async def _deliver_callback(self, task: asyncio.Future, collector: CollectingOutputChannel,
                                callback_url: str, user_id: str | None, sender_id: str) -> None:
        """Wait for the answer, then POST it to the one-time callback URL (once)."""
        note = None
        try:
            await asyncio.wait_for(asyncio.shield(task), timeout=CALLBACK_VALID_SECONDS)
            self._report_failure(task, sender_id)
        except asyncio.TimeoutError:
            note = SLOW_NOTE
            log.warning("Kakao answer for %s still not ready for the callback", sender_id)
        except Exception:  # noqa: BLE001 - reported below, the user still gets an answer
            log.exception("Rasa failed on a Kakao message from %s", sender_id)
        body = await self.render(collector.messages, user_id, note=note)
        status, answer = await post_json(callback_url, body)
        if status != 200:
            log.warning("Kakao callback for %s failed: %s %s", sender_id, status, str(answer)[:200])
        else:
            log.debug("Kakao callback for %s delivered: %s", sender_id, str(answer)[:200])

    @staticmethod
    def _report_failure(task: asyncio.Future, sender_id: str) -> None:
        if task.done() and not task.cancelled() and task.exception() is not None:
            log.error("Rasa failed on a Kakao message from %s: %r", sender_id, task.exception())


def _client_extra(payload: dict[str, Any]) -> dict[str, Any] | None:
    action = payload.get("action") if isinstance(payload.get("action"), dict) else {}
    extra = action.get("clientExtra")
    if isinstance(extra, str):
        try:
            extra = json.loads(extra)
        except (ValueError, RecursionError):
            return None
    return extra if isinstance(extra, dict) else None


def _url_parts(url: str) -> tuple[str, str, int | None, str] | None:
    """(scheme, host, port, normalised path) of a plain http(s) URL; None when it is not one
    or its path climbs (``..``) or it carries credentials."""
    try:
        parsed = urlparse(url)
        port = parsed.port
    except ValueError:
        return None
    host = (parsed.hostname or "").lower()
    if parsed.scheme not in ("http", "https") or not host or parsed.username or parsed.password:
        return None
    path = unquote(parsed.path or "/")
    if "\\" in path or any(segment in ("..", ".") for segment in path.split("/")):
        return None
    normal = posixpath.normpath(path) + ("/" if path.endswith("/") and path != "/" else "")
    return parsed.scheme, host, port or (443 if parsed.scheme == "https" else 80), normal


def callback_allowed(url: str, prefixes: tuple[str, ...]) -> bool:
    """True when ``url`` is under one of ``prefixes`` (same scheme, host and port; its path
    inside the prefix's path), or, without prefixes, https on kakao.com or a subdomain."""
    parts = _url_parts(url)
    if parts is None:
        return False
    scheme, host, port, path = parts
    if not prefixes:
        return scheme == "https" and (host == "kakao.com" or host.endswith(".kakao.com"))
    for prefix in prefixes:
        allowed = _url_parts(prefix)
        if allowed is None or allowed[:3] != (scheme, host, port):
            continue
        base = allowed[3] if allowed[3].endswith("/") else allowed[3] + "/"
        if path == allowed[3] or path.startswith(base):
            return True
    return False
