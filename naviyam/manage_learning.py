"""The learning loop's operator commands (``python -m naviyam.manage consume-events|jobs|run-job|
models|nlu-review``; docs/LEARNING_LOOP.md). Kept beside naviyam/manage.py, which parses them."""
from __future__ import annotations

import argparse
import sys
from pathlib import Path

from naviyam.config import get_settings


def consume_events(once: bool) -> int:
    import signal
    import threading

    from naviyam.usecases.learning.consumer import consume_all, run_forever

    if once:
        print(consume_all())
        return 0
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    try:
        run_forever(stop)
    except KeyboardInterrupt:
        pass
    return 0


def jobs(as_json: bool) -> int:
    import json

    from naviyam.usecases.learning.jobs import JOBS, last_runs

    if as_json:
        print(json.dumps([{"name": j.name, **j.trigger} for j in JOBS.values()]))
        return 0
    runs = last_runs()
    print(f"{'job':20} {'schedule':28} {'last slot':22} {'status':10} {'rows':>6}  error")
    for job in JOBS.values():
        when = ", ".join(f"{k}={v}" for k, v in job.trigger.items() if k != "trigger")
        run = runs.get(job.name)
        last = (run.slot, run.status, "" if run.rows is None else str(run.rows), (run.error or "")[:60]) \
            if run else ("never", "", "", "")
        print(f"{job.name:20} {job.trigger['trigger'] + ' ' + when:28} {last[0]:22} {last[1]:10} {last[2]:>6}  {last[3]}")
    return 0


def run_job(name: str, at: str | None) -> int:
    from datetime import datetime

    from naviyam.usecases.learning.jobs import JOBS, run_job as run

    if name not in JOBS:
        print(f"error: unknown job {name!r}; known: {', '.join(JOBS)}", file=sys.stderr)
        return 2
    when = datetime.fromisoformat(at) if at else None
    if when is not None and when.tzinfo is None:
        when = when.replace(tzinfo=get_settings().timezone)
    outcome = run(name, when)
    print(outcome)
    return 1 if outcome.status == "failed" else 0


def models() -> int:
    import json

    from naviyam.usecases.learning.registry import registry_rows

    rows = registry_rows()
    if not rows:
        print("no models registered yet")
    for r in rows:
        metrics = json.dumps(r.performance_metrics or {}, ensure_ascii=False)[:90]
        print(f"{r.model_type:15} {r.version:24} {r.deployment_status:12} {float(r.traffic_percentage):6.1f}%  "
              f"{r.created_at:%Y-%m-%d %H:%M}  {metrics}")
    return 0


def register_adapter(path: str, version: str | None) -> int:
    """Register an adapter trained elsewhere (a GPU box; ``finetune_lora --register`` does it itself)."""
    import json
    from datetime import datetime

    from naviyam.usecases.learning.registry import record_trained_adapter

    folder = Path(path)
    if version is None:
        try:
            trained_at = json.loads((folder / "naviyam_adapter.json").read_text(encoding="utf-8"))["trained_at"]
            version = datetime.fromisoformat(trained_at).strftime("%Y%m%d%H%M%S")
        except (OSError, ValueError, KeyError):
            print(f"error: {folder} has no readable naviyam_adapter.json with trained_at; pass --version",
                  file=sys.stderr)
            return 2
    try:
        row = record_trained_adapter(folder, version)
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    if row is None:
        print(f"llm_adapter {version} is registered already")
        return 1
    print(f"registered llm_adapter {version}: {row.deployment_status} ({float(row.traffic_percentage):.0f} % of users)")
    return 0


def nlu_review(action: str, path: str) -> int:
    from naviyam.usecases.learning.nlu_review import export_queue, export_training, import_corrections

    if action == "training":
        print(f"wrote {export_training(Path(path))} labelled example(s) to {path}")
        return 0
    if action == "export":
        print(f"exported {export_queue(Path(path))} message(s) to {path}")
        return 0
    try:
        print(f"imported {import_corrections(Path(path))} corrected label(s) from {path}")
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


def run(args: argparse.Namespace) -> int:
    if args.command == "consume-events":
        return consume_events(args.once)
    if args.command == "jobs":
        return jobs(args.json)
    if args.command == "run-job":
        return run_job(args.name, args.at)
    if args.command == "models":
        return models()
    if args.command == "register-adapter":
        return register_adapter(args.path, args.version)
    return nlu_review(args.action, args.path)
