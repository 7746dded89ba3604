"""What the lookup generators share (scripts/gen_food_lookup.py, scripts/gen_location_lookup.py).

Each renders a Rasa NLU file of lookup and synonym tables from a source of truth and either
writes it or, with ``--check``, fails when the committed file differs. Never edit a generated
file by hand: edit the source and rerun its generator.
"""
from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Iterable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def table(kind: str, name: str, examples: Iterable[str]) -> list[str]:
    """``- lookup: <name>`` or ``- synonym: <name>`` and its examples, one line each."""
    return [f"- {kind}: {name}", "  examples: |", *(f"    - {example}" for example in examples)]


def nlu_file(header: str, tables: Iterable[list[str]]) -> str:
    """The file's text: the header (version and comments), then ``nlu:`` and the tables."""
    lines = ["nlu:"]
    for lines_of_table in tables:
        lines += lines_of_table
    return header + "\n".join(lines) + "\n"


def write_or_check(output: Path, render: Callable[[], tuple[str, str]], *, generator: str, description: str,
                   argv: list[str] | None = None) -> int:
    """The generator's command line: write ``output``, or with ``--check`` exit 1 when it is out of date.

    ``render`` returns the text and what it holds, for the message ("702 dishes");
    ``generator`` is the script's file name, named in the out-of-date message.
    """
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--check", action="store_true", help="exit 1 when the file is out of date")
    args = parser.parse_args(argv)
    text, holds = render()
    name = output.relative_to(ROOT) if output.is_relative_to(ROOT) else output
    if args.check:
        current = output.read_text(encoding="utf-8") if output.exists() else ""
        if current != text:
            print(f"{name} is out of date: run scripts/{generator}", file=sys.stderr)
            return 1
        print(f"{name} is up to date ({holds})")
        return 0
    output.write_text(text, encoding="utf-8")
    print(f"wrote {name} ({holds})")
    return 0
