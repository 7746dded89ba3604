"""A recommendation turn beside a plain Rasa bot's turn, in one run (issue 11), through the real servers.

    .venv-app/bin/python benchmarks/turn_load.py [--moodbot DIR] [--sequential 60] [--users 20,50]

It starts our action server and Rasa server (tests/e2e/harness.py; database and cache from the
environment: ``DATABASE_URL``/``REDIS_URL``, default the embedded SQLite that ``make prepare``
fills) and a plain Rasa bot: ``rasa init``'s moodbot, same Rasa version, same machine. Without
``--moodbot`` it builds one with ``rasa init --no-prompt`` into ``benchmarks/out/moodbot`` (about
2 minutes, once). Then it prints:

- sequential: requests alternate between the two bots (machine noise hits both alike): our
  new user's first recommendation turn, a returning child's turn (agreed and onboarded beforehand,
  not timed), and moodbot's "hello";
  p50/p95 and the ratio of our p95 to moodbot's p95;
- concurrent: at each user count, every user sends its turns one after the other while all users
  run at once: turns per second, p50/p95/max, errors, and answers that took longer than the
  Kakao channel's callback budget (3.5 s: they would have gone through Kakao's callback);
- the first request after start (new user) of each bot;
- the resident memory of every server process;
- with ``--py-spy``: py-spy profiles of our Rasa and action servers during the timed sequential turns;
- in the concurrent runs: the CPU time per turn of each part (Rasa, actions, PostgreSQL, Redis; moodbot).

Every figure is printed with the machine's load average (other work on the shared machine).

Our requests are Kakao-shaped SkillPayloads (the strict case: no callbackUrl). It prints figures
only; it asserts nothing (tests never time anything).
"""
from __future__ import annotations

import argparse
import json
import os
import secrets
import signal
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
# Every request names one of the sample's three neighbourhoods: without a place the bot asks
# "어디 근처에서 찾을까요?" and the engine never runs (issue 12), which would measure nothing.
ASKS = ["건대입구역에서 5천원으로 점심 추천해줘", "신촌역 근처 만원으로 저녁 뭐 먹지", "노량진역에서 떡볶이 먹고 싶어",
        "건대입구역 7천원 이하로 먹을 수 있는 곳 알려줘", "신촌에서 지금 열린 곳 중에 싼 데 추천해줘",
        "노량진 분식 먹고 싶은데 6천원 있어"]
# A returning child: agreed, answered the onboarding questions (not timed).
ONBOARDING = ["건대입구역에서 5천원으로 점심 추천해줘", "동의해요", "떡볶이 좋아해", "5천원", "없어"]
ASKED_PLACE = "어디 근처에서 찾을까요"
asked_place = 0  # answers that asked for a place instead of recommending (should stay 0)


def post(url: str, body: dict, headers: dict | None = None, timeout: float = 30) -> tuple[float, dict | list]:
    request = urllib.request.Request(url, data=json.dumps(body).encode("utf-8"),
                                     headers={"Content-Type": "application/json", **(headers or {})})
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=timeout) as response:
        payload = json.loads(response.read().decode("utf-8"))
    return time.perf_counter() - started, payload


def ours(rasa_url: str, user: str, text: str) -> float:
    global asked_place
    elapsed, answer = post(f"{rasa_url}/webhooks/kakao/webhook", skill_payload(text, user_id=user, bot_id=BOT_ID),
                           {"X-Naviyam-Skill-Secret": SKILL_SECRET})
    asked_place += ASKED_PLACE in json.dumps(answer, ensure_ascii=False)
    return elapsed


def onboard(rasa_url: str, users: list[str]) -> None:
    """Make ``users`` returning children: agreed, onboarding answered (not timed)."""
    for user in users:
        for text in ONBOARDING:
            ours(rasa_url, user, text)


