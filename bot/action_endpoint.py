"""The action endpoint with one persistent HTTP session per Sanic worker (issue 11).

Rasa 3.6's ``EndpointConfig.request`` (rasa/utils/endpoints.py) runs
``async with self.session() as session`` around every call: each custom action opens a new
aiohttp ``ClientSession``, a new connection pool and a new TCP connection to the action
server, and closes them again (py-spy: 9 % of the Rasa server's CPU on a recommendation
turn, docs/PERFORMANCE.md). ``PooledEndpointConfig`` changes only where that session comes
from: ``session()`` lends one ``ClientSession`` per event loop (that is, per Sanic worker
process), kept open, so connections are pooled and kept alive between turns. Everything
else is Rasa's own ``request``, unchanged: the headers (the endpoint's and the call's),
the token parameter, ``cafile``, compression, the per-call timeout ``RemoteAction`` passes,
the ``ClientResponseError`` for an answer >= 400 and ``None`` for a non-JSON answer. The
shared session is built with the same default headers, basic auth and total timeout as
Rasa's ``session()`` (tests/rasa_env/test_action_endpoint.py compares them), plus a
connector that drops an idle connection after ``NAVIYAM_ACTION_KEEPALIVE_SECONDS``.

Only the action endpoint is replaced (``bot.server`` swaps ``endpoints.action`` before
Rasa's agent is built); the NLG, model-server and callback endpoints keep Rasa's class.
In Rasa 3.6 the action endpoint's ``request`` is called by ``RemoteAction.run`` alone
(forms and the two-stage fallback go through ``RemoteAction`` too); its ``session()``
by nobody else. ``bot.server`` closes the session when the worker stops.
"""
from __future__ import annotations

import asyncio
import logging
from typing import Any, Optional

import aiohttp
from rasa.utils.endpoints import EndpointConfig

from bot.settings import ServerSettings

logger = logging.getLogger(__name__)


class _LentSession:
    """The shared session behind ``async with``: entering gives it, leaving keeps it open.

    Anything else (``post``, ``get``, ``closed``...) goes to the session itself; ``close``
    is a no-op because the endpoint owns the session (``PooledEndpointConfig.close``).
    """

    __slots__ = ("_session",)

    def __init__(self, session: aiohttp.ClientSession) -> None:
        self._session = session

    async def __aenter__(self) -> aiohttp.ClientSession:
        return self._session

    async def __aexit__(self, *exc_info: Any) -> None:
        return None

    async def close(self) -> None:
        return None

    def __getattr__(self, name: str) -> Any:
        return getattr(self._session, name)


class PooledEndpointConfig(EndpointConfig):
    """Rasa's ``EndpointConfig`` whose ``request`` reuses one session (and its connections)."""

    def __init__(self, *args: Any, keepalive_seconds: Optional[float] = None, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.keepalive_seconds = (ServerSettings().action_keepalive_seconds
                                  if keepalive_seconds is None else keepalive_seconds)
        self._shared: Optional[aiohttp.ClientSession] = None
        self._loop: Optional[asyncio.AbstractEventLoop] = None

    @classmethod
    def from_endpoint(cls, endpoint: EndpointConfig, **options: Any) -> "PooledEndpointConfig":
        """The same endpoint (every attribute Rasa reads) with a pooled session."""
        pooled = cls(endpoint.url, endpoint.params, endpoint.headers, endpoint.basic_auth, endpoint.token,
                     endpoint.token_name, endpoint.cafile, **endpoint.kwargs, **options)
        pooled.type = endpoint.type
        return pooled

    def session(self) -> _LentSession:  # type: ignore[override]
        """This event loop's session, lent: Rasa's ``async with`` does not close it."""
        return _LentSession(self._session_of_this_loop())

    def _session_of_this_loop(self) -> aiohttp.ClientSession:
        loop = asyncio.get_running_loop()
        if self._shared is None or self._shared.closed or self._loop is not loop:
            if self._shared is not None and not self._shared.closed:
                # Another loop's session (a test's earlier loop); its loop closes its sockets.
                logger.debug("action endpoint: new session for a new event loop")
            template = super().session()  # Rasa's headers, auth and timeout, verbatim
            self._shared = aiohttp.ClientSession(
                headers=template.headers, auth=template.auth, timeout=template.timeout,
                connector=aiohttp.TCPConnector(keepalive_timeout=self.keepalive_seconds, limit=0),
            )
            asyncio.ensure_future(template.close())  # never used: it holds no connection
            self._loop = loop
        return self._shared

    async def close(self) -> None:
        """Close this worker's session and its connections (the server stops)."""
        shared, self._shared, self._loop = self._shared, None, None
        if shared is not None and not shared.closed:
            await shared.close()

    def copy(self) -> "PooledEndpointConfig":
        """A copy with its own session (Rasa's ``copy`` would return a plain ``EndpointConfig``)."""
        return PooledEndpointConfig.from_endpoint(self, keepalive_seconds=self.keepalive_seconds)
