"""The Rasa server's REST webhook as an outbound client (the web chat page's messages).

``POST {rasa}/webhooks/rest/webhook`` {"sender", "message", "metadata"} → a list of bot
messages (text, buttons, image, custom). Timeouts on connect and read; no retries (a chat
message must not be sent twice); failures raise :class:`RasaUnavailable`.
"""
from __future__ import annotations

from typing import Any

import requests

from naviyam.config import get_settings

TIMEOUT_S = (3.0, 30.0)


class RasaUnavailable(RuntimeError):
    pass


def rasa_base_url() -> str:
    settings = get_settings()
    return (settings.rasa_url or f"http://127.0.0.1:{settings.rasa_port}").rstrip("/")


def send_message(sender: str, text: str, metadata: dict[str, Any] | None = None) -> list[dict[str, Any]]:
    url = f"{rasa_base_url()}/webhooks/rest/webhook"
    try:
        response = requests.post(url, json={"sender": sender, "message": text, "metadata": metadata or {}},
                                 timeout=TIMEOUT_S)
    except (requests.Timeout, requests.ConnectionError) as exc:
        raise RasaUnavailable(f"Rasa did not answer: {type(exc).__name__}") from exc
    if response.status_code == 400:
        detail = response.json().get("error", "bad request") if response.content else "bad request"
        raise ValueError(str(detail))
    if response.status_code >= 300:
        raise RasaUnavailable(f"Rasa answered HTTP {response.status_code}")
    messages = response.json()
    return messages if isinstance(messages, list) else []
