"""Wide&Deep ranker (seed 001 §3.1 step 4.4) and the popularity baseline.

Model: ``sigmoid(wide + deep)`` where
- wide = a linear model over hashed crossed categorical features (one weight per
  hash bucket, summed over the row's crosses) plus a linear term over the dense features;
- deep = Dense 128 → 64 → 32 → 1 (ReLU) over the dense user, item and cross features.

It is built and trained with Keras (``build_keras_model``; ``ml/ranking/train_wide_deep.py``).
Serving does not import TensorFlow: a saved model also writes its weights to
``weights.npz`` and :class:`WideDeepScorer` evaluates the same maths in numpy (a
test checks both agree), which keeps the action server's start and each request fast.

Meal-card bonus (seed: "급식카드 사용 가능 시 추가 점수 +0.2"): added AFTER the sigmoid
to the final score, +0.2 for shops that take the card fully (Y) and +0.1 for partial
(P). Every recommended shop takes the card (hard filter), so the bonus orders full
acceptance above partial; final scores are in [0, 1.2].
"""
from __future__ import annotations

import json
import logging
import math
import os
import shutil
import threading
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import numpy as np

from naviyam.domain.recommend.features import (
    FEATURE_NAMES, HASH_BUCKETS, N_CROSSES, N_DENSE, Candidates,
)

log = logging.getLogger(__name__)

FOODCARD_BONUS = {"Y": 0.2, "P": 0.1}
DEEP_UNITS = (128, 64, 32)


def foodcard_bonus(foodcard: np.ndarray) -> np.ndarray:
    return np.array([FOODCARD_BONUS.get(str(f), 0.0) for f in foodcard], dtype=np.float32)


class PopularityBaseline:
    """Ranks by how popular and well-rated a shop and menu are; needs no training.

    score = 0.6 popularity + 0.2 quality + 0.1 popular menu + 0.1 recommended often
    (+ ``relevance_weight`` x retrieval score when serving a query).
    """

    name = "popularity-baseline"
    method = "FALLBACK"

    def __init__(self, relevance_weight: float = 0.0) -> None:
        self.relevance_weight = relevance_weight

    def predict(self, dense: np.ndarray, crosses: np.ndarray, cands: Candidates) -> np.ndarray:
        freq = np.minimum(1.0, np.log1p(cands.frequency) / math.log(1000))
        score = (0.6 * cands.popularity + 0.2 * cands.quality
                 + 0.1 * cands.popular_menu.astype(np.float32) + 0.1 * freq)
        if self.relevance_weight:
            score = (1 - self.relevance_weight) * score + self.relevance_weight * (
                0.5 * cands.retrieval_score + 0.5 * cands.query_match)
        return score.astype(np.float32)

    def contributions(self, dense: np.ndarray, crosses: np.ndarray, cands: Candidates) -> list[dict[str, float]]:
        return [{"popularity": round(float(0.6 * cands.popularity[i]), 3),
                 "quality": round(float(0.2 * cands.quality[i]), 3)} for i in range(len(cands))]


def build_keras_model(hash_buckets: int = HASH_BUCKETS, n_dense: int = N_DENSE):
    """The Keras functional Wide&Deep model (imported lazily: training only)."""
    import tensorflow as tf

    dense_in = tf.keras.Input(shape=(n_dense,), name="dense")
    cross_in = tf.keras.Input(shape=(N_CROSSES,), dtype="int32", name="crosses")
    wide_emb = tf.keras.layers.Embedding(hash_buckets, 1, name="wide_crosses")(cross_in)
    wide_cross = tf.keras.layers.Flatten()(wide_emb)
    # a fixed all-ones projection = the sum of the crosses' weights (serialisable, unlike a Lambda)
    wide_cross = tf.keras.layers.Dense(1, use_bias=False, kernel_initializer="ones", trainable=False,
                                       name="wide_sum")(wide_cross)
    wide_dense = tf.keras.layers.Dense(1, name="wide_dense")(dense_in)
    h = dense_in
    for i, units in enumerate(DEEP_UNITS):
        h = tf.keras.layers.Dense(units, activation="relu", name=f"deep_{i}")(h)
    deep_out = tf.keras.layers.Dense(1, name="deep_out")(h)
    logit = tf.keras.layers.Add(name="wide_plus_deep")([wide_cross, wide_dense, deep_out])
    out = tf.keras.layers.Activation("sigmoid", name="score")(logit)
    model = tf.keras.Model(inputs={"dense": dense_in, "crosses": cross_in}, outputs=out,
                           name="wide_deep")
    return model


