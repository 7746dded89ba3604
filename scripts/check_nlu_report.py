"""Check a Rasa intent report against quality thresholds (used by scripts/nlu_eval.sh).

    python scripts/check_nlu_report.py results/nlu/intent_report.json \
        --min-accuracy 0.90 --min-macro-f1 0.90 --summary results/nlu/summary.json

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


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("report", type=Path)
    parser.add_argument("--min-accuracy", type=float, default=0.90)
    parser.add_argument("--min-macro-f1", type=float, default=0.90)
    parser.add_argument("--summary", type=Path)
    args = parser.parse_args(argv)
    try:
        summary = summarise(json.loads(args.report.read_text(encoding="utf-8")))
    except (OSError, ValueError, KeyError) as exc:
        print(f"cannot read the intent report {args.report}: {exc}", file=sys.stderr)
        return 2
    if args.summary:
        args.summary.write_text(json.dumps(summary, ensure_ascii=False, indent=2), encoding="utf-8")
    print(f"held-out NLU: accuracy {summary['accuracy']:.3f} (min {args.min_accuracy}), "
          f"macro F1 {summary['macro_f1']:.3f} (min {args.min_macro_f1}), "
          f"{summary['examples']} examples")
    for name, f1 in summary["seed_intent_f1"].items():
        print(f"  {name:<18} F1 {f1 if f1 is not None else 'n/a'}")
    weak = {k: v for k, v in summary["intent_f1"].items() if v < 0.8}
    if weak:
        print(f"  intents below 0.8 F1: {weak}")
    ok = summary["accuracy"] >= args.min_accuracy and summary["macro_f1"] >= args.min_macro_f1
    print("PASS" if ok else "FAIL: NLU quality below the thresholds")
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
