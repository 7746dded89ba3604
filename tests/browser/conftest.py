"""Browser tests: the real bot (Rasa + actions), the shop service, and Debian's Chromium driven by
Playwright (launched by path with the flags of /work/shared/STACK.md; nothing is downloaded)."""
from __future__ import annotations

import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from tests.conftest import IN_CI, fresh_redis_db
from tests.e2e.harness import APP_ENV, PROJECT_ROOT, BotServers, ensure_model, free_port, start_servers, wait_for

CHROMIUM = os.environ.get("NAVIYAM_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SCREENSHOTS = Path(os.environ.get("NAVIYAM_SCREENSHOT_DIR", PROJECT_ROOT / "docs" / "screenshots"))
OPERATOR_TOKEN = "browser-test-operator-token"


@dataclass
class Stack:
    bot: BotServers
    shop_url: str


@pytest.fixture(scope="module")
def stack(loaded_database_url: str, redis_url: str | None, tmp_path_factory) -> Iterator[Stack]:
    env = {"DATABASE_URL": loaded_database_url, "NAVIYAM_CATALOG_REFRESH_S": "1"}
    if redis_url:
        env["REDIS_URL"] = fresh_redis_db(redis_url, 10)
    logs = tmp_path_factory.mktemp("browser-servers")
    bot = start_servers(ensure_model(), env, logs)
    port = free_port()
    shop_env = {**os.environ, **env, "PYTHONPATH": str(PROJECT_ROOT), "SHOP_PORT": str(port),
                "NAVIYAM_WEB_CHAT": "1", "NAVIYAM_RASA_URL": bot.rasa_url,
                "NAVIYAM_OPERATOR_TOKEN": OPERATOR_TOKEN}
    log = logs / "shop.log"
    shop = subprocess.Popen([str(APP_ENV / "bin/python"), "-m", "naviyam.shop_service"], cwd=PROJECT_ROOT,
                            env=shop_env, stdout=log.open("w"), stderr=subprocess.STDOUT)
    bot.processes.append(shop)
    try:
        wait_for(f"http://127.0.0.1:{port}/healthz", 60, shop, log)
        yield Stack(bot=bot, shop_url=f"http://127.0.0.1:{port}")
    finally:
        bot.stop()


@pytest.fixture(scope="module")
def browser():
    if not Path(CHROMIUM).exists():
        message = f"Chromium not found at {CHROMIUM}: apt-get install -y chromium (scripts/lib.sh installs it)"
        if IN_CI:
            pytest.fail(message)
        pytest.skip(message)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_FLAGS, headless=True)
        try:
            yield instance
        finally:
            instance.close()


def shot(page, name: str) -> Path:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    path = SCREENSHOTS / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path
