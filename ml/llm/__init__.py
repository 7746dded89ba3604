"""LLM NLU: prompt format, training data, tiny dev model, LoRA fine-tuning, model server.

Keep this package import light: ``naviyam.shared.llm_prompts`` is stdlib-only and imported by the
Rasa component in the Rasa environment (no torch there). Heavy modules import torch
and transformers themselves.
"""
