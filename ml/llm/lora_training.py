"""Model loading, batching and evaluation for LoRA fine-tuning (``ml.llm.finetune_lora``).

The pieces of a training run that do not depend on the command line: load the base model
(optionally 4-bit), attach the LoRA adapter, encode examples with the prompt masked out of
the loss, batch them, and measure validation loss and intent accuracy / macro F1 the way
the model server scores (``ml.llm.inference``).
"""
from __future__ import annotations

import json
import math
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from naviyam.shared import llm_prompts as prompts
from ml.llm.dataset import Example

if TYPE_CHECKING:
    from ml.llm.finetune_lora import TrainConfig


def load_base(config: TrainConfig):
    import torch
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(config.base_model)
    if tokenizer.pad_token_id is None:
        tokenizer.pad_token = tokenizer.eos_token
    kwargs: dict = {"dtype": torch.float32}
    if config.load_in_4bit:  # the seed's 4-bit base (QLoRA); needs a CUDA GPU + bitsandbytes
        from transformers import BitsAndBytesConfig

        kwargs = {
            "quantization_config": BitsAndBytesConfig(
                load_in_4bit=True, bnb_4bit_quant_type="nf4", bnb_4bit_compute_dtype=torch.bfloat16
            ),
            "device_map": "auto",
        }
    model = AutoModelForCausalLM.from_pretrained(config.base_model, **kwargs)
    if not config.load_in_4bit:
        model = model.to(config.device)
    if config.load_in_4bit:
        from peft import prepare_model_for_kbit_training

        model = prepare_model_for_kbit_training(model)
    return model, tokenizer


def resolve_modules_to_save(config: TrainConfig) -> list[str]:
    value = config.modules_to_save.strip()
    if value == "auto":
        marker = Path(config.base_model) / "naviyam_model.json"
        if marker.exists():
            return list(json.loads(marker.read_text(encoding="utf-8")).get("lora_modules_to_save", []))
        return []
    return [name.strip() for name in value.split(",") if name.strip()]


def attach_lora(model, config: TrainConfig):
    from peft import LoraConfig, TaskType, get_peft_model

    targets: str | list[str] = config.target_modules
    if targets != "all-linear":
        targets = [name.strip() for name in targets.split(",") if name.strip()]
    lora = LoraConfig(
        task_type=TaskType.CAUSAL_LM, r=config.r, lora_alpha=config.alpha,
        lora_dropout=config.dropout, target_modules=targets, bias="none",
        modules_to_save=resolve_modules_to_save(config) or None,
    )
    return get_peft_model(model, lora)


def encode(examples: Sequence[Example], tokenizer, max_length: int) -> list[tuple[list[int], list[int]]]:
    """(input_ids, labels) per example; prompt tokens are masked out of the loss (-100)."""
    from ml.llm.inference import encode_example

    encoded = []
    for example in examples:
        ids, prompt_len = encode_example(
            tokenizer, prompts.build_prompt(example.text),
            prompts.training_target(example.intent, example.entity_dicts),
        )
        ids = ids[:max_length]
        labels = [-100] * min(prompt_len, len(ids)) + ids[prompt_len:]
        encoded.append((ids, labels))
    return encoded


def collate(batch: Sequence[tuple[list[int], list[int]]], pad_id: int):
    import torch

    width = max(len(ids) for ids, _ in batch)
    input_ids = torch.full((len(batch), width), pad_id, dtype=torch.long)
    labels = torch.full((len(batch), width), -100, dtype=torch.long)
    attention = torch.zeros((len(batch), width), dtype=torch.long)
    for row, (ids, labs) in enumerate(batch):
        input_ids[row, : len(ids)] = torch.tensor(ids)
        labels[row, : len(labs)] = torch.tensor(labs)
        attention[row, : len(ids)] = 1
    return {"input_ids": input_ids, "attention_mask": attention, "labels": labels}


def validation_loss(model, encoded, pad_id: int, batch_size: int) -> float:
    import torch

    if not encoded:
        return float("nan")
    model.eval()
    total, count = 0.0, 0
    with torch.inference_mode():
        for start in range(0, len(encoded), batch_size):
            batch = collate(encoded[start : start + batch_size], pad_id)
            device = next(model.parameters()).device
            batch = {k: v.to(device) for k, v in batch.items()}
            tokens = int((batch["labels"][:, 1:] != -100).sum())
            total += float(model(**batch).loss) * tokens
            count += tokens
    model.train()
    return total / max(count, 1)


def intent_metrics(gold: Sequence[str], predicted: Sequence[str]) -> dict:
    """Accuracy, macro F1 (over the gold intents) and per-intent precision/recall/F1."""
    labels = sorted(set(gold))
    per_intent = {}
    for label in labels:
        tp = sum(1 for g, p in zip(gold, predicted) if g == label and p == label)
        fp = sum(1 for g, p in zip(gold, predicted) if g != label and p == label)
        fn = sum(1 for g, p in zip(gold, predicted) if g == label and p != label)
        precision = tp / (tp + fp) if tp + fp else 0.0
        recall = tp / (tp + fn) if tp + fn else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_intent[label] = {"precision": precision, "recall": recall, "f1": f1, "support": tp + fn}
    accuracy = sum(1 for g, p in zip(gold, predicted) if g == p) / len(gold) if gold else float("nan")
    macro_f1 = sum(v["f1"] for v in per_intent.values()) / len(labels) if labels else float("nan")
    return {"intent_accuracy": accuracy, "macro_f1": macro_f1, "per_intent": per_intent, "examples": len(gold)}


def evaluate(model, tokenizer, examples: Sequence[Example], intents: Sequence[str]) -> dict:
    """Intent accuracy / macro F1 on ``examples``, scored as the model server scores."""
    from ml.llm.inference import IntentScorer

    if not examples:
        return {"intent_accuracy": None, "macro_f1": None, "per_intent": {}, "examples": 0}
    scorer = IntentScorer(model, tokenizer, intents=intents)
    predicted = [scorer.rank_intents(example.text)[0]["name"] for example in examples]
    model.train()
    return intent_metrics([example.intent for example in examples], predicted)


def json_safe(value):
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_safe(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_safe(v) for v in value]
    return value
