"""Retraining the ranker from what children chose, and registering the result (issue 15).

Training code is not part of the product package (.importlinter), so it runs as its own
process (``python -m ml.ranking.train_wide_deep``), which reads the logged lists when enough
exist (simulated data fills in below that, marked in the registry row). The trained model is
then registered: production when none serves, otherwise the canary that ``judge_canary``
promotes or rolls back. Used by ``python -m naviyam.manage train-ranker`` and by the weekly
``ranker-retrain`` job (naviyam/usecases/learning/jobs.py).
"""
from __future__ import annotations

import logging
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from naviyam.adapters.ranking_model import latest_version
from naviyam.config import PROJECT_ROOT, get_recommend_settings
from naviyam.usecases.learning.registry import record_trained_ranker

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Retrained:
    exit_code: int
    version: str | None = None       # the folder the training wrote
    status: str | None = None        # production | canary (None: not registered)
    share_percent: float | None = None


def retrain_ranker(extra_args: list[str] | None = None, ranker_dir: Path | None = None) -> Retrained:
    """Train a new ranker in a child process and register it; nothing registered on failure."""
    folder = Path(ranker_dir or get_recommend_settings().ranker_dir)
    before = latest_version(folder) if folder.exists() else None
    command = [sys.executable, "-m", "ml.ranking.train_wide_deep", "--ranker-dir", str(folder),
               *(extra_args or [])]
    code = subprocess.run(command, cwd=PROJECT_ROOT, check=False).returncode
    if code != 0:
        return Retrained(exit_code=code)
    trained = latest_version(folder) if folder.exists() else None
    if trained is None or trained == before:  # the training wrote no new model
        return Retrained(exit_code=1)
    row = record_trained_ranker(folder, trained)
    if row is None:
        return Retrained(exit_code=0, version=trained)
    log.info("Registered ranker %s as %s", row.version, row.deployment_status)
    return Retrained(exit_code=0, version=trained, status=row.deployment_status,
                     share_percent=float(row.traffic_percentage))
