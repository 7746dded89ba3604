"""Scheduled jobs: what each does, when, and the run record that makes it run once per slot.

The schedule lives here (``JOBS``); APScheduler (``bot/scheduler.py``, started by
``make serve``) fires ``python -m naviyam.manage run-job NAME`` at those times. A run first
claims its slot (the scheduled time, floored to the job's period) with a row in
``job_runs``: the (job, slot) pair is unique, so when several replicas' schedulers fire the
same slot exactly one runs it and the others record nothing. The run row then gets its
end, row count or error. Each job computes before it writes, in one transaction, so a
failure leaves the old values in place.
"""
from __future__ import annotations

import logging
import os
import socket
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from naviyam.adapters.db.models.learning import JobRun
from naviyam.adapters.db.session import unit_of_work
from naviyam.config import get_settings

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Job:
    name: str
    description: str
    # APScheduler trigger, cron on the clock so every replica fires at the same moments
    trigger: dict
    period: timedelta
    run: Callable[[datetime], int]


def _popularity(slot: datetime) -> int:
    from naviyam.usecases.learning.scores import update_popularity
    return update_popularity(slot)


def _quality(slot: datetime) -> int:
    from naviyam.usecases.learning.scores import update_quality
    return update_quality(slot)


def _aggregates(slot: datetime) -> int:
    from naviyam.usecases.learning.scores import aggregate_day
    return aggregate_day((slot - timedelta(days=1)).date(), slot.tzinfo)


def _card_sync(slot: datetime) -> int:
    from naviyam.adapters.card_operator import sync_balances
    from naviyam.config import get_balance_settings
    if not get_balance_settings().base_url:
        return 0  # no card operator configured (embedded default)
    report = sync_balances(now=slot.astimezone(timezone.utc))
    if report.failed and not report.fetched:
        raise RuntimeError(f"card sync failed: {'; '.join(report.errors)[:500]}")
    return report.updated


def _maintenance(slot: datetime) -> int:
    from naviyam.usecases.maintenance import run_maintenance
    report = run_maintenance(now=slot.astimezone(timezone.utc))
    if not report.ok:
        raise RuntimeError(str(report)[:1000])
    return sum(step.rows or 0 for step in report.steps)


def _reservations(slot: datetime) -> int:
    from naviyam.usecases.coupons.reservation import release_expired
    return release_expired(slot)


def _event_retention(slot: datetime) -> int:
    from naviyam.usecases.learning.consumer import prune
    return prune(slot.astimezone(timezone.utc))


def _canary(slot: datetime) -> int:
    from naviyam.shared.canary import ADAPTER_KIND
    from naviyam.usecases.learning.registry import judge_canary
    decided = 0
    for kind in ("recommendation", ADAPTER_KIND):
        verdict = judge_canary(kind)
        log.info("canary %s: %s", kind, verdict)
        decided += verdict in ("promote", "rollback")
    return decided


def _retrain(slot: datetime) -> int:
    from naviyam.usecases.learning.retrain import retrain_ranker
    outcome = retrain_ranker()
    if outcome.exit_code != 0:
        raise RuntimeError(f"ranker training exited with {outcome.exit_code}")
    return int(outcome.status is not None)


def _reminders(slot: datetime) -> int:
    from naviyam.usecases.learning.reminders import send_reminders
    return send_reminders(slot)


