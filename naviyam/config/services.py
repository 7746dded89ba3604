"""Settings of the model server, the messengers' push and the learning loop (see ``naviyam.config``)."""
from __future__ import annotations

from pathlib import Path
from typing import Literal

from pydantic import Field, SecretStr

from naviyam.config.base import PROJECT_ROOT, _EnvSection, _load


class LLMSettings(_EnvSection):
    """The LLM NLU's training scripts and model server (ml/llm; docs/LLM_NLU.md).

    The Rasa component that calls the server has its own settings in the Rasa environment.
    """

    # Training (ml.llm.build_tiny_model, ml.llm.finetune_lora)
    nlu_data: Path = Field(PROJECT_ROOT / "data" / "nlu", validation_alias="NAVIYAM_NLU_DATA",
                           description="Rasa NLU training data (file or folder)")
    base_model: str = Field(str(PROJECT_ROOT / "models" / "llm" / "tiny-base"),
                            validation_alias="NAVIYAM_LLM_BASE_MODEL",
                            description="causal LM to fine-tune and serve: local path or hub id")
    adapter: str | None = Field(None, validation_alias="NAVIYAM_LLM_ADAPTER",
                                description="LoRA adapter folder; unset: models/llm/adapter (the server "
                                            "serves the bare base when that folder does not exist); "
                                            "'none': the server serves the bare base")
    tiny_base: Path = Field(PROJECT_ROOT / "models" / "llm" / "tiny-base", validation_alias="NAVIYAM_LLM_TINY_BASE",
                            description="where build_tiny_model saves the tiny dev/test LM")
    torch_threads: int = Field(1, ge=1, validation_alias="NAVIYAM_TORCH_THREADS",
                               description="torch CPU threads for training")
    # Model server (ml.llm.model_server); its CLI options override these
    host: str = Field("127.0.0.1", validation_alias="NAVIYAM_LLM_HOST", description="address the server binds")
    port: int = Field(8800, ge=0, le=65535, validation_alias="NAVIYAM_LLM_PORT",
                      description="server port; 0 picks a free one")
    server_threads: int = Field(1, ge=1, validation_alias="NAVIYAM_LLM_TORCH_THREADS",
                                description="torch intra-op threads of the server")
    max_text_chars: int = Field(500, ge=1, validation_alias="NAVIYAM_LLM_MAX_TEXT_CHARS",
                                description="longer texts are refused with 413")
    device: str = Field("cpu", validation_alias="NAVIYAM_LLM_DEVICE", description="cpu, cuda, cuda:1...")
    dtype: Literal["float32", "bfloat16", "float16"] = Field("float32", validation_alias="NAVIYAM_LLM_DTYPE",
                                                              description="weights' dtype on the device")
    log_level: str = Field("INFO", validation_alias="NAVIYAM_LOG_LEVEL", description="the server's log level")
    registry: Literal["auto", "on", "off"] = Field(
        "auto", validation_alias="NAVIYAM_LLM_REGISTRY",
        description="serve the model registry's NLU adapters (production + canary); auto: when no adapter "
                    "is pinned (--adapter / NAVIYAM_LLM_ADAPTER) and the registry holds one")

    @property
    def default_adapter_dir(self) -> Path:
        """Where fine-tuning writes the adapter and the server looks for it when unset."""
        return PROJECT_ROOT / "models" / "llm" / "adapter"


def get_llm_settings() -> LLMSettings:
    """Read on every call (the scripts read it once at start)."""
    return _load(LLMSettings)


class _MessengerApi(_EnvSection):
    """A messenger's HTTP API that we call: a base URL (a fake server's in tests) and secrets.

    Each section names its own variables; what they share is how a request URL is built.
    """

    @property
    def base_url(self) -> str:
        raise NotImplementedError

    def api_url(self, path: str) -> str:
        """``path`` under the base URL, whether or not the configured base ends with "/"."""
        return f"{self.base_url.rstrip('/')}/{path}"


class TelegramSettings(_MessengerApi):
    """The Telegram Bot API: scripts/telegram_webhook.py and pushes (the channel itself runs in the Rasa env)."""

    bot_token: SecretStr | None = Field(None, validation_alias="TELEGRAM_BOT_TOKEN",
                                        description="from @BotFather; never printed")
    webhook_secret: SecretStr | None = Field(None, validation_alias="TELEGRAM_WEBHOOK_SECRET",
                                             description="secret_token Telegram sends; the Rasa server checks it")
    api_base: str = Field("https://api.telegram.org", validation_alias="TELEGRAM_API_BASE",
                          description="Bot API base URL (a fake one in tests)")

    @property
    def base_url(self) -> str:
        return self.api_base