def show_onboarding(rasa_url: str, user: str) -> None:
    """One child's onboarding, answer by answer: the timed "returning" turns are only that if it ended."""
    print("onboarding of a returning child (not timed):")
    for text in ONBOARDING:
        _, answer = post(f"{rasa_url}/webhooks/kakao/webhook", skill_payload(text, user_id=user, bot_id=BOT_ID),
                         {"X-Naviyam-Skill-Secret": SKILL_SECRET})
        said = " / ".join(str(o.get("simpleText", {}).get("text", ""))[:60]
                          for o in answer.get("template", {}).get("outputs", []) if "simpleText" in o)
        print(f"  {text!r:<36} -> {said!r}")
    print(flush=True)


def moodbot(url: str, user: str, text: str = "hello") -> float:
    elapsed, _ = post(f"{url}/webhooks/rest/webhook", {"sender": user, "message": text})
    return elapsed


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * (len(ordered) - 1))))]


def load() -> str:
    """The machine's load average (1, 5 min): other work beside the run, printed with every figure."""
    one, five, _ = os.getloadavg()
    return f"load {one:.1f}/{five:.1f}"


def line(name: str, seconds: list[float]) -> str:
    ms = [s * 1000 for s in seconds]
    return (f"  {name:<28} n={len(ms):4d}  p50 {pct(ms, 50):7.1f} ms  p95 {pct(ms, 95):7.1f} ms  "
            f"max {max(ms):7.1f} ms  ({load()})")


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


