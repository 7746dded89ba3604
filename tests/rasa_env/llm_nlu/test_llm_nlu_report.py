"""scripts/llm_nlu_report.py: the merge is recommended only when it beats DIET on every file."""
from scripts.llm_nlu_report import examples, report, scores

from tests.rasa_env.llm_nlu.support import PROJECT_ROOT


def row(gold, diet, diet_conf, llm, llm_conf):
    ranking = [{"name": diet, "confidence": diet_conf}, {"name": "other", "confidence": 1 - diet_conf}]
    return {"text": gold, "gold": gold, "diet": diet if diet_conf >= 0.7 else "nlu_fallback",
            "diet_ranking": ranking,
            "llm_ranking": [{"name": llm, "confidence": llm_conf}, {"name": diet, "confidence": 1 - llm_conf}]}


def test_scores_count_a_missing_prediction_as_wrong():
    assert scores(["a", "b"], ["a", None]) == {"accuracy": 0.5, "macro_f1": 0.5, "examples": 2}


def test_a_merge_that_fixes_diet_is_recommended():
    rows = {"f": [row("a", "b", 0.55, "a", 0.95), row("b", "b", 0.9, "b", 0.8), row("c", "c", 0.95, "c", 0.6)]}
    result = report(rows)
    assert result["files"]["f"]["diet"]["accuracy"] < 1.0
    assert result["files"]["f"]["llm_if_confident@0.7"]["accuracy"] == 1.0
    assert result["recommended"] != "diet_only"


def test_an_llm_that_hurts_keeps_the_shadow():
    rows = {"f": [row("a", "a", 0.6, "b", 0.99), row("b", "b", 0.9, "a", 0.99)]}
    assert report(rows)["recommended"] == "diet_only"


def test_without_an_llm_only_diet_is_scored():
    rows = {"f": [{"text": "x", "gold": "a", "diet": "a", "diet_ranking": [], "llm_ranking": None}]}
    result = report(rows)
    assert list(result["files"]["f"]) == ["diet"] and result["recommended"] == "diet_only"


def test_held_out_files_are_read_without_annotations():
    found = examples(PROJECT_ROOT / "tests" / "nlu_test" / "held_out_strangers.yml")
    assert len(found) >= 80 and all("](" not in text for text, _ in found)