JOBS: dict[str, Job] = {job.name: job for job in (
    Job("popularity-ema", "shop popularity: 0.7·old + 0.3·last 5 minutes (views, choices, ratings)",
        {"trigger": "cron", "minute": "*/5"}, timedelta(minutes=5), _popularity),
    Job("quality-scores", "shop quality from 30 days of ratings (Bayesian average)",
        {"trigger": "cron", "hour": 3, "minute": 10}, timedelta(days=1), _quality),
    Job("daily-aggregates", "yesterday's impressions, choices and ratings per shop",
        {"trigger": "cron", "hour": 2, "minute": 0}, timedelta(days=1), _aggregates),
    Job("card-balance-sync", "meal-card balances from the card operator",
        {"trigger": "cron", "minute": "1-59/5"}, timedelta(minutes=5), _card_sync),
    Job("maintenance", "coupon expiry and the retention policy (docs/DATA_LIFECYCLE.md)",
        {"trigger": "cron", "hour": 4, "minute": 0}, timedelta(days=1), _maintenance),
    Job("reservation-expiry", "coupons whose reservation hold ran out go back to the wallet",
        {"trigger": "cron", "minute": "*"}, timedelta(minutes=1), _reservations),
    Job("event-retention", "applied Rasa events and old event keys are deleted (a week kept)",
        {"trigger": "cron", "hour": 4, "minute": 30}, timedelta(days=1), _event_retention),
    Job("reminders", "low balance and coupons expiring within 24 hours (quiet hours, opt-out)",
        {"trigger": "cron", "minute": "2-59/10"}, timedelta(minutes=10), _reminders),
    Job("canary-judge", "promote or roll back the canary ranker (choice rate) and NLU adapter (label agreement)",
        {"trigger": "cron", "minute": 20}, timedelta(hours=1), _canary),
    Job("ranker-retrain", "train a ranker on the logged choices (simulated below the minimum) and "
        "register it as the canary", {"trigger": "cron", "day_of_week": "mon", "hour": 3, "minute": 40},
        timedelta(days=7), _retrain),
)}


def slot_of(job: Job, when: datetime) -> datetime:
    """The scheduled time ``when`` belongs to: floored to the job's period in local time."""
    local = when.astimezone(get_settings().timezone)
    if job.period >= timedelta(days=1):
        return local.replace(hour=0, minute=0, second=0, microsecond=0)
    seconds = int(job.period.total_seconds())
    midnight = local.replace(hour=0, minute=0, second=0, microsecond=0)
    elapsed = int((local - midnight).total_seconds()) // seconds * seconds
    return midnight + timedelta(seconds=elapsed)


@dataclass
class RunOutcome:
    job: str
    slot: str
    status: str  # succeeded, failed, skipped (another replica has the slot)
    rows: int | None = None
    error: str | None = None

    def __str__(self) -> str:
        detail = f"{self.rows} rows" if self.status == "succeeded" else (self.error or "run elsewhere")
        return f"{self.job} {self.slot}: {self.status} ({detail})"


def _claim(job: Job, slot_key: str, now: datetime) -> int | None:
    try:
        with unit_of_work() as session:
            run = JobRun(job_name=job.name, slot=slot_key, started_at=now, status="running",
                         runner=f"{socket.gethostname()}:{os.getpid()}"[:120])
            session.add(run)
            session.flush()
            return run.id
    except IntegrityError:
        return None


def run_job(name: str, now: datetime | None = None) -> RunOutcome:
    """Run ``name`` for the slot ``now`` falls in, unless that slot was already claimed."""
    job = JOBS[name]
    now = now or datetime.now(timezone.utc)
    slot = slot_of(job, now)
    slot_key = slot.isoformat(timespec="minutes")
    run_id = _claim(job, slot_key, now)
    if run_id is None:
        return RunOutcome(name, slot_key, "skipped")
    outcome = RunOutcome(name, slot_key, "succeeded")
    try:
        outcome.rows = int(job.run(slot))
    except Exception as exc:  # noqa: BLE001 - recorded in job_runs; the job's own writes rolled back
        log.exception("job %s (%s) failed", name, slot_key)
        outcome.status, outcome.error = "failed", f"{type(exc).__name__}: {exc}"[:2000]
    with unit_of_work() as session:
        run = session.get(JobRun, run_id)
        run.finished_at, run.status = datetime.now(timezone.utc), outcome.status
        run.rows, run.error = outcome.rows, outcome.error
    return outcome


def last_runs() -> dict[str, JobRun]:
    """The latest run of every job (for ``manage jobs``)."""
    with unit_of_work() as session:
        latest = (select(JobRun.job_name, func.max(JobRun.id).label("id")).group_by(JobRun.job_name)).subquery()
        rows = session.scalars(select(JobRun).join(latest, JobRun.id == latest.c.id)).all()
        return {row.job_name: row for row in rows}
