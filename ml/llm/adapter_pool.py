"""The model registry's NLU adapters, served side by side on one base model (issue 15).

The registry (``naviyam.usecases.learning.registry``, kind ``llm_adapter``) names a production
adapter and at most one canary. The pool loads the base model once and each serving adapter
into one PEFT model under its version name (``PeftModel.load_adapter``); a request names the
version it wants (the Rasa component routes each user by the shared canary split,
``naviyam.shared.canary``) and the pool activates it (``set_adapter``) for that inference. An
unknown or retired version gets production, and the answer names the version that really
answered. ``refresh`` re-reads the registry: a new canary is loaded, a promoted one stays, a
rolled-back or deprecated one is dropped (``delete_adapter``). Adapters stay unmerged, which
is what lets two share the base; PEFT documents this multi-adapter use.

Not thread-safe by itself: the model server runs every call (inference and refresh) in its one
worker thread.
"""
from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from ml.llm.inference import IntentScorer, ParseResult, read_adapter_metadata

logger = logging.getLogger(__name__)



class AdapterPool:
    """Production and canary adapters of the registry on one base model."""

    def __init__(self, base_model: str, read_registry: Callable[[], Mapping[str, Any]], *,
                 device: str = "cpu", dtype: str = "float32") -> None:
        import torch
        from transformers import AutoModelForCausalLM

        self.base_model = base_model
        self.read_registry = read_registry
        self._base = AutoModelForCausalLM.from_pretrained(base_model, dtype=getattr(torch, dtype)).to(device)
        self.model = None  # the PeftModel, once the first adapter is loaded
        self.tokenizer = None
        self.scorers: dict[str, IntentScorer] = {}
        self.state: dict[str, Any] = {"production": None, "canary": None}

    # ------------------------------------------------------------------ registry

    def refresh(self) -> bool:
        """Load what the registry serves now and drop what it stopped serving; True when it changed.
        A version that fails to load is logged and skipped (the others keep serving)."""
        state = dict(self.read_registry())
        wanted = {entry["version"]: entry for entry in (state.get("production"), state.get("canary")) if entry}
        changed = False
        for version, entry in wanted.items():
            if version not in self.scorers:
                try:
                    self._load(version, str(entry["path"]))
                    changed = True
                except (OSError, ValueError, RuntimeError) as exc:
                    logger.error("Cannot load NLU adapter %s from %s: %s", version, entry["path"], exc)
        served = {v: e for v, e in wanted.items() if v in self.scorers}
        for version in [v for v in self.scorers if v not in served]:
            if len(self.scorers) > 1:  # PEFT keeps at least one adapter
                self._drop(version)
                changed = True
        production = state.get("production")
        canary = state.get("canary")
        self.state = {
            "production": {"version": production["version"]} if production and production["version"] in served
            else self._any_loaded(),
            "canary": {"version": canary["version"], "percent": float(canary.get("percent") or 0)}
            if canary and canary["version"] in served else None,
        }
        return changed

    def _any_loaded(self) -> dict[str, str] | None:
        current = self.state.get("production")
        if current and current["version"] in self.scorers:
            return current
        return {"version": next(iter(self.scorers))} if self.scorers else None

    def _load(self, version: str, path: str) -> None:
        metadata = read_adapter_metadata(path)
        if not metadata:
            raise ValueError(f"{path} holds no naviyam_adapter.json")
        if self.model is None:
            from peft import PeftModel
            from transformers import AutoTokenizer

            source = path if (Path(path) / "tokenizer_config.json").exists() else self.base_model
            self.tokenizer = AutoTokenizer.from_pretrained(source)
            self.model = PeftModel.from_pretrained(self._base, path, adapter_name=version)
        else:
            self.model.load_adapter(path, adapter_name=version)
        self.model.eval()
        self.scorers[version] = IntentScorer(self.model, self.tokenizer, intents=metadata.get("intents", ()),
                                             entity_types=metadata.get("entity_types"), name=version)
        logger.info("Loaded NLU adapter %s from %s", version, path)

    def _drop(self, version: str) -> None:
        if self.model.active_adapter == version:
            self.model.set_adapter(next(v for v in self.scorers if v != version))
        self.model.delete_adapter(version)
        del self.scorers[version]
        logger.info("Dropped NLU adapter %s (no longer served)", version)

    # ------------------------------------------------------------------ serving

    @property
    def production(self) -> str | None:
        entry = self.state.get("production")
        return entry["version"] if entry else None

    def scorer(self, version: str | None) -> IntentScorer:
        """The scorer of ``version`` (production when unknown), its adapter activated."""
        name = version if version in self.scorers else self.production
        if name is None:
            raise ValueError("the registry serves no NLU adapter")
        if self.model.active_adapter != name:
            self.model.set_adapter(name)
        return self.scorers[name]

    def parse(self, text: str, intents: Sequence[str] | None, context: Mapping[str, object] | None,
              with_entities: bool, adapter: str | None = None) -> tuple[ParseResult, str]:
        scorer = self.scorer(adapter)
        return scorer.parse(text, intents, context, with_entities), scorer.name

    def serving(self) -> dict[str, Any]:
        return dict(self.state)

    @property
    def default_intents(self) -> list[str]:
        return self.scorers[self.production].default_intents if self.production else []

    @property
    def name(self) -> str:
        return self.production or "none"


class FixedScorer:
    """One scorer (``--adapter`` pinned, or no registry): the pool's interface, no routing."""

    def __init__(self, scorer: IntentScorer) -> None:
        self._scorer = scorer

    def refresh(self) -> bool:
        return False

    def parse(self, text: str, intents: Sequence[str] | None, context: Mapping[str, object] | None,
              with_entities: bool, adapter: str | None = None) -> tuple[ParseResult, str]:
        return self._scorer.parse(text, intents, context, with_entities), self._scorer.name

    def serving(self) -> dict[str, Any]:
        return {"production": {"version": self._scorer.name}, "canary": None}

    @property
    def default_intents(self) -> list[str]:
        return self._scorer.default_intents

    @property
    def name(self) -> str:
        return self._scorer.name