class NotifySettings(_MessengerApi):
    """Messages to a child outside a conversation turn, e.g. "쿠폰이 사용됐어요" (issue 13)."""

    kakao_bot_id: str | None = Field(None, validation_alias="KAKAO_BOT_ID",
                                     description="Kakao i Open Builder bot id for the Event API; unset: no Kakao pushes")
    kakao_rest_api_key: SecretStr | None = Field(None, validation_alias="KAKAO_REST_API_KEY",
                                                 description="Kakao REST API key (Authorization: KakaoAK ...)")
    kakao_event_api_base: str = Field("https://bot-api.kakao.com", validation_alias="KAKAO_EVENT_API_BASE",
                                      description="Event API base URL (a fake one in tests)")
    kakao_redeemed_event: str = Field("coupon_redeemed", validation_alias="KAKAO_REDEEMED_EVENT",
                                      description="the Open Builder event whose block says the coupon was used")
    timeout_s: float = Field(3.0, gt=0, validation_alias="NAVIYAM_NOTIFY_TIMEOUT_S", description="per attempt")
    retries: int = Field(2, ge=0, validation_alias="NAVIYAM_NOTIFY_RETRIES", description="extra attempts")

    @property
    def base_url(self) -> str:
        """The Kakao Event API (Telegram pushes use TelegramSettings' API)."""
        return self.kakao_event_api_base


def get_notify_settings() -> NotifySettings:
    return _load(NotifySettings)


def get_telegram_settings() -> TelegramSettings:
    return _load(TelegramSettings)


class LearningSettings(_EnvSection):
    """The learning loop: Rasa's event broker, the event consumer, scheduled jobs (docs/LEARNING_LOOP.md)."""

    event_broker: Literal["sql", "pika", "off"] = Field("sql", validation_alias="NAVIYAM_EVENT_BROKER",
                                                        description="sql: Rasa's SQL broker; pika: RabbitMQ")
    events_db_url: str | None = Field(None, validation_alias="NAVIYAM_EVENTS_DB_URL",
                                      description="Rasa's SQL broker table; default: var/rasa_events.db "
                                                  "with SQLite, DATABASE_URL otherwise")
    rabbitmq_url: str = Field("amqp://guest:guest@127.0.0.1:5672/", validation_alias="NAVIYAM_RABBITMQ_URL")
    events_queue: str = Field("naviyam_events", validation_alias="NAVIYAM_EVENTS_QUEUE")
    conversation_log: Literal["inline", "events"] = Field("inline", validation_alias="NAVIYAM_CONVERSATION_LOG",
                                                          description="who writes conversations rows")
    nlu_confident: float = Field(0.8, ge=0, le=1, validation_alias="NAVIYAM_NLU_CONFIDENT",
                                 description="confidence from which a user message is a confident label")
    quiet_hours: tuple[int, int] = Field((21, 8), validation_alias="NAVIYAM_QUIET_HOURS",
                                         description="no reminders from/until these local hours")
    canary_share: float = Field(10.0, ge=0, le=100, validation_alias="NAVIYAM_CANARY_PERCENT")
    registry_refresh_s: float = Field(30.0, ge=0, validation_alias="NAVIYAM_REGISTRY_REFRESH_S",
                                      description="how long the serving path trusts its cached registry "
                                                  "snapshot, seconds (0: read the registry every turn)")
    exploration_rate: float = Field(0.05, ge=0, le=1, validation_alias="NAVIYAM_EXPLORATION_RATE",
                                    description="share of lists whose last slot shows a random pool menu "
                                                "(logged propensities for off-policy evaluation; 0: off)")
    exploration_pool: int = Field(12, ge=2, le=50, validation_alias="NAVIYAM_EXPLORATION_POOL",
                                  description="verified pool menus the exploration draws from and the log keeps")
    ranker_min_logged_lists: int = Field(500, ge=1, validation_alias="NAVIYAM_RANKER_MIN_LOGGED_LISTS",
                                         description="logged lists from which the ranker trains on logged "
                                                     "choices alone; below it simulated data fills in")
    snips_clip: float = Field(10.0, gt=0, validation_alias="NAVIYAM_SNIPS_CLIP",
                              description="importance weights above this are clipped in SNIPS")
    heldout_percent: float = Field(20.0, ge=0, lt=100, validation_alias="NAVIYAM_HELDOUT_PERCENT",
                                   description="hashed share of users kept out of ranker training "
                                               "(evaluation only)")


def get_learning_settings() -> LearningSettings:
    return _load(LearningSettings)


