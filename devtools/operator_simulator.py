"""A local simulator of the meal-card operator's balance API (development and tests).

The real operator API is not public; this is the contract our sync adapter speaks
(docs/COUPONS_AND_BALANCE.md "Card operator API"):

``GET  /v1/health``                         → ``{"status": "ok"}``
``GET  /v1/cards/{card_number}``             → one card state, 404 ``{"error": "unknown_card"}``
``POST /v1/cards/balances``                  body ``{"card_numbers": [..]}`` (at most 100)
                                             → ``{"cards": [state, ...], "unknown": [..], "as_of": iso}``
``POST /v1/cards/verify``                    body ``{"card_number": ".."}`` (linking a card, issue 12)
                                             → the card state plus ``card_type`` and
                                             ``target_age_group``; 404 ``{"error": "unknown_card"}``

A card state: ``{"card_number", "status", "balance", "daily_limit", "monthly_limit",
"daily_spent", "monthly_spent", "spent_as_of": "YYYY-MM-DD"|null}`` (won, integers).

Knobs for failure injection (simulator only, under ``/_sim``):
``PUT  /_sim/cards/{card_number}``  create or patch a card state
``POST /_sim/faults``               ``{"latency_ms": int, "failure_rate": 0..1,
                                     "failure_status": 503, "down": bool}``
``GET  /_sim/stats``                request and injected-failure counts
``POST /_sim/reset``                clear faults and counters (cards stay)

CLI: ``python -m devtools.operator_simulator --port 8090 [--cards cards.json]
[--from-database [URL]] [--latency-ms 0] [--failure-rate 0] [--seed 7]``
"""
from __future__ import annotations

import argparse
import asyncio
import json
import logging
import random
import threading
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)

MAX_BATCH = 100
CARD_FIELDS = ("status", "balance", "daily_limit", "monthly_limit", "daily_spent",
               "monthly_spent", "spent_as_of", "card_type", "target_age_group")


@dataclass
class Faults:
    latency_ms: int = 0
    failure_rate: float = 0.0
    failure_status: int = 503
    down: bool = False


@dataclass
class OperatorSimulator:
    cards: dict[str, dict[str, Any]] = field(default_factory=dict)
    faults: Faults = field(default_factory=Faults)
    seed: int | None = None
    requests: int = 0
    injected_failures: int = 0

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    # ------------------------------------------------------------------ state
    def put_card(self, card_number: str, **values: Any) -> dict[str, Any]:
        card = self.cards.setdefault(card_number, {
            "card_number": card_number, "status": "ACTIVE", "balance": 0, "daily_limit": None,
            "monthly_limit": None, "daily_spent": 0, "monthly_spent": 0, "spent_as_of": None,
            "card_type": "아동급식카드", "target_age_group": "초등학생",
        })
        for key, value in values.items():
            if key in CARD_FIELDS:
                card[key] = value
        return card

    # ------------------------------------------------------------------ app
    async def _inject(self) -> web.Response | None:
        self.requests += 1
        if self.faults.latency_ms:
            await asyncio.sleep(self.faults.latency_ms / 1000)
        if self.faults.down or (self.faults.failure_rate and self._rng.random() < self.faults.failure_rate):
            self.injected_failures += 1
            return web.json_response({"error": "unavailable"}, status=self.faults.failure_status)
        return None

    async def health(self, request: web.Request) -> web.Response:
        failure = await self._inject()
        return failure or web.json_response({"status": "ok"})

    async def get_card(self, request: web.Request) -> web.Response:
        failure = await self._inject()
        if failure:
            return failure
        card = self.cards.get(request.match_info["card_number"])
        if card is None:
            return web.json_response({"error": "unknown_card"}, status=404)
        return web.json_response(card)

    async def verify(self, request: web.Request) -> web.Response:
        failure = await self._inject()
        if failure:
            return failure
        try:
            number = str((await request.json())["card_number"])
        except (ValueError, KeyError, TypeError):
            return web.json_response({"error": "bad_request",
                                      "detail": 'expected {"card_number": "..."}'}, status=400)
        card = self.cards.get(number)
        if card is None:
            return web.json_response({"error": "unknown_card"}, status=404)
        return web.json_response(card)

    async def batch(self, request: web.Request) -> web.Response:
        failure = await self._inject()
        if failure:
            return failure
        try:
            body = await request.json()
            numbers = [str(n) for n in body["card_numbers"]]
        except (ValueError, KeyError, TypeError):
            return web.json_response({"error": "bad_request",
                                      "detail": 'expected {"card_numbers": [...]}'}, status=400)
        if len(numbers) > MAX_BATCH:
            return web.json_response({"error": "batch_too_large", "max": MAX_BATCH}, status=400)
        cards = [self.cards[n] for n in numbers if n in self.cards]
        unknown = [n for n in numbers if n not in self.cards]
        return web.json_response({"cards": cards, "unknown": unknown,
                                  "as_of": datetime.now(timezone.utc).isoformat()})

    async def sim_put_card(self, request: web.Request) -> web.Response:
        values = await request.json()
        return web.json_response(self.put_card(request.match_info["card_number"], **values))

    async def sim_faults(self, request: web.Request) -> web.Response:
        values = await request.json()
        for key, value in values.items():
            if hasattr(self.faults, key):
                setattr(self.faults, key, type(getattr(self.faults, key))(value))
        return web.json_response(self.faults.__dict__)

    async def sim_stats(self, request: web.Request) -> web.Response:
        return web.json_response({"requests": self.requests, "injected_failures": self.injected_failures,
                                  "cards": len(self.cards), "faults": self.faults.__dict__})

    async def sim_reset(self, request: web.Request) -> web.Response:
        self.faults = Faults()
        self.requests = self.injected_failures = 0
        return web.json_response({"status": "reset"})

    def make_app(self) -> web.Application:
        app = web.Application()
        app.add_routes([
            web.get("/v1/health", self.health),
            web.get("/v1/cards/{card_number}", self.get_card),
            web.post("/v1/cards/balances", self.batch),
            web.post("/v1/cards/verify", self.verify),
            web.put("/_sim/cards/{card_number}", self.sim_put_card),
            web.post("/_sim/faults", self.sim_faults),
            web.get("/_sim/stats", self.sim_stats),
            web.post("/_sim/reset", self.sim_reset),
        ])
        return app


