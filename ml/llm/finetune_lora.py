"""LoRA fine-tuning of a causal LM for Naviyam's intents and entities (seed 001 §5.2).

Data: Rasa NLU yml (``data/nlu``; entity annotations stripped from the text and kept as
targets) plus collected rows (JSONL, ``--collected``). Each example becomes
``prompt → " <intent>\\n개체: <entities>" + EOS`` (``naviyam.shared.llm_prompts``); the loss is on
the target tokens only.

Defaults are the seed's settings: r=16, alpha=32, dropout 0.05, lr 2e-4, batch 4,
gradient accumulation 4, 3 epochs, gradient clipping 1.0. A stratified held-out split
is evaluated after every epoch (validation loss; the best epoch's adapter is kept,
optional early stopping) and at the end by intent accuracy and macro F1 measured the
way the model server answers (``ml.llm.inference``). The adapter (``save_pretrained``),
tokenizer, ``naviyam_adapter.json`` (metadata) and ``metrics.json`` go to ``--output``.
This module holds the run (configuration, training loop, outputs, CLI); model loading,
batching and evaluation live in ``ml.llm.lora_training``.

    python -m ml.llm.finetune_lora --base-model models/llm/tiny-base --output models/llm/adapter
    python -m ml.llm.finetune_lora --base-model skt/A.X-3.1-Light --load-in-4bit ...   # GPU box
"""
from __future__ import annotations

import argparse
import json
import logging
import math
import random
import shutil
import sys
import time
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from pathlib import Path

from naviyam.config import get_llm_settings
from naviyam.shared import llm_prompts as prompts
from ml.llm.dataset import (
    Example,
    deduplicate,
    entity_types_of,
    intents_of,
    read_collected_rows,
    read_rasa_nlu,
    stratified_split,
)
from ml.llm.lora_training import (
    attach_lora,
    collate,
    encode,
    evaluate,
    json_safe,
    load_base,
    validation_loss,
)

logger = logging.getLogger(__name__)


def _default_output() -> str:
    settings = get_llm_settings()
    return settings.adapter or str(settings.default_adapter_dir)


@dataclass
class TrainConfig:
    base_model: str = field(default_factory=lambda: get_llm_settings().base_model)
    output: str = field(default_factory=_default_output)
    nlu: list[str] = field(default_factory=lambda: [str(get_llm_settings().nlu_data)])
    collected: list[str] = field(default_factory=list)
    r: int = 16
    alpha: int = 32
    dropout: float = 0.05
    target_modules: str = "all-linear"
    # Extra modules trained fully and saved with the adapter ("auto": what the base
    # model's naviyam_model.json recommends, i.e. the tiny dev model's embeddings and
    # norms, which a random-init base needs; nothing for real pretrained models).
    modules_to_save: str = "auto"
    lr: float = 2e-4
    batch_size: int = 4
    grad_accum: int = 4
    epochs: int = 3
    max_steps: int = 0  # optimizer steps cap (0: no cap)
    warmup_ratio: float = 0.03
    max_grad_norm: float = 1.0
    max_length: int = 192
    eval_fraction: float = 0.1
    early_stopping_patience: int = 0  # epochs without validation improvement (0: off)
    select: str = "best"  # "best": keep the epoch with the lowest validation loss; "last"
    limit_examples: int = 0  # use only this many examples (quick runs; 0: all)
    seed: int = 42
    threads: int = 1
    load_in_4bit: bool = False
    device: str = "cpu"  # "cuda" on a GPU box (ignored with --load-in-4bit: device_map="auto")
    model_name: str = ""  # name the server reports (default: output dir name)
    metrics_path: str = ""  # extra copy of metrics.json (default: only in output)
    register: bool = False  # add the adapter to the model registry (production or canary)
    version: str = ""  # registry version (default: the training's UTC time, YYYYmmddHHMMSS)


def _set_seed(seed: int) -> None:
    import torch

    random.seed(seed)
    torch.manual_seed(seed)


