"""The model registry: every trained ranker and NLU/LLM adapter is a ``model_versions`` row.

The first model of a kind serves everyone (production, 100 %). A later one becomes the
canary: a hashed NAVIYAM_CANARY_PERCENT (10 %) of users, stable per user and model
(``naviyam.domain.learning.canary_bucket``). ``judge_canary`` compares the choice rate of the
lists each model ranked (``recommendations_log.filtering_steps.ranker`` names it) once the
canary has a minimum sample: not worse → promoted (the old production model is
deprecated), worse → rolled back (the canary stops serving). docs/LEARNING_LOOP.md.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from datetime import datetime, timezone
from decimal import Decimal
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session

from naviyam.adapters.db.models import RecommendationLog
from naviyam.adapters.db.models.learning import ModelVersion, TrainingJob
from naviyam.adapters.db.session import unit_of_work
from naviyam.config import get_learning_settings
from naviyam.domain.learning import canary_verdict, serves_canary
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


def judge_canary(kind: str = "recommendation", min_samples: int = 200, name_of=lambda v: f"wide-deep-{v}") -> str:
    """Promote or roll back the canary on its measured choice rate; "wait" below ``min_samples``."""
    with unit_of_work() as session:
        production, canary = _serving(session, kind)
        if canary is None or production is None:
            return "none"
        control, _n = choice_rate(session, name_of(production.version), canary.deployed_at)
        rate, samples = choice_rate(session, name_of(canary.version), canary.deployed_at)
        verdict = canary_verdict(control, rate, samples, min_samples)
        now = datetime.now(timezone.utc)
        metrics = {**(canary.performance_metrics or {}),
                   "canary": {"choice_rate": round(rate, 4), "lists": samples, "control_choice_rate": round(control, 4)}}
        canary.performance_metrics = metrics
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
