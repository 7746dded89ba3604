"""Operator commands: ``python -m naviyam.manage <command>``.

  migrate        alembic upgrade head on DATABASE_URL
  import-sample  load data/sample_data.xlsx (validated, one transaction, idempotent)
  build-index    build the retrieval indexes when shop/menu data changed
  train-ranker   train the Wide&Deep ranker when no model exists (--force to retrain)
  prepare        all of the above, in order (what scripts/run.sh does)
  check          print the configuration and whether the database and cache answer
  maintain       expire coupons, apply the retention policy (--interval SECONDS: repeat
                 until SIGTERM/Ctrl-C); see docs/DATA_LIFECYCLE.md
  release-reservations  give back coupons whose reservation hold ran out (the learning-loop
                 issue schedules it; safe to run any time)
  create-shop-account  the staff login of one shop (SHOP_ID USERNAME [--replace]; the password
                 from NAVIYAM_SHOP_PASSWORD or asked twice)
  forget-user    erase one user from the database, cache and Rasa tracker
                 (EXTERNAL_ID [--platform P] [--yes])
  consume-events apply Rasa's conversation events to the learning tables (--once: catch up
                 and stop); docs/LEARNING_LOOP.md
  jobs           the scheduled jobs with their last run (--json: the schedule bot/scheduler.py reads)
  run-job        run one job for the current slot (NAME [--at ISO-TIME]); once per slot
  models         the model registry: kind, version, status, serving share, metrics
  nlu-review     export the NLU review queue as Rasa YAML (export FILE), import the designers'
                 corrections (import FILE), write every labelled row for training (training FILE)
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from naviyam.config import PROJECT_ROOT, get_settings
from naviyam.shared.log_masking import install as install_log_masking

log = logging.getLogger("naviyam.manage")


def migrate() -> None:
    from alembic import command
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "naviyam/adapters/db/migrations"))
    config.attributes["url"] = get_settings().database_url
    command.upgrade(config, "head")
    print(f"schema up to date on {_safe_url()}")


def import_sample(path: str | None = None, *, update_existing: bool = True) -> None:
    """Load the sample workbook. ``update_existing=False`` (used by ``prepare``) only adds
    missing rows, so balances, wallets and profiles changed at run time are kept."""
    from naviyam.adapters.workbook.importer import import_workbook

    report = import_workbook(Path(path) if path else get_settings().sample_data_path,
                             update_existing=update_existing)
    print(report)


def build_index(force: bool = False) -> int:
    """Build the retrieval indexes unless an index for the current data exists."""
    from naviyam.usecases import build_index as index

    return index.main(["build"] + (["--force"] if force else []))


def train_ranker(force: bool = False, extra_args: list[str] | None = None) -> int:
    """Train the Wide&Deep ranker when no current model exists (or with ``force``).

    A model trained on an older feature set cannot serve (it would fall back to the
    baseline), so it counts as missing.
    """
    from naviyam.config import get_recommend_settings
    from naviyam.adapters.ranking_model import is_current, latest_version

    ranker_dir = get_recommend_settings().ranker_dir
    version = latest_version(ranker_dir) if Path(ranker_dir).exists() else None
    if not force and version and is_current(ranker_dir, version):
        print(f"ranker model present: {ranker_dir}/{version}")
        return 0
    if version and not force:
        print(f"ranker model {ranker_dir}/{version} was trained on other features; retraining")
    from naviyam.usecases.learning.retrain import retrain_ranker

    outcome = retrain_ranker(extra_args, ranker_dir)  # trains, then registers (docs/LEARNING_LOOP.md)
    if outcome.status is not None:
        print(f"registered ranker {outcome.version}: {outcome.status} ({outcome.share_percent:.0f}% of users)")
    return outcome.exit_code


def check() -> int:
    from sqlalchemy import text

    from naviyam.adapters.cache import get_cache
    from naviyam.adapters.db.session import get_engine

    settings = get_settings()
    print(f"database: {_safe_url()}")
    print(f"cache:    {'redis' if settings.redis_url else 'in-process'}")
    ok = True
    try:
        with get_engine().connect() as conn:
            conn.execute(text("SELECT 1"))
        print("database answers")
    except Exception as exc:  # noqa: BLE001
        ok = False
        print(f"database unreachable: {exc}")
    if get_cache().ping():
        print("cache answers")
    else:
        ok = False
        print("cache unreachable")
    return 0 if ok else 1


def maintain(interval: float | None = None) -> int:
    """Run the maintenance steps once, or every ``interval`` seconds until SIGTERM/Ctrl-C.

    Exit code 1 when a step failed (in the last run of a loop), 0 otherwise.
    """
    import signal
    import threading

    from naviyam.usecases.maintenance import run_maintenance

    if interval is None:
        report = run_maintenance()
        print(report)
        return 0 if report.ok else 1
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    ok = True
    try:
        while not stop.is_set():
            report = run_maintenance()
            print(report, flush=True)
            ok = report.ok
            stop.wait(interval)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
    print("maintenance loop stopped")
    return 0 if ok else 1


def forget_user(external_id: str, platform: str | None = None, *, yes: bool = False) -> int:
    """Erase one user after a confirmation (skipped with ``yes``)."""
    from naviyam.usecases.forget_user import UnknownUser, forget_user as erase

    if not yes:
        where = f" on platform {platform}" if platform else ""
        try:
            answer = input(f"Erase every record of user {external_id}{where} from {_safe_url()}, "
                           "the cache and the Rasa tracker? This cannot be undone. [y/N] ")
        except EOFError:
            answer = ""
        if answer.strip().lower() not in ("y", "yes"):
            print("nothing deleted")
            return 1
    try:
        report = erase(external_id, platform)
    except UnknownUser as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(report)
    return 0


def release_reservations() -> int:
    from datetime import datetime

    from naviyam.usecases.coupons.reservation import release_expired

    count = release_expired(datetime.now(get_settings().timezone))
    print(f"released {count} expired coupon reservation(s)")
    return 0


def create_shop_account(shop_id: int, username: str, *, replace: bool = False) -> int:
    import getpass
    import os

    from naviyam.usecases.shop_accounts import AccountError, create_account

    password = os.environ.get("NAVIYAM_SHOP_PASSWORD")
    if not password:
        password = getpass.getpass("password: ")
        if getpass.getpass("again: ") != password:
            print("error: the two passwords differ", file=sys.stderr)
            return 2
    try:
        account_id = create_account(shop_id, username, password, replace=replace)
    except AccountError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"shop {shop_id}: staff account {username!r} ready (id {account_id})")
    return 0


def _safe_url() -> str:
    from sqlalchemy.engine import make_url

    return make_url(get_settings().database_url).render_as_string(hide_password=True)


def _positive_seconds(raw: str) -> float:
    try:
        value = float(raw)
    except ValueError:
        value = 0.0
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be a positive number of seconds, got {raw!r}")
    return value


def _operator_errors(command) -> int:
    """Bad configuration (e.g. a retention variable that is not a number): one line, exit 2."""
    try:
        return command()
    except ValueError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
    install_log_masking()
    parser = argparse.ArgumentParser(prog="python -m naviyam.manage", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    sub = parser.add_subparsers(dest="command", required=True)
    sub.add_parser("migrate")
    p_import = sub.add_parser("import-sample")
    p_import.add_argument("path", nargs="?")
    p_index = sub.add_parser("build-index")
    p_index.add_argument("--force", action="store_true")
    p_train = sub.add_parser("train-ranker")
    p_train.add_argument("--force", action="store_true")
    p_train.add_argument("--users", type=int, help="simulated users (training default: 300)")
    p_train.add_argument("--epochs", type=int, help="training epochs (training default: 6)")
    sub.add_parser("prepare")
    sub.add_parser("check")
    p_maintain = sub.add_parser("maintain", help="expire coupons and apply the retention policy")
    p_maintain.add_argument("--interval", type=_positive_seconds, metavar="SECONDS",
                            help="repeat every SECONDS until SIGTERM or Ctrl-C (default: run once)")
    sub.add_parser("release-reservations", help="release expired coupon reservations")
    p_account = sub.add_parser("create-shop-account", help="create or reset a shop's staff login")
    p_account.add_argument("shop_id", type=int)
    p_account.add_argument("username")
    p_account.add_argument("--replace", action="store_true", help="reset the shop's existing account")
    p_forget = sub.add_parser("forget-user", help="erase one user (right to be forgotten)")
    p_forget.add_argument("external_id", metavar="EXTERNAL_ID", help="users.external_user_id (= Rasa sender id)")
    p_forget.add_argument("--platform", help="refuse unless the user is on this platform")
    p_forget.add_argument("--yes", action="store_true", help="do not ask for confirmation")
    p_keys = sub.add_parser("new-keys", help="print fresh NAVIYAM_DATA_KEY / NAVIYAM_PSEUDONYM_KEY values")
    p_keys.add_argument("--kid", default="k1", help="key id of the data key (rotation: a new id)")
    sub.add_parser("reencrypt", help="re-encrypt card and phone numbers with the current data key")
    p_consume = sub.add_parser("consume-events", help="apply Rasa's events to the learning tables")
    p_consume.add_argument("--once", action="store_true", help="catch up and stop")
    p_jobs = sub.add_parser("jobs", help="scheduled jobs and their last run")
    p_jobs.add_argument("--json", action="store_true")
    p_run = sub.add_parser("run-job", help="run one scheduled job for the current slot")
    p_run.add_argument("name")
    p_run.add_argument("--at", help="ISO time of the slot (default: now)")
    sub.add_parser("models", help="the model registry")
    p_adapter = sub.add_parser("register-adapter", help="add a fine-tuned NLU adapter dir to the registry "
                                                        "(production when none serves, else the canary)")
    p_adapter.add_argument("path")
    p_adapter.add_argument("--version", help="registry version (default: the adapter's training time)")
    p_review = sub.add_parser("nlu-review", help="export/import the NLU review queue (Rasa YAML)")
    p_review.add_argument("action", choices=("export", "import", "training"))
    p_review.add_argument("path")
    args = parser.parse_args(argv)

    if args.command == "migrate":
        migrate()
    elif args.command == "import-sample":
        import_sample(args.path)
    elif args.command == "build-index":
        return build_index(args.force)
    elif args.command == "train-ranker":
        return train_ranker(args.force, [a for name in ("users", "epochs") if getattr(args, name) is not None
                                         for a in (f"--{name}", str(getattr(args, name)))])
    elif args.command == "check":
        return check()
    elif args.command == "maintain":
        return _operator_errors(lambda: maintain(args.interval))
    elif args.command == "create-shop-account":
        return create_shop_account(args.shop_id, args.username, replace=args.replace)
    elif args.command == "release-reservations":
        return release_reservations()
    elif args.command == "forget-user":
        return _operator_errors(lambda: forget_user(args.external_id, args.platform, yes=args.yes))
    elif args.command == "reencrypt":
        from naviyam.adapters.db.reencrypt import reencrypt_all

        print(f"re-encrypted {reencrypt_all()} values with the current key")
    elif args.command == "new-keys":
        from naviyam.usecases.startup import new_keys

        for name, value in new_keys(args.kid).items():
            print(f"{name}={value}")
    elif args.command in ("consume-events", "jobs", "run-job", "models", "register-adapter", "nlu-review"):
        from naviyam import manage_learning  # the learning loop's commands (docs/LEARNING_LOOP.md)

        return manage_learning.run(args)
    elif args.command == "prepare":
        migrate()
        import_sample(update_existing=False)
        return build_index() or train_ranker()
    return 0


if __name__ == "__main__":
    sys.exit(main())