def start_profile(py_spy: Path | None, pid: int, out: Path | None) -> subprocess.Popen | None:
    """py-spy sampling the Rasa server's process tree (``--py-spy``; not a project dependency)."""
    if py_spy is None or out is None:
        return None
    out.parent.mkdir(parents=True, exist_ok=True)
    return subprocess.Popen([str(py_spy), "record", "--nonblocking", "--subprocesses", "--pid", str(pid),
                             "--format", "raw", "--output", str(out)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


# Where the Rasa server's CPU goes: a sample counts for every group one of whose markers is in
# its stack (py-spy's raw format: "frame;frame;... count", a frame "function (path:line)").
PROFILE_GROUPS = {
    "TED policy": ("ted_policy.py",),
    "NLU pipeline": ("rasa/nlu/", "bot/nlu/"),
    "  of which DIET": ("diet_classifier.py",),
    "Rule + Memoization policies": ("rule_policy.py", "memoization.py"),
    "HTTP to the action server": ("rasa/utils/endpoints.py", "aiohttp/client", "aiohttp/connector",
                                  "bot/action_endpoint.py"),
    "action-response check": ("_validate_action_result", "jsonschema/"),
    "tracker store": ("tracker_store.py",),
    "lock store": ("lock_store.py",),
    "channel (Kakao door)": ("bot/channels/",),
}


# The same for the action server (``--py-spy`` samples both servers).
ACTION_PROFILE_GROUPS = {
    "the engine (filters, retrieval, ranking)": ("naviyam/domain/recommend/", "naviyam/adapters/ranking_model.py",
                                                 "faiss", "usecases/recommend_ranking.py"),
    "PostgreSQL (SQLAlchemy, psycopg)": ("sqlalchemy/", "psycopg/"),
    "Redis": ("redis/",),
    "rasa-sdk and Sanic (request, tracker JSON)": ("rasa_sdk/", "sanic/"),
    "wording and rendering": ("naviyam/domain/recommend/wording.py", "actions/rendering"),
}


def profile_shares(out: Path, groups: dict = PROFILE_GROUPS) -> dict[str, float]:
    total, counts = 0, dict.fromkeys(groups, 0)
    for row in out.read_text(encoding="utf-8", errors="replace").splitlines():
        stack, _, number = row.rpartition(" ")
        if not number.isdigit():
            continue
        total += int(number)
        for group, markers in groups.items():
            if any(marker in stack for marker in markers):
                counts[group] += int(number)
    return {group: 100 * n / total for group, n in counts.items()} if total else {}


def stop_profile(profiler: subprocess.Popen | None, out: Path | None, server: str = "Rasa server",
                 groups: dict = PROFILE_GROUPS) -> None:
    if profiler is None or out is None:
        return
    profiler.send_signal(signal.SIGINT)   # py-spy writes its file on Ctrl-C
    profiler.wait(timeout=120)
    print(f"py-spy profile of our {server} during the timed turns ({out}); share of its CPU samples:")
    for group, share in profile_shares(out, groups).items():
        print(f"  {group:<42} {share:5.1f} %")
    print(flush=True)


def sequential(rasa_url: str, mood_url: str, n: int, profile: tuple = (None, 0, None),
               action_pid: int = 0) -> None:
    new, returning, plain = [], [], []
    run = time.time_ns()
    regulars = [f"regular-{run}-{i}" for i in range(n)]
    show_onboarding(rasa_url, regulars[0])
    onboard(rasa_url, regulars[1:])
    print(f"sequential part starts ({load()})", flush=True)
    profiler = start_profile(*profile)
    py_spy, _, out = profile
    action_out = out.with_name("actions_profile.txt") if out else None
    action_profiler = start_profile(py_spy, action_pid, action_out) if action_pid else None
    for i in range(n):
        new.append(ours(rasa_url, f"bench-{run}-{i}", ASKS[i % len(ASKS)]))
        plain.append(moodbot(mood_url, f"mood-{run}-{i}"))
        returning.append(ours(rasa_url, regulars[i], ASKS[(i + 1) % len(ASKS)]))
        plain.append(moodbot(mood_url, f"mood-{run}-{i}"))
    stop_profile(profiler, out)
    stop_profile(action_profiler, action_out, "action server", ACTION_PROFILE_GROUPS)
    print("sequential (alternating requests)")
    print(line("naviyam: new user, 1st turn", new))
    print(line("naviyam: returning user", returning))
    print(line("moodbot: 'hello'", plain))
    for name, ours_p95 in (("new user", pct(new, 95)), ("returning user", pct(returning, 95)),
                           ("all", pct(new + returning, 95))):
        print(f"  naviyam p95 ({name}) / moodbot p95 = {ours_p95 / pct(plain, 95):.2f} (target <= 2)  ({load()})")
    print(flush=True)


def cpu_seconds(pids: list[int]) -> float:
    """User + system CPU time consumed so far by ``pids`` (from /proc/<pid>/stat; gone pids count 0)."""
    ticks = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rpartition(")")[2].split()
        except OSError:
            continue
        # utime, stime and the reaped children's cutime, cstime (fields 14-17 of proc(5)): a PostgreSQL
        # backend that ends during the run moves its time into the postmaster's cutime.
        ticks += sum(int(f) for f in fields[11:15])
    return ticks / os.sysconf("SC_CLK_TCK")


def named(*names: str) -> list[int]:
    """Every process whose command name is one of ``names`` (PostgreSQL's and Redis's servers)."""
    found = []
    for stat in Path("/proc").glob("[0-9]*/comm"):
        try:
            if stat.read_text().strip() in names:
                found.append(int(stat.parent.name))
        except OSError:
            continue
    return found


def concurrent(send, users: int, turns: int, label: str, prepare=None, cpu=None) -> None:
    """``cpu``: {part: function giving its pids}; prints each part's CPU time per turn of the run."""
    timings: list[float] = []
    errors = 0
    lock = threading.Lock()
    run = time.time_ns()
    if prepare is not None:  # untimed: e.g. make every user a returning child
        prepare([f"{label}-{run}-{users}-{u}" for u in range(users)])

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

    parts = {name: pids() for name, pids in (cpu or {}).items()}
    before = {name: cpu_seconds(pids) for name, pids in parts.items()}
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=users) as pool:
        list(pool.map(one_user, range(users)))
    wall = time.perf_counter() - started
    callback = sum(t > KAKAO_CALLBACK_BUDGET_S for t in timings)
    print(f"{line(f'{label} x{users} users', timings)}  {len(timings) / wall:5.1f} turns/s  "
          f"errors {errors}  over {KAKAO_CALLBACK_BUDGET_S:g} s (callback) {callback}", flush=True)
    if parts and timings:  # CPU is what bounds throughput on a saturated machine
        spent = {name: (cpu_seconds(pids) - before[name]) * 1000 / len(timings) for name, pids in parts.items()}
        print("    CPU per turn: " + ", ".join(f"{name} {ms:.1f} ms" for name, ms in spent.items())
              + f"; total {sum(spent.values()):.1f} ms", flush=True)


def production_stores(redis_url: str) -> str:
    """The tracker and lock stores `make serve` writes for REDIS_URL (fresh key prefix per run)."""
    from scripts.render_endpoints import render

    rendered = render(1, redis_url, f"bench{secrets.token_hex(4)}")
    return rendered[rendered.index("tracker_store:"):]


def tree(pid: int) -> list[int]:
    """``pid`` and its descendants (Sanic's worker processes)."""
    pids = [pid]
    for task in Path(f"/proc/{pid}/task").glob("*"):
        children = (task / "children").read_text().split() if (task / "children").exists() else []
        for child in children:
            pids += tree(int(child))
    return pids


def memory_mb(pid: int) -> tuple[float, float]:
    """Resident (RSS) and proportional (PSS) size of the process tree, in MB."""
    rss = pss = 0.0
    for one in tree(pid):
        for row in Path(f"/proc/{one}/smaps_rollup").read_text().splitlines():
            if row.startswith("Rss:"):
                rss += int(row.split()[1]) / 1024
            elif row.startswith("Pss:"):
                pss += int(row.split()[1]) / 1024
    return rss, pss


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--moodbot", type=Path, help="a folder made by `rasa init` (built when missing)")
    parser.add_argument("--sequential", type=int, default=60, help="pairs of turns per bot")
    parser.add_argument("--users", default="20,50", help="concurrent user counts")
    parser.add_argument("--turns", type=int, default=4, help="turns per user in the concurrent runs")
    parser.add_argument("--py-spy", type=Path, help="py-spy executable: profile our Rasa and action servers during the "
                        "timed sequential turns (raw collapsed stacks into --profile-out and actions_profile.txt beside it)")
    parser.add_argument("--profile-out", type=Path, default=ROOT / "benchmarks" / "out" / "rasa_profile.txt")
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
            print(f"  naviyam {first * 1000:7.1f} ms   moodbot {mood_first * 1000:7.1f} ms  ({load()})", flush=True)
            for i in range(6):  # the same short warm-up for both
                ours(servers.rasa_url, f"warm-{i}", ASKS[i])
                moodbot(mood_url, f"warm-{i}")
            sequential(servers.rasa_url, mood_url, args.sequential,
                       (args.py_spy, servers.processes[1].pid, args.profile_out), servers.processes[0].pid)
            print(f"concurrent ({args.turns} turns per user, no pause between a user's turns; naviyam: returning "
                  "children, Kakao-shaped requests)")
            for users in [int(u) for u in args.users.split(",") if u]:
                concurrent(lambda user, text: ours(servers.rasa_url, user, text), users, args.turns, "naviyam",
                           prepare=lambda names: onboard(servers.rasa_url, names),
                           cpu={"Rasa": lambda: tree(servers.processes[1].pid),
                                "actions": lambda: tree(servers.processes[0].pid),
                                "PostgreSQL": lambda: named("postgres"), "Redis": lambda: named("redis-server")})
                concurrent(lambda user, text: moodbot(mood_url, user), users, args.turns, "moodbot",
                           cpu={"Rasa": lambda: tree(mood.pid)})
            print(f"answers that asked for a place instead of recommending: {asked_place} (should be 0)")
            print("resident memory")
            for name, process in (("naviyam action server", servers.processes[0]),
                                  ("naviyam Rasa server", servers.processes[1]), ("moodbot Rasa server", mood)):
                rss, pss = memory_mb(process.pid)
                print(f"  {name:<24} RSS {rss:7.0f} MB  PSS {pss:7.0f} MB (with its worker processes)")
        finally:
            servers.stop()
            mood.terminate()
            mood.wait(timeout=20)
    return 0


if __name__ == "__main__":
    sys.exit(main())