def export_weights(model) -> dict[str, np.ndarray]:
    """The Keras model's weights as plain arrays for :class:`WideDeepScorer`."""
    weights = {"wide_crosses": model.get_layer("wide_crosses").get_weights()[0]}
    w, b = model.get_layer("wide_dense").get_weights()
    weights["wide_dense_w"], weights["wide_dense_b"] = w, b
    for i in range(len(DEEP_UNITS)):
        w, b = model.get_layer(f"deep_{i}").get_weights()
        weights[f"deep_{i}_w"], weights[f"deep_{i}_b"] = w, b
    w, b = model.get_layer("deep_out").get_weights()
    weights["deep_out_w"], weights["deep_out_b"] = w, b
    return weights


class WideDeepScorer:
    """numpy inference of a trained Wide&Deep model."""

    method = "WIDE_DEEP"

    def __init__(self, weights: dict[str, np.ndarray], metadata: dict[str, Any]) -> None:
        self.w = {k: np.asarray(v, dtype=np.float32) for k, v in weights.items()}
        self.metadata = metadata
        self.name = f"wide-deep-{metadata.get('version', '?')}"
        if metadata.get("feature_names") and metadata["feature_names"] != FEATURE_NAMES:
            raise ValueError("Ranker model was trained on different features; retrain it")

    def logits(self, dense: np.ndarray, crosses: np.ndarray) -> np.ndarray:
        w = self.w
        wide = w["wide_crosses"][crosses, 0].sum(axis=1) + (dense @ w["wide_dense_w"])[:, 0] + w["wide_dense_b"][0]
        h = dense
        for i in range(len(DEEP_UNITS)):
            h = np.maximum(0.0, h @ w[f"deep_{i}_w"] + w[f"deep_{i}_b"])
        deep = (h @ w["deep_out_w"])[:, 0] + w["deep_out_b"][0]
        return wide + deep

    def predict(self, dense: np.ndarray, crosses: np.ndarray, cands: Candidates | None = None) -> np.ndarray:
        z = np.clip(self.logits(dense, crosses), -30, 30)
        return (1.0 / (1.0 + np.exp(-z))).astype(np.float32)

    def contributions(self, dense: np.ndarray, crosses: np.ndarray, cands: Candidates | None = None,
                      top: int = 3) -> list[dict[str, float]]:
        """Top feature contributions per row: the logit change when a feature is set to 0."""
        base = self.logits(dense, crosses)
        n, d = dense.shape
        active = [j for j in range(d) if np.any(dense[:, j] != 0)]
        if not active:
            return [{} for _ in range(n)]
        batch = np.repeat(dense[None, :, :], len(active), axis=0)
        for k, j in enumerate(active):
            batch[k, :, j] = 0.0
        occluded = self.logits(batch.reshape(-1, d), np.tile(crosses, (len(active), 1))).reshape(len(active), n)
        delta = base[None, :] - occluded
        result = []
        for i in range(n):
            order = np.argsort(-np.abs(delta[:, i]))[:top]
            result.append({FEATURE_NAMES[active[k]]: round(float(delta[k, i]), 3) for k in order
                           if abs(delta[k, i]) > 1e-4})
        return result


# ---- versioned storage: <ranker_dir>/<version>/{weights.npz, model.keras, metadata.json}

def save_model(model, ranker_dir: Path, metrics: dict[str, Any], extra: dict[str, Any] | None = None,
               version: str | None = None) -> Path:
    """Save a trained Keras model as a new version and point ``latest`` at it."""
    version = version or datetime.now(timezone.utc).strftime("%Y%m%d%H%M%S")
    target = Path(ranker_dir) / version
    target.mkdir(parents=True, exist_ok=True)
    np.savez(target / "weights.npz", **export_weights(model))
    try:
        model.save(target / "model.keras")
    except Exception:  # noqa: BLE001 - the numpy weights are what serving needs
        log.exception("Could not save the Keras model file; weights.npz is saved")
    metadata = {"version": version, "created_at": datetime.now(timezone.utc).isoformat(),
                "feature_names": FEATURE_NAMES, "hash_buckets": HASH_BUCKETS,
                "deep_units": list(DEEP_UNITS), "foodcard_bonus": FOODCARD_BONUS,
                "metrics": metrics, **(extra or {})}
    (target / "metadata.json").write_text(json.dumps(metadata, ensure_ascii=False, indent=2))
    pointer = Path(ranker_dir) / "latest"
    tmp = Path(ranker_dir) / ".latest.tmp"
    tmp.write_text(version + "\n")
    os.replace(tmp, pointer)
    return target


