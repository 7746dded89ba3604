"""LLM intent component: asks a causal LM for the intent (and entities), merges with DIET.

Runs in the Rasa environment (no torch): the model is reached over HTTP, either

- ``backend: naviyam``: the project's model server (``ml/llm/model_server.py``, base
  model + LoRA adapter), ``POST {url}/v1/nlu/parse``; it scores every candidate intent
  by the label's log-likelihood and returns a full ranking with softmax confidences; or
- ``backend: openai``: any OpenAI-compatible server (vLLM, Ollama, ...) serving e.g.
  A.X 3.1 Light. ``openai_mode: completions`` scores each intent label with
  ``/v1/completions`` (``echo`` + ``logprobs``, one request with one prompt per intent);
  ``chat`` asks ``/v1/chat/completions`` for a JSON answer (a single intent, so the
  ranking is not calibrated); ``auto`` tries ``completions`` and switches to ``chat``
  for good if the server does not return prompt log-probabilities.

Candidates are the intents of the training data (recorded at ``rasa train``, persisted
through ``ModelStorage``), or the ``intents`` option.

Merge policies (``merge_policy``; docs/LLM_NLU.md):
- ``llm_if_confident`` (default): take the LLM's intent and ranking when its top
  confidence is >= ``threshold`` and DIET's confidence is lower; otherwise DIET stands.
  When both agree the confidence is the higher of the two.
- ``weighted``: ``weight * llm + (1 - weight) * diet`` per intent, renormalised.
- ``llm_only``: the LLM's answer whenever it answers.
- ``diet_only``: shadow mode; the LLM is asked and its answer recorded under
  ``llm_nlu`` in the parse result, DIET's intent stands.

Entities from the LLM are added only for entity types DIET found none of (DIET's spans
are trained on annotations; the LLM's generation is a safety net); values must occur
in the text. Put this component before ``EntitySynonymMapper`` and the entity
normaliser so that LLM entities are normalised like DIET's.

Every failure (no URL, timeout, HTTP error, malformed answer) leaves DIET's result
untouched: a warning is logged, ``fallbacks`` is counted (in process and in the cache
under ``nlu:llm:fallbacks``), and after ``failure_threshold`` consecutive failures the
LLM is skipped for ``failure_cooldown_s`` so a dead server does not add its timeout to
every message. Results are cached by normalised text (NFC, whitespace collapsed,
lowercased) in ``naviyam.shared.cache`` (Redis when ``REDIS_URL``/``redis_url`` is set).

The parse result carries ``intent_source`` (``llm``, ``diet``, ``both``, ``weighted``)
and ``llm_nlu`` (the LLM's own ranking head, latency, cache hit, or the error).
"""
from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import re
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from concurrent.futures import TimeoutError as FutureTimeout
from typing import Any, Dict, List, Optional, Sequence, Text, Tuple

import requests
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import (
    ENTITIES,
    INTENT,
    INTENT_NAME_KEY,
    INTENT_RANKING_KEY,
    PREDICTED_CONFIDENCE_KEY,
    TEXT,
)
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from ml.llm import prompts  # stdlib-only: the prompt format the adapter was trained on

logger = logging.getLogger(__name__)

FILENAME = "llm_intent_classifier.json"
EXTRACTOR_NAME = "LLMIntentClassifier"
INTENT_SOURCE_KEY = "intent_source"
LLM_RESULT_KEY = "llm_nlu"
BACKENDS = ("naviyam", "openai")
POLICIES = ("llm_if_confident", "weighted", "llm_only", "diet_only")
OPENAI_MODES = ("auto", "completions", "chat")
CACHE_PREFIX = "nlu:llm:"


class LLMUnavailable(RuntimeError):
    """The LLM did not answer usefully (HTTP error, timeout, malformed answer)."""


class ModeUnsupported(LLMUnavailable):
    """The OpenAI-compatible server lacks the requested mode (e.g. no logprobs)."""


# --------------------------------------------------------------------------- merging


def _normalise_ranking(ranking: Sequence[Dict[Text, Any]], candidates: Sequence[Text]) -> List[Dict[Text, Any]]:
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


# --------------------------------------------------------------------------- backends


