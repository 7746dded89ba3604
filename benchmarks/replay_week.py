"""Replay a simulated week of traffic through the real servers and print what the learning loop did
(issue 15; docs/LEARNING_LOOP.md). Prints figures only; asserts nothing.

    .venv-app/bin/python benchmarks/replay_week.py [--users 12] [--days 7] [--exploration 0.1]
        [--canary-percent 50] [--train-users 120] [--train-epochs 3] [--min-samples 10]

Database from DATABASE_URL (default: the embedded SQLite that ``make prepare`` fills), ranker
folder from NAVIYAM_RANKER_DIR. It starts the action server and the Rasa server
(tests/e2e/harness.py) with Rasa's SQL event broker, NAVIYAM_CONVERSATION_LOG=events, the
logged exploration at ``--exploration`` and a 2-second registry snapshot. Each simulated user
(a new user who agreed to the terms) has a hidden favourite category; every day at lunch
(metadata.now) each asks for a recommendation and picks the first option of that category
("N번"), or sometimes the first option, or nothing. After each day the consumer applies the
events and the popularity job runs.

The week: when the registry has no production ranker, the latest ranker on disk is registered
as production first. After half the days, ``manage train-ranker --force`` trains a candidate
on the logged lists so far (simulated data fills in below NAVIYAM_RANKER_MIN_LOGGED_LISTS; it
prints its SNIPS estimate and the offline evaluation) and registers it as the canary
(``--canary-percent`` of users: a larger share than production's 10 % so a short replay gives
it traffic). The servers pick it up from the registry; the rest of the week is served by both;
then ``judge_canary`` promotes or rolls back, and the SNIPS estimate of the candidate on the
lists logged after it was trained (out of sample) is printed.

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
    parser.add_argument("--users", type=int, default=12)
    parser.add_argument("--days", type=int, default=7)
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--exploration", type=float, default=0.1, help="NAVIYAM_EXPLORATION_RATE of the servers")
    parser.add_argument("--canary-percent", type=float, default=50.0)
    parser.add_argument("--train-users", type=int, default=120)
    parser.add_argument("--train-epochs", type=int, default=3)
    parser.add_argument("--min-samples", type=int, default=10, help="canary lists before the verdict")
    args = parser.parse_args()
    os.environ.setdefault("NAVIYAM_DEV_MODE", "1")
    os.environ["NAVIYAM_CONVERSATION_LOG"] = "events"
    from naviyam.adapters.db.models import Shop
    from naviyam.adapters.db.models.learning import NluTrainingRow
    from naviyam.adapters.db.session import get_engine, unit_of_work
    from naviyam.adapters.ranking_model import latest_version, load_scorer
    from naviyam.adapters.rasa_events import events_db_url, rasa_broker_config
    from naviyam.config import get_learning_settings, get_recommend_settings, get_settings
    from naviyam.usecases.learning import registry
    from naviyam.usecases.learning.consumer import consume_all
    from naviyam.usecases.learning.logged_data import load_logged_lists, snips_of
    from naviyam.usecases.learning.scores import update_popularity
    from scripts.render_endpoints import yaml_section
    from sqlalchemy import func, select
    from tests.e2e.harness import agreed_user

    def popularity() -> dict[int, float]:
        with unit_of_work() as session:
            return {s.id: float(s.popularity_score) for s in session.scalars(select(Shop))}

    ranker_dir = get_recommend_settings().ranker_dir
    if registry.serving("recommendation").production is None:
        version = latest_version(ranker_dir) if Path(ranker_dir).exists() else None
        if version is None:
            print("no ranker on disk and none registered: run `manage train-ranker` first", file=sys.stderr)
            return 2
        registry.record_trained_ranker(ranker_dir, version)
        print(f"registered the ranker on disk as production: {version}")
    rng = random.Random(args.seed)
    engine = get_engine(get_settings().database_url)
    users = [(agreed_user(engine, "replay"), rng.choice(CATEGORIES), PLACES[i % 3]) for i in range(args.users)]
    before = popularity()
    broker = "\n".join(yaml_section("event_broker", rasa_broker_config(events_db_url()))) + "\n"
    env = {k: v for k, v in os.environ.items() if k in ("DATABASE_URL", "REDIS_URL", "NAVIYAM_RANKER_DIR")}
    env.update({"NAVIYAM_CONVERSATION_LOG": "events", "NAVIYAM_EXPLORATION_RATE": str(args.exploration),
                "NAVIYAM_REGISTRY_REFRESH_S": "2"})
    servers = start_servers(ensure_model(), env, Path(tempfile.mkdtemp(prefix="replay-")),
                            tracker_store=MASKING_TRACKER_STORE + broker, api=False)
    lists = chosen = 0
    started = datetime.now(timezone.utc)
    candidate = None
    retrained_at = started
    try:
        start = date(2026, 11, 23)
        for day in range(args.days):
            if day == args.days // 2:
                train_env = {**os.environ, "NAVIYAM_CANARY_PERCENT": str(args.canary_percent)}
                command = [sys.executable, "-m", "naviyam.manage", "train-ranker", "--force",
                           "--users", str(args.train_users), "--epochs", str(args.train_epochs)]
                print(f"--- day {day + 1}: retraining on the logged lists so far: {' '.join(command[2:])}", flush=True)
                code = subprocess.run(command, cwd=ROOT, env=train_env).returncode
                candidate = registry.serving("recommendation").canary
                retrained_at = datetime.now(timezone.utc)
                print(f"retrained ranker: exit {code}; canary now {candidate} "
                      f"({args.canary_percent:.0f}% of users)", flush=True)
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
    rose, fell = [m for m in movers if m[0] > 0], [m for m in movers if m[0] < 0]
    print(f"popularity moving: {len(rose)} shop(s) rose, {len(fell)} fell, {len(movers) - len(rose) - len(fell)} "
          "unchanged (shop id: before → after):")
    for delta, shop in rose[:3] + fell[-3:]:
        print(f"  {shop}: {before.get(shop, 0):.3f} → {after[shop]:.3f} ({delta:+.3f})")
    with unit_of_work() as session:
        sources = dict(session.execute(select(NluTrainingRow.label_source, func.count())
                                       .group_by(NluTrainingRow.label_source)).all())
        week = load_logged_lists(session, since=started)
        unseen = load_logged_lists(session, since=retrained_at)   # logged after training: never trained on
    print(f"NLU training rows by label source: {sources}")
    served: dict[str, int] = {}
    for item in week:
        served[item.ranker] = served.get(item.ranker, 0) + 1
    print(f"lists of the week by ranker: {served}; explored (last slot swapped) at rate {args.exploration}")
    state = registry.serving("recommendation")
    verdict = registry.judge_canary("recommendation", min_samples=args.min_samples)
    for row in registry.registry_rows():
        if row.model_type == "recommendation" and row.deployment_status in ("production", "canary", "rolled_back", "deprecated") \
                and row.deployed_at and row.deployed_at >= started - timedelta(days=1):
            stats = row.training_data_stats or {}
            print(f"registry: {row.version} {row.deployment_status} {float(row.traffic_percentage):.0f}% "
                  f"data logged {stats.get('logged_rows')} / simulated {stats.get('simulated_rows')} "
                  f"canary {(row.performance_metrics or {}).get('canary')}")
    print(f"canary verdict for {state.canary}: {verdict}")
    if state.canary:
        path = next(r.model_path for r in registry.registry_rows() if r.version == state.canary)
        scorer = load_scorer(Path(path).parent, Path(path).name)
        estimate = snips_of(scorer, unseen, get_learning_settings().snips_clip)
        print(f"IPS (SNIPS) estimate of the candidate {state.canary} on the {estimate.lists} lists logged after "
              f"it was trained (both rankers served them; none trained it): "
              f"{estimate.estimate:.1%} choices per list (logged policy: {estimate.logged_rate:.1%}); "
              f"effective sample size {estimate.effective_sample_size:.1f} of {estimate.decisions} shown items, "
              f"{estimate.clipped} weights clipped at {estimate.clip}")
    else:
        print("IPS (SNIPS): no candidate was registered")
    print(f"load average: {os.getloadavg()}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
