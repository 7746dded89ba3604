"""Intent scoring and entity generation with a causal LM (+ optional LoRA adapter).

Used by the model server and by the fine-tuning evaluation, so that the metrics a
training run prints are measured exactly the way the server answers.

Intent scoring: for each candidate intent, the log-likelihood of the label
``" <intent>\\n"`` after the prompt (sum over the label's tokens); a softmax over the
candidates gives the confidences, i.e. P(intent | prompt, intent ∈ candidates).
Entities: greedy generation after ``prompt + best label + "개체:"``, parsed by
``prompts.parse_entities`` (values must occur in the text).
"""
from __future__ import annotations

import json
import logging
import math
import threading
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import torch

from naviyam.shared import llm_prompts as prompts

logger = logging.getLogger(__name__)

ADAPTER_METADATA = "naviyam_adapter.json"


@dataclass
class ParseResult:
    intents: list[dict]
    entities: list[dict]


def encode_example(tokenizer, prompt: str, target: str, add_eos: bool = True) -> tuple[list[int], int]:
    """Token ids of prompt + target (+ EOS) and the prompt length.

    Prompt and target are tokenised separately and concatenated, so the boundary is the
    same at training and scoring time whatever the tokenizer.
    """
    prompt_ids = tokenizer(prompt)["input_ids"]
    target_ids = tokenizer(target, add_special_tokens=False)["input_ids"]
    if add_eos and tokenizer.eos_token_id is not None:
        target_ids = target_ids + [tokenizer.eos_token_id]
    return list(prompt_ids) + list(target_ids), len(prompt_ids)


class IntentScorer:
    """Wraps a loaded causal LM; thread-safe (one inference at a time)."""

    def __init__(self, model, tokenizer, *, intents: Sequence[str] = (), entity_types: Sequence[str] | None = None,
                 name: str = "naviyam-llm", max_entity_tokens: int = 32) -> None:
        self.model = model.eval()
        self.tokenizer = tokenizer
        self.default_intents = list(intents)
        self.entity_types = list(entity_types) if entity_types is not None else None
        self.name = name
        self.max_entity_tokens = max_entity_tokens
        self._label_ids: dict[str, list[int]] = {}
        self._lock = threading.Lock()
        if tokenizer.pad_token_id is None:
            tokenizer.pad_token = tokenizer.eos_token

    def _label(self, intent: str) -> list[int]:
        ids = self._label_ids.get(intent)
        if ids is None:
            ids = self.tokenizer(prompts.intent_label(intent), add_special_tokens=False)["input_ids"]
            self._label_ids[intent] = list(ids)
        return self._label_ids[intent]

    @torch.inference_mode()
    def log_likelihoods(self, prompt: str, intents: Sequence[str]) -> list[float]:
        prompt_ids = list(self.tokenizer(prompt)["input_ids"])
        sequences = [prompt_ids + self._label(intent) for intent in intents]
        width = max(len(seq) for seq in sequences)
        pad = self.tokenizer.pad_token_id
        input_ids = torch.full((len(sequences), width), pad, dtype=torch.long)
        attention = torch.zeros((len(sequences), width), dtype=torch.long)
        for row, seq in enumerate(sequences):
            input_ids[row, : len(seq)] = torch.tensor(seq)
            attention[row, : len(seq)] = 1
        device = self.model.device
        logits = self.model(input_ids=input_ids.to(device), attention_mask=attention.to(device)).logits.float().cpu()
        log_probs = torch.log_softmax(logits[:, :-1, :], dim=-1)
        targets = input_ids[:, 1:]
        token_scores = log_probs.gather(-1, targets.unsqueeze(-1)).squeeze(-1)
        scores = []
        start = len(prompt_ids) - 1  # position predicting the first label token
        for row, intent in enumerate(intents):
            end = start + len(self._label(intent))
            scores.append(float(token_scores[row, start:end].sum()))
        return scores

    def rank_intents(self, text: str, intents: Sequence[str] | None = None,
                     context: Mapping[str, object] | None = None) -> list[dict]:
        candidates = list(dict.fromkeys(intents or self.default_intents))
        if not candidates:
            raise ValueError("no candidate intents: pass 'intents' or serve an adapter that lists them")
        prompt = prompts.build_prompt(text, context)
        with self._lock:
            scores = self.log_likelihoods(prompt, candidates)
        return softmax_ranking(candidates, scores)

    @torch.inference_mode()
    def extract_entities(self, text: str, intent: str, context: Mapping[str, object] | None = None) -> list[dict]:
        prefix = prompts.build_prompt(text, context) + prompts.intent_label(intent) + prompts.ENTITY_PREFIX
        encoded = self.tokenizer(prefix, return_tensors="pt").to(self.model.device)
        with self._lock:
            output = self.model.generate(
                **encoded, max_new_tokens=self.max_entity_tokens, do_sample=False,
                eos_token_id=self.tokenizer.eos_token_id, pad_token_id=self.tokenizer.pad_token_id,
            )
        generated = self.tokenizer.decode(output[0, encoded["input_ids"].shape[1]:], skip_special_tokens=True)
        return prompts.parse_entities(generated, text, self.entity_types)

    def parse(self, text: str, intents: Sequence[str] | None = None, context: Mapping[str, object] | None = None,
              with_entities: bool = True) -> ParseResult:
        ranking = self.rank_intents(text, intents, context)
        entities = self.extract_entities(text, ranking[0]["name"], context) if with_entities else []
        return ParseResult(ranking, entities)


def softmax_ranking(names: Sequence[str], scores: Sequence[float]) -> list[dict]:
    top = max(scores)
    weights = [math.exp(score - top) for score in scores]
    total = sum(weights)
    ranking = [{"name": name, "confidence": weight / total} for name, weight in zip(names, weights)]
    ranking.sort(key=lambda item: item["confidence"], reverse=True)
    return ranking


def read_adapter_metadata(adapter: Path | str | None) -> dict:
    if not adapter:
        return {}
    path = Path(adapter) / ADAPTER_METADATA
    return json.loads(path.read_text(encoding="utf-8")) if path.exists() else {}


def load_scorer(base_model: str, adapter: str | None = None, *, merge: bool = True,
                name: str | None = None, device: str = "cpu", dtype: str = "float32") -> IntentScorer:
    """Load ``base_model`` (local path or hub id) and, if given, the LoRA ``adapter`` dir.

    The tokenizer is read from the adapter dir when it holds one (the fine-tuning run
    saves it there), else from the base model. ``device``: "cpu", "cuda", "cuda:1"...;
    ``dtype``: "float32", "bfloat16" or "float16" (GPU).
    """
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer_source = adapter if adapter and (Path(adapter) / "tokenizer_config.json").exists() else base_model
    tokenizer = AutoTokenizer.from_pretrained(tokenizer_source)
    model = AutoModelForCausalLM.from_pretrained(base_model, dtype=getattr(torch, dtype)).to(device)
    metadata = read_adapter_metadata(adapter)
    if adapter:
        from peft import PeftModel

        model = PeftModel.from_pretrained(model, adapter)
        if merge:
            model = model.merge_and_unload()
    logger.info("Loaded LLM %s (adapter %s)", base_model, adapter or "none")
    return IntentScorer(
        model, tokenizer,
        intents=metadata.get("intents", ()),
        entity_types=metadata.get("entity_types"),
        name=name or metadata.get("model_name") or Path(str(adapter or base_model)).name,
    )
