"""scripts/check_nlu_report.py: the NLU quality gate used by scripts/nlu_eval.sh."""
import json
import subprocess
import sys
from pathlib import Path

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "check_nlu_report.py"


def report(accuracy: float, macro_f1: float) -> dict:
    intents = {name: {"precision": 1.0, "recall": 1.0, "f1-score": macro_f1, "support": 10}
               for name in ("food_request", "budget_inquiry", "greet")}
    return {**intents, "accuracy": accuracy,
            "macro avg": {"precision": 1, "recall": 1, "f1-score": macro_f1, "support": 30},
            "weighted avg": {"precision": 1, "recall": 1, "f1-score": macro_f1, "support": 30}}


def check(tmp_path, data) -> subprocess.CompletedProcess:
    path = tmp_path / "intent_report.json"
    if data is not None:
        path.write_text(json.dumps(data))
    return subprocess.run([sys.executable, str(SCRIPT), str(path), "--summary",
                           str(tmp_path / "summary.json")], capture_output=True, text=True)


def test_passes_at_the_thresholds(tmp_path):
    result = check(tmp_path, report(0.95, 0.93))
    assert result.returncode == 0, result.stdout
    summary = json.loads((tmp_path / "summary.json").read_text())
    assert summary["accuracy"] == 0.95 and summary["seed_intent_f1"]["food_request"] == 0.93


def test_fails_below_either_threshold(tmp_path):
    assert check(tmp_path, report(0.89, 0.95)).returncode == 1
    assert check(tmp_path, report(0.95, 0.85)).returncode == 1


def test_missing_report_is_an_error_not_a_pass(tmp_path):
    assert check(tmp_path, None).returncode == 2
