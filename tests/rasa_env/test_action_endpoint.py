"""bot/action_endpoint.py: one kept-open HTTP session to the action server per worker (issue 11).

A local aiohttp server stands in for the action server: it records, for every request, the
client's address (one address per TCP connection), the headers and the query. Custom actions
run through Rasa's own ``RemoteAction.run``, once with Rasa's ``EndpointConfig`` and once with
``PooledEndpointConfig``: the pooled endpoint must send the same request, raise the same
exceptions, and use one connection where Rasa opens one per call.
"""
from __future__ import annotations

import asyncio
import inspect
import json
from types import SimpleNamespace

import aiohttp
import pytest
import rasa.core.run
from aiohttp import web
from rasa.core.actions.action import ActionExecutionRejection, RemoteAction
from rasa.core.channels.channel import CollectingOutputChannel
from rasa.core.nlg import TemplatedNaturalLanguageGenerator
from rasa.core.utils import AvailableEndpoints
from rasa.shared.core.domain import Domain
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.exceptions import RasaException
from rasa.utils.endpoints import ClientResponseError, EndpointConfig

from bot import server
from bot.action_endpoint import PooledEndpointConfig

DOMAIN = Domain.from_dict({"actions": ["action_ok", "action_fail", "action_reject"],
                           "responses": {"utter_hi": [{"text": "안녕하세요"}]}})
ANSWER = {"events": [{"event": "slot", "name": "budget", "value": 5000}], "responses": [{"text": "추천이에요"}]}


class FakeActionServer:
    """An HTTP server on a free port that answers like an action server and records its callers."""

    def __init__(self) -> None:
        self.peers: list[tuple] = []
        self.seen: list[dict] = []
        self.release = asyncio.Event()
        self.runner: web.AppRunner | None = None
        self.port = 0

    async def handle(self, request: web.Request) -> web.Response:
        self.peers.append(request.transport.get_extra_info("peername"))
        body = await request.json() if request.can_read_body else None
        self.seen.append({"headers": dict(request.headers), "query": dict(request.query),
                          "action": (body or {}).get("next_action"), "path": request.path})
        action = (body or {}).get("next_action")
        if request.path.endswith("/slow"):
            await self.release.wait()
        if request.path.endswith("/text"):
            return web.Response(text="not json")
        if action == "action_fail":
            return web.Response(status=500, text="boom")
        if action == "action_reject":
            return web.json_response({"action_name": action, "error": "no"}, status=400)
        return web.json_response(ANSWER)

    async def __aenter__(self) -> "FakeActionServer":
        app = web.Application()
        app.router.add_route("*", "/{tail:.*}", self.handle)
        self.runner = web.AppRunner(app)
        await self.runner.setup()
        site = web.TCPSite(self.runner, "127.0.0.1", 0)
        await site.start()
        self.port = site._server.sockets[0].getsockname()[1]
        return self

    async def __aexit__(self, *exc_info) -> None:
        self.release.set()
        await self.runner.cleanup()

    def url(self, path: str = "/webhook") -> str:
        return f"http://127.0.0.1:{self.port}{path}"


def _options() -> dict:
    return {"headers": {"X-Naviyam": "secret-header"}, "basic_auth": {"username": "rasa", "password": "pw"},
            "token": "tok", "params": {"p": "1"}}


def _endpoints(url: str) -> list[EndpointConfig]:
    rasa_own = EndpointConfig(url, **_options())
    return [rasa_own, PooledEndpointConfig.from_endpoint(rasa_own)]


async def _run_action(endpoint: EndpointConfig, name: str = "action_ok"):
    tracker = DialogueStateTracker("kid-1", DOMAIN.slots)
    return await RemoteAction(name, endpoint).run(
        CollectingOutputChannel(), TemplatedNaturalLanguageGenerator(DOMAIN.responses), tracker, DOMAIN)


def test_many_action_calls_share_one_connection_where_rasa_opens_one_each():
    async def scenario():
        async with FakeActionServer() as fake:
            rasa_own, pooled = _endpoints(fake.url())
            for _ in range(12):
                events = await _run_action(rasa_own)
            assert len(set(fake.peers)) == 12          # Rasa: a new connection for every call
            fake.peers.clear()
            for _ in range(12):
                assert [e.as_dict()["event"] for e in await _run_action(pooled)] == \
                    [e.as_dict()["event"] for e in events]
            assert len(fake.peers) == 12 and len(set(fake.peers)) == 1
            await pooled.close()

    asyncio.run(scenario())


def test_concurrent_calls_open_a_connection_each_then_reuse_them():
    async def scenario():
        async with FakeActionServer() as fake:
            _, pooled = _endpoints(fake.url())
            for _ in range(3):
                await asyncio.gather(*(_run_action(pooled) for _ in range(4)))
            assert len(fake.peers) == 12 and len(set(fake.peers)) <= 4
            await pooled.close()

    asyncio.run(scenario())


def test_the_request_is_the_one_rasa_sends():
    async def scenario():
        async with FakeActionServer() as fake:
            for endpoint in _endpoints(fake.url()):
                await _run_action(endpoint)
                await endpoint.request(method="get", subpath="extra", params={"q": "2"},
                                       headers={"X-Call": "1"}, content_type=None)
            rasa_calls, pooled_calls = fake.seen[:2], fake.seen[2:]
            for ours, theirs in zip(pooled_calls, rasa_calls):
                for volatile in ("Content-Length",):
                    ours["headers"].pop(volatile, None), theirs["headers"].pop(volatile, None)
                assert ours == theirs
            assert rasa_calls[0]["headers"]["Authorization"].startswith("Basic ")
            assert rasa_calls[0]["headers"]["X-Naviyam"] == "secret-header"
            assert rasa_calls[0]["query"] == {"p": "1", "token": "tok"}
            assert rasa_calls[1]["query"] == {"p": "1", "token": "tok", "q": "2"}
            assert rasa_calls[1]["path"] == "/webhook/extra" and rasa_calls[1]["headers"]["X-Call"] == "1"
            await endpoint.close()

    asyncio.run(scenario())


