"""Replay a simulated week of traffic through the real servers and print what the learning loop did
(issue 15; docs/LEARNING_LOOP.md). Prints figures only; asserts nothing.

    .venv-app/bin/python benchmarks/replay_week.py [--users 10] [--days 7] [--retrain]

Database from DATABASE_URL (default: the embedded SQLite that ``make prepare`` fills). It starts
the action server and the Rasa server (tests/e2e/harness.py) with Rasa's SQL event broker and
NAVIYAM_CONVERSATION_LOG=events. Each simulated user has a hidden favourite category; every day
at lunch (metadata.now) each asks for a recommendation and picks the first option of that
category ("N번"), or sometimes the first option, or nothing. After each day the consumer applies
the events and the popularity job runs. At the end it prints: popularity moving (the shops
whose score changed most), the event consumer's counts, the NLU rows by label source, the
registry (``--retrain`` trains and registers a new ranker first: a canary when one is in
production) with the canary verdict, and the SNIPS estimate that the logged data supports.

Caveat: all days are replayed within minutes of real time and ``recommendations_log.timestamp``
is the server's clock, so each day's popularity window (the last 5 minutes) may overlap the
previous day's: read the movement as a direction, not a daily figure.
"""
from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import urllib.request
import uuid
from datetime import date, datetime, timedelta, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.harness import MASKING_TRACKER_STORE, ensure_model, start_servers  # noqa: E402

CATEGORIES = ("분식", "한식", "중식", "패스트푸드", "일식")
ASKS = ("점심 추천해줘", "5천원으로 점심 뭐 먹지", "배고파 밥 먹을 데 알려줘", "7천원 이하로 추천해줘")
PLACES = ({"lat": 37.5404, "lng": 127.0693}, {"lat": 37.5559, "lng": 126.9368}, {"lat": 37.5133, "lng": 126.9426})


def send(rasa_url: str, sender: str, text: str, now: str, place: dict) -> list[dict]:
    body = json.dumps({"sender": sender, "message": text, "metadata": {"now": now, "location": place}}).encode()
    request = urllib.request.Request(f"{rasa_url}/webhooks/rest/webhook", data=body,
                                     headers={"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=60) as response:
        return json.loads(response.read().decode("utf-8"))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--users", type=int, default=10)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--retrain", action="store_true", help="train and register a ranker at the end")
    args = parser.parse_args()
    os.environ.setdefault("NAVIYAM_DEV_MODE", "1")
    os.environ["NAVIYAM_CONVERSATION_LOG"] = "events"
    from naviyam.adapters.db.models import Shop
    from naviyam.adapters.db.models.learning import NluTrainingRow
    from naviyam.adapters.db.session import unit_of_work
    from naviyam.adapters.rasa_events import events_db_url, rasa_broker_config
    from naviyam.usecases.learning import registry
    from naviyam.usecases.learning.consumer import consume_all
    from naviyam.usecases.learning.scores import update_popularity
    from scripts.render_endpoints import yaml_section
    from sqlalchemy import func, select

    def popularity() -> dict[int, float]:
        with unit_of_work() as session:
            return {s.id: float(s.popularity_score) for s in session.scalars(select(Shop))}

    rng = random.Random(args.seed)
    users = [(f"replay_{uuid.uuid4().hex[:6]}_{i}", rng.choice(CATEGORIES), PLACES[i % 3]) for i in range(args.users)]
    before = popularity()
    broker = "\n".join(yaml_section("event_broker", rasa_broker_config(events_db_url()))) + "\n"
    env = {k: v for k, v in os.environ.items() if k in ("DATABASE_URL", "REDIS_URL")}
    env["NAVIYAM_CONVERSATION_LOG"] = "events"
    servers = start_servers(ensure_model(), env, Path(tempfile.mkdtemp(prefix="replay-")),
                            tracker_store=MASKING_TRACKER_STORE + broker, api=False)
    lists = chosen = 0
    try:
        start = date(2026, 11, 23)
        for day in range(args.days):
            now = f"{start + timedelta(days=day)}T12:{rng.randint(0, 50):02d}:00+09:00"
            for sender, favourite, place in users:
                answer = send(servers.rasa_url, sender, rng.choice(ASKS), now, place)
                shown = next((m["custom"].get("recommendations") for m in answer
                              if isinstance(m.get("custom"), dict) and m["custom"].get("recommendations")), None)
                if not shown:
                    continue
                lists += 1
                pick = next((i for i, r in enumerate(shown) if r.get("category") == favourite), None)
                if pick is None and rng.random() < 0.3:
                    pick = 0
                if pick is not None:
                    send(servers.rasa_url, sender, f"{pick + 1}번", now, place)
                    chosen += 1
            report = consume_all()
            moved = update_popularity(datetime.now(timezone.utc) + timedelta(seconds=1))
            print(f"day {day + 1}: {lists} lists so far, {chosen} choices; events {report}; popularity of "
                  f"{moved} shop(s) updated", flush=True)
    finally:
        servers.stop()
    after = popularity()
    movers = sorted(((after[s] - before.get(s, 0.0), s) for s in after), reverse=True)
    print("popularity moving (shop id: before → after):")
    for delta, shop in movers[:5] + movers[-3:]:
        if delta:
            print(f"  {shop}: {before.get(shop, 0):.3f} → {after[shop]:.3f} ({delta:+.3f})")
    with unit_of_work() as session:
        sources = dict(session.execute(select(NluTrainingRow.label_source, func.count())
                                       .group_by(NluTrainingRow.label_source)).all())
    print(f"NLU training rows by label source: {sources}")
    if args.retrain:
        code = subprocess.run([sys.executable, "-m", "naviyam.manage", "train-ranker", "--force"], cwd=ROOT).returncode
        print(f"retrained ranker: exit {code}")
    for row in registry.registry_rows():
        print(f"registry: {row.model_type} {row.version} {row.deployment_status} "
              f"{float(row.traffic_percentage):.0f}% data {row.training_data_stats}")
    print(f"canary verdict: {registry.judge_canary('recommendation', min_samples=max(1, lists // 10))}")
    print("IPS (SNIPS) estimate: not available: the serving path is deterministic and logs no "
          "propensities, so no candidate can be scored on these logs yet (docs/LEARNING_LOOP.md)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
