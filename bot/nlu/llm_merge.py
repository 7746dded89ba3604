"""How the LLM's answer is merged with DIET's parse (plain Python, no Rasa state, easy to test).

Merge policies (``merge_policy``; docs/LLM_NLU.md):
- ``llm_if_confident`` (default): take the LLM's intent and ranking when its top
  confidence is >= ``threshold`` and DIET's confidence is lower; otherwise DIET stands.
  When both agree the confidence is the higher of the two.
- ``weighted``: ``weight * llm + (1 - weight) * diet`` per intent, renormalised.
- ``llm_only``: the LLM's answer whenever it answers.
- ``diet_only``: shadow mode; the LLM's answer is only recorded, DIET's intent stands.

Entities from the LLM are added only for entity types DIET found none of (DIET's spans
are trained on annotations; the LLM's generation is a safety net); values must occur
in the text and must not overlap a DIET span.
"""
from __future__ import annotations

import logging
import math
from typing import Any, Dict, List, Optional, Sequence, Text, Tuple

from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message

from naviyam.shared import llm_prompts as prompts

from bot.nlu.llm_backends import LLMUnavailable

logger = logging.getLogger(__name__)

EXTRACTOR_NAME = "LLMIntentClassifier"  # the component's name, recorded on the entities it adds
INTENT_SOURCE_KEY = "intent_source"
LLM_RESULT_KEY = prompts.PARSE_DATA_KEY
POLICIES = ("llm_if_confident", "weighted", "llm_only", "diet_only")


def normalise_ranking(ranking: Sequence[Dict[Text, Any]], candidates: Sequence[Text]) -> List[Dict[Text, Any]]:
    """Keep known intents, make confidences non-negative and sum to 1, sort."""
    allowed = set(candidates)
    scores: Dict[Text, float] = {}
    for item in ranking:
        name = item.get("name")
        try:
            confidence = float(item.get("confidence", 0.0))
        except (TypeError, ValueError):
            continue
        if name in allowed and math.isfinite(confidence) and confidence >= 0:
            scores[name] = scores.get(name, 0.0) + confidence
    total = sum(scores.values())
    if not scores or total <= 0:
        raise LLMUnavailable("the LLM returned no usable intent ranking")
    result = [{"name": name, "confidence": value / total} for name, value in scores.items()]
    result.sort(key=lambda item: item["confidence"], reverse=True)
    return result


def merge_intents(
    diet_intent: Optional[Dict[Text, Any]],
    diet_ranking: Sequence[Dict[Text, Any]],
    llm_ranking: Sequence[Dict[Text, Any]],
    policy: Text,
    threshold: float = 0.7,
    weight: float = 0.5,
) -> Tuple[Dict[Text, Any], List[Dict[Text, Any]], Text]:
    """(intent, ranking, source) after merging DIET's and the LLM's answers.

    Plain Python (no Rasa state) so the policy is easy to test and to reason about.
    """
    diet_name = (diet_intent or {}).get(INTENT_NAME_KEY)
    diet_conf = float((diet_intent or {}).get(PREDICTED_CONFIDENCE_KEY) or 0.0)
    diet_rank = [dict(item) for item in diet_ranking] or (
        [{"name": diet_name, "confidence": diet_conf}] if diet_name else []
    )
    llm_top = llm_ranking[0]
    llm_rank = [dict(item) for item in llm_ranking]

    if policy == "diet_only" or not llm_rank:
        return dict(diet_intent or {}), diet_rank, "diet"
    if policy == "llm_only" or not diet_name:
        return {"name": llm_top["name"], "confidence": llm_top["confidence"]}, llm_rank, "llm"
    if policy == "weighted":
        combined: Dict[Text, float] = {}
        for item in llm_rank:
            combined[item["name"]] = combined.get(item["name"], 0.0) + weight * item["confidence"]
        for item in diet_rank:
            name = item.get("name")
            if name:
                combined[name] = combined.get(name, 0.0) + (1 - weight) * float(item.get("confidence") or 0.0)
        total = sum(combined.values()) or 1.0
        ranking = sorted(
            ({"name": n, "confidence": c / total} for n, c in combined.items()),
            key=lambda item: item["confidence"], reverse=True,
        )
        return dict(ranking[0]), ranking, "weighted"
    # llm_if_confident
    if llm_top["confidence"] >= threshold and diet_conf < llm_top["confidence"]:
        if llm_top["name"] == diet_name:
            return {"name": diet_name, "confidence": llm_top["confidence"]}, llm_rank, "both"
        return {"name": llm_top["name"], "confidence": llm_top["confidence"]}, llm_rank, "llm"
    return dict(diet_intent or {}), diet_rank, "diet"


