"""Fuzz the three webhooks with 10,000 hostile requests and print the status counts.

Runs tests/channels/test_fuzz_webhooks.py (real Rasa and action servers, fake Kakao and
Telegram) with NAVIYAM_FUZZ_EXAMPLES=3334 per webhook. Prints figures, asserts nothing
about time; the fuzz test's own checks (no 5xx, Korean replies) still apply.

    .venv-app/bin/python benchmarks/fuzz_webhooks.py [--examples N]
"""
from __future__ import annotations

import argparse
import os
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--examples", type=int, default=3334, help="requests per webhook (default 3334)")
    args, _ = parser.parse_known_args()
    env = {**os.environ, "NAVIYAM_FUZZ_EXAMPLES": str(args.examples), "NAVIYAM_DEV_MODE": "1",
           "PYTHONPATH": str(ROOT)}
    started = time.perf_counter()
    done = subprocess.run([sys.executable, "-m", "pytest", "tests/channels/test_fuzz_webhooks.py", "-q", "-s",
                           "-p", "no:cacheprovider"], cwd=ROOT, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - started
    for line in done.stdout.splitlines():
        if "fuzz " in line:
            print(line[line.index("fuzz "):])  # pytest's progress dots may precede it
        elif "passed" in line or "failed" in line:
            print(line)
    total = 3 * args.examples
    print(f"fuzz: {total} requests planned in {elapsed:.0f} s ({total / elapsed:.1f} requests/s incl. start-up)")
    if done.returncode:
        print(done.stdout[-3000:])
    return done.returncode


if __name__ == "__main__":
    sys.exit(main())
