"""A recommendation turn beside a plain Rasa bot's turn, in one run (issue 11), through the real servers.

    .venv-app/bin/python benchmarks/turn_load.py [--moodbot DIR] [--sequential 60] [--users 20,50]

It starts our action server and Rasa server (tests/e2e/harness.py; database and cache from the
environment: ``DATABASE_URL``/``REDIS_URL``, default the embedded SQLite that ``make prepare``
fills) and a plain Rasa bot: ``rasa init``'s moodbot, same Rasa version, same machine. Without
``--moodbot`` it builds one with ``rasa init --no-prompt`` into ``benchmarks/out/moodbot`` (about
2 minutes, once). Then it prints:

- sequential: requests alternate between the two bots (machine noise hits both alike): our
  new user's first recommendation turn, our returning user's turn, and moodbot's "hello";
  p50/p95 and the ratio of our p95 to moodbot's p95;
- concurrent: at each user count, every user sends its turns one after the other while all users
  run at once: turns per second, p50/p95/max, errors, and answers that took longer than the
  Kakao channel's callback budget (3.5 s: they would have gone through Kakao's callback);
- the first request after start (new user) of each bot;
- the resident memory of every server process.

Our requests are Kakao-shaped SkillPayloads (the strict case: no callbackUrl). It prints figures
only; it asserts nothing (tests never time anything).
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.e2e.harness import RASA_ENV, ensure_model, free_port, start_servers, wait_for  # noqa: E402
from tests.fakes.kakao import skill_payload  # noqa: E402

BOT_ID, SKILL_SECRET = "naviyam-bench", "bench-secret"
KAKAO_CALLBACK_BUDGET_S = 3.5  # KAKAO_CALLBACK_BUDGET_SECONDS: slower answers go through Kakao's callback
ASKS = ["5천원으로 점심 추천해줘", "만원으로 저녁 뭐 먹지", "떡볶이 먹고 싶어", "7천원 이하로 먹을 수 있는 곳 알려줘",
        "지금 열린 곳 중에 싼 데 추천해줘", "분식 먹고 싶은데 6천원 있어"]


def post(url: str, body: dict, headers: dict | None = None, timeout: float = 30) -> tuple[float, dict | list]:
    request = urllib.request.Request(url, data=json.dumps(body).encode("utf-8"),
                                     headers={"Content-Type": "application/json", **(headers or {})})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=timeout) as response:
        payload = json.loads(response.read().decode("utf-8"))
    return time.perf_counter() - started, payload


def ours(rasa_url: str, user: str, text: str) -> float:
    elapsed, _ = post(f"{rasa_url}/webhooks/kakao/webhook", skill_payload(text, user_id=user, bot_id=BOT_ID),
                      {"X-Naviyam-Skill-Secret": SKILL_SECRET})
    return elapsed


def moodbot(url: str, user: str, text: str = "hello") -> float:
    elapsed, _ = post(f"{url}/webhooks/rest/webhook", {"sender": user, "message": text})
    return elapsed


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def line(name: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return (f"  {name:<28} n={len(ms):4d}  p50 {pct(ms, 50):7.1f} ms  p95 {pct(ms, 95):7.1f} ms  "
            f"max {max(ms):7.1f} ms")


def build_moodbot(folder: Path) -> Path:
    if not list((folder / "models").glob("*.tar.gz")):
        folder.mkdir(parents=True, exist_ok=True)
        print(f"building moodbot in {folder} (rasa init --no-prompt, about 2 minutes)", flush=True)
        subprocess.run([str(RASA_ENV / "bin/rasa"), "init", "--no-prompt", "--init-dir", str(folder)],
                       check=True, cwd=folder, stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT,
                       env={"RASA_TELEMETRY_ENABLED": "false", "PATH": "/usr/bin:/bin"})
    return folder


def start_moodbot(folder: Path, log: Path) -> tuple[subprocess.Popen, str, float]:
    """The moodbot's Rasa server, and how long its first answer took (new user)."""
    port = free_port()
    process = subprocess.Popen([str(RASA_ENV / "bin/rasa"), "run", "--port", str(port), "--model",
                                str(folder / "models")], cwd=folder, stdout=log.open("w"),
                               stderr=subprocess.STDOUT, env={"RASA_TELEMETRY_ENABLED": "false",
                                                               "PATH": "/usr/bin:/bin"})
    url = f"http://127.0.0.1:{port}"
    wait_for(url + "/", 300, process, log)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:  # "/" answers once the model is loaded; check a turn works
        try:
            return process, url, moodbot(url, f"first-{time.time_ns()}")
        except OSError:
            time.sleep(0.5)
    raise RuntimeError("moodbot did not answer")


