"""Deterministic generator of ``data/sample_data.xlsx`` (one sheet per table).

Same seed and options → the same workbook, byte for byte (fixed random seed, fixed
dates, fixed zip timestamps). Nothing depends on the clock: order histories and
wallets are dated relative to ``dates.AS_OF`` and coupons are valid 2026-01-01..2027-12-31
(plus a few expired or inactive ones).

    python -m devtools.sampledata.generate [--out PATH] [--shops N] [--seed S]

The parts: ``shops`` (shops, menus, with ``hours``), ``coupons``, ``users`` (users, meal
cards, profiles, with ``orders`` and ``wallets``), ``workbook`` (the .xlsx writer); the
static content they draw from is in ``catalog``.
"""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from devtools.sampledata.catalog.places import NEIGHBOURHOODS
from devtools.sampledata.catalog.shops import CATEGORY_WEIGHTS
from devtools.sampledata.coupons import build_coupons
from devtools.sampledata.shops import build_shops_and_menus
from devtools.sampledata.users import Rows, build_users
from devtools.sampledata.workbook import write_workbook

DEFAULT_SEED = 20261121
DEFAULT_SHOPS = 330
MIN_SHOPS = len(NEIGHBOURHOODS) * len(CATEGORY_WEIGHTS)  # one of each category per neighbourhood


def build_dataset(seed: int = DEFAULT_SEED, n_shops: int = DEFAULT_SHOPS) -> Rows:
    """All sheets as lists of row dicts (Python values), in sheet order."""
    if n_shops < MIN_SHOPS:
        raise ValueError(f"--shops must be at least {MIN_SHOPS}")
    shops, menus = build_shops_and_menus(seed, n_shops)
    coupons = build_coupons(shops)
    people = build_users(seed, shops, menus, coupons)
    return {"shops": shops, "menus": menus, "users": people["users"],
            "foodcard_users": people["foodcard_users"], "user_profiles": people["user_profiles"],
            "coupons": coupons, "user_coupon_wallet": people["user_coupon_wallet"],
            "orders": people["orders"]}


def generate_workbook(path: Path | str, seed: int = DEFAULT_SEED, n_shops: int = DEFAULT_SHOPS) -> dict[str, int]:
    """Build the dataset and write it to ``path``; returns the row count per sheet."""
    dataset = build_dataset(seed, n_shops)
    write_workbook(dataset, path)
    return {name: len(rows) for name, rows in dataset.items()}


def main(argv: list[str] | None = None) -> int:
    from naviyam.config import get_settings

    parser = argparse.ArgumentParser(prog="python -m devtools.sampledata.generate",
                                     description="Write the deterministic sample dataset workbook.")
    parser.add_argument("--out", type=Path, default=None,
                        help="output .xlsx (default: NAVIYAM_SAMPLE_DATA or data/sample_data.xlsx)")
    parser.add_argument("--shops", type=int, default=DEFAULT_SHOPS, help=f"number of shops (default {DEFAULT_SHOPS})")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    args = parser.parse_args(argv)
    out = args.out or get_settings().sample_data_path
    try:
        counts = generate_workbook(out, seed=args.seed, n_shops=args.shops)
    except ValueError as exc:
        parser.error(str(exc))
    summary = ", ".join(f"{name} {n}" for name, n in counts.items())
    print(f"Wrote {out}: {summary}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