def test_errors_are_the_exceptions_rasa_raises_and_the_session_stays_usable():
    async def scenario():
        async with FakeActionServer() as fake:
            outcomes = []
            for endpoint in _endpoints(fake.url()):
                seen = []
                with pytest.raises(RasaException) as failed:
                    await _run_action(endpoint, "action_fail")
                assert isinstance(failed.value.__cause__, ClientResponseError)
                seen.append((type(failed.value).__name__, str(failed.value), failed.value.__cause__.status))
                with pytest.raises(ActionExecutionRejection) as rejected:
                    await _run_action(endpoint, "action_reject")
                seen.append((type(rejected.value).__name__, rejected.value.message))
                # a non-JSON answer is None, as in Rasa
                seen.append(await endpoint.request(method="get", subpath="text"))
                seen.append(len(await _run_action(endpoint)))  # still works after the errors
                outcomes.append(seen)
            assert outcomes[0] == outcomes[1]
            await endpoint.close()

    asyncio.run(scenario())


def test_a_timeout_raises_what_rasa_raises_and_the_next_call_works():
    async def scenario():
        async with FakeActionServer() as fake:
            raised = []
            for endpoint in _endpoints(fake.url()):
                with pytest.raises(Exception) as timed_out:  # the server never answers /slow
                    await endpoint.request(json={}, subpath="slow", timeout=aiohttp.ClientTimeout(total=0.2))
                raised.append(type(timed_out.value))
                assert len(await _run_action(endpoint)) == 2
            assert raised[0] is raised[1] and issubclass(raised[0], asyncio.TimeoutError)
            fake.release.set()
            await endpoint.close()

    asyncio.run(scenario())


def test_an_unreachable_action_server_raises_rasas_connection_error():
    async def scenario():
        async with FakeActionServer() as fake:
            url = fake.url()
        messages = []
        for endpoint in _endpoints(url):  # the server is gone: connection refused
            with pytest.raises(RasaException) as failed:
                await _run_action(endpoint)
            messages.append(str(failed.value))
        assert messages[0] == messages[1] and "Couldn't connect" in messages[0]
        await endpoint.close()

    asyncio.run(scenario())


def test_each_event_loop_gets_its_own_session_and_a_closed_one_is_replaced():
    _, pooled = _endpoints("http://127.0.0.1:1/webhook")
    sessions = []

    async def one_loop(close: bool) -> None:
        async with FakeActionServer() as fake:
            pooled.url = fake.url()
            await _run_action(pooled)
            sessions.append(pooled.session()._session)
            if close:
                await pooled.close()
                assert sessions[-1].closed
                await _run_action(pooled)  # the next call opens a new session
                assert not pooled.session()._session.closed
                await pooled.close()

    asyncio.run(one_loop(close=False))
    asyncio.run(one_loop(close=True))  # a Sanic worker's loop is never another's
    assert sessions[0] is not sessions[1]


def test_install_pools_only_the_action_endpoint_and_closes_it_on_stop():
    assert "async with self.session() as session" in inspect.getsource(EndpointConfig.request)
    assert "self.action_endpoint.request(" in inspect.getsource(RemoteAction.run)
    assert "app.register_listener(close_resources, \"after_server_stop\")" in \
        inspect.getsource(rasa.core.run.serve_application)
    before = (RemoteAction._validate_action_result, rasa.core.run.load_agent_on_start,
              rasa.core.run.close_resources)
    try:
        server.install()
        server.install()  # idempotent
        assert rasa.core.run.close_resources is server.close_resources_and_action_session
    finally:
        (RemoteAction._validate_action_result, rasa.core.run.load_agent_on_start,
         rasa.core.run.close_resources) = before

    nlg = EndpointConfig("http://127.0.0.1:1/nlg")
    endpoints = AvailableEndpoints(action=EndpointConfig("http://127.0.0.1:1/webhook", **_options()), nlg=nlg)
    server.pool_action_endpoint(endpoints)
    pooled = endpoints.action
    assert isinstance(pooled, PooledEndpointConfig) and endpoints.nlg is nlg
    server.pool_action_endpoint(endpoints)
    assert endpoints.action is pooled  # idempotent
    server.pool_action_endpoint(AvailableEndpoints())  # no action endpoint: nothing to do

    async def stop():
        async with FakeActionServer() as fake:
            pooled.url = fake.url()
            await _run_action(pooled)
            session = pooled.session()._session
            app = SimpleNamespace(ctx=SimpleNamespace(agent=SimpleNamespace(
                action_endpoint=pooled, tracker_store=SimpleNamespace(event_broker=None))))
            await server.close_resources_and_action_session(app, None)
            assert session.closed

    asyncio.run(stop())


def test_the_lent_session_survives_rasas_async_with_and_forwards_the_rest():
    async def scenario():
        async with FakeActionServer() as fake:
            _, pooled = _endpoints(fake.url())
            lent = pooled.session()
            async with lent as session:
                pass
            await lent.close()
            assert not session.closed and not lent.closed  # forwarded attribute
            async with pooled.session().post(fake.url(), json={"next_action": "action_ok"}) as response:
                assert json.loads(await response.text()) == ANSWER
            await pooled.close()

    asyncio.run(scenario())