def prune_versions(ranker_dir: Path, keep: int, protect: set[str | None] | None = None) -> list[str]:
    """Delete all but the ``keep`` newest versions (seed 001: model checkpoints, the
    newest 10). The ``latest`` version and any in ``protect`` (a pinned version) stay.
    Returns the versions deleted; ``keep`` < 1 deletes nothing."""
    if keep < 1 or not Path(ranker_dir).is_dir():
        return []
    versions = sorted(p.name for p in Path(ranker_dir).iterdir()
                      if p.is_dir() and (p / "weights.npz").is_file())
    spared = set(versions[-keep:]) | {latest_version(ranker_dir)} | set(protect or ())
    removed = [v for v in versions if v not in spared]
    for version in removed:
        shutil.rmtree(Path(ranker_dir) / version, ignore_errors=True)
    return removed


def latest_version(ranker_dir: Path) -> str | None:
    pointer = Path(ranker_dir) / "latest"
    if pointer.is_file():
        version = pointer.read_text().strip()
        if version and (Path(ranker_dir) / version / "weights.npz").is_file():
            return version
    versions = sorted(p.name for p in Path(ranker_dir).glob("*") if (p / "weights.npz").is_file())
    return versions[-1] if versions else None


def is_current(ranker_dir: Path, version: str | None = None) -> bool:
    """Whether the (latest) saved model was trained on this code's features."""
    version = version or latest_version(ranker_dir)
    meta_file = Path(ranker_dir) / version / "metadata.json" if version else None
    if meta_file is None or not meta_file.is_file():
        return False
    return json.loads(meta_file.read_text()).get("feature_names") == FEATURE_NAMES


def load_scorer(ranker_dir: Path, version: str | None = None) -> WideDeepScorer | None:
    version = version or latest_version(ranker_dir)
    if not version:
        return None
    folder = Path(ranker_dir) / version
    metadata = json.loads((folder / "metadata.json").read_text()) if (folder / "metadata.json").is_file() else {}
    metadata.setdefault("version", version)
    with np.load(folder / "weights.npz") as data:
        weights = {k: data[k] for k in data.files}
    return WideDeepScorer(weights, metadata)


@dataclass
class _Loaded:
    key: tuple[str, str | None]
    scorer: WideDeepScorer | None


_LOCK = threading.Lock()
_LOADED: _Loaded | None = None


def get_ranker(ranker_dir: Path, version: str | None = None):
    """The process's ranker: the latest Wide&Deep model, or the baseline when none exists.

    Cached per process; a new ``latest`` version is picked up on the next call.
    """
    global _LOADED
    resolved = version or (latest_version(ranker_dir) if Path(ranker_dir).exists() else None)
    key = (str(ranker_dir), resolved)
    with _LOCK:
        if _LOADED is None or _LOADED.key != key:
            scorer = None
            if resolved:
                try:
                    scorer = load_scorer(ranker_dir, resolved)
                except Exception:  # noqa: BLE001 - a broken model must not stop answers
                    log.exception("Could not load ranker %s from %s; using the baseline", resolved, ranker_dir)
            _LOADED = _Loaded(key, scorer)
        return _LOADED.scorer or PopularityBaseline(relevance_weight=0.3)


# ---- registered versions (the model registry names a folder per version; docs/LEARNING_LOOP.md)

_BY_PATH: dict[tuple[str, str], WideDeepScorer] = {}
_BROKEN: set[tuple[str, str]] = set()     # logged once; not retried on every turn


def get_registered_ranker(path: str, version: str) -> WideDeepScorer | None:
    """The registry's ``version`` loaded from its ``model_path`` folder, cached per process;
    its name is ``wide-deep-<version>`` (what ``recommendations_log.filtering_steps.ranker`` and
    the canary's judge use). None when the folder cannot be loaded (logged)."""
    key = (str(path), str(version))
    with _LOCK:
        scorer = _BY_PATH.get(key)
        if scorer is None:
            if key in _BROKEN:
                return None
            folder = Path(path)
            try:
                scorer = load_scorer(folder.parent, folder.name)
            except Exception:  # noqa: BLE001 - a broken model must not stop answers
                log.exception("Could not load registered ranker %s from %s", version, path)
                scorer = None
            if scorer is None:
                _BROKEN.add(key)
                return None
            scorer.name = f"wide-deep-{version}"
            _BY_PATH[key] = scorer
        return scorer


def keep_registered(keys: set[tuple[str, str]]) -> None:
    """Drop cached registered versions the registry no longer serves (at most two stay)."""
    with _LOCK:
        for key in [k for k in _BY_PATH if k not in keys]:
            del _BY_PATH[key]
        _BROKEN.intersection_update(keys)
