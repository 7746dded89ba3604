"""Check a Rasa intent report against quality thresholds (used by scripts/nlu_eval.sh).

    python scripts/check_nlu_report.py results/nlu/intent_report.json \
        --min-accuracy 0.90 --min-macro-f1 0.90 --summary results/nlu/summary.json
    python scripts/check_nlu_report.py results/nlu_cv/intent_report.json --label cv \
        --entity-report results/nlu_cv/DIETClassifier_report.json --entities food_type location

Prints accuracy, macro F1 and the per-intent F1 of the seed intents; exits 1 when a
threshold is not met, 2 when the report is missing or unreadable. Stdlib only.
"""
from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

SEED_INTENTS = ("food_request", "budget_inquiry", "coupon_inquiry", "location_inquiry",
                "time_inquiry", "general_chat", "menu_option", "emergency_food",
                "group_dining", "balance_check", "balance_charge")
NOT_INTENTS = {"accuracy", "macro avg", "weighted avg", "micro avg"}


def summarise(report: dict) -> dict:
    per_intent = {name: round(values.get("f1-score", 0.0), 4)
                  for name, values in report.items()
                  if name not in NOT_INTENTS and isinstance(values, dict)}
    return {
        "accuracy": round(float(report["accuracy"]), 4),
        "macro_f1": round(float(report["macro avg"]["f1-score"]), 4),
        "weighted_f1": round(float(report["weighted avg"]["f1-score"]), 4),
        "examples": int(report["macro avg"].get("support", 0)),
        "seed_intent_f1": {name: per_intent.get(name) for name in SEED_INTENTS},
        "intent_f1": per_intent,
    }


def entity_scores(path: Path, names: list[str]) -> dict[str, float | None]:
    """F1 of the named entities in a Rasa entity report (None when the entity is absent)."""
    report = json.loads(path.read_text(encoding="utf-8"))
    return {name: (round(float(report[name]["f1-score"]), 4) if isinstance(report.get(name), dict) else None)
            for name in names}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path)
    parser.add_argument("--min-accuracy", type=float, default=0.90)
    parser.add_argument("--min-macro-f1", type=float, default=0.90)
    parser.add_argument("--summary", type=Path)
    parser.add_argument("--label", default="held-out NLU", help="what the report is of (printed)")
    parser.add_argument("--entity-report", type=Path, help="an entity report (e.g. DIETClassifier_report.json)")
    parser.add_argument("--entities", nargs="*", default=[], help="entities whose F1 is checked")
    parser.add_argument("--min-entity-f1", type=float, default=0.90)
    args = parser.parse_args(argv)
    try:
        summary = summarise(json.loads(args.report.read_text(encoding="utf-8")))
        entity_f1 = entity_scores(args.entity_report, args.entities) if args.entity_report else {}
    except (OSError, ValueError, KeyError) as exc:
        print(f"cannot read the report {args.report} / {args.entity_report}: {exc}", file=sys.stderr)
        return 2
    summary["entity_f1"] = entity_f1
    if args.summary:
        args.summary.write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"{args.label}: accuracy {summary['accuracy']:.3f} (min {args.min_accuracy}), "
          f"macro F1 {summary['macro_f1']:.3f} (min {args.min_macro_f1}), "
          f"{summary['examples']} examples")
    for name, f1 in summary["seed_intent_f1"].items():
        print(f"  {name:<18} F1 {f1 if f1 is not None else 'n/a'}")
    weak = {k: v for k, v in summary["intent_f1"].items() if v < 0.8}
    if weak:
        print(f"  intents below 0.8 F1: {weak}")
    for name, f1 in entity_f1.items():
        print(f"  entity {name:<12} F1 {f1 if f1 is not None else 'n/a'} (min {args.min_entity_f1})")
    ok = summary["accuracy"] >= args.min_accuracy and summary["macro_f1"] >= args.min_macro_f1
    ok = ok and all(f1 is not None and f1 >= args.min_entity_f1 for f1 in entity_f1.values())
    print("PASS" if ok else "FAIL: NLU quality below the thresholds")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
