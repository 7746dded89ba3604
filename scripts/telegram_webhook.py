"""Register, inspect or remove the Telegram webhook (python-telegram-bot, app env).

    .venv-app/bin/python scripts/telegram_webhook.py set --url https://bot.example.com/webhooks/telegram/webhook
    .venv-app/bin/python scripts/telegram_webhook.py info
    .venv-app/bin/python scripts/telegram_webhook.py delete

Reads TELEGRAM_BOT_TOKEN, TELEGRAM_WEBHOOK_SECRET and TELEGRAM_API_BASE (default
https://api.telegram.org) through the app's settings (naviyam/config/). ``set``
registers the webhook with the secret token the Rasa server checks
(X-Telegram-Bot-Api-Secret-Token), limits the updates to messages and button presses,
and publishes the command menu (/start, /balance, /coupons, /help). Tokens are never printed.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from pathlib import Path

from telegram import Bot, BotCommand
from telegram.error import TelegramError

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as a script: make the project importable
    sys.path.insert(0, str(ROOT))

from naviyam.config import get_telegram_settings  # noqa: E402

ALLOWED_UPDATES = ["message", "callback_query"]
COMMANDS = [
    BotCommand("start", "처음 시작하기"),
    BotCommand("balance", "급식카드 잔액 보기"),
    BotCommand("coupons", "내 쿠폰 보기"),
    BotCommand("help", "도움말"),
]
SECRET_RE = re.compile(r"^[A-Za-z0-9_-]{1,256}$")  # what Telegram accepts as secret_token


def make_bot() -> Bot:
    settings = get_telegram_settings()
    if settings.bot_token is None:
        raise SystemExit("TELEGRAM_BOT_TOKEN is not set (get one from @BotFather; see docs/CHANNELS.md)")
    return Bot(settings.bot_token.get_secret_value(), base_url=settings.api_url("bot"),
               base_file_url=settings.api_url("file/bot"))


async def set_webhook(url: str, drop_pending: bool) -> dict:
    configured = get_telegram_settings().webhook_secret
    secret = configured.get_secret_value() if configured is not None else ""
    if not secret:
        raise SystemExit("TELEGRAM_WEBHOOK_SECRET is not set: choose a random value "
                         "(e.g. `openssl rand -hex 32`) and give the Rasa server the same one")
    if not SECRET_RE.match(secret):
        raise SystemExit("TELEGRAM_WEBHOOK_SECRET may only contain A-Z, a-z, 0-9, _ and - (1-256 chars)")
    async with make_bot() as bot:
        await bot.set_webhook(url=url, secret_token=secret, allowed_updates=ALLOWED_UPDATES,
                              drop_pending_updates=drop_pending)
        await bot.set_my_commands(COMMANDS)
        info = await bot.get_webhook_info()
    return {"webhook_url": info.url, "pending_update_count": info.pending_update_count}


async def webhook_info() -> dict:
    async with make_bot() as bot:
        info = await bot.get_webhook_info()
    return {
        "webhook_url": info.url,
        "pending_update_count": info.pending_update_count,
        "last_error_message": info.last_error_message,
        "allowed_updates": list(info.allowed_updates or []),
    }


async def delete_webhook(drop_pending: bool) -> dict:
    async with make_bot() as bot:
        ok = await bot.delete_webhook(drop_pending_updates=drop_pending)
    return {"deleted": bool(ok)}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Manage the Telegram webhook of the Naviyam bot")
    sub = parser.add_subparsers(dest="command", required=True)
    p_set = sub.add_parser("set", help="register the webhook URL with the secret token")
    p_set.add_argument("--url", required=True,
                       help="public https URL of POST /webhooks/telegram/webhook")
    p_set.add_argument("--drop-pending", action="store_true", help="discard queued updates")
    sub.add_parser("info", help="show the registered webhook")
    p_del = sub.add_parser("delete", help="remove the webhook (e.g. before long polling)")
    p_del.add_argument("--drop-pending", action="store_true")
    args = parser.parse_args(argv)
    try:
        if args.command == "set":
            result = asyncio.run(set_webhook(args.url, args.drop_pending))
        elif args.command == "info":
            result = asyncio.run(webhook_info())
        else:
            result = asyncio.run(delete_webhook(args.drop_pending))
    except TelegramError as exc:
        print(f"Telegram refused the request: {exc}", file=sys.stderr)
        return 1
    print(json.dumps(result, ensure_ascii=False, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
