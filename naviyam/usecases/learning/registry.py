"""The model registry: every trained ranker and NLU/LLM adapter is a ``model_versions`` row.

The first model of a kind serves everyone (production, 100 %). A later one becomes the
canary: a hashed NAVIYAM_CANARY_PERCENT (10 %) of users, stable per user and model
(``naviyam.shared.canary``). ``judge_canary`` compares the two versions' measured rates once
the canary has a minimum sample: for rankers the choice rate of the lists each ranked
(``recommendations_log.filtering_steps.ranker`` names it), for NLU adapters the share of
labelled messages whose label is the intent the adapter gave (``nlu_training_data.llm_model``
names it). Not worse → promoted (the old production model is deprecated), worse → rolled
back (the canary stops serving). docs/LEARNING_LOOP.md.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path
from typing import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session

from naviyam.adapters.db.models import RecommendationLog
from naviyam.adapters.db.models.learning import ModelVersion, NluTrainingRow, PerformanceMetric, TrainingJob
from naviyam.adapters.db.session import unit_of_work
from naviyam.config import get_learning_settings
from naviyam.domain.learning import canary_verdict, serves_canary
from naviyam.shared.canary import ADAPTER_KIND
from naviyam.usecases.learning.serving import forget_snapshot


@dataclass(frozen=True)
class Serving:
    production: str | None
    canary: str | None
    canary_percent: float


def _serving(session: Session, kind: str) -> tuple[ModelVersion | None, ModelVersion | None]:
    rows = session.scalars(select(ModelVersion).where(ModelVersion.model_type == kind,
                                                      ModelVersion.deployment_status.in_(("production", "canary")))
                           .order_by(ModelVersion.id.desc())).all()
    production = next((r for r in rows if r.deployment_status == "production"), None)
    canary = next((r for r in rows if r.deployment_status == "canary"), None)
    return production, canary


serving_rows = _serving   # the serving path's snapshot reads it (naviyam.usecases.learning.serving)


def register(kind: str, version: str, path: str, metrics: dict, *, data_stats: dict | None = None,
             training_job_id: int | None = None, notes: str | None = None) -> ModelVersion:
    """Add a trained model: production when the kind has none, otherwise the canary."""
    with unit_of_work() as session:
        production, canary = _serving(session, kind)
        now = datetime.now(timezone.utc)
        if canary is not None:  # one canary at a time: the newer one replaces it
            canary.deployment_status, canary.traffic_percentage, canary.retired_at = "deprecated", Decimal(0), now
        first = production is None
        row = ModelVersion(model_type=kind, version=version, model_path=path, performance_metrics=metrics,
                           training_data_stats=data_stats, training_job_id=training_job_id, notes=notes,
                           deployment_status="production" if first else "canary", is_active=first,
                           traffic_percentage=Decimal("100") if first else
                           Decimal(f"{get_learning_settings().canary_share:.2f}"),
                           deployed_at=now)
        session.add(row)
        session.flush()
    forget_snapshot(kind)
    return row


def serving(kind: str) -> Serving:
    with unit_of_work() as session:
        production, canary = _serving(session, kind)
        return Serving(production.version if production else None, canary.version if canary else None,
                       float(canary.traffic_percentage) if canary else 0.0)


def version_for(kind: str, user_key: str, state: Serving | None = None) -> str | None:
    """The model version that serves ``user_key``: the canary for its hashed share, else production."""
    state = state or serving(kind)
    if state.canary and serves_canary(user_key, kind, state.canary, state.canary_percent):
        return state.canary
    return state.production


def choice_rate(session: Session, ranker_name: str, since: datetime | None) -> tuple[float, int]:
    """Share of the lists ranked by ``ranker_name`` from which the user chose a shop, and how many lists."""
    query = select(RecommendationLog.user_final_selection, RecommendationLog.filtering_steps)
    if since is not None:
        query = query.where(RecommendationLog.timestamp >= since)
    lists = chosen = 0
    for selection, steps in session.execute(query):
        if isinstance(steps, dict) and steps.get("ranker") == ranker_name:
            lists += 1
            chosen += selection is not None
    return (chosen / lists if lists else 0.0), lists


def ranker_choice_rate(session: Session, version: str, since: datetime | None) -> tuple[float, int]:
    """A ranker version's measure: the choice rate of the lists it ranked."""
    return choice_rate(session, f"wide-deep-{version}", since)


