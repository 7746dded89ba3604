"""Small helpers shared by the channels: cache calls off the event loop, HTTP posting."""
from __future__ import annotations

import asyncio
import json
import logging
from typing import Any, Callable

import aiohttp

from naviyam.shared.canary import CANARY_METADATA_KEY, canary_key
from naviyam.shared.coordinates import parse_location
from naviyam.shared.cache import Cache

from bot.settings import get_cache

log = logging.getLogger(__name__)

CHOICES_TTL_SECONDS = 30 * 60
LOCATION_TTL_SECONDS = 30 * 60
CALLBACK_TOKEN_TTL_SECONDS = 24 * 3600


NOT_JSON = object()  # parse_json's answer for a body that is not JSON


def parse_json(body: bytes | None) -> Any:
    """The decoded body, or ``NOT_JSON`` for invalid JSON, invalid UTF-8 or nesting so deep that
    the decoder gives up (a RecursionError would otherwise be a 500)."""
    try:
        return json.loads(body or b"null")
    except (ValueError, RecursionError):
        return NOT_JSON


async def cache_call(cache: Cache | None, method: str, *args: Any) -> Any:
    """Call a cache method; Redis calls run in a worker thread. Errors are logged, not raised."""
    cache = cache or get_cache()
    fn: Callable[..., Any] = getattr(cache, method)
    try:
        if getattr(cache, "backend", "") == "redis":
            return await asyncio.get_running_loop().run_in_executor(None, lambda: fn(*args))
        return fn(*args)
    except Exception as exc:  # noqa: BLE001 - a cache outage must not break a conversation
        log.warning("Cache %s failed (%s: %s)", method, type(exc).__name__, exc)
        return None


async def post_json(url: str, body: dict[str, Any], *, timeout: float = 10.0,
                    headers: dict[str, str] | None = None) -> tuple[int, Any]:
    """POST JSON and return (status, decoded JSON or text). Network errors give status 0."""
    try:
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as session:
            async with session.post(url, json=body, headers=headers) as resp:
                try:
                    data = await resp.json(content_type=None)
                except ValueError:
                    data = await resp.text()
                return resp.status, data
    except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
        return 0, f"{type(exc).__name__}: {exc}"


def location_from(raw: Any) -> dict[str, float] | None:
    """``{"lat", "lng"}`` from a dict with lat/lng or latitude/longitude, if valid."""
    parsed = parse_location(raw)
    return {"lat": parsed[0], "lng": parsed[1]} if parsed else None


def with_canary_key(sender_id: str, metadata: dict[str, Any] | None) -> dict[str, Any]:
    """The message's metadata with the sender's ``canary_key`` (a pseudonym, never the id): the
    NLU routes the user to the registry's production or canary adapter by it. Always set by the
    channel; a client's own value is overwritten."""
    return {**(metadata or {}), CANARY_METADATA_KEY: canary_key(sender_id)}
