"""Every cache key the project writes, in one place (stdlib only; both environments import it).

Keys are relative to the cache's ``naviyam:`` namespace (``naviyam.shared.cache``), except
Rasa's own tracker key, which Rasa's RedisTrackerStore writes outside it. Only keys that
something writes live here; a reader, a writer and ``forget_user`` all build a key with the
same function, so a renamed key cannot leave stale or undeletable entries behind.

| key | written by | TTL |
|---|---|---|
| ``user:{id}:profile`` | adapters/db/profile_queries (profile for ranking) | TTL_USER_PROFILE |
| ``user:{id}:card`` | usecases/balance/budget (card figures of the spendable budget) | TTL_USER_MONEY |
| ``user:{id}:wallet`` | usecases/coupons/wallet_cache (wallet rows with terms, coupon facts) | TTL_USER_MONEY |
| ``coupons:version`` | adapters/db/user_cache (coupon-definitions version, in each wallet entry) | none (state) |
| ``emb:{sha256}`` | adapters/search/embeddings (query embedding) | TTL_EMBEDDING |
| ``retrieval:{fingerprint}:{sha1}`` | adapters/search/hybrid (candidate lists) | TTL_RETRIEVAL |
| ``registry:{kind}`` | usecases/learning/serving (the registry's serving versions) | NAVIYAM_REGISTRY_REFRESH_S |
| ``breaker:{name}`` | adapters/resilience (shared circuit-breaker state) | none (state) |
| ``ratelimit:{platform}:{id}`` | bot/channels/door (per-sender rate limit) | window |
| ``ratelimit:anonymous:{ip}`` | bot/channels/door (senders without an id, by address) | window |
| ``abuse:{platform}:{id}`` | bot/channels/door (profanity count per user, for firmer answers) | a day |
| ``ratelimit:address:{ip}`` | bot/channels/door (REST requests per client address) | window |
| ``channel:telegram:update:{id}`` | bot/channels/telegram (update_id seen: retries run once) | TELEGRAM_UPDATE_TTL |
| ``channel:choices:kakao:{user}`` | bot/channels/kakao (quick-reply labels → payloads) | CHOICES_TTL_SECONDS |
| ``channel:cb:{token}`` | bot/channels/telegram (callback-button payloads) | CHOICES_TTL_SECONDS |
| ``channel:location:telegram:{chat}`` | bot/channels/telegram (last shared position) | CHOICES_TTL_SECONDS |
| ``cardlink:attempts:{id}:{date}`` | usecases/card_link (card numbers tried per user and day) | until midnight |
| ``nlu:llm:{sha256}`` | bot/nlu/llm_client (LLM answers) | the component's cache_ttl |
| ``nlu:llm:fallbacks`` | bot/nlu/llm_client (fallback counter) | none (counter) |
| ``{prefix}:tracker:{sender}`` | Rasa's RedisTrackerStore | Rasa's |
"""
from __future__ import annotations

import hashlib

# Rasa 3.6, rasa/core/tracker_store.py: DEFAULT_REDIS_TRACKER_STORE_KEY_PREFIX.
RASA_TRACKER_KEY_PREFIX = "tracker:"
# The key_prefix we give Rasa's tracker and lock stores (scripts/render_endpoints.py); the
# app's NAVIYAM_RASA_TRACKER_KEY_PREFIX defaults to it. Alphanumeric, or Rasa ignores it.
DEFAULT_TRACKER_KEY_PREFIX = "naviyam"
PLATFORM_PREFIXES = ("kakao:", "telegram:")


def profile_key(user_id: int) -> str:
    """The ranking profile of one user (dropped when the balance, wallet or profile changes)."""
    return f"user:{int(user_id)}:profile"


def card_key(user_id: int) -> str:
    """The card figures behind one user's spendable budget (dropped with the other user keys)."""
    return f"user:{int(user_id)}:card"


def wallet_key(user_id: int) -> str:
    """One user's usable wallet rows with their coupons' terms, and the coupon facts of the user."""
    return f"user:{int(user_id)}:wallet"


# Changed (to a new random value) whenever a coupon definition changes; a cached wallet
# records the value it was read under (naviyam.adapters.db.user_cache).
COUPON_DEFINITIONS_KEY = "coupons:version"


