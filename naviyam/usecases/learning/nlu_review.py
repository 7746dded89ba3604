"""The NLU review queue: low-confidence messages out to designers, their labels back in.

``export_queue`` writes every pending message (confidence under NAVIYAM_NLU_CONFIDENT and not
resolved by a clarifying question) as Rasa NLU YAML, grouped under the intent the model
predicted, each example carrying ``metadata: {review_id: N}``. Designers move examples
under the right intent (or leave them under ``nlu_fallback`` to drop them) and
``import_corrections`` stores those labels with ``label_source = corrected``.
``export_training`` writes every labelled row (confident, clarified, corrected) in the same
format for Rasa training (add the file to data/nlu) and the LoRA data builder.
"""
from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timezone
from pathlib import Path

import yaml
from sqlalchemy import select

from naviyam.adapters.db.models.learning import NluTrainingRow
from naviyam.adapters.db.session import unit_of_work

DROP_INTENT = "nlu_fallback"


def _dump(groups: dict[str, list[dict]], path: Path, comment: str) -> None:
    data = {"version": "3.1", "nlu": [{"intent": intent, "examples": examples}
                                      for intent, examples in sorted(groups.items())]}
    path.write_text(f"# {comment}\n" + yaml.safe_dump(data, allow_unicode=True, sort_keys=False), encoding="utf-8")


def export_queue(path: Path, limit: int = 1000) -> int:
    with unit_of_work() as session:
        rows = session.scalars(select(NluTrainingRow).where(NluTrainingRow.review_status.in_(("pending", "exported")))
                               .order_by(NluTrainingRow.id).limit(limit)).all()
        groups: dict[str, list[dict]] = defaultdict(list)
        for row in rows:
            groups[row.predicted_intent or DROP_INTENT].append(
                {"text": row.input_text, "metadata": {"review_id": row.id,
                                                      "confidence": float(row.prediction_confidence or 0)}})
            row.review_status = "exported"
        _dump(groups, path, "NLU review queue: move each example under the intent it means; "
                            f"leave it under {DROP_INTENT} to drop it. Then: manage nlu-review import FILE")
        return len(rows)


def import_corrections(path: Path) -> int:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (OSError, yaml.YAMLError) as exc:
        raise ValueError(f"cannot read {path}: {exc}") from None
    labels: dict[int, str | None] = {}
    for block in data.get("nlu") or []:
        intent = block.get("intent") if isinstance(block, dict) else None
        examples = block.get("examples") if isinstance(block, dict) else None
        if not intent or not isinstance(examples, list):
            raise ValueError("every nlu entry needs an intent and a list of examples with metadata.review_id")
        for example in examples:
            review_id = ((example or {}).get("metadata") or {}).get("review_id") if isinstance(example, dict) else None
            if not isinstance(review_id, int):
                raise ValueError(f"an example under {intent!r} has no metadata.review_id")
            labels[review_id] = None if intent == DROP_INTENT else str(intent)
    now = datetime.now(timezone.utc)
    with unit_of_work() as session:
        rows = session.scalars(select(NluTrainingRow).where(NluTrainingRow.id.in_(list(labels)))).all()
        for row in rows:
            row.true_intent = labels[row.id]
            row.label_source, row.labeler_id = "corrected", "designer"
            row.review_status, row.updated_at = "reviewed", now
        return sum(1 for row in rows if row.true_intent)


def export_training(path: Path) -> int:
    """Every labelled message (confident, clarified, corrected) as Rasa NLU YAML."""
    with unit_of_work() as session:
        rows = session.scalars(select(NluTrainingRow).where(
            NluTrainingRow.true_intent.is_not(None),
            NluTrainingRow.label_source.in_(("confident", "clarified", "corrected")))
            .order_by(NluTrainingRow.id)).all()
        groups: dict[str, list[dict]] = defaultdict(list)
        seen: set[tuple[str, str]] = set()
        for row in rows:
            if (row.true_intent, row.input_text) not in seen:
                seen.add((row.true_intent, row.input_text))
                groups[row.true_intent].append({"text": row.input_text, "metadata": {"label_source": row.label_source}})
        _dump(groups, path, "Labelled user messages from the learning loop (personal data masked)")
        return sum(len(v) for v in groups.values())
