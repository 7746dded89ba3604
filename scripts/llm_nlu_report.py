"""Does the LLM earn its vote? DIET alone, the LLM alone and merges on the held-out NLU sets.

    NAVIYAM_LLM_URL=http://127.0.0.1:8010 .venv-rasa/bin/python scripts/llm_nlu_report.py \
        --model models/naviyam.tar.gz [--files tests/nlu_test/held_out.yml ...] [--out results/llm_nlu]

Runs in the Rasa environment. The model must carry the LLM component in shadow mode
(config.yml ``merge_policy: diet_only``, the default): every parse then holds DIET's intent
and ranking and the LLM's ranking (``llm_nlu``). The merges (``llm_if_confident`` at several
thresholds, ``weighted`` at several weights; bot/nlu/llm_merge.py) are replayed on those
answers, so one pass over each file scores every policy. Writes ``report.json`` and prints a
table; the recommended policy is the best merge only when it beats DIET on every file, else
``diet_only`` (keep the shadow). Without a configured LLM only DIET is scored.
"""
from __future__ import annotations

import argparse
import asyncio
import json
import re
import sys
from pathlib import Path
from typing import Any, Dict, Iterable, List, Optional, Tuple

import yaml

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_FILES = [ROOT / "tests" / "nlu_test" / "held_out.yml", ROOT / "tests" / "nlu_test" / "held_out_strangers.yml"]
ANNOTATION = re.compile(r"\[([^\]]*)\]\([^)]*\)|\[([^\]]*)\]\{[^}]*\}")
FALLBACK = "nlu_fallback"
THRESHOLDS = (0.5, 0.6, 0.7, 0.8, 0.9)
WEIGHTS = (0.3, 0.5, 0.7)


def examples(path: Path) -> List[Tuple[str, str]]:
    """(plain text, intent) of every example of a Rasa NLU YAML file."""
    found: List[Tuple[str, str]] = []
    for item in (yaml.safe_load(path.read_text(encoding="utf-8")) or {}).get("nlu", []):
        if "intent" in item:
            for line in str(item.get("examples") or "").splitlines():
                text = line.strip()[2:].strip()
                if text:
                    found.append((ANNOTATION.sub(lambda m: m.group(1) or m.group(2), text), item["intent"]))
    return found


def scores(gold: List[str], predicted: List[Optional[str]]) -> Dict[str, float]:
    """Accuracy and macro F1 over the gold intents (a missing prediction counts as wrong)."""
    labels = sorted(set(gold))
    f1s = []
    for label in labels:
        tp = sum(1 for g, p in zip(gold, predicted) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, predicted) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, predicted) if g == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1s.append(2 * precision * recall / (precision + recall) if precision + recall else 0.0)
    accuracy = sum(1 for g, p in zip(gold, predicted) if g == p) / len(gold) if gold else 0.0
    return {"accuracy": round(accuracy, 4), "macro_f1": round(sum(f1s) / len(f1s), 4) if f1s else 0.0,
            "examples": len(gold)}


def policies() -> List[Tuple[str, str, float]]:
    """(label, merge policy, parameter) of every merge replayed."""
    return ([(f"llm_if_confident@{t}", "llm_if_confident", t) for t in THRESHOLDS]
            + [(f"weighted@{w}", "weighted", w) for w in WEIGHTS])


def replay(row: Dict[str, Any], policy: str, parameter: float, fallback_threshold: float) -> Optional[str]:
    """The intent a merge would have given for one parsed message (DIET's when the LLM gave none)."""
    from bot.nlu.llm_merge import merge_intents  # Rasa environment only

    if not row.get("llm_ranking"):
        return row["diet"]
    ranking = [r for r in row["diet_ranking"] if r.get("name") != FALLBACK]
    diet_top = dict(ranking[0]) if ranking else {}
    intent, _, _ = merge_intents(diet_top, ranking, row["llm_ranking"], policy,
                                 threshold=parameter, weight=parameter)
    if float(intent.get("confidence") or 0.0) < fallback_threshold:
        return FALLBACK
    return intent.get("name")


def report(rows_by_file: Dict[str, List[Dict[str, Any]]], fallback_threshold: float = 0.7) -> Dict[str, Any]:
    """Scores of DIET, the LLM and every merge per file, and the recommended policy."""
    result: Dict[str, Any] = {"files": {}}
    for name, rows in rows_by_file.items():
        gold = [r["gold"] for r in rows]
        table = {"diet": scores(gold, [r["diet"] for r in rows])}
        if any(r.get("llm_ranking") for r in rows):
            table["llm"] = scores(gold, [(r.get("llm_ranking") or [{}])[0].get("name") for r in rows])
            for label, policy, parameter in policies():
                table[label] = scores(gold, [replay(r, policy, parameter, fallback_threshold) for r in rows])
        result["files"][name] = table
    merges = [label for label, _, _ in policies()
              if all(label in t for t in result["files"].values())]

    def beats_diet(label: str) -> bool:
        return all(t[label]["macro_f1"] > t["diet"]["macro_f1"] and t[label]["accuracy"] >= t["diet"]["accuracy"]
                   for t in result["files"].values())

    winners = sorted((m for m in merges if beats_diet(m)),
                     key=lambda m: -sum(t[m]["macro_f1"] for t in result["files"].values()))
    result["recommended"] = winners[0] if winners else "diet_only"
    return result


def parse_all(model: Path, texts: Iterable[Tuple[str, str]]) -> List[Dict[str, Any]]:
    from rasa.core.agent import Agent  # Rasa environment only

    agent = Agent.load(str(model))
    rows = []
    for text, gold in texts:
        parsed = asyncio.run(agent.parse_message(text))
        llm = parsed.get("llm_nlu") or {}
        rows.append({"text": text, "gold": gold, "diet": (parsed.get("intent") or {}).get("name"),
                     "diet_ranking": parsed.get("intent_ranking") or [],
                     "llm_ranking": llm.get("ranking") if "error" not in llm else None})
    return rows


def main(argv: Optional[List[str]] = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, default=ROOT / "models" / "naviyam.tar.gz")
    parser.add_argument("--files", type=Path, nargs="+", default=DEFAULT_FILES)
    parser.add_argument("--out", type=Path, default=ROOT / "results" / "llm_nlu")
    parser.add_argument("--fallback-threshold", type=float, default=0.7)
    args = parser.parse_args(argv)
    rows = {path.name: parse_all(args.model, examples(path)) for path in args.files}
    result = report(rows, args.fallback_threshold)
    args.out.mkdir(parents=True, exist_ok=True)
    (args.out / "report.json").write_text(json.dumps({**result, "rows": rows}, ensure_ascii=False, indent=2),
                                          encoding="utf-8")
    for name, table in result["files"].items():
        print(name)
        for label, s in table.items():
            print(f"  {label:<24} accuracy {s['accuracy']:.3f}  macro F1 {s['macro_f1']:.3f}  (n={s['examples']})")
    if not any("llm" in t for t in result["files"].values()):
        print("no LLM answered (set NAVIYAM_LLM_URL, or the llm_nlu errors are in report.json): DIET only")
    print(f"recommended merge_policy: {result['recommended']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
