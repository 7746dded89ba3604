"""Fail when a source file is over 400 lines or a class over 200 (issue 9, "the shape of the house").

Checked: the product (naviyam/, actions/, bot/) and the code beside it (ml/, devtools/, scripts/,
benchmarks/). Alembic migrations are generated-and-reviewed schema history: they are allowed to be
long and listed in ALLOWED. Run: python scripts/check_shape.py (exit 1 and a list when over).
"""
from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CHECKED = ("naviyam", "actions", "bot", "ml", "devtools", "scripts", "benchmarks")
MAX_FILE_LINES = 400
MAX_CLASS_LINES = 200
ALLOWED = ("naviyam/adapters/db/migrations/versions/",)


def problems(root: Path = ROOT) -> list[str]:
    found: list[str] = []
    for folder in CHECKED:
        for path in sorted((root / folder).rglob("*.py")):
            rel = path.relative_to(root).as_posix()
            if rel.startswith(ALLOWED):
                continue
            source = path.read_text(encoding="utf-8")
            lines = source.count("\n") + (0 if source.endswith("\n") or not source else 1)
            if lines > MAX_FILE_LINES:
                found.append(f"{rel}: {lines} lines (max {MAX_FILE_LINES})")
            for node in ast.walk(ast.parse(source, filename=rel)):
                if isinstance(node, ast.ClassDef):
                    size = node.end_lineno - node.lineno + 1
                    if size > MAX_CLASS_LINES:
                        found.append(f"{rel}:{node.lineno}: class {node.name} is {size} lines (max {MAX_CLASS_LINES})")
    return found


def main() -> int:
    found = problems()
    for line in found:
        print(line)
    if found:
        print(f"{len(found)} shape problem(s): split along a real seam (docs/ARCHITECTURE.md)", file=sys.stderr)
        return 1
    print("shape: every file <= %d lines, every class <= %d lines" % (MAX_FILE_LINES, MAX_CLASS_LINES))
    return 0


if __name__ == "__main__":
    sys.exit(main())