def merge_entities(diet_entities: Sequence[Dict[Text, Any]], llm_entities: Sequence[Dict[Text, Any]],
                   text: Text) -> List[Dict[Text, Any]]:
    """DIET's entities plus LLM entities of types DIET found none of (spans re-checked)."""
    merged = [dict(entity) for entity in diet_entities]
    have = {entity.get("entity") for entity in diet_entities}
    taken = [(e.get("start"), e.get("end")) for e in diet_entities if e.get("start") is not None]
    for entity in llm_entities:
        name, value = entity.get("entity"), str(entity.get("value") or "")
        if not name or not value or name in have:
            continue
        start = entity.get("start")
        if not isinstance(start, int) or text[start:start + len(value)] != value:
            start = text.find(value)
        if start < 0:
            continue
        end = start + len(value)
        if any(s is not None and start < e and s < end for s, e in taken):
            continue  # overlaps an entity DIET already found
        merged.append({"entity": name, "start": start, "end": end, "value": value,
                       "extractor": EXTRACTOR_NAME})
        taken.append((start, end))
    return merged


def apply_answer(message: Message, answer: Dict[Text, Any], config: Dict[Text, Any],
                 entity_types: Optional[Sequence[Text]], cached: bool, latency_ms: float) -> None:
    """Sets the merged intent, ranking and entities on ``message`` with the debugging fields.

    ``config`` is the component's configuration (merge_policy, threshold, weight,
    ranking_length, entities); ``entity_types`` the types accepted from the LLM (None: any).
    """
    policy = config["merge_policy"]
    llm_ranking = answer["intents"]
    diet = message.get(INTENT) or {}
    # Both answers, every message (shadow mode: scripts/llm_nlu_report.py tells whether the merge earns its vote)
    logger.info("LLM %s: diet=%s %.2f llm=%s %.2f", "shadow" if policy == "diet_only" else policy,
                diet.get(INTENT_NAME_KEY), float(diet.get(PREDICTED_CONFIDENCE_KEY) or 0.0),
                llm_ranking[0].get("name"), float(llm_ranking[0].get("confidence") or 0.0))
    intent, ranking, source = merge_intents(
        message.get(INTENT), message.get(INTENT_RANKING_KEY) or [], llm_ranking,
        policy, float(config["threshold"]), float(config["weight"]),
    )
    length = int(config["ranking_length"] or 0)
    if length > 0:
        ranking = ranking[:length]
    if intent.get(INTENT_NAME_KEY):
        message.set(INTENT, intent, add_to_output=True)
        message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
    if config["entities"] and policy != "diet_only" and answer.get("entities"):
        llm_entities = [e for e in answer["entities"] if entity_types is None or e.get("entity") in entity_types]
        merged = merge_entities(message.get(ENTITIES) or [], llm_entities, str(message.get(TEXT)))
        message.set(ENTITIES, merged, add_to_output=True)
    message.set(INTENT_SOURCE_KEY, source, add_to_output=True)
    message.set(LLM_RESULT_KEY, {
        "intent": llm_ranking[0],
        "ranking": llm_ranking[:max(3, int(config.get("ranking_length") or 0))],
        "entities": answer.get("entities") or [],
        "model": answer.get("model"),
        "cached": cached,
        "latency_ms": round(latency_ms, 1),
    }, add_to_output=True)


def mark_fallback(message: Message, error: Text) -> None:
    """Records why the LLM was not used; DIET's result stands."""
    message.set(LLM_RESULT_KEY, {"error": error}, add_to_output=True)
    message.set(INTENT_SOURCE_KEY, "diet", add_to_output=True)
