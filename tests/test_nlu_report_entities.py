"""scripts/check_nlu_report.py --entity-report: the cross-validation gate on food_type/location F1."""
import json
import subprocess
import sys

from tests.test_nlu_report_check import SCRIPT, report


def run(tmp_path, food_f1, location=True):
    (tmp_path / "intent_report.json").write_text(json.dumps(report(0.95, 0.95)))
    entities = {"food_type": {"f1-score": food_f1, "support": 40}}
    if location:
        entities["location"] = {"f1-score": 0.93, "support": 20}
    (tmp_path / "entities.json").write_text(json.dumps(entities))
    return subprocess.run([sys.executable, str(SCRIPT), str(tmp_path / "intent_report.json"), "--label", "cv",
                           "--entity-report", str(tmp_path / "entities.json"), "--entities", "food_type", "location",
                           "--summary", str(tmp_path / "summary.json")], capture_output=True, text=True)


def test_entity_f1_at_the_threshold_passes(tmp_path):
    done = run(tmp_path, 0.91)
    assert done.returncode == 0, done.stdout
    assert json.loads((tmp_path / "summary.json").read_text())["entity_f1"] == {"food_type": 0.91, "location": 0.93}


def test_low_or_missing_entity_f1_fails(tmp_path):
    assert run(tmp_path, 0.80).returncode == 1
    assert run(tmp_path, 0.95, location=False).returncode == 1
