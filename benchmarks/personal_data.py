"""Personal-data masking: coverage and cost on generated messages (prints figures only).

    .venv-app/bin/python benchmarks/personal_data.py [--samples 2000]

Generates messages with the Hypothesis strategies of tests/test_personal_data_property.py
(mobile and landline phones, Luhn-valid card numbers, resident numbers; any Unicode digit
script, Korean digit words or both, any dash/dot/space separator, Korean text around) and
prints how many still hold the number (as written, or read back as digits) after
``mask_personal_data``, the time per message, and whether ordinary amounts and head
counts are left alone.
"""
from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hypothesis import HealthCheck, given, settings  # noqa: E402
from hypothesis import strategies as st  # noqa: E402

from naviyam.shared.personal_data import digit_runs, mask_personal_data  # noqa: E402
from tests.test_personal_data_property import (  # noqa: E402
    PREFIXES, SUFFIXES, card_numbers, landline_numbers, mobile_numbers, resident_numbers,
)

ORDINARY = ["5천원", "만 이천원", "4500원", "1만5천원", "삼천오백원", "7,000원", "세 명", "3명이서",
            "2026-11-23 점심", "8000원 이하 2인분", "떡볶이 5천원으로 친구랑 둘이서"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=2000)
    args = parser.parse_args()
    samples: list[tuple[str, str]] = []

    @settings(max_examples=args.samples, deadline=None, database=None, suppress_health_check=list(HealthCheck))
    @given(st.sampled_from(PREFIXES),
           st.one_of(mobile_numbers(), landline_numbers(), card_numbers(), resident_numbers()),
           st.sampled_from(SUFFIXES))
    def collect(prefix: str, number: str, suffix: str) -> None:
        samples.append((prefix + number + suffix, number))

    collect()
    start = time.perf_counter()
    masked = [mask_personal_data(text) for text, _ in samples]
    elapsed = time.perf_counter() - start
    leaks = 0
    for (_, number), out in zip(samples, masked):
        digits = "".join(run.digits for run in digit_runs(number))
        if number in out or any(digits in run.digits for run in digit_runs(out)):
            leaks += 1
    changed = [text for text in ORDINARY if mask_personal_data(text) != text]
    print(f"generated messages: {len(samples)}")
    print(f"still holding the number after masking: {leaks}")
    print(f"masking time: {elapsed / max(1, len(samples)) * 1e6:.0f} us per message")
    print(f"ordinary amounts/head counts changed: {len(changed)} of {len(ORDINARY)} {changed}")


if __name__ == "__main__":
    main()
