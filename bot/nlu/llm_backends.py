"""HTTP backends of the LLM NLU component: the project's model server and OpenAI-compatible servers.

Plain ``requests`` code (Rasa environment, no torch). A backend's ``parse`` answers
``{"intents": [{"name", "confidence"}...], "entities": [...], "model": ...}`` or raises
:class:`LLMUnavailable`; the component (``llm_intent_classifier.py``) enforces the
latency budget, the circuit breaker and the cache around it.

- :class:`NaviyamBackend`: ``POST {url}/v1/nlu/parse`` on ``ml/llm/model_server.py``, which
  scores every candidate intent by the label's log-likelihood.
- :class:`OpenAIBackend`: vLLM, Ollama, llama.cpp server or a hosted API. ``completions``
  scores each intent label with ``/v1/completions`` (``echo`` + ``logprobs``, one prompt
  per intent); ``chat`` asks ``/v1/chat/completions`` for a JSON answer; ``auto`` tries
  ``completions`` and switches to ``chat`` for good if the server gives no prompt logprobs.
  With ``few_shot`` (``few_shot_k`` > 0) both modes show the model the training examples nearest
  to the message for each candidate intent (``llm_few_shot.py``); the scoring is unchanged.
"""
from __future__ import annotations

import json
import logging
import math
import re
import time
from typing import Any, Callable, Dict, List, Optional, Sequence, Text, Tuple

import requests

from naviyam.shared import llm_prompts as prompts  # stdlib-only: the prompt format the adapter was trained on

logger = logging.getLogger(__name__)

BACKENDS = ("naviyam", "openai")
OPENAI_MODES = ("auto", "completions", "chat")
# (text, candidate intents) → few-shot examples as (example text, intent, similarity)
FewShot = Callable[[Text, Sequence[Text]], List[Tuple[Text, Text, float]]]


class LLMUnavailable(RuntimeError):
    """The LLM did not answer usefully (HTTP error, timeout, malformed answer)."""


class ModeUnsupported(LLMUnavailable):
    """The OpenAI-compatible server lacks the requested mode (e.g. no logprobs)."""


def base_url(url: Text) -> Text:
    url = url.strip().rstrip("/")
    return url[: -len("/v1")] if url.endswith("/v1") else url


# The budget is enforced by the component waiting on the call's future; the socket
# timeout is a little longer and only frees the worker thread afterwards.
SOCKET_GRACE_S = 1.0


def _post(session: requests.Session, url: Text, payload: Dict, timeout: float, headers: Dict) -> Dict:
    try:
        response = session.post(url, json=payload, timeout=timeout + SOCKET_GRACE_S, headers=headers)
    except requests.RequestException as exc:
        raise LLMUnavailable(f"{type(exc).__name__}: {exc}") from exc
    if response.status_code in (400, 404, 405, 422, 501):
        raise ModeUnsupported(f"HTTP {response.status_code} from {url}: {response.text[:200]}")
    if response.status_code != 200:
        raise LLMUnavailable(f"HTTP {response.status_code} from {url}")
    try:
        return response.json()
    except ValueError as exc:
        raise LLMUnavailable(f"non-JSON answer from {url}") from exc


class NaviyamBackend:
    """The project's model server (ml/llm/model_server.py)."""

    def __init__(self, url: Text, session: requests.Session) -> None:
        self.url = base_url(url) + "/v1/nlu/parse"
        self.session = session

    def parse(self, text: Text, intents: Sequence[Text], context: Optional[Dict], entities: bool,
              timeout: float, adapter: Optional[Text] = None) -> Dict[Text, Any]:
        payload = {"text": text, "intents": list(intents), "entities": entities}
        if context:
            payload["context"] = context
        if adapter:  # one of the registry's serving adapters (bot/nlu/llm_canary.py)
            payload["adapter"] = adapter
        body = _post(self.session, self.url, payload, timeout, {})
        return {"intents": body.get("intents") or [], "entities": body.get("entities") or [],
                "model": body.get("model")}


