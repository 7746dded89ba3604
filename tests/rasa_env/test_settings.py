"""bot.settings: the Rasa environment's one reader of environment variables.

Checks what an operator relies on: the documented variable names, blank meaning unset,
comma-separated lists, the environment winning over credentials.yml, and the cache
configured from REDIS_URL once per process.
"""
from __future__ import annotations

import pytest

from naviyam.shared import cache as shared_cache

from bot import settings
from bot.settings import DoorSettings, KakaoSettings, LLMSettings, ServerSettings, TelegramSettings

VARIABLES = (
    "KAKAO_BOT_IDS", "KAKAO_CALLBACK_BUDGET_SECONDS", "KAKAO_RESPONSE_LIMIT_SECONDS",
    "KAKAO_CALLBACK_URL_PREFIXES", "KAKAO_CARD_THUMBNAIL_URL", "TELEGRAM_BOT_TOKEN",
    "TELEGRAM_WEBHOOK_SECRET", "TELEGRAM_API_BASE", "NAVIYAM_RATE_LIMIT_KNOWN",
    "NAVIYAM_RATE_LIMIT_ANONYMOUS", "NAVIYAM_MAX_MESSAGE_CHARS", "NAVIYAM_LLM_BACKEND",
    "NAVIYAM_LLM_URL", "NAVIYAM_LLM_MODEL", "NAVIYAM_LLM_TIMEOUT_MS", "NAVIYAM_LLM_API_KEY",
    "RASA_PORT", "REDIS_URL",
)


@pytest.fixture(autouse=True)
def clean_env(monkeypatch):
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    return monkeypatch


def test_defaults_run_without_any_variable():
    assert DoorSettings().rate_limit_known == 60 and DoorSettings().rate_limit_anonymous == 10
    kakao = KakaoSettings()
    assert kakao.bot_ids == frozenset() and kakao.callback_url_prefixes == ()
    assert kakao.card_thumbnail_url is None and kakao.callback_budget_seconds == 3.5
    assert TelegramSettings().bot_token is None and TelegramSettings().api_base == "https://api.telegram.org"
    llm = LLMSettings()
    assert (llm.backend, llm.url, llm.timeout_ms, llm.api_key) == ("naviyam", "", 800, None)
    assert ServerSettings().rasa_port == 5005 and ServerSettings().redis_url is None


def test_variables_are_read_by_their_documented_names(clean_env):
    clean_env.setenv("KAKAO_BOT_IDS", " bot-1, bot-2 ,, ")
    clean_env.setenv("KAKAO_CALLBACK_URL_PREFIXES", "https://a.example/,https://b.example/")
    clean_env.setenv("NAVIYAM_RATE_LIMIT_KNOWN", " 7 ")
    clean_env.setenv("TELEGRAM_API_BASE", "http://127.0.0.1:9/")
    clean_env.setenv("NAVIYAM_LLM_TIMEOUT_MS", "1500")
    clean_env.setenv("RASA_PORT", "5006")
    assert KakaoSettings().bot_ids == frozenset({"bot-1", "bot-2"})
    assert KakaoSettings().callback_url_prefixes == ("https://a.example/", "https://b.example/")
    assert DoorSettings().rate_limit_known == 7
    assert TelegramSettings().method_url("getMe") == "http://127.0.0.1:9/botNone/getMe"
    assert LLMSettings().timeout_ms == 1500
    assert ServerSettings().rasa_port == 5006


def test_blank_means_unset_and_bad_numbers_are_refused(clean_env):
    clean_env.setenv("NAVIYAM_LLM_TIMEOUT_MS", "  ")
    clean_env.setenv("KAKAO_CARD_THUMBNAIL_URL", "")
    assert LLMSettings().timeout_ms == 800
    assert KakaoSettings().card_thumbnail_url is None
    clean_env.setenv("KAKAO_RESPONSE_LIMIT_SECONDS", "soon")
    with pytest.raises(ValueError, match="response_limit_seconds"):
        KakaoSettings()


def test_environment_wins_over_credentials_which_win_over_defaults(clean_env):
    credentials = {"callback_budget_seconds": 2, "response_limit_seconds": "", "bot_ids": "ignored"}
    kakao = KakaoSettings.from_credentials(credentials)
    assert kakao.callback_budget_seconds == 2.0  # credentials.yml
    assert kakao.response_limit_seconds == 4.5  # empty in credentials: the default
    assert kakao.bot_ids == frozenset()  # the allow-list comes from the environment only
    clean_env.setenv("KAKAO_CALLBACK_BUDGET_SECONDS", "1.5")
    assert KakaoSettings.from_credentials(credentials).callback_budget_seconds == 1.5
    assert TelegramSettings.from_credentials({"api_base": "http://fake/"}).api_base == "http://fake"


def test_settings_are_immutable():
    with pytest.raises(TypeError):
        DoorSettings().rate_limit_known = 1


def test_the_cache_is_configured_from_redis_url_once(clean_env):
    for name in ("_CONFIGURED", "_REDIS_URL", "_CACHE"):
        clean_env.setattr(shared_cache, name, getattr(shared_cache, name))
    clean_env.setattr(shared_cache, "_CONFIGURED", False)
    clean_env.setenv("REDIS_URL", "redis://127.0.0.1:6379/13")
    first = settings.get_cache()
    assert first.backend == "redis"  # no connection is made until the cache is used
    clean_env.delenv("REDIS_URL")
    assert settings.get_cache() is first  # configured once per process
    assert settings.cache_at("").backend == "memory"  # a component's own redis_url: "" is in-process
