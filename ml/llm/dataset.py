"""Training examples for the LLM NLU model: Rasa NLU yml plus collected rows.

- Rasa NLU files (``data/nlu/*.yml``): every ``- intent:`` block; entity annotations are
  stripped from the text and kept as (entity, surface value) targets. Synonym, lookup
  and regex blocks are ignored.
- Collected rows (JSONL, one object a line): ``{"text": ..., "intent": ...,
  "entities": [{"entity": ..., "value": ...}]?}``, e.g. reviewed conversation logs
  (seed 001 §5.2: only rows that passed review / quality > 0.7 belong here), or rows
  exported from the ``conversations`` table by :func:`rows_from_conversations`.

Standard library + PyYAML only.
"""
from __future__ import annotations

import json
import random
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from naviyam.shared.llm_prompts import normalise_text, strip_annotations
from naviyam.shared.personal_data import mask_personal_data


@dataclass(frozen=True)
class Example:
    text: str
    intent: str
    entities: tuple[tuple[str, str], ...] = field(default=())

    @property
    def entity_dicts(self) -> list[dict]:
        return [{"entity": name, "value": value} for name, value in self.entities]


def _examples_block(raw: object) -> list[str]:
    if isinstance(raw, str):
        lines = []
        for line in raw.splitlines():
            line = line.strip()
            if line.startswith("- "):
                lines.append(line[2:])
            elif line.startswith("-") and len(line) > 1:
                lines.append(line[1:])
        return lines
    if isinstance(raw, list):  # the extended format: [{"text": ..., "metadata": ...}]
        return [str(item.get("text", "")) if isinstance(item, dict) else str(item) for item in raw]
    return []


def read_rasa_nlu_file(path: Path) -> list[Example]:
    document = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    examples: list[Example] = []
    for block in document.get("nlu") or []:
        if not isinstance(block, dict) or "intent" not in block:
            continue
        intent = str(block["intent"]).strip()
        for raw in _examples_block(block.get("examples")):
            text, entities = strip_annotations(raw)
            if text:
                examples.append(
                    Example(text, intent, tuple((e["entity"], e["value"]) for e in entities))
                )
    return examples


def read_rasa_nlu(paths: Iterable[Path]) -> list[Example]:
    """Examples from NLU files and/or directories (``*.yml``/``*.yaml`` inside, sorted)."""
    examples: list[Example] = []
    for path in paths:
        path = Path(path)
        files = sorted([*path.glob("**/*.yml"), *path.glob("**/*.yaml")]) if path.is_dir() else [path]
        for file in files:
            examples.extend(read_rasa_nlu_file(file))
    return examples


def read_collected_rows(path: Path) -> list[Example]:
    """Examples from a JSONL file; a malformed line is a clear error with its number."""
    examples: list[Example] = []
    with Path(path).open(encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                row = json.loads(line)
                text = mask_personal_data(normalise_text(row["text"]))
                intent = str(row["intent"]).strip()
                entities = tuple(
                    (str(e["entity"]), mask_personal_data(str(e["value"]))) for e in row.get("entities") or []
                )
            except (ValueError, KeyError, TypeError) as exc:
                raise ValueError(f"{path}:{number}: not a training row ({exc})") from exc
            if text and intent:
                examples.append(Example(text, intent, entities))
    return examples


def rows_from_conversations(session, min_confidence: float = 0.9, limit: int | None = None) -> list[dict]:
    """Collected rows from answered turns whose Rasa intent was predicted confidently.

    Returns JSONL-ready dicts (``text``, ``intent``) for :func:`read_collected_rows`.
    Needs the app environment (SQLAlchemy); imported lazily so the rest of this
    module stays light.
    """
    from sqlalchemy import select

    from naviyam.adapters.db.models import Conversation

    query = (
        select(Conversation.input_text, Conversation.rasa_intent)
        .where(Conversation.rasa_intent.is_not(None))
        .where(Conversation.intent_confidence >= min_confidence)
        .order_by(Conversation.id)
    )
    if limit:
        query = query.limit(limit)
    # Rows were masked when stored; masked again here so rows stored before a masking
    # improvement never leave the database with personal data (docs/CHANNELS.md).
    return [
        {"text": mask_personal_data(normalise_text(text)), "intent": intent}
        for text, intent in session.execute(query)
        if normalise_text(text)
    ]


def deduplicate(examples: Iterable[Example]) -> list[Example]:
    """Drop repeated (text, intent) pairs, keeping the first (and its entities)."""
    seen: set[tuple[str, str]] = set()
    unique = []
    for example in examples:
        key = (example.text, example.intent)
        if key not in seen:
            seen.add(key)
            unique.append(example)
    return unique


def stratified_split(
    examples: Sequence[Example], eval_fraction: float, seed: int
) -> tuple[list[Example], list[Example]]:
    """Split per intent so that every intent with >= 2 examples has one in each part."""
    by_intent: dict[str, list[Example]] = defaultdict(list)
    for example in examples:
        by_intent[example.intent].append(example)
    rng = random.Random(seed)
    train, held_out = [], []
    for intent in sorted(by_intent):
        items = list(by_intent[intent])
        rng.shuffle(items)
        n_eval = int(round(len(items) * eval_fraction)) if eval_fraction > 0 else 0
        if eval_fraction > 0 and len(items) >= 2:
            n_eval = min(max(n_eval, 1), len(items) - 1)
        held_out.extend(items[:n_eval])
        train.extend(items[n_eval:])
    rng.shuffle(train)
    return train, held_out


def intents_of(examples: Iterable[Example]) -> list[str]:
    return sorted({example.intent for example in examples})


def entity_types_of(examples: Iterable[Example]) -> list[str]:
    return sorted({name for example in examples for name, _ in example.entities})


def export_conversations(output: Path, min_confidence: float = 0.9, database_url: str | None = None) -> int:
    """Write confidently predicted answered turns as JSONL training rows; returns the count."""
    from naviyam.adapters.db.session import unit_of_work

    with unit_of_work(database_url) as session:
        rows = rows_from_conversations(session, min_confidence)
    output.parent.mkdir(parents=True, exist_ok=True)
    with output.open("w", encoding="utf-8") as handle:
        for row in rows:
            handle.write(json.dumps(row, ensure_ascii=False) + "\n")
    return len(rows)


def main(argv: Sequence[str] | None = None) -> None:
    import argparse

    parser = argparse.ArgumentParser(
        description="Export collected training rows (JSONL) from the conversations table "
                    "(DATABASE_URL); review them before passing them to finetune_lora --collected."
    )
    parser.add_argument("--output", type=Path, required=True)
    parser.add_argument("--min-confidence", type=float, default=0.9)
    parser.add_argument("--database-url", default=None, help="default: DATABASE_URL / the embedded default")
    args = parser.parse_args(argv)
    count = export_conversations(args.output, args.min_confidence, args.database_url)
    print(f"{count} rows written to {args.output}")


if __name__ == "__main__":
    main()