def user_keys(user_id: int) -> list[str]:
    """Every per-user key that a balance, wallet or profile change invalidates."""
    return [profile_key(user_id), card_key(user_id), wallet_key(user_id)]


def card_link_attempts_prefix(user_id: int) -> str:
    """The prefix of one user's card-link attempt counters, whatever the day (``forget_user``)."""
    return f"cardlink:attempts:{int(user_id)}:"


def card_link_attempts_key(user_id: int, day: str) -> str:
    """Card numbers one user tried to link on ``day`` (ISO date); never dropped by invalidation."""
    return f"{card_link_attempts_prefix(user_id)}{day}"


def embedding_key(backend_name: str, text: str) -> str:
    return "emb:" + hashlib.sha256(f"{backend_name}|{text}".encode()).hexdigest()


def registry_key(kind: str) -> str:
    """The model registry's serving snapshot of one model kind (production, canary, share)."""
    return f"registry:{kind}"


def retrieval_key(catalog_fingerprint: str, digest: str) -> str:
    return f"retrieval:{catalog_fingerprint}:{digest}"


def breaker_key(name: str) -> str:
    return f"breaker:{name}"


def rate_limit_key(platform: str, user_id: str) -> str:
    return f"ratelimit:{platform}:{user_id}"


def anonymous_rate_limit_key(client_ip: str | None) -> str:
    return f"ratelimit:anonymous:{client_ip or 'unknown'}"


def abuse_counter_key(platform: str, user_id: str) -> str:
    return f"abuse:{platform}:{user_id}"


def address_rate_limit_key(client_ip: str | None) -> str:
    return f"ratelimit:address:{client_ip or 'unknown'}"


def telegram_update_key(update_id: int | str) -> str:
    return f"channel:telegram:update:{update_id}"


def kakao_choices_key(user_id: str) -> str:
    return f"channel:choices:kakao:{user_id}"


def telegram_callback_key(token: str) -> str:
    return f"channel:cb:{token}"


def telegram_location_key(chat_id: int | str) -> str:
    return f"channel:location:telegram:{chat_id}"


LLM_NLU_PREFIX = "nlu:llm:"
LLM_NLU_FALLBACKS_KEY = LLM_NLU_PREFIX + "fallbacks"


def llm_nlu_key(digest: str) -> str:
    """An LLM answer, keyed by a digest of the model, prompt version, candidates and text."""
    return LLM_NLU_PREFIX + digest


def rate_limit_keys(external_user_id: str) -> list[str]:
    """The door's rate-limit counters of one sender (``kakao:<id>``, ``telegram:<id>`` or a REST id)."""
    if external_user_id.startswith(PLATFORM_PREFIXES):
        platform, _, user_id = external_user_id.partition(":")
        return [rate_limit_key(platform, user_id)]
    return [rate_limit_key("rest", external_user_id)]


def sender_keys(external_user_id: str) -> list[str]:
    """Every per-sender key the channels write: rate limit, abuse count, and the Kakao
    choice map or the Telegram chat's last shared position (what ``forget_user`` erases)."""
    if external_user_id.startswith(PLATFORM_PREFIXES):
        platform, _, user_id = external_user_id.partition(":")
    else:
        platform, user_id = "rest", external_user_id
    keys = [*rate_limit_keys(external_user_id), abuse_counter_key(platform, user_id)]
    if platform == "kakao":
        keys.append(kakao_choices_key(user_id))
    elif platform == "telegram":
        keys.append(telegram_location_key(user_id))
    return keys


def rasa_tracker_key(sender_id: str, key_prefix: str | None) -> str:
    """The Redis key of a sender's tracker, as Rasa 3.6's RedisTrackerStore builds it.

    Rasa keeps a configured prefix only if it is alphanumeric ("naviyam" →
    ``naviyam:tracker:<sender>``); anything else, such as "naviyam_tracker" (underscore), is
    ignored with a warning and the default ``tracker:<sender>`` is used.
    """
    if key_prefix and key_prefix.isalnum():
        return f"{key_prefix}:{RASA_TRACKER_KEY_PREFIX}{sender_id}"
    return f"{RASA_TRACKER_KEY_PREFIX}{sender_id}"
