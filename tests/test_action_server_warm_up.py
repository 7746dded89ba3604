"""The action server warms up after its worker is up (Sanic's 30 s start limit) and is ready only once warm."""
from __future__ import annotations

import asyncio
import json
from types import SimpleNamespace

from sanic import Sanic

from actions import server


def _request(path: str, warming: asyncio.Future | None) -> SimpleNamespace:
    return SimpleNamespace(path=path, app=SimpleNamespace(ctx=SimpleNamespace(warming=warming)))


def test_health_is_not_ready_and_calls_wait_while_warming():
    async def scenario() -> None:
        warming = asyncio.get_running_loop().create_future()
        health = await server.wait_until_warm(_request("/health", warming))
        assert health.status == 503 and json.loads(health.body) == {"status": "warming up"}

        call = asyncio.ensure_future(server.wait_until_warm(_request("/webhook", warming)))
        await asyncio.sleep(0.05)
        assert not call.done()                       # the action call waits for the warm engine
        warming.set_result(True)
        assert await call is None                    # ... then goes on to rasa-sdk's handler
        assert await server.wait_until_warm(_request("/health", warming)) is None

    asyncio.run(scenario())


def test_a_failed_warm_up_still_turns_ready():
    async def scenario() -> None:
        warming = asyncio.get_running_loop().create_future()
        warming.set_exception(RuntimeError("no database yet"))
        warming.exception()                          # retrieved, as the listener's log would
        assert await server.wait_until_warm(_request("/health", warming)) is None
        assert await server.wait_until_warm(_request("/webhook", None)) is None

    asyncio.run(scenario())


def test_the_warm_up_is_registered_after_the_worker_starts(monkeypatch):
    registered: list[tuple[str, str]] = []
    original = Sanic.register_listener

    def record(app, listener, event, **kwargs):
        registered.append((getattr(listener, "__name__", ""), event))
        return original(app, listener, event, **kwargs)

    monkeypatch.setattr(Sanic, "register_listener", record)
    monkeypatch.setattr(Sanic, "test_mode", True)   # rasa-sdk names every app "rasa_sdk"
    monkeypatch.setenv("NAVIYAM_WARMUP", "1")
    app = server.create_app(server.ThreadedActionExecutor())
    ours = [entry for entry in registered if entry[0] == "start_warm_up"]
    assert ours == [("start_warm_up", "after_server_start")]   # not before: Sanic's 30 s ack
    assert any(getattr(m, "func", m).__name__ == "wait_until_warm" for m in app.request_middleware)

    registered.clear()
    monkeypatch.setenv("NAVIYAM_WARMUP", "0")
    server.create_app(server.ThreadedActionExecutor())
    assert "start_warm_up" not in {name for name, _ in registered}
