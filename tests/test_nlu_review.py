"""NLU review queue (issue 15): low-confidence messages exported as Rasa YAML, designers'
corrections imported as training rows with label source "corrected"."""
from __future__ import annotations

import uuid

import yaml
from sqlalchemy import select

from naviyam.adapters import rasa_events
from naviyam.adapters.db.models.learning import NluTrainingRow
from naviyam.adapters.db.session import unit_of_work
from naviyam.manage import main
from naviyam.usecases.learning.consumer import consume_all
from tests.test_event_consumer import user_event


def test_export_edit_import_round_trip(database_url, monkeypatch, tmp_path):
    monkeypatch.setenv("NAVIYAM_EVENTS_DB_URL", database_url)
    sender = f"review_{uuid.uuid4().hex[:8]}"
    rasa_events.append([user_event(sender, "그 매운 거 있잖아", "nlu_fallback", 0.35, 7000.0),
                        user_event(sender, "돈 얼마 남았더라", "balance_check", 0.55, 7001.0)])
    consume_all()
    queue = tmp_path / "review.yml"
    assert main(["nlu-review", "export", str(queue)]) == 0
    data = yaml.safe_load(queue.read_text(encoding="utf-8"))
    blocks = {b["intent"]: b["examples"] for b in data["nlu"]}
    mine = {e["text"]: e for examples in blocks.values() for e in examples
            if e["text"] in ("그 매운 거 있잖아", "돈 얼마 남았더라")}
    assert set(mine) == {"그 매운 거 있잖아", "돈 얼마 남았더라"}
    # the designer: the first meant food_request, the second is right as predicted
    edited = {"version": "3.1", "nlu": [
        {"intent": "food_request", "examples": [mine["그 매운 거 있잖아"]]},
        {"intent": "balance_check", "examples": [mine["돈 얼마 남았더라"]]}]}
    queue.write_text(yaml.safe_dump(edited, allow_unicode=True), encoding="utf-8")
    assert main(["nlu-review", "import", str(queue)]) == 0
    with unit_of_work() as session:
        rows = {r.input_text: r for r in session.scalars(select(NluTrainingRow).where(
            NluTrainingRow.input_text.in_(list(mine))))}
        assert {t: (r.true_intent, r.label_source, r.review_status) for t, r in rows.items()} == {
            "그 매운 거 있잖아": ("food_request", "corrected", "reviewed"),
            "돈 얼마 남았더라": ("balance_check", "corrected", "reviewed")}
    training = tmp_path / "learned.yml"
    assert main(["nlu-review", "training", str(training)]) == 0
    learned = yaml.safe_load(training.read_text(encoding="utf-8"))
    assert any(e["text"] == "그 매운 거 있잖아" for b in learned["nlu"] if b["intent"] == "food_request"
               for e in b["examples"])
    queue.write_text("nlu:\n- intent: greet\n  examples:\n  - text: hi\n", encoding="utf-8")
    assert main(["nlu-review", "import", str(queue)]) == 2  # no review_id: refused, nothing written