class SimulatorThread:
    """Runs a simulator on 127.0.0.1 in a background thread (tests, notebooks).

    ``with SimulatorThread(sim) as url: ...`` binds a free port (0) unless one is given.
    """

    def __init__(self, simulator: OperatorSimulator, host: str = "127.0.0.1", port: int = 0) -> None:
        self.simulator = simulator
        self.host = host
        self.port = port
        self.url: str | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._runner: web.AppRunner | None = None
        self._ready = threading.Event()
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def _run(self) -> None:
        loop = asyncio.new_event_loop()
        self._loop = loop
        asyncio.set_event_loop(loop)
        try:
            self._runner = web.AppRunner(self.simulator.make_app(), access_log=None)
            loop.run_until_complete(self._runner.setup())
            site = web.TCPSite(self._runner, self.host, self.port)
            loop.run_until_complete(site.start())
            port = self._runner.addresses[0][1]
            self.url = f"http://{self.host}:{port}"
        except BaseException as exc:  # noqa: BLE001 - reported to the starting thread
            self._error = exc
            self._ready.set()
            return
        self._ready.set()
        loop.run_forever()
        loop.run_until_complete(self._runner.cleanup())
        loop.close()

    def start(self, timeout: float = 10.0) -> str:
        self._thread = threading.Thread(target=self._run, name="operator-simulator", daemon=True)
        self._thread.start()
        if not self._ready.wait(timeout):
            raise RuntimeError("operator simulator did not start in time")
        if self._error is not None:
            raise RuntimeError(f"operator simulator failed to start: {self._error}") from self._error
        assert self.url is not None
        return self.url

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=10)

    def __enter__(self) -> str:
        return self.start()

    def __exit__(self, *exc: Any) -> None:
        self.stop()


def cards_from_database(url: str | None = None) -> dict[str, dict[str, Any]]:
    """Seed the simulator with the cards stored in our database (development)."""
    from sqlalchemy import select

    from naviyam.adapters.db.models import FoodcardUser
    from naviyam.adapters.db.session import unit_of_work

    cards: dict[str, dict[str, Any]] = {}
    with unit_of_work(url) as session:
        for card in session.scalars(select(FoodcardUser).where(FoodcardUser.card_number.is_not(None))):
            cards[card.card_number] = {
                "card_number": card.card_number, "status": card.status, "balance": card.balance,
                "daily_limit": card.daily_limit, "monthly_limit": card.monthly_limit,
                "daily_spent": card.daily_spent, "monthly_spent": card.monthly_spent,
                "spent_as_of": card.spent_as_of.isoformat() if card.spent_as_of else None,
                "card_type": card.card_type, "target_age_group": card.target_age_group,
            }
    return cards


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m devtools.operator_simulator",
                                     description="Meal-card operator API simulator")
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=8090)
    parser.add_argument("--cards", type=Path, help="JSON file: a list of card states")
    parser.add_argument("--from-database", nargs="?", const="", default=None, metavar="URL",
                        help="seed cards from foodcard_users (default: the configured database)")
    parser.add_argument("--latency-ms", type=int, default=0)
    parser.add_argument("--failure-rate", type=float, default=0.0)
    parser.add_argument("--seed", type=int, default=None)
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")

    sim = OperatorSimulator(seed=args.seed, faults=Faults(latency_ms=args.latency_ms,
                                                          failure_rate=args.failure_rate))
    if args.from_database is not None:
        sim.cards.update(cards_from_database(args.from_database or None))
    if args.cards:
        for state in json.loads(args.cards.read_text(encoding="utf-8")):
            state = dict(state)
            sim.put_card(str(state.pop("card_number")), **state)
    log.info("Operator simulator with %d cards on http://%s:%d", len(sim.cards), args.host, args.port)
    web.run_app(sim.make_app(), host=args.host, port=args.port, print=None)


if __name__ == "__main__":
    main()
