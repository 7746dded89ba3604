"""The prompt format shared by LoRA training, the model server and the Rasa component.

Standard library only: the Rasa component (`bot/nlu/llm_intent_classifier.py`, Rasa
environment, no torch) imports this module too, so that a model fine-tuned here and
served by vLLM/Ollama through the OpenAI-compatible API sees exactly the prompt it was
trained on.

One training target reads::

    <prompt>" food_request\\n개체: budget=5천원|food_type=치킨" <eos>

- the intent is scored by the log-likelihood of ``" <intent>\\n"`` after the prompt
  (:func:`intent_label`); the newline ends the label so that ``deny`` is not a prefix
  match of a longer name;
- entities are generated greedily after ``prompt + label + "개체:"`` and parsed by
  :func:`parse_entities` (``-`` when there are none).
"""
from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping, Sequence

PROMPT_VERSION = 1
INSTRUCTION = "나비얌 챗봇 사용자의 문장을 보고 의도와 개체를 적으세요."
ENTITY_PREFIX = "개체:"
NO_ENTITIES = "-"
ENTITY_SEPARATOR = "|"
# Where the Rasa component puts the LLM's answer in a message's parse data (the event consumer reads it)
PARSE_DATA_KEY = "llm_nlu"

_WHITESPACE = re.compile(r"\s+")
# Rasa training-data entity annotations: [text](entity), [text](entity:value),
# [text]{"entity": "x", "value": "y"} and the list form [text]{...}{...}.
_ANNOTATION = re.compile(r"\[(?P<text>[^\]]+)\](?P<meta>(?:\([^)]*\)|\{[^}]*\})+)")


def normalise_text(text: str) -> str:
    """NFC, whitespace collapsed and trimmed (what the model sees and the cache keys on)."""
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFC", text or "")).strip()


def cache_key_text(text: str) -> str:
    """The normalised form used for cache keys: :func:`normalise_text`, lowercased."""
    return normalise_text(text).lower()


EXAMPLES_HEADER = "예시:"


def build_prompt(text: str, context: Mapping[str, object] | None = None,
                 examples: Sequence[tuple[str, str]] = ()) -> str:
    """The prompt that precedes the intent label.

    ``context`` (optional) adds one line with the previous intent / slots; only send it
    to adapters trained with context (see docs/LLM_NLU.md). ``examples`` (optional
    ``(text, intent)`` pairs: few-shot examples retrieved from the training data, for instruction
    models that were not fine-tuned here) come after the instruction, each written as the
    message itself is (``문장: …`` / ``의도: <intent>``); without them the prompt is exactly the
    one the LoRA adapters are trained on.
    """
    lines = [INSTRUCTION]
    if examples:
        lines.append(EXAMPLES_HEADER)
        for example_text, example_intent in examples:
            lines.append("문장: " + normalise_text(example_text))
            lines.append("의도:" + intent_label(example_intent).rstrip("\n"))
        lines.append("")
    if context:
        parts = [f"{key}={context[key]}" for key in sorted(context) if context[key] not in (None, "")]
        if parts:
            lines.append("이전: " + ", ".join(parts))
    lines.append("문장: " + normalise_text(text))
    lines.append("의도:")
    return "\n".join(lines)


def intent_label(intent: str) -> str:
    """The continuation scored for ``intent`` (leading space, trailing newline)."""
    return f" {intent}\n"


def format_entities(entities: Iterable[Mapping[str, str]]) -> str:
    """``[{"entity": "budget", "value": "5천원"}]`` → ``" budget=5천원"`` (``" -"`` if none)."""
    parts = []
    for item in entities:
        name = str(item["entity"]).strip()
        value = normalise_text(str(item["value"])).replace(ENTITY_SEPARATOR, " ")
        if name and value:
            parts.append(f"{name}={value}")
    return " " + (ENTITY_SEPARATOR.join(parts) if parts else NO_ENTITIES)


def training_target(intent: str, entities: Sequence[Mapping[str, str]] = ()) -> str:
    """Everything after the prompt in one training example (the EOS token is added by the trainer)."""
    return intent_label(intent) + ENTITY_PREFIX + format_entities(entities)


def parse_entities(generated: str, text: str, allowed: Iterable[str] | None = None) -> list[dict]:
    """Parse generated ``name=value|name=value`` into Rasa-style entities.

    Only values that occur in ``text`` are kept (a guard against invented values); the
    span is the first occurrence in ``text`` as given. Unknown names are dropped when ``allowed`` is given.
    """
    allowed_set = set(allowed) if allowed is not None else None
    line = generated.split("\n", 1)[0].strip()
    if not line or line == NO_ENTITIES:
        return []
    entities: list[dict] = []
    seen: set[tuple[str, str]] = set()
    for part in line.split(ENTITY_SEPARATOR):
        name, sep, value = part.partition("=")
        name, value = name.strip(), value.strip()
        if not sep or not name or not value or (name, value) in seen:
            continue
        if allowed_set is not None and name not in allowed_set:
            continue
        start = text.find(value)
        if start < 0:
            continue
        seen.add((name, value))
        entities.append({"entity": name, "value": value, "start": start, "end": start + len(value)})
    return entities


def strip_annotations(example: str) -> tuple[str, list[dict]]:
    """Rasa example text with entity annotations removed, plus the annotated entities.

    ``"[5천원](budget)으로 [치킨]{"entity": "food_type"}"`` →
    ``("5천원으로 치킨", [{"entity": "budget", "value": "5천원"}, ...])``. The value is the
    surface text (what the model must copy), not a synonym's canonical value.
    """
    entities: list[dict] = []

    def replace(match: re.Match) -> str:
        surface = match.group("text")
        meta = match.group("meta")
        name = None
        paren = re.match(r"\(([^):]+)(?::[^)]*)?\)", meta)
        if paren:
            name = paren.group(1).strip()
        else:
            found = re.search(r'"entity"\s*:\s*"([^"]+)"', meta)
            if found:
                name = found.group(1).strip()
        if name:
            entities.append({"entity": name, "value": surface})
        return surface

    text = _ANNOTATION.sub(replace, example)
    return normalise_text(text), entities
