"""The size check of scripts/check_shape.py finds long files and classes, and allows migrations."""
from __future__ import annotations

import importlib.util
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
spec = importlib.util.spec_from_file_location("check_shape", ROOT / "scripts" / "check_shape.py")
check_shape = importlib.util.module_from_spec(spec)
spec.loader.exec_module(check_shape)


def test_long_files_and_classes_are_reported_and_migrations_allowed(tmp_path):
    package = tmp_path / "naviyam"
    (package / "adapters/db/migrations/versions").mkdir(parents=True)
    (package / "short.py").write_text("x = 1\n")
    (package / "long.py").write_text("x = 1\n" * 401)
    (package / "big_class.py").write_text("class Big:\n" + "    x = 1\n" * 200)
    (package / "adapters/db/migrations/versions/0001_big.py").write_text("x = 1\n" * 900)
    found = check_shape.problems(tmp_path)
    assert found == ["naviyam/big_class.py:1: class Big is 201 lines (max 200)",
                     "naviyam/long.py: 401 lines (max 400)"]
