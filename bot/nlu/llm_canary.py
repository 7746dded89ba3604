"""Which NLU adapter answers a user: the registry's production or its canary (issue 15).

The LLM model server (``ml/llm/model_server.py``) serves the model registry's production and
canary adapters side by side and says which at ``GET /v1/nlu/adapters``. This router reads that
(at most every ``refresh_s`` seconds) and applies the canary split shared with the app
(``naviyam.shared.canary``) to the message's ``canary_key`` metadata, a pseudonym every channel
adds (``bot/channels/common.py``). A message without the key, a server without the endpoint
or an unreachable one gets ``None``: the server's production adapter answers.
"""
from __future__ import annotations

import logging
import threading
import time
from typing import Any, Dict, Optional, Text

import requests

from naviyam.shared.canary import ADAPTER_KIND, CANARY_METADATA_KEY, served_version

logger = logging.getLogger(__name__)


class AdapterRouter:
    """The model server's serving adapters, cached, and the split by user."""

    def __init__(self, url: Text, refresh_s: float = 30.0, timeout_s: float = 0.5) -> None:
        self.url = url.rstrip("/") + "/v1/nlu/adapters"
        self.refresh_s = refresh_s
        self.timeout_s = timeout_s
        self._state: Optional[Dict[Text, Any]] = None
        self._fetched_at: Optional[float] = None
        self._lock = threading.Lock()

    def version_for(self, key: Optional[Text]) -> Optional[Text]:
        """The adapter version that serves the user with this ``canary_key`` (None: the server's default)."""
        state = self.state()
        if not state:
            return None
        entry = served_version(state, key, ADAPTER_KIND)
        return str(entry["version"]) if entry and entry.get("version") else None

    def state(self) -> Optional[Dict[Text, Any]]:
        with self._lock:
            now = time.monotonic()
            if self._fetched_at is not None and now - self._fetched_at < self.refresh_s:
                return self._state
            self._fetched_at = now
        try:
            response = requests.get(self.url, timeout=self.timeout_s)
            body = response.json() if response.status_code == 200 else None
        except (requests.RequestException, ValueError) as exc:
            logger.debug("Adapter routing unavailable (%s); the server's default adapter answers", exc)
            return self._state
        with self._lock:
            self._state = body if isinstance(body, dict) else None
            return self._state


def router_for(backend: Text, url: Text, refresh_s: Optional[float], timeout_s: float) -> Optional[AdapterRouter]:
    """The component's router: only for the naviyam model server, and only with a refresh period."""
    refresh = float(refresh_s or 0)
    if not url or backend != "naviyam" or refresh <= 0:
        return None
    return AdapterRouter(url, refresh_s=refresh, timeout_s=min(0.5, timeout_s))


def canary_key_of(metadata: Optional[Dict[Text, Any]]) -> Optional[Text]:
    value = (metadata or {}).get(CANARY_METADATA_KEY)
    return str(value) if isinstance(value, str) and value else None