def load_examples(config: TrainConfig) -> list[Example]:
    examples = read_rasa_nlu([Path(p) for p in config.nlu if Path(p).exists()])
    for path in config.collected:
        examples.extend(read_collected_rows(Path(path)))
    examples = deduplicate(examples)
    if config.limit_examples and len(examples) > config.limit_examples:
        rng = random.Random(config.seed)
        # keep every intent represented: round-robin over intents
        by_intent: dict[str, list[Example]] = {}
        for example in examples:
            by_intent.setdefault(example.intent, []).append(example)
        for items in by_intent.values():
            rng.shuffle(items)
        picked: list[Example] = []
        while len(picked) < config.limit_examples and any(by_intent.values()):
            for intent in sorted(by_intent):
                if by_intent[intent] and len(picked) < config.limit_examples:
                    picked.append(by_intent[intent].pop())
        examples = picked
    if not examples:
        raise SystemExit(f"No training examples in {config.nlu} / {config.collected}")
    return examples


def train(config: TrainConfig) -> dict:
    import torch
    from tqdm.auto import tqdm
    from transformers import get_linear_schedule_with_warmup

    torch.set_num_threads(max(1, config.threads))
    _set_seed(config.seed)
    started = time.monotonic()
    examples = load_examples(config)
    intents = intents_of(examples)
    entity_types = entity_types_of(examples)
    train_set, held_out = stratified_split(examples, config.eval_fraction, config.seed)
    model, tokenizer = load_base(config)
    model = attach_lora(model, config)
    trainable, total = model.get_nb_trainable_parameters()
    print(f"{len(train_set)} training / {len(held_out)} held-out examples, {len(intents)} intents; "
          f"LoRA trainable parameters {trainable:,} of {total:,}", file=sys.stderr)

    train_encoded = encode(train_set, tokenizer, config.max_length)
    eval_encoded = encode(held_out, tokenizer, config.max_length)
    pad_id = tokenizer.pad_token_id
    device = next(model.parameters()).device
    batches_per_epoch = math.ceil(len(train_encoded) / config.batch_size)
    steps_per_epoch = max(1, math.ceil(batches_per_epoch / config.grad_accum))
    total_steps = steps_per_epoch * config.epochs
    if config.max_steps:
        total_steps = min(total_steps, config.max_steps)
    optimizer = torch.optim.AdamW([p for p in model.parameters() if p.requires_grad], lr=config.lr)
    scheduler = get_linear_schedule_with_warmup(
        optimizer, int(total_steps * config.warmup_ratio), total_steps
    )

    output = Path(config.output)
    best_dir = output.with_name(output.name + ".best-tmp")
    history: list[dict] = []
    best_loss, kept_loss, stale_epochs, optimizer_steps = float("inf"), float("nan"), 0, 0
    rng = random.Random(config.seed)
    model.train()
    progress = tqdm(total=total_steps, desc="LoRA fine-tuning", unit="step")
    for epoch in range(config.epochs):
        order = list(range(len(train_encoded)))
        rng.shuffle(order)
        running, micro = 0.0, 0
        for batch_index in range(batches_per_epoch):
            chunk = [train_encoded[i] for i in order[batch_index * config.batch_size:(batch_index + 1) * config.batch_size]]
            batch = {k: v.to(device) for k, v in collate(chunk, pad_id).items()}
            loss = model(**batch).loss / config.grad_accum
            loss.backward()
            running += float(loss.detach()) * config.grad_accum
            micro += 1
            last_of_epoch = batch_index == batches_per_epoch - 1
            if micro % config.grad_accum == 0 or last_of_epoch:
                torch.nn.utils.clip_grad_norm_(model.parameters(), config.max_grad_norm)
                optimizer.step()
                scheduler.step()
                optimizer.zero_grad()
                optimizer_steps += 1
                progress.update(1)
                progress.set_postfix(epoch=epoch + 1, loss=f"{running / micro:.3f}", lr=f"{scheduler.get_last_lr()[0]:.2e}")
                if config.max_steps and optimizer_steps >= config.max_steps:
                    break
        val_loss = validation_loss(model, eval_encoded, pad_id, config.batch_size)
        history.append({"epoch": epoch + 1, "train_loss": running / max(micro, 1),
                        "validation_loss": val_loss, "optimizer_steps": optimizer_steps})
        improved = math.isfinite(val_loss) and val_loss < best_loss
        if improved:
            best_loss, stale_epochs = val_loss, 0
        else:
            stale_epochs += 1
        if improved or config.select == "last" or not math.isfinite(val_loss):
            model.save_pretrained(best_dir)  # the checkpoint to keep (seed §5.2 step 4)
            kept_loss = val_loss
        if config.max_steps and optimizer_steps >= config.max_steps:
            break
        if config.early_stopping_patience and stale_epochs >= config.early_stopping_patience:
            print(f"Early stopping after epoch {epoch + 1}", file=sys.stderr)
            break
    progress.close()

    # Reload the best epoch's adapter weights before the final evaluation and save.
    from peft import set_peft_model_state_dict
    from peft.utils import load_peft_weights

    set_peft_model_state_dict(model, load_peft_weights(str(best_dir), device=str(device)))
    metrics = evaluate(model, tokenizer, held_out, intents)
    metrics.update({
        "validation_loss": kept_loss,
        "history": history,
        "train_examples": len(train_set),
        "held_out_examples": len(held_out),
        "seconds": round(time.monotonic() - started, 1),
    })
    output.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(output)
    tokenizer.save_pretrained(output)
    shutil.rmtree(best_dir, ignore_errors=True)
    metadata = {
        "model_name": config.model_name or output.name,
        "base_model": config.base_model,
        "prompt_version": prompts.PROMPT_VERSION,
        "intents": intents,
        "entity_types": entity_types,
        "trained_at": datetime.now(timezone.utc).isoformat(timespec="seconds"),
        "config": asdict(config),
        "metrics": {k: metrics[k] for k in ("intent_accuracy", "macro_f1", "validation_loss", "held_out_examples")},
        # The data window the registry records: which files, how many examples of each kind
        "data": {"nlu": list(config.nlu), "collected": list(config.collected), "examples": len(examples),
                 "train_examples": len(train_set), "held_out_examples": len(held_out)},
    }
    from ml.llm.inference import ADAPTER_METADATA

    (output / ADAPTER_METADATA).write_text(json.dumps(json_safe(metadata), ensure_ascii=False, indent=2), encoding="utf-8")
    metrics_text = json.dumps(json_safe(metrics), ensure_ascii=False, indent=2)
    (output / "metrics.json").write_text(metrics_text, encoding="utf-8")
    if config.metrics_path:
        Path(config.metrics_path).parent.mkdir(parents=True, exist_ok=True)
        Path(config.metrics_path).write_text(metrics_text, encoding="utf-8")
    return metrics