def adapter_agreement(session: Session, version: str, since: datetime | None) -> tuple[float, int]:
    """An NLU adapter version's measure: the share of the labelled messages it answered
    (label confident, clarified by the user or corrected by a designer) whose label is the
    intent it gave, and how many such messages. In shadow mode the "confident" labels are
    DIET's; that bias is the same for both versions, so the comparison stays fair."""
    query = select(NluTrainingRow.llm_intent, NluTrainingRow.true_intent).where(
        NluTrainingRow.llm_model == version, NluTrainingRow.true_intent.is_not(None),
        NluTrainingRow.label_source.in_(("confident", "clarified", "corrected")))
    if since is not None:
        query = query.where(NluTrainingRow.created_at >= since)
    rows = session.execute(query).all()
    agreed = sum(1 for llm_intent, label in rows if llm_intent == label)
    return (agreed / len(rows) if rows else 0.0), len(rows)


Measure = Callable[[Session, str, "datetime | None"], tuple[float, int]]
# What "not worse" means per kind: lists chosen from (rankers), labels matched (NLU adapters).
MEASURES: dict[str, Measure] = {"recommendation": ranker_choice_rate, "llm_adapter": adapter_agreement,
                                "nlu": adapter_agreement}


def judge_canary(kind: str = "recommendation", min_samples: int = 200, measure: Measure | None = None) -> str:
    """Promote or roll back the canary on its measured rate (``MEASURES``); "wait" below
    ``min_samples``. Each judgement is a performance_metrics row of the canary."""
    measure = measure or MEASURES[kind]
    with unit_of_work() as session:
        production, canary = _serving(session, kind)
        if canary is None or production is None:
            return "none"
        control, control_n = measure(session, production.version, canary.deployed_at)
        rate, samples = measure(session, canary.version, canary.deployed_at)
        verdict = canary_verdict(control, rate, samples, min_samples)
        now = datetime.now(timezone.utc)
        measured = {"rate": round(rate, 4), "samples": samples, "control_rate": round(control, 4),
                    "control_samples": control_n, "measure": measure.__name__, "verdict": verdict}
        canary.performance_metrics = {**(canary.performance_metrics or {}), "canary": measured}
        session.add(PerformanceMetric(model_type=kind, model_version_id=canary.id, window_start=canary.deployed_at,
                                      window_end=now, request_count=samples, success_count=round(rate * samples),
                                      model_specific_metrics=measured))
        if verdict == "promote":
            production.deployment_status, production.is_active = "deprecated", False
            production.traffic_percentage, production.retired_at = Decimal(0), now
            canary.deployment_status, canary.is_active, canary.traffic_percentage = "production", True, Decimal(100)
        elif verdict == "rollback":
            canary.deployment_status, canary.traffic_percentage, canary.retired_at = "rolled_back", Decimal(0), now
    if verdict in ("promote", "rollback"):
        forget_snapshot(kind)
    return verdict


def registry_rows() -> list[ModelVersion]:
    with unit_of_work() as session:
        return list(session.scalars(select(ModelVersion).order_by(ModelVersion.model_type, ModelVersion.id)))


def json_safe(value):
    """``value`` with NaN and infinities as None (PostgreSQL's JSONB refuses them)."""
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    if isinstance(value, dict):
        return {str(k): json_safe(v) for k, v in value.items()}
    if isinstance(value, (list, tuple)):
        return [json_safe(v) for v in value]
    return value


def start_training_job(name: str, config: dict, *, kind: str = "recommendation", triggered_by: str = "manual") -> int:
    """A training_jobs row for a run that starts now (status training); its id."""
    with unit_of_work() as session:
        job = TrainingJob(job_name=f"{name}_{datetime.now(timezone.utc):%Y%m%d%H%M%S}", model_type=kind,
                          status="training", training_config=json_safe(config), triggered_by=triggered_by[:50],
                          start_time=datetime.now(timezone.utc))
        session.add(job)
        session.flush()
        return job.id


def finish_training_job(job_id: int, *, metrics: dict | None = None, path: str | None = None,
                        error: str | None = None) -> None:
    """Close the run: completed with its metrics, data window (logged vs simulated) and file, or failed."""
    with unit_of_work() as session:
        job = session.get(TrainingJob, job_id)
        if job is None:
            return
        job.end_time = datetime.now(timezone.utc)
        if error is not None:
            job.status, job.error_message = "failed", error[:2000]
            return
        data = (metrics or {}).get("data") or {}
        job.status, job.model_path = "completed", path
        job.metrics = json_safe({k: v for k, v in (metrics or {}).items() if k not in ("data", "pruned_versions")})
        if "examples" in data:  # an NLU adapter's run: files and example counts
            job.data_count, job.data_window = int(data["examples"]), json_safe(data)
            return
        job.data_count = int(data.get("logged_rows", 0)) + int(data.get("simulated_rows", 0))
        job.data_window = json_safe({"logged": data.get("logged_rows", 0), "simulated": data.get("simulated_rows", 0),
                                     **data})


