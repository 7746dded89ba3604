"""At the door: every message is checked here before Rasa sees it (seed 001 §3.1 step 2.1).

- Rate limit per user over a one-minute window (seed appendix: 60/min for a user the
  platform identifies, 10/min for anonymous senders, keyed by IP; REST also per client
  address, ``NAVIYAM_RATE_LIMIT_ADDRESS``, since a REST sender is whatever the client names), counted with
  ``bot.settings.get_cache()`` (Redis when ``REDIS_URL`` is set, in-process otherwise). If Redis
  fails the door stays open and logs it: an outage of the cache must not silence the bot.
- Text: NFC normalisation, control and invisible formatting characters removed,
  at most 500 characters. Typed text cannot smuggle Rasa intent payloads (a leading
  ``/`` is dropped); payloads only come from our own buttons.
- Profanity and abuse (``abuse_filter.py``: korcen plus ``data/door/abuse_words.yml``) get a
  gentle Korean answer, nothing is recommended, and a per-user daily counter is kept
  (``abuse:{platform}:{id}``); after ``ABUSE_FIRM_AFTER`` messages in a day the answer is firmer.
- Refusals get a warm Korean answer that never repeats the user's text.
"""
from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass

from naviyam.shared.cache import Cache
from naviyam.shared.cache_keys import (
    abuse_counter_key,
    address_rate_limit_key,
    anonymous_rate_limit_key,
    rate_limit_key,
)
from naviyam.shared.text_safety import clean_user_text

from bot.channels.abuse_filter import is_abusive
from bot.settings import DoorSettings, get_cache

log = logging.getLogger(__name__)

# Bot wording at the door (Rasa is not asked, so these are not domain responses).
REPLY_TOO_LONG = (
    "메시지가 조금 길어요 😅 {limit}자 안으로 줄여서 다시 보내 주시겠어요? "
    "예를 들어 \"5천원으로 점심 추천해줘\"처럼 말해 주시면 돼요."
)
REPLY_EMPTY = "무엇을 도와드릴까요? 먹고 싶은 음식이나 예산을 말씀해 주세요 🙂"
REPLY_ABUSE = (
    "그런 말은 듣는 사람 마음을 아프게 할 수 있어요 🥺 "
    "고운 말로 다시 말씀해 주시면 맛있는 곳을 찾아 드릴게요!"
)
REPLY_ABUSE_FIRM = (
    "나쁜 말이 계속되면 도와드리기 어려워요 😢 "
    "먹고 싶은 음식이나 예산을 고운 말로 알려 주세요. 속상한 일이 있다면 어른께 이야기해 보는 것도 좋아요."
)
ABUSE_FIRM_AFTER = 3
ABUSE_WINDOW_SECONDS = 24 * 3600
REPLY_RATE_LIMITED = (
    "앗, 메시지가 너무 빨리 오고 있어요 🐢 잠깐 쉬었다가 1분 뒤에 다시 말씀해 주세요!"
)


@dataclass(frozen=True)
class Verdict:
    allowed: bool
    text: str
    reason: str = "ok"  # ok | empty | too_long | rate_limited | abuse
    reply: str | None = None


class Door:
    def __init__(self, settings: DoorSettings | None = None, cache: Cache | None = None) -> None:
        self.settings = settings or DoorSettings()
        self._cache = cache

    @property
    def cache(self) -> Cache:
        return self._cache or get_cache()

    def rate_key(self, platform: str, user_id: str | None, client_ip: str | None) -> tuple[str, int]:
        if user_id:
            return rate_limit_key(platform, user_id), self.settings.rate_limit_known
        return anonymous_rate_limit_key(client_ip), self.settings.rate_limit_anonymous

    async def over_limit(self, platform: str, user_id: str | None, client_ip: str | None) -> bool:
        key, limit = self.rate_key(platform, user_id, client_ip)
        return await self._count(key, limit)

    async def over_address_limit(self, client_ip: str | None) -> bool:
        """Requests from one address, whatever sender they name (REST: senders are free text)."""
        return await self._count(address_rate_limit_key(client_ip), self.settings.rate_limit_address)

    async def _count(self, key: str, limit: int) -> bool:
        cache = self.cache
        try:
            if getattr(cache, "backend", "") == "redis":
                count = await asyncio.get_running_loop().run_in_executor(
                    None, cache.incr_window, key, self.settings.window_seconds
                )
            else:
                count = cache.incr_window(key, self.settings.window_seconds)
        except Exception as exc:  # noqa: BLE001 - fail open, but say so
            log.warning("Rate limiter unavailable (%s: %s); letting the message in", type(exc).__name__, exc)
            return False
        if count > limit:
            log.info("Rate limit hit on %s (%d > %d per %ds)", key, count, limit, self.settings.window_seconds)
            return True
        return False

    def check_text(self, raw: str | None, *, is_payload: bool = False) -> Verdict:
        """Validation only (no counting): cleaned text or a polite refusal."""
        text = clean_user_text(raw)
        if not is_payload:
            text = text.lstrip("/").strip()
        if not text:
            return Verdict(False, "", "empty", REPLY_EMPTY)
        if len(text) > self.settings.max_message_chars:
            return Verdict(
                False, "", "too_long", REPLY_TOO_LONG.format(limit=self.settings.max_message_chars)
            )
        return Verdict(True, text)

    async def admit(
        self,
        platform: str,
        user_id: str | None,
        raw_text: str | None,
        *,
        client_ip: str | None = None,
        is_payload: bool = False,
        per_address: bool = False,
    ) -> Verdict:
        """Count the message against the sender's (and, ``per_address``, the address's) limit,
        then validate its text."""
        if per_address and await self.over_address_limit(client_ip):
            return Verdict(False, "", "rate_limited", REPLY_RATE_LIMITED)
        if await self.over_limit(platform, user_id, client_ip):
            return Verdict(False, "", "rate_limited", REPLY_RATE_LIMITED)
        verdict = self.check_text(raw_text, is_payload=is_payload)
        if verdict.allowed and not is_payload and is_abusive(verdict.text):
            count = await self._count_abuse(platform, user_id or f"anonymous:{client_ip}")
            log.info("Abusive message refused at the door (%s, %d today)", platform, count)
            return Verdict(False, "", "abuse", REPLY_ABUSE_FIRM if count >= ABUSE_FIRM_AFTER else REPLY_ABUSE)
        return verdict

    async def _count_abuse(self, platform: str, who: str) -> int:
        cache = self.cache
        try:
            if getattr(cache, "backend", "") == "redis":
                return await asyncio.get_running_loop().run_in_executor(
                    None, cache.incr_window, abuse_counter_key(platform, who), ABUSE_WINDOW_SECONDS)
            return cache.incr_window(abuse_counter_key(platform, who), ABUSE_WINDOW_SECONDS)
        except Exception as exc:  # noqa: BLE001 - the counter is advisory
            log.warning("Abuse counter unavailable (%s)", type(exc).__name__)
            return 1