def parse_args(argv: Sequence[str] | None = None) -> TrainConfig:
    defaults = TrainConfig()
    parser = argparse.ArgumentParser(description="LoRA fine-tuning for Naviyam's LLM NLU (seed 001 §5.2)")
    parser.add_argument("--base-model", default=defaults.base_model,
                        help="local path or hub id (default: $NAVIYAM_LLM_BASE_MODEL or models/llm/tiny-base)")
    parser.add_argument("--output", default=defaults.output,
                        help="adapter dir (default: $NAVIYAM_LLM_ADAPTER or models/llm/adapter)")
    parser.add_argument("--nlu", nargs="+", default=defaults.nlu, help="Rasa NLU files/dirs (default: data/nlu)")
    parser.add_argument("--collected", action="append", default=[], help="JSONL of collected rows (repeatable)")
    parser.add_argument("--r", type=int, default=defaults.r, help="LoRA rank")
    parser.add_argument("--alpha", type=int, default=defaults.alpha, help="LoRA alpha")
    parser.add_argument("--dropout", type=float, default=defaults.dropout, help="LoRA dropout")
    parser.add_argument("--target-modules", default=defaults.target_modules,
                        help="'all-linear' or comma-separated module names (e.g. q_proj,v_proj)")
    parser.add_argument("--modules-to-save", default=defaults.modules_to_save,
                        help="'auto', '' or comma-separated modules trained fully (e.g. embed_tokens,lm_head)")
    parser.add_argument("--lr", type=float, default=defaults.lr, help="learning rate")
    parser.add_argument("--batch-size", type=int, default=defaults.batch_size)
    parser.add_argument("--grad-accum", type=int, default=defaults.grad_accum, help="gradient accumulation steps")
    parser.add_argument("--epochs", type=int, default=defaults.epochs)
    parser.add_argument("--max-steps", type=int, default=0, help="cap on optimizer steps (0: none)")
    parser.add_argument("--warmup-ratio", type=float, default=defaults.warmup_ratio)
    parser.add_argument("--max-grad-norm", type=float, default=defaults.max_grad_norm)
    parser.add_argument("--max-length", type=int, default=defaults.max_length, help="max tokens per example")
    parser.add_argument("--eval-fraction", type=float, default=defaults.eval_fraction, help="held-out share per intent")
    parser.add_argument("--early-stopping-patience", type=int, default=0)
    parser.add_argument("--select", choices=("best", "last"), default=defaults.select,
                        help="adapter to keep: lowest validation loss (default) or the last epoch")
    parser.add_argument("--limit-examples", type=int, default=0, help="train on a subset (quick runs)")
    parser.add_argument("--seed", type=int, default=defaults.seed)
    parser.add_argument("--threads", type=int, default=get_llm_settings().torch_threads,
                        help="torch CPU threads (default: $NAVIYAM_TORCH_THREADS or 1)")
    parser.add_argument("--load-in-4bit", action="store_true", help="QLoRA on a 4-bit base (CUDA + bitsandbytes)")
    parser.add_argument("--device", default=defaults.device, help="cpu, cuda, cuda:1...")
    parser.add_argument("--model-name", default="", help="name the model server reports")
    parser.add_argument("--metrics", dest="metrics_path", default="", help="also write metrics JSON here")
    parser.add_argument("--register", action="store_true",
                        help="add the adapter to the model registry (DATABASE_URL): production when none "
                             "serves, else the canary; without --output it goes to models/llm/adapters/VERSION")
    parser.add_argument("--version", default="", help="registry version (default: UTC time YYYYmmddHHMMSS)")
    args = vars(parser.parse_args(argv))
    if args["register"]:
        args["version"] = args["version"] or datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
        if "--output" not in (argv if argv is not None else sys.argv[1:]):
            args["output"] = str(get_llm_settings().default_adapter_dir.parent / "adapters" / args["version"])
        args["model_name"] = args["version"]  # the server and the logs name the adapter by its version
    return TrainConfig(**args)