def _base_url(url: Text) -> Text:
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
        self.url = _base_url(url) + "/v1/nlu/parse"
        self.session = session

    def parse(self, text: Text, intents: Sequence[Text], context: Optional[Dict], entities: bool,
              timeout: float) -> Dict[Text, Any]:
        payload = {"text": text, "intents": list(intents), "entities": entities}
        if context:
            payload["context"] = context
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
                 entity_types: Optional[Sequence[Text]]) -> None:
        self.base = _base_url(url)
        self.session = session
        self.model = model
        self.headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.mode = mode
        self.chat_default_confidence = chat_default_confidence
        self.intent_descriptions = intent_descriptions or {}
        self.entity_types = list(entity_types) if entity_types else None

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
        prompt = prompts.build_prompt(text, context)
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
        system = (
            "You classify messages sent to Naviyam (나비얌), a Korean chatbot that recommends "
            "restaurants to children and teenagers paying with a meal card. Choose exactly one "
            f"intent from this list:\n{listed}\n{entity_rule}\nAnswer with JSON only: "
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


# --------------------------------------------------------------------------- component


@DefaultV1Recipe.register(
    [DefaultV1Recipe.ComponentType.INTENT_CLASSIFIER], is_trainable=True
)
class LLMIntentClassifier(GraphComponent, IntentClassifier):
    """Merges a causal LM's intent ranking (and entities) into DIET's parse."""

    @staticmethod
    def get_default_config() -> Dict[Text, Any]:
        """Every option, with its default (docs/LLM_NLU.md)."""
        return {
            # "naviyam" (ml/llm/model_server.py) or "openai" (vLLM, Ollama, any OpenAI-compatible API); None: $NAVIYAM_LLM_BACKEND or "naviyam"
            "backend": None,
            # Server base URL; None: $NAVIYAM_LLM_URL; empty: the component is off and DIET's result stands
            "url": None,
            # Model name sent to OpenAI-compatible servers; None: $NAVIYAM_LLM_MODEL
            "model": None,
            # Bearer token for OpenAI-compatible servers; None: $NAVIYAM_LLM_API_KEY (usually unset)
            "api_key": None,
            # OpenAI backend: "completions" (logprob scoring), "chat" (JSON answer) or "auto"
            "openai_mode": "auto",
            # Latency budget per message in ms, covering every HTTP call; None: $NAVIYAM_LLM_TIMEOUT_MS or 800
            "timeout_ms": None,
            # "llm_if_confident", "weighted", "llm_only" or "diet_only" (shadow mode)
            "merge_policy": "llm_if_confident",
            # llm_if_confident: minimum LLM confidence to override DIET
            "threshold": 0.7,
            # weighted: share of the LLM in the combined confidences (0..1)
            "weight": 0.5,
            # Ask the LLM for entities and add those of types DIET found none of
            "entities": True,
            # Entity types accepted from the LLM; None: the types annotated in the training data
            "entity_types": None,
            # Candidate intents; None: the intents of the training data
            "intents": None,
            # Optional {intent: description} shown to chat models (openai backend, chat mode)
            "intent_descriptions": {},
            # Confidence given to a chat model's answer when it states none
            "chat_default_confidence": 0.75,
            # Send message metadata "llm_context" (previous intent, slots) to the model; only for adapters trained with it
            "send_context": False,
            # Number of intents kept in intent_ranking (as DIET's ranking_length)
            "ranking_length": 10,
            # Cache TTL in seconds for LLM answers keyed by normalised text (0: no cache)
            "cache_ttl": 3600,
            # Redis URL for the cache; None: $REDIS_URL; empty: in-process cache
            "redis_url": None,
            # Consecutive failures that open the circuit (skip the LLM for a while)
            "failure_threshold": 3,
            # Seconds the LLM is skipped once the circuit is open
            "failure_cooldown_s": 30,
        }

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 trained: Optional[Dict[Text, Any]] = None) -> None:
        self.component_config = {**self.get_default_config(), **(config or {})}
        self._model_storage = model_storage
        self._resource = resource
        self.trained = trained or {}
        cfg = self.component_config
        env = os.environ.get
        self.backend_name = (cfg["backend"] or env("NAVIYAM_LLM_BACKEND") or "naviyam").strip().lower()
        self.url = (cfg["url"] if cfg["url"] is not None else env("NAVIYAM_LLM_URL", "")).strip()
        self.model_name = (cfg["model"] or env("NAVIYAM_LLM_MODEL") or "").strip()
        timeout_ms = cfg["timeout_ms"] if cfg["timeout_ms"] is not None else env("NAVIYAM_LLM_TIMEOUT_MS") or 800
        self.timeout = float(timeout_ms) / 1000.0
        self.policy = cfg["merge_policy"]
        if self.backend_name not in BACKENDS:
            raise ValueError(f"{EXTRACTOR_NAME}: backend must be one of {BACKENDS}, got {self.backend_name!r}")
        if self.policy not in POLICIES:
            raise ValueError(f"{EXTRACTOR_NAME}: merge_policy must be one of {POLICIES}, got {self.policy!r}")
        if cfg["openai_mode"] not in OPENAI_MODES:
            raise ValueError(f"{EXTRACTOR_NAME}: openai_mode must be one of {OPENAI_MODES}")
        if self.backend_name == "openai" and self.url and not self.model_name:
            raise ValueError(f"{EXTRACTOR_NAME}: the openai backend needs a model name (model or $NAVIYAM_LLM_MODEL)")
        self.fallbacks = 0
        self.calls = 0
        self._consecutive_failures = 0
        self._circuit_open_until = 0.0
        self._state_lock = threading.Lock()
        self._logged_off = False
        self._cache = None
        self._cache_broken = False
        self._session: Optional[requests.Session] = None
        self._executor: Optional[ThreadPoolExecutor] = None
        self._backend = None

    # ----------------------------------------------------------- graph component API

    @classmethod
    def create(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
               execution_context: ExecutionContext) -> "LLMIntentClassifier":
        """Creates an untrained component."""
        return cls(config, model_storage, resource)

    @classmethod
    def load(cls, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
             execution_context: ExecutionContext, **kwargs: Any) -> "LLMIntentClassifier":
        """Loads the intents/entity types recorded at training time."""
        trained: Dict[Text, Any] = {}
        try:
            with model_storage.read_from(resource) as directory:
                trained = json.loads((directory / FILENAME).read_text(encoding="utf-8"))
        except (ValueError, FileNotFoundError):
            logger.warning("%s: nothing persisted for resource %s; using the configured intents only",
                           EXTRACTOR_NAME, resource.name)
        return cls(config, model_storage, resource, trained)

    def train(self, training_data: TrainingData) -> Resource:
        """Records the training data's intents and entity types (no model is trained here:
        the LLM is fine-tuned by ml/llm/finetune_lora.py)."""
        intents = sorted({str(m.get(INTENT)) for m in training_data.intent_examples if m.get(INTENT)})
        entity_types = sorted({str(e.get("entity")) for m in training_data.training_examples
                               for e in (m.get(ENTITIES) or []) if e.get("entity")})
        self.trained = {"intents": intents, "entity_types": entity_types,
                        "prompt_version": prompts.PROMPT_VERSION}
        with self._model_storage.write_to(self._resource) as directory:
            (directory / FILENAME).write_text(json.dumps(self.trained, ensure_ascii=False), encoding="utf-8")
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        """Asks the LLM about each message and merges its answer with DIET's."""
        for message in messages:
            self._process_one(message)
        return messages

    # ----------------------------------------------------------- internals

    @property
    def enabled(self) -> bool:
        return bool(self.url)

    @property
    def candidate_intents(self) -> List[Text]:
        configured = self.component_config.get("intents")
        return list(configured or self.trained.get("intents") or [])

    @property
    def entity_types(self) -> Optional[List[Text]]:
        configured = self.component_config.get("entity_types")
        if configured is not None:
            return list(configured)
        trained = self.trained.get("entity_types")
        return list(trained) if trained is not None else None

    def _get_backend(self):
        if self._backend is None:
            self._session = requests.Session()
            self._executor = ThreadPoolExecutor(max_workers=4, thread_name_prefix="llm-nlu")
            if self.backend_name == "naviyam":
                self._backend = NaviyamBackend(self.url, self._session)
            else:
                cfg = self.component_config
                api_key = cfg["api_key"] if cfg["api_key"] is not None else os.environ.get("NAVIYAM_LLM_API_KEY")
                self._backend = OpenAIBackend(
                    self.url, self._session, self.model_name, api_key, cfg["openai_mode"],
                    float(cfg["chat_default_confidence"]), cfg.get("intent_descriptions") or {},
                    self.entity_types,
                )
        return self._backend

    def _get_cache(self):
        if self._cache is None and not self._cache_broken and int(self.component_config["cache_ttl"] or 0) > 0:
            from naviyam import cache as cache_module  # stdlib + redis: importable in the Rasa env

            url = self.component_config["redis_url"]
            self._cache = cache_module.get_cache() if url is None else cache_module.make_cache(url or None)
        return self._cache

    def _cache_key(self, text: Text, intents: Sequence[Text], context: Optional[Dict]) -> Text:
        parts = [self.backend_name, _base_url(self.url), self.model_name, str(prompts.PROMPT_VERSION),
                 ",".join(sorted(intents)), str(bool(self.component_config["entities"])),
                 json.dumps(context or {}, sort_keys=True, ensure_ascii=False), prompts.cache_key_text(text)]
        return CACHE_PREFIX + hashlib.sha256("\x1f".join(parts).encode("utf-8")).hexdigest()[:40]

    def _cache_call(self, method: Text, *args):
        cache = self._get_cache()
        if cache is None:
            return None
        try:
            return getattr(cache, method)(*args)
        except Exception as exc:  # noqa: BLE001 - a cache outage must not break NLU
            logger.warning("%s: cache unavailable (%s); continuing without it", EXTRACTOR_NAME, exc)
            self._cache_broken = True
            self._cache = None
            return None

    def _record_failure(self, reason: Text) -> None:
        with self._state_lock:
            self.fallbacks += 1
            self._consecutive_failures += 1
            if self._consecutive_failures >= int(self.component_config["failure_threshold"]):
                self._circuit_open_until = time.monotonic() + float(self.component_config["failure_cooldown_s"])
        logger.warning("%s: LLM unavailable (%s); DIET's result stands (fallbacks so far: %d)",
                       EXTRACTOR_NAME, reason, self.fallbacks)
        self._cache_call("incr_window", CACHE_PREFIX + "fallbacks", 24 * 3600)

    def _ask(self, text: Text, intents: Sequence[Text], context: Optional[Dict]) -> Dict[Text, Any]:
        backend = self._get_backend()
        future = self._executor.submit(backend.parse, text, intents, context,
                                       bool(self.component_config["entities"]), self.timeout)
        try:
            return future.result(timeout=self.timeout)
        except FutureTimeout as exc:
            future.cancel()
            raise LLMUnavailable(f"no answer within {self.timeout * 1000:.0f} ms") from exc

    def _process_one(self, message: Message) -> None:
        text = message.get(TEXT)
        if not self.enabled:
            if not self._logged_off:
                logger.info("%s: no LLM configured (url / NAVIYAM_LLM_URL empty); DIET's intents stand",
                            EXTRACTOR_NAME)
                self._logged_off = True
            return
        if not text or not str(text).strip() or str(text).startswith("/"):
            return
        intents = self.candidate_intents
        if not intents:
            intents = [item.get("name") for item in message.get(INTENT_RANKING_KEY) or [] if item.get("name")]
        if len(intents) < 2:
            return
        context = None
        if self.component_config["send_context"]:
            context = (message.get("metadata") or {}).get("llm_context") or None
        if time.monotonic() < self._circuit_open_until:
            with self._state_lock:
                self.fallbacks += 1
            message.set(LLM_RESULT_KEY, {"error": "circuit open"}, add_to_output=True)
            message.set(INTENT_SOURCE_KEY, "diet", add_to_output=True)
            return

        started = time.perf_counter()
        key = self._cache_key(text, intents, context)
        answer = self._cache_call("get", key)
        cached = answer is not None
        if not cached:
            self.calls += 1
            try:
                answer = self._ask(str(text), intents, context)
                answer["intents"] = _normalise_ranking(answer.get("intents") or [], intents)
            except LLMUnavailable as exc:
                self._record_failure(str(exc))
                message.set(LLM_RESULT_KEY, {"error": str(exc)}, add_to_output=True)
                message.set(INTENT_SOURCE_KEY, "diet", add_to_output=True)
                return
            except Exception as exc:  # noqa: BLE001 - never let the LLM break a parse
                logger.exception("%s: unexpected error", EXTRACTOR_NAME)
                self._record_failure(f"{type(exc).__name__}: {exc}")
                message.set(LLM_RESULT_KEY, {"error": type(exc).__name__}, add_to_output=True)
                message.set(INTENT_SOURCE_KEY, "diet", add_to_output=True)
                return
            with self._state_lock:
                self._consecutive_failures = 0
            self._cache_call("set", key, answer, int(self.component_config["cache_ttl"]))
        self._apply(message, answer, cached, (time.perf_counter() - started) * 1000)

    def _apply(self, message: Message, answer: Dict[Text, Any], cached: bool, latency_ms: float) -> None:
        cfg = self.component_config
        llm_ranking = answer["intents"]
        intent, ranking, source = merge_intents(
            message.get(INTENT), message.get(INTENT_RANKING_KEY) or [], llm_ranking,
            self.policy, float(cfg["threshold"]), float(cfg["weight"]),
        )
        length = int(cfg["ranking_length"] or 0)
        if length > 0:
            ranking = ranking[:length]
        if intent.get(INTENT_NAME_KEY):
            message.set(INTENT, intent, add_to_output=True)
            message.set(INTENT_RANKING_KEY, ranking, add_to_output=True)
        if cfg["entities"] and self.policy != "diet_only" and answer.get("entities"):
            allowed = self.entity_types
            llm_entities = [e for e in answer["entities"] if allowed is None or e.get("entity") in allowed]
            merged = merge_entities(message.get(ENTITIES) or [], llm_entities, str(message.get(TEXT)))
            message.set(ENTITIES, merged, add_to_output=True)
        message.set(INTENT_SOURCE_KEY, source, add_to_output=True)
        message.set(LLM_RESULT_KEY, {
            "intent": llm_ranking[0],
            "ranking": llm_ranking[:3],
            "entities": answer.get("entities") or [],
            "model": answer.get("model"),
            "cached": cached,
            "latency_ms": round(latency_ms, 1),
        }, add_to_output=True)
