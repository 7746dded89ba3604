"""Telegram long polling for development (no public URL needed).

Runs beside the Rasa server, in the Rasa environment (aiohttp only):

    .venv-rasa/bin/python -m bot.channels.telegram_polling \
        [--rasa-url http://127.0.0.1:5005]

It removes any registered webhook (Telegram refuses getUpdates while one is set),
long-polls ``getUpdates`` at ``TELEGRAM_API_BASE`` and forwards every update, one at a
time and in order, to the Rasa server's Telegram webhook with the
``TELEGRAM_WEBHOOK_SECRET`` header. So polling and webhook mode run exactly the same
channel code (door, rendering, commands). Stop it with Ctrl-C or SIGTERM.
"""
from __future__ import annotations

import argparse
import asyncio
import logging
import signal
import sys
from typing import Any

import aiohttp

from bot.channels.telegram import SECRET_HEADER
from bot.settings import ServerSettings, TelegramSettings

log = logging.getLogger("naviyam.telegram_polling")

ALLOWED_UPDATES = ["message", "callback_query"]


class Poller:
    def __init__(self, settings: TelegramSettings, rasa_url: str, poll_timeout: int = 25) -> None:
        if not settings.bot_token:
            raise SystemExit("TELEGRAM_BOT_TOKEN is not set: get one from @BotFather (docs/CHANNELS.md)")
        if not settings.webhook_secret:
            raise SystemExit("TELEGRAM_WEBHOOK_SECRET is not set: the Rasa server's Telegram channel "
                             "refuses updates without it; export the same value for both processes")
        self.settings = settings
        self.webhook_url = rasa_url.rstrip("/") + "/webhooks/telegram/webhook"
        self.poll_timeout = poll_timeout
        self.offset: int | None = None
        self.stopping = asyncio.Event()

    async def api(self, session: aiohttp.ClientSession, method: str, params: dict[str, Any],
                  timeout: float) -> Any:
        async with session.post(self.settings.method_url(method), json=params,
                                timeout=aiohttp.ClientTimeout(total=timeout)) as resp:
            body = await resp.json(content_type=None)
        if not (isinstance(body, dict) and body.get("ok")):
            raise RuntimeError(f"Telegram {method} failed: {body!r:.200}")
        return body.get("result")

    async def forward(self, session: aiohttp.ClientSession, update: dict[str, Any]) -> None:
        for attempt in range(3):
            try:
                async with session.post(self.webhook_url, json=update,
                                        headers={SECRET_HEADER: self.settings.webhook_secret or ""},
                                        timeout=aiohttp.ClientTimeout(total=120)) as resp:
                    if resp.status == 200:
                        return
                    log.warning("Rasa webhook answered %s for update %s", resp.status, update.get("update_id"))
                    if resp.status in (400, 403):
                        return  # retrying cannot help
            except (aiohttp.ClientError, asyncio.TimeoutError) as exc:
                log.warning("Rasa webhook unreachable (%s); retrying", exc)
            await asyncio.sleep(min(2 ** attempt, 5))

    async def run(self) -> None:
        async with aiohttp.ClientSession() as session:
            await self.api(session, "deleteWebhook", {"drop_pending_updates": False}, 10)
            log.info("Polling %s for updates, forwarding to %s", self.settings.api_base, self.webhook_url)
            backoff = 1.0
            while not self.stopping.is_set():
                params: dict[str, Any] = {"timeout": self.poll_timeout, "allowed_updates": ALLOWED_UPDATES}
                if self.offset is not None:
                    params["offset"] = self.offset
                try:
                    updates = await self.api(session, "getUpdates", params, self.poll_timeout + 10)
                    backoff = 1.0
                except (aiohttp.ClientError, asyncio.TimeoutError, RuntimeError, ValueError) as exc:
                    log.warning("getUpdates failed (%s); retrying in %.0fs", exc, backoff)
                    try:
                        await asyncio.wait_for(self.stopping.wait(), timeout=backoff)
                    except asyncio.TimeoutError:
                        pass
                    backoff = min(backoff * 2, 30)
                    continue
                for update in updates or []:
                    self.offset = int(update["update_id"]) + 1
                    await self.forward(session, update)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rasa-url", default=f"http://127.0.0.1:{ServerSettings().rasa_port}")
    parser.add_argument("--poll-timeout", type=int, default=25, help="getUpdates long-poll seconds")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    poller = Poller(TelegramSettings(), args.rasa_url, args.poll_timeout)

    async def runner() -> None:
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, poller.stopping.set)
        task = asyncio.ensure_future(poller.run())
        stop = asyncio.ensure_future(poller.stopping.wait())
        await asyncio.wait({task, stop}, return_when=asyncio.FIRST_COMPLETED)
        task.cancel()
        try:
            await task
        except asyncio.CancelledError:
            pass

    asyncio.run(runner())
    log.info("stopped")
    return 0


if __name__ == "__main__":
    sys.exit(main())
