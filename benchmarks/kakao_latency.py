"""Kakao skill response time for recommendation requests (p50/p95), through the real servers.

    .venv-app/bin/python benchmarks/kakao_latency.py            # starts both servers itself
    .venv-app/bin/python benchmarks/kakao_latency.py --url http://127.0.0.1:5005 --bot-id <id>

Without ``--url`` it starts the action server and the Rasa server (tests/e2e/harness.py)
on free ports against the configured database (``DATABASE_URL``, default: the embedded
SQLite file that ``make prepare`` fills with the sample data) with
``KAKAO_BOT_IDS=naviyam-bench``. It sends SkillPayloads without a callbackUrl (the
strict case: the answer itself must arrive within Kakao's 5 seconds) from distinct
users, sequentially after a warm-up, and prints p50/p95/p99/max and how many answers
carried recommendation cards. It prints figures only; it asserts nothing.
"""
from __future__ import annotations

import argparse
import os
import json
import statistics
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.harness import ensure_model, start_servers  # noqa: E402
from tests.fakes.kakao import skill_payload  # noqa: E402

KAKAO_LIMIT_MS = 5000
# The skill secret of the servers this script starts (--url: the server's KAKAO_SKILL_SECRET).
SKILL_SECRET = os.environ.get("KAKAO_SKILL_SECRET") or "naviyam-bench-secret"
UTTERANCES = [
    "5천원으로 점심 추천해줘",
    "만원으로 저녁 뭐 먹지",
    "떡볶이 먹고 싶어",
    "7천원 이하로 먹을 수 있는 곳 알려줘",
    "지금 열린 곳 중에 싼 데 추천해줘",
    "치킨 먹고 싶은데 8천원 있어",
]


def percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    index = min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))
    return ordered[index]


def one_request(url: str, payload: dict) -> tuple[float, dict]:
    request = urllib.request.Request(
        f"{url}/webhooks/kakao/webhook", data=json.dumps(payload).encode("utf-8"),
        headers={"Content-Type": "application/json", "X-Naviyam-Skill-Secret": SKILL_SECRET})
    start = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as response:
        body = json.loads(response.read().decode("utf-8"))
    return (time.perf_counter() - start) * 1000, body


def has_cards(body: dict) -> bool:
    return any("carousel" in o for o in body.get("template", {}).get("outputs", []))


def run(url: str, bot_id: str, requests: int, warmup: int) -> None:
    for i in range(warmup):
        one_request(url, skill_payload(UTTERANCES[i % len(UTTERANCES)], user_id=f"bench-warm-{i}",
                                       bot_id=bot_id))
    timings, with_cards, notes = [], 0, 0
    for i in range(requests):
        payload = skill_payload(UTTERANCES[i % len(UTTERANCES)], user_id=f"bench-user-{i}-{time.time_ns()}",
                                bot_id=bot_id)
        elapsed, body = one_request(url, payload)
        timings.append(elapsed)
        with_cards += has_cards(body)
        notes += "시간이 조금 걸리고" in json.dumps(body, ensure_ascii=False)
    print(f"Kakao skill latency, recommendation requests without callbackUrl ({requests} sequential, "
          f"{warmup} warm-up)")
    print(f"  p50 {percentile(timings, 50):7.1f} ms")
    print(f"  p95 {percentile(timings, 95):7.1f} ms")
    print(f"  p99 {percentile(timings, 99):7.1f} ms")
    print(f"  max {max(timings):7.1f} ms   mean {statistics.fmean(timings):7.1f} ms")
    print(f"  within Kakao's 5 s: {sum(t < KAKAO_LIMIT_MS for t in timings)}/{requests}; "
          f"answers with recommendation cards: {with_cards}/{requests}; "
          f"answered with the 'still working' note: {notes}/{requests}")
    if with_cards == 0:
        print("  note: no cards at all; is the sample data loaded (make prepare)?")


def main() -> int:
    parser = argparse.ArgumentParser(description="Kakao skill latency benchmark")
    parser.add_argument("--url", help="a running Rasa server (otherwise both servers are started)")
    parser.add_argument("--bot-id", default="naviyam-bench", help="an id in the server's KAKAO_BOT_IDS")
    parser.add_argument("-n", "--requests", type=int, default=60)
    parser.add_argument("--warmup", type=int, default=6)
    args = parser.parse_args()
    if args.url:
        run(args.url.rstrip("/"), args.bot_id, args.requests, args.warmup)
        return 0
    # overrides for the two servers; they inherit the rest of this environment (DATABASE_URL...)
    env = {"KAKAO_BOT_IDS": args.bot_id, "KAKAO_SKILL_SECRET": SKILL_SECRET,
           "NAVIYAM_RATE_LIMIT_ANONYMOUS": "100000", "NAVIYAM_DEV_MODE": "1"}
    with tempfile.TemporaryDirectory(prefix="naviyam-bench-") as logs:
        servers = start_servers(ensure_model(), env, Path(logs))
        try:
            run(servers.rasa_url, args.bot_id, args.requests, args.warmup)
        finally:
            servers.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
