"""Operator commands: ``python -m naviyam.manage <command>``.

  migrate        alembic upgrade head on DATABASE_URL
  import-sample  load data/sample_data.xlsx (validated, one transaction, idempotent)
  build-index    build the retrieval indexes when shop/menu data changed
  train-ranker   train the Wide&Deep ranker when no model exists (--force to retrain)
  prepare        all of the above, in order (what scripts/run.sh does)
  check          print the configuration and whether the database and cache answer
"""
from __future__ import annotations

import argparse
import logging
import sys
from pathlib import Path

from naviyam.config import PROJECT_ROOT, get_settings

log = logging.getLogger("naviyam.manage")


def migrate() -> None:
    from alembic import command
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "naviyam/db/migrations"))
    config.attributes["url"] = get_settings().database_url
    command.upgrade(config, "head")
    print(f"schema up to date on {_safe_url()}")


def import_sample(path: str | None = None, *, update_existing: bool = True) -> None:
    """Load the sample workbook. ``update_existing=False`` (used by ``prepare``) only adds
    missing rows, so balances, wallets and profiles changed at run time are kept."""
    from naviyam.sampledata.importer import import_workbook

    report = import_workbook(Path(path) if path else get_settings().sample_data_path,
                             update_existing=update_existing)
    print(report)


def build_index(force: bool = False) -> int:
    """Build the retrieval indexes unless an index for the current data exists."""
    from naviyam.recommend import index

    return index.main(["build"] + (["--force"] if force else []))


def train_ranker(force: bool = False) -> int:
    """Train the Wide&Deep ranker when no current model exists (or with ``force``).

    A model trained on an older feature set cannot serve (it would fall back to the
    baseline), so it counts as missing.
    """
    from naviyam.config import get_recommend_settings
    from naviyam.recommend.ranking.wide_deep import is_current, latest_version

    ranker_dir = get_recommend_settings().ranker_dir
    version = latest_version(ranker_dir) if Path(ranker_dir).exists() else None
    if not force and version and is_current(ranker_dir, version):
        print(f"ranker model present: {ranker_dir}/{version}")
        return 0
    if version and not force:
        print(f"ranker model {ranker_dir}/{version} was trained on other features; retraining")
    from ml.ranking import train_wide_deep

    return train_wide_deep.main(["--ranker-dir", str(ranker_dir)])


def check() -> int:
    from sqlalchemy import text

    from naviyam.cache import get_cache
    from naviyam.db.session import get_engine

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


def _safe_url() -> str:
    from sqlalchemy.engine import make_url

    return make_url(get_settings().database_url).render_as_string(hide_password=True)


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.INFO, format="%(levelname)s %(name)s: %(message)s")
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
    sub.add_parser("prepare")
    sub.add_parser("check")
    args = parser.parse_args(argv)

    if args.command == "migrate":
        migrate()
    elif args.command == "import-sample":
        import_sample(args.path)
    elif args.command == "build-index":
        return build_index(args.force)
    elif args.command == "train-ranker":
        return train_ranker(args.force)
    elif args.command == "check":
        return check()
    elif args.command == "prepare":
        migrate()
        import_sample(update_existing=False)
        return build_index() or train_ranker()
    return 0


if __name__ == "__main__":
    sys.exit(main())