def sequential(rasa_url: str, mood_url: str, n: int) -> None:
    new, returning, plain = [], [], []
    run = time.time_ns()
    for i in range(n):
        user = f"bench-{run}-{i}"
        new.append(ours(rasa_url, user, ASKS[i % len(ASKS)]))
        plain.append(moodbot(mood_url, f"mood-{run}-{i}"))
        returning.append(ours(rasa_url, user, ASKS[(i + 1) % len(ASKS)]))
        plain.append(moodbot(mood_url, f"mood-{run}-{i}"))
    print("sequential (alternating requests)")
    print(line("naviyam: new user, 1st turn", new))
    print(line("naviyam: returning user", returning))
    print(line("moodbot: 'hello'", plain))
    ratio = pct(new + returning, 95) / pct(plain, 95)
    print(f"  naviyam p95 / moodbot p95 = {ratio:.2f} (target <= 2)", flush=True)


def concurrent(send, users: int, turns: int, label: str) -> None:
    timings: list[float] = []
    errors = 0
    lock = threading.Lock()
    run = time.time_ns()

    def one_user(u: int) -> None:
        nonlocal errors
        for t in range(turns):  # one new user each, its turns one after the other
            try:
                elapsed = send(f"{label}-{run}-{users}-{u}", ASKS[(u + t) % len(ASKS)])
                with lock:
                    timings.append(elapsed)
            except Exception:  # noqa: BLE001 - counted, the run goes on
                with lock:
                    errors += 1

    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=users) as pool:
        list(pool.map(one_user, range(users)))
    wall = time.perf_counter() - started
    callback = sum(t > KAKAO_CALLBACK_BUDGET_S for t in timings)
    print(f"{line(f'{label} x{users} users', timings)}  {len(timings) / wall:5.1f} turns/s  "
          f"errors {errors}  over {KAKAO_CALLBACK_BUDGET_S:g} s (callback) {callback}", flush=True)


def production_stores(redis_url: str) -> str:
    """The tracker and lock stores `make serve` writes for REDIS_URL (fresh key prefix per run)."""
    from scripts.render_endpoints import render

    rendered = render(1, redis_url, f"bench{secrets.token_hex(4)}")
    return rendered[rendered.index("tracker_store:"):]


def rss_mb(pid: int) -> float:
    for row in Path(f"/proc/{pid}/status").read_text().splitlines():
        if row.startswith("VmRSS:"):
            return int(row.split()[1]) / 1024
    return 0.0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moodbot", type=Path, help="a folder made by `rasa init` (built when missing)")
    parser.add_argument("--sequential", type=int, default=60, help="pairs of turns per bot")
    parser.add_argument("--users", default="20,50", help="concurrent user counts")
    parser.add_argument("--turns", type=int, default=4, help="turns per user in the concurrent runs")
    parser.add_argument("--workers", type=int, default=1,
                        help="SANIC_WORKERS of our Rasa and action servers (above 1 needs REDIS_URL)")
    args = parser.parse_args(argv)
    mood_dir = build_moodbot(args.moodbot or ROOT / "benchmarks" / "out" / "moodbot")
    env = {"KAKAO_BOT_IDS": BOT_ID, "KAKAO_SKILL_SECRET": SKILL_SECRET, "NAVIYAM_RATE_LIMIT_ANONYMOUS": "1000000",
           "NAVIYAM_RATE_LIMIT_KNOWN": "1000000", "SANIC_WORKERS": str(args.workers)}
    redis_url = os.environ.get("REDIS_URL")
    print(f"database {os.environ.get('DATABASE_URL', 'embedded SQLite')}, Redis {redis_url or 'none'}, "
          f"{args.workers} worker(s) per server, {os.cpu_count()} cores; load average {os.getloadavg()[0]:.1f} "
          "(other work on the machine)", flush=True)
    with tempfile.TemporaryDirectory(prefix="naviyam-load-") as logs:
        stores = {"tracker_store": production_stores(redis_url)} if redis_url else {}
        servers = start_servers(ensure_model(), env, Path(logs), **stores)
        first = ours(servers.rasa_url, f"first-{time.time_ns()}", ASKS[0])
        mood, mood_url, mood_first = start_moodbot(mood_dir, Path(logs) / "moodbot.log")
        try:
            print("first request after start (new user)")
            print(f"  naviyam {first * 1000:7.1f} ms   moodbot {mood_first * 1000:7.1f} ms", flush=True)
            for i in range(6):  # the same short warm-up for both
                ours(servers.rasa_url, f"warm-{i}", ASKS[i])
                moodbot(mood_url, f"warm-{i}")
            sequential(servers.rasa_url, mood_url, args.sequential)
            print(f"concurrent ({args.turns} turns per user, Kakao-shaped requests for naviyam)")
            for users in [int(u) for u in args.users.split(",") if u]:
                concurrent(lambda user, text: ours(servers.rasa_url, user, text), users, args.turns, "naviyam")
                concurrent(lambda user, text: moodbot(mood_url, user), users, args.turns, "moodbot")
            print("resident memory")
            for name, process in (("naviyam action server", servers.processes[0]),
                                  ("naviyam Rasa server", servers.processes[1]), ("moodbot Rasa server", mood)):
                print(f"  {name:<24} {rss_mb(process.pid):7.0f} MB (main process; Sanic workers not included)")
        finally:
            servers.stop()
            mood.terminate()
            mood.wait(timeout=20)
    return 0


if __name__ == "__main__":
    sys.exit(main())
