"""The job scheduler: APScheduler (it ships in the Rasa environment) firing the app's jobs.

The schedule is the app's (``python -m naviyam.manage jobs --json``, defined in
``naviyam/usecases/learning/jobs.py``); each firing runs ``python -m naviyam.manage run-job
NAME`` in the app environment, which claims the job's slot in ``job_runs`` (once per slot
however many replicas fire it) and records the run. Next run times persist in APScheduler's
SQLAlchemy job store (one table per replica, ``apscheduler_jobs_<id>``), so a restarted
scheduler runs a missed job once (coalesced) instead of skipping it. ``make serve`` starts it.

    python -m bot.scheduler --app-python .venv-app/bin/python
    (job store: NAVIYAM_SCHEDULER_JOBSTORE; replica name: NAVIYAM_SCHEDULER_ID; bot/settings.py)
"""
from __future__ import annotations

import argparse
import json
import logging
import re
import socket
import subprocess
from typing import Any, Dict, List

from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.blocking import BlockingScheduler

from bot.settings import SchedulerSettings

logger = logging.getLogger("naviyam.scheduler")


def fire(app_python: str, name: str) -> None:
    """One firing: the app runs the job (or finds its slot already taken)."""
    result = subprocess.run([app_python, "-m", "naviyam.manage", "run-job", name],
                            capture_output=True, text=True, check=False)
    line = (result.stdout or "").strip().splitlines()[-1:] or [(result.stderr or "").strip()[-300:]]
    (logger.info if result.returncode == 0 else logger.error)("%s", line[0])


def schedule(app_python: str) -> List[Dict[str, Any]]:
    out = subprocess.run([app_python, "-m", "naviyam.manage", "jobs", "--json"], capture_output=True,
                         text=True, check=True).stdout
    return json.loads(out.strip().splitlines()[-1])


def jobstore_url(url: str) -> str:
    """SQLAlchemy 1.4 here: PostgreSQL through psycopg2 (the app's URLs name psycopg 3)."""
    return re.sub(r"^postgres(ql)?(\+psycopg)?://", "postgresql://", url)


def build(app_python: str, jobstore: str, replica: str, timezone: str) -> BlockingScheduler:
    table = "apscheduler_jobs_" + re.sub(r"[^a-z0-9_]", "_", replica.lower())[:40]
    scheduler = BlockingScheduler(
        jobstores={"default": SQLAlchemyJobStore(url=jobstore_url(jobstore), tablename=table)},
        executors={"default": ThreadPoolExecutor(4)},
        job_defaults={"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600},
        timezone=timezone)
    for spec in schedule(app_python):
        spec = dict(spec)
        name, trigger = spec.pop("name"), spec.pop("trigger")
        scheduler.add_job(fire, trigger, args=[app_python, name], id=name, name=name,
                          replace_existing=True, **spec)
    return scheduler


def main() -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    parser = argparse.ArgumentParser(prog="python -m bot.scheduler", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--app-python", required=True)
    args = parser.parse_args()
    settings = SchedulerSettings()
    replica = settings.replica or socket.gethostname()
    scheduler = build(args.app_python, settings.jobstore_url, replica, settings.timezone)
    logger.info("scheduler %s: %d jobs", replica, len(scheduler.get_jobs()))
    try:
        scheduler.start()
    except (KeyboardInterrupt, SystemExit):
        pass
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