def train_and_register(config: TrainConfig) -> dict:
    """``train`` inside a training_jobs row, then register the adapter (``--register``)."""
    from ml.llm.inference import ADAPTER_METADATA
    from naviyam.usecases.learning.registry import finish_training_job, record_trained_adapter, start_training_job

    job_id = start_training_job(f"adapter_{config.version}", asdict(config), kind="llm_adapter")
    try:
        metrics = train(config)
    except BaseException as exc:
        finish_training_job(job_id, error=f"{type(exc).__name__}: {exc}")
        raise
    data = json.loads((Path(config.output) / ADAPTER_METADATA).read_text(encoding="utf-8")).get("data") or {}
    finish_training_job(job_id, path=config.output, metrics={
        "data": data, **{k: v for k, v in metrics.items() if k not in ("per_intent", "history")}})
    row = record_trained_adapter(Path(config.output), config.version, training_job_id=job_id)
    status = f"{row.deployment_status} ({float(row.traffic_percentage):.0f} % of users)" if row else "already registered"
    print(f"Registered adapter {config.version}: {status}", file=sys.stderr)
    return metrics


def main(argv: Sequence[str] | None = None) -> None:
    logging.basicConfig(level=logging.WARNING)
    config = parse_args(argv)
    metrics = train_and_register(config) if config.register else train(config)
    summary = {k: metrics[k] for k in ("intent_accuracy", "macro_f1", "validation_loss",
                                       "train_examples", "held_out_examples", "seconds")}
    print(json.dumps(json_safe(summary), ensure_ascii=False))
    print(f"Adapter saved to {config.output}", file=sys.stderr)


if __name__ == "__main__":
    main()