def _extract_json(content: Text) -> Dict[Text, Any]:
    match = re.search(r"\{.*\}", content or "", re.DOTALL)
    if not match:
        raise LLMUnavailable("the chat answer holds no JSON object")
    try:
        value = json.loads(match.group(0))
    except ValueError as exc:
        raise LLMUnavailable("the chat answer's JSON does not parse") from exc
    if not isinstance(value, dict):
        raise LLMUnavailable("the chat answer's JSON is not an object")
    return value


class OpenAIBackend:
    """Any OpenAI-compatible server: vLLM, Ollama, llama.cpp server, a hosted API."""

    def __init__(self, url: Text, session: requests.Session, model: Text, api_key: Optional[Text],
                 mode: Text, chat_default_confidence: float, intent_descriptions: Dict[Text, Text],
                 entity_types: Optional[Sequence[Text]], few_shot: Optional[FewShot] = None) -> None:
        self.base = base_url(url)
        self.session = session
        self.model = model
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.mode = mode
        self.chat_default_confidence = chat_default_confidence
        self.intent_descriptions = intent_descriptions or {}
        self.entity_types = list(entity_types) if entity_types else None
        self.few_shot = few_shot

    def _examples(self, text: Text, intents: Sequence[Text]) -> List[Tuple[Text, Text]]:
        """Few-shot ``(text, intent)`` pairs for this message (none unless ``few_shot_k`` is set)."""
        if self.few_shot is None:
            return []
        return [(example, intent) for example, intent, _ in self.few_shot(text, intents)]

    def parse(self, text: Text, intents: Sequence[Text], context: Optional[Dict], entities: bool,
              timeout: float) -> Dict[Text, Any]:
        if self.mode in ("auto", "completions"):
            try:
                return self._completions(text, intents, context, entities, timeout)
            except ModeUnsupported as exc:
                if self.mode == "completions":
                    raise
                logger.warning("LLM server gives no prompt logprobs (%s); using chat JSON answers from now on", exc)
                self.mode = "chat"
        return self._chat(text, intents, entities, timeout)

    # Scoring by prompt log-probabilities: the same computation as the naviyam server.
    def _completions(self, text, intents, context, entities, timeout) -> Dict[Text, Any]:
        deadline = time.monotonic() + timeout
        # Few-shot examples change the prompt only: the label is scored after it exactly as before.
        prompt = prompts.build_prompt(text, context, self._examples(text, intents))
        payload = {
            "model": self.model, "prompt": [prompt + prompts.intent_label(i) for i in intents],
            "max_tokens": 1, "echo": True, "logprobs": 1, "temperature": 0,
        }
        body = _post(self.session, self.base + "/v1/completions", payload, timeout, self.headers)
        choices = body.get("choices") or []
        if len(choices) != len(intents):
            raise ModeUnsupported("completions answer does not hold one choice per prompt")
        scores: List[Optional[float]] = [None] * len(intents)
        for position, choice in enumerate(choices):
            index = choice.get("index", position)
            logprobs = choice.get("logprobs") or {}
            tokens = logprobs.get("token_logprobs")
            offsets = logprobs.get("text_offset")
            if not tokens or not offsets or len(tokens) != len(offsets) or not 0 <= index < len(intents):
                raise ModeUnsupported("completions answer holds no prompt logprobs (echo)")
            label_end = len(prompt) + len(prompts.intent_label(intents[index]))
            total = 0.0
            for logprob, offset in zip(tokens, offsets):
                if len(prompt) <= offset < label_end:
                    if logprob is None:
                        raise ModeUnsupported("missing logprob inside the label")
                    total += float(logprob)
            scores[index] = total
        if any(score is None for score in scores):
            raise LLMUnavailable("completions answer misses some intents")
        top = max(scores)
        weights = [math.exp(score - top) for score in scores]
        ranking = [{"name": name, "confidence": w / sum(weights)} for name, w in zip(intents, weights)]
        ranking.sort(key=lambda item: item["confidence"], reverse=True)
        found: List[Dict] = []
        remaining = deadline - time.monotonic()
        if entities and remaining > 0.05:
            gen = _post(self.session, self.base + "/v1/completions", {
                "model": self.model,
                "prompt": prompt + prompts.intent_label(ranking[0]["name"]) + prompts.ENTITY_PREFIX,
                "max_tokens": 48, "temperature": 0, "stop": ["\n"],
            }, remaining, self.headers)
            generated = ((gen.get("choices") or [{}])[0].get("text")) or ""
            found = prompts.parse_entities(generated, text, self.entity_types)
        return {"intents": ranking, "entities": found, "model": body.get("model") or self.model}

    # One JSON answer: a chat model that was not fine-tuned on our prompt format.
    def _chat(self, text, intents, entities, timeout) -> Dict[Text, Any]:
        listed = "\n".join(
            f"- {name}: {self.intent_descriptions[name]}" if name in self.intent_descriptions else f"- {name}"
            for name in intents
        )
        entity_rule = ""
        if entities:
            types = ", ".join(self.entity_types) if self.entity_types else "any relevant"
            entity_rule = (f" Also list entities of these types: {types}; each value copied exactly "
                           "from the message.")
        examples = self._examples(text, intents)
        shown = ""
        if examples:
            shown = "Labelled examples:\n" + "\n".join(
                f"{json.dumps(example, ensure_ascii=False)} -> {intent}" for example, intent in examples) + "\n"
        system = (
            "You classify messages sent to Naviyam (나비얌), a Korean chatbot that recommends "
            "restaurants to children and teenagers paying with a meal card. Choose exactly one "
            f"intent from this list:\n{listed}\n{shown}{entity_rule}\nAnswer with JSON only: "
            '{"intent": "<name>", "confidence": <0..1>, "entities": [{"entity": "<type>", "value": "<text>"}]}'
        )
        payload = {
            "model": self.model, "temperature": 0, "max_tokens": 256,
            "response_format": {"type": "json_object"},
            "messages": [{"role": "system", "content": system}, {"role": "user", "content": text}],
        }
        body = _post(self.session, self.base + "/v1/chat/completions", payload, timeout, self.headers)
        try:
            content = body["choices"][0]["message"]["content"]
        except (KeyError, IndexError, TypeError) as exc:
            raise LLMUnavailable("malformed chat completion") from exc
        answer = _extract_json(content)
        intent = str(answer.get("intent", "")).strip()
        if intent not in intents:
            raise LLMUnavailable(f"the chat answer names an unknown intent {intent!r}")
        try:
            confidence = float(answer.get("confidence", self.chat_default_confidence))
        except (TypeError, ValueError):
            confidence = self.chat_default_confidence
        confidence = min(max(confidence, 0.0), 1.0)
        others = [name for name in intents if name != intent]
        rest = (1.0 - confidence) / len(others) if others else 0.0
        ranking = [{"name": intent, "confidence": confidence if others else 1.0}] + [
            {"name": name, "confidence": rest} for name in others
        ]
        found = []
        for item in answer.get("entities") or []:
            if isinstance(item, dict) and item.get("entity") and item.get("value"):
                if self.entity_types is None or item["entity"] in self.entity_types:
                    found.append({"entity": str(item["entity"]), "value": str(item["value"])})
        return {"intents": ranking, "entities": found, "model": body.get("model") or self.model}


def build_backend(name: Text, url: Text, session: requests.Session, model: Text, api_key: Optional[Text],
                  openai_mode: Text, chat_default_confidence: float, intent_descriptions: Dict[Text, Text],
                  entity_types: Optional[Sequence[Text]], few_shot: Optional[FewShot] = None):
    """The backend called ``name`` (one of :data:`BACKENDS`) at ``url``; ``few_shot`` (OpenAI-compatible
    servers only: the project's server builds its own prompt) retrieves examples for the prompt."""
    if name == "naviyam":
        return NaviyamBackend(url, session)
    return OpenAIBackend(url, session, model, api_key, openai_mode, chat_default_confidence,
                         intent_descriptions, entity_types, few_shot)