def record_trained_ranker(ranker_dir: Path, version: str) -> ModelVersion | None:
    """Register a ranker that ``train-ranker`` saved (a model_versions row linked to the run's
    training_jobs row; a job row is made for a model trained without one); nothing when that
    version is registered already. ``training_data_stats`` says how many rows were logged and
    how many simulated."""
    folder = Path(ranker_dir) / version
    meta_file = folder / "metadata.json"
    meta = json.loads(meta_file.read_text(encoding="utf-8")) if meta_file.is_file() else {}
    metrics = json_safe(meta.get("metrics") or {})
    data = metrics.get("data") or {}
    with unit_of_work() as session:
        if session.scalar(select(ModelVersion.id).where(ModelVersion.model_type == "recommendation",
                                                        ModelVersion.version == version)):
            return None
        job_id = meta.get("training_job_id")
        if job_id is None or session.get(TrainingJob, job_id) is None:
            rows = int(metrics.get("rows_train", 0)) + int(metrics.get("rows_test", 0))
            data = data or {"simulated_rows": rows, "logged_rows": 0}
            job = TrainingJob(job_name=f"ranker_{version}", model_type="recommendation", status="completed",
                              training_config={k: meta.get(k) for k in ("epochs", "seed") if k in meta},
                              data_count=rows, data_window={"simulated": rows, "logged": 0,
                                                            "source": meta.get("training_data")},
                              metrics=metrics, model_path=str(folder), triggered_by="manual",
                              end_time=datetime.now(timezone.utc))
            session.add(job)
            session.flush()
            job_id = job.id
    stats = {"simulated_rows": int(data.get("simulated_rows", 0)), "logged_rows": int(data.get("logged_rows", 0))}
    stats.update({k: v for k, v in data.items() if k not in stats})
    source = data.get("source", "simulated")
    return register("recommendation", version, str(folder), {k: v for k, v in metrics.items() if k != "data"},
                    data_stats=stats, training_job_id=job_id,
                    notes=f"trained on {source} rows (logged {stats['logged_rows']}, simulated {stats['simulated_rows']})")




def record_trained_adapter(adapter_dir: Path, version: str, *, training_job_id: int | None = None) -> ModelVersion | None:
    """Register a LoRA adapter that ``ml.llm.finetune_lora`` saved (its ``naviyam_adapter.json``
    and ``metrics.json``): production when no adapter serves, otherwise the canary. A
    training_jobs row is made when the run had none. Nothing when the version exists already."""
    folder = Path(adapter_dir)
    meta_file, metrics_file = folder / "naviyam_adapter.json", folder / "metrics.json"
    if not (folder / "adapter_config.json").is_file() or not meta_file.is_file():
        raise ValueError(f"{folder} is not a fine-tuned adapter (adapter_config.json / naviyam_adapter.json missing)")
    meta = json.loads(meta_file.read_text(encoding="utf-8"))
    full = json.loads(metrics_file.read_text(encoding="utf-8")) if metrics_file.is_file() else {}
    metrics = json_safe({k: full.get(k, (meta.get("metrics") or {}).get(k))
                         for k in ("intent_accuracy", "macro_f1", "validation_loss", "held_out_examples")})
    data = json_safe(meta.get("data") or {"train_examples": full.get("train_examples"),
                                          "held_out_examples": full.get("held_out_examples")})
    with unit_of_work() as session:
        if session.scalar(select(ModelVersion.id).where(ModelVersion.model_type == ADAPTER_KIND,
                                                        ModelVersion.version == version)):
            return None
        if training_job_id is None or session.get(TrainingJob, training_job_id) is None:
            job = TrainingJob(job_name=f"adapter_{version}"[:100], model_type=ADAPTER_KIND, status="completed",
                              training_config=json_safe(meta.get("config") or {}),
                              data_count=int(full.get("train_examples") or 0), data_window=data, metrics=metrics,
                              model_path=str(folder), triggered_by="manual", end_time=datetime.now(timezone.utc))
            session.add(job)
            session.flush()
            training_job_id = job.id
    return register(ADAPTER_KIND, version, str(folder), metrics, data_stats=data, training_job_id=training_job_id,
                    notes=f"LoRA adapter on {meta.get('base_model')} (prompt v{meta.get('prompt_version')})")
