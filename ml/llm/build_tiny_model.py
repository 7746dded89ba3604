"""Build a TINY causal LM for tests and development: NOT a real language model.

No model hub is reachable on the project's machines, so the LLM code path (LoRA
fine-tuning, model server, Rasa component) is exercised end to end on a small
``LlamaForCausalLM`` that this script builds locally:

- a byte-level BPE tokenizer trained with ``tokenizers`` on the project's own Korean
  NLU text (``data/nlu`` or the given files) plus the prompt format's words;
- a randomly initialised Llama with a few layers (hidden 96 by default), optionally
  warmed up for ``--pretrain-steps`` on the same text so it has a weak language prior.

Its answers are only as good as a few minutes of CPU training make them. For real use
point ``--base-model`` of ``ml.llm.finetune_lora`` at A.X 3.1 Light or another causal
LM (docs/LLM_NLU.md).

    python -m ml.llm.build_tiny_model --nlu data/nlu --output models/llm/tiny-base
"""
from __future__ import annotations

import argparse
import json
import random
from collections.abc import Sequence
from pathlib import Path

from naviyam.config import get_llm_settings
from naviyam.shared import llm_prompts as prompts
from ml.llm.dataset import Example, entity_types_of, intents_of, read_rasa_nlu

SPECIAL_TOKENS = ["<pad>", "<s>", "</s>", "<unk>"]
TINY_MODULES_TO_SAVE = ("embed_tokens", "lm_head", "norm", "input_layernorm", "post_attention_layernorm")
DEV_MODEL_NOTE = "naviyam tiny dev/test causal LM built locally; not a real language model"


def corpus_lines(examples: Sequence[Example]) -> list[str]:
    """Text the tokenizer is trained on: examples, prompt words, labels and entity lines."""
    lines = [prompts.INSTRUCTION, "문장:", "의도:", prompts.ENTITY_PREFIX, prompts.NO_ENTITIES, "이전:"]
    lines.extend(prompts.intent_label(intent).strip() for intent in intents_of(examples))
    lines.extend(f"{name}=" for name in entity_types_of(examples))
    lines.extend(example.text for example in examples)
    return lines


def train_tokenizer(lines: Sequence[str], vocab_size: int):
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, processors, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE(unk_token="<unk>"))
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=SPECIAL_TOKENS,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(lines, trainer=trainer)
    bos = tokenizer.token_to_id("<s>")
    tokenizer.post_processor = processors.TemplateProcessing(
        single="<s> $A", pair="<s> $A $B", special_tokens=[("<s>", bos)]
    )
    return PreTrainedTokenizerFast(
        tokenizer_object=tokenizer,
        bos_token="<s>", eos_token="</s>", pad_token="<pad>", unk_token="<unk>",
        padding_side="right",
    )


def build_model(tokenizer, hidden_size: int, layers: int, heads: int, seed: int):
    import torch
    from transformers import LlamaConfig, LlamaForCausalLM

    torch.manual_seed(seed)
    config = LlamaConfig(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2 + hidden_size // 2,
        num_hidden_layers=layers,
        num_attention_heads=heads,
        num_key_value_heads=heads,
        max_position_embeddings=512,
        bos_token_id=tokenizer.bos_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
        tie_word_embeddings=False,  # embeddings and head are trained separately (modules_to_save)
    )
    return LlamaForCausalLM(config)


def pretrain(model, tokenizer, lines: Sequence[str], steps: int, seed: int, batch_size: int = 8) -> float:
    """A short full-parameter causal-LM warm-up on the corpus; returns the last loss."""
    import torch
    from tqdm.auto import tqdm

    if steps <= 0:
        return float("nan")
    rng = random.Random(seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=3e-3)
    model.train()
    loss_value = float("nan")
    for _ in tqdm(range(steps), desc="tiny base warm-up", unit="step"):
        batch = rng.sample(list(lines), k=min(batch_size, len(lines)))
        encoded = tokenizer(
            [line + tokenizer.eos_token for line in batch], return_tensors="pt",
            padding=True, truncation=True, max_length=128,
        )
        labels = encoded["input_ids"].masked_fill(encoded["attention_mask"] == 0, -100)
        loss = model(**encoded, labels=labels).loss
        loss.backward()
        optimizer.step()
        optimizer.zero_grad()
        loss_value = float(loss.detach())
    model.eval()
    return loss_value


def build(
    nlu_paths: Sequence[Path], output: Path, *, vocab_size: int = 3000, hidden_size: int = 96,
    layers: int = 2, heads: int = 4, pretrain_steps: int = 0, seed: int = 13,
) -> Path:
    examples = read_rasa_nlu(nlu_paths)
    if not examples:
        raise SystemExit(f"No NLU examples found in {', '.join(map(str, nlu_paths))}")
    random.seed(seed)
    lines = corpus_lines(examples)
    tokenizer = train_tokenizer(lines, vocab_size)
    model = build_model(tokenizer, hidden_size, layers, heads, seed)
    last_loss = pretrain(model, tokenizer, lines, pretrain_steps, seed)
    output.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(output)
    tokenizer.save_pretrained(output)
    (output / "naviyam_model.json").write_text(json.dumps({
        "note": DEV_MODEL_NOTE,
        "examples": len(examples),
        "intents": intents_of(examples),
        "entity_types": entity_types_of(examples),
        "vocab_size": len(tokenizer),
        "hidden_size": hidden_size,
        "layers": layers,
        "pretrain_steps": pretrain_steps,
        "pretrain_last_loss": None if last_loss != last_loss else last_loss,
        # A random-init base has no useful embeddings: LoRA alone cannot make the label
        # depend on the sentence, so fine-tuning also trains these (ml.llm.finetune_lora).
        "lora_modules_to_save": list(TINY_MODULES_TO_SAVE),
        "seed": seed,
    }, ensure_ascii=False, indent=2), encoding="utf-8")
    return output


def main(argv: Sequence[str] | None = None) -> None:
    settings = get_llm_settings()
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--nlu", type=Path, nargs="+", default=[settings.nlu_data],
                        help="Rasa NLU files or directories (default: data/nlu or $NAVIYAM_NLU_DATA)")
    parser.add_argument("--output", type=Path, default=settings.tiny_base,
                        help="where to save (default: models/llm/tiny-base or $NAVIYAM_LLM_TINY_BASE)")
    parser.add_argument("--vocab-size", type=int, default=3000)
    parser.add_argument("--hidden-size", type=int, default=96)
    parser.add_argument("--layers", type=int, default=2)
    parser.add_argument("--heads", type=int, default=4)
    parser.add_argument("--pretrain-steps", type=int, default=0,
                        help="full-parameter warm-up steps on the corpus (0: random init)")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--threads", type=int, default=settings.torch_threads)
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(max(1, args.threads))
    path = build(args.nlu, args.output, vocab_size=args.vocab_size, hidden_size=args.hidden_size,
                 layers=args.layers, heads=args.heads, pretrain_steps=args.pretrain_steps, seed=args.seed)
    print(f"Tiny dev base model (not a real LLM) saved to {path}")


if __name__ == "__main__":
    main()
