"""Shared pytest fixtures: a real database per test session, a transaction per test.

Where the database and cache come from:
- ``CI=true``: PostgreSQL and Redis of the machine (``TEST_POSTGRES_ADMIN_URL``,
  ``TEST_REDIS_URL``); a test that needs them fails, never skips, if unreachable.
- locally: the same when they answer, otherwise the embedded default (a SQLite file,
  the in-process cache). ``NAVIYAM_TEST_BACKEND=sqlite`` forces the embedded default.

Each test session gets its own freshly migrated database (``naviyam_test_<random>``)
with the sample dataset imported,
dropped at the end, so parallel runs never see each other's rows.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from sqlalchemy.orm import Session

# The tests act as a local trial: a client clock (metadata.now), REST without a token,
# demo senders (see bot/settings.py SecuritySettings). Abuse tests start servers without it.
os.environ.setdefault("NAVIYAM_DEV_MODE", "1")
# The logged exploration (docs/LEARNING_LOOP.md) swaps a list's last slot at random; tests that
# check lists run the deterministic policy, the exploration tests turn it on themselves.
os.environ.setdefault("NAVIYAM_EXPLORATION_RATE", "0")

from naviyam.shared import cache as cache_module  # noqa: E402 - after the dev switch
from naviyam.config import get_settings, reset_settings_cache
from naviyam.adapters.db import session as db_session_module

PROJECT_ROOT = Path(__file__).resolve().parent.parent
IN_CI = os.environ.get("CI", "").lower() in {"1", "true", "yes"}
ADMIN_URL = os.environ.get(
    "TEST_POSTGRES_ADMIN_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/postgres"
)
TEST_REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _postgres_reachable() -> str | None:
    try:
        engine = create_engine(ADMIN_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
        engine.dispose()
        return None
    except Exception as exc:  # noqa: BLE001 - we report whatever went wrong
        return f"{type(exc).__name__}: {exc}"


def _redis_reachable() -> str | None:
    try:
        import redis

        redis.Redis.from_url(TEST_REDIS_URL, socket_timeout=2).ping()
        return None
    except Exception as exc:  # noqa: BLE001
        return f"{type(exc).__name__}: {exc}"


def migrate(url: str) -> None:
    """Build the schema the way production does: alembic upgrade head."""
    from alembic import command
    from alembic.config import Config

    config = Config(str(PROJECT_ROOT / "alembic.ini"))
    config.set_main_option("script_location", str(PROJECT_ROOT / "naviyam/adapters/db/migrations"))
    config.attributes["url"] = url
    command.upgrade(config, "head")


def _import_sample_data(url: str, tmp_path_factory: pytest.TempPathFactory) -> None:
    """Load the committed sample workbook (or a freshly generated copy if it is missing)."""
    from naviyam.adapters.workbook.importer import import_workbook

    path = PROJECT_ROOT / "data" / "sample_data.xlsx"
    if not path.exists():
        from devtools.sampledata.generate import generate_workbook

        path = tmp_path_factory.mktemp("sample") / "sample_data.xlsx"
        generate_workbook(path)
    import_workbook(path, url=url)


@pytest.fixture(scope="session")
def backend() -> str:
    """'postgres' or 'sqlite': which database this test session runs against."""
    forced = os.environ.get("NAVIYAM_TEST_BACKEND")
    if forced == "sqlite" and not IN_CI:
        return "sqlite"
    problem = _postgres_reachable()
    if problem is None:
        return "postgres"
    if IN_CI:
        pytest.fail(f"CI=true but PostgreSQL is unreachable at {ADMIN_URL}: {problem}")
    return "sqlite"


@contextmanager
def migrated_database(backend: str, folder: Path, prefix: str = "naviyam_test") -> Iterator[str]:
    """An empty database of ``backend`` built by the migrations; dropped afterwards."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    admin = None
    if backend == "postgres":
        admin = create_engine(ADMIN_URL, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        url = ADMIN_URL.rsplit("/", 1)[0] + "/" + name
    else:
        url = f"sqlite:///{folder / (name + '.db')}"
    try:
        migrate(url)
        yield url
    finally:
        db_session_module.dispose_engine(url)
        if admin is not None:
            with admin.connect() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


@pytest.fixture(scope="session")
def database_url(backend: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A freshly migrated database for this test session; also exported as DATABASE_URL."""
    with migrated_database(backend, tmp_path_factory.mktemp("db")) as url:
        _import_sample_data(url, tmp_path_factory)
        previous = os.environ.get("DATABASE_URL")
        os.environ["DATABASE_URL"] = url
        reset_settings_cache()
        try:
            yield url
        finally:
            db_session_module.dispose_engines()
            if previous is None:
                os.environ.pop("DATABASE_URL", None)
            else:
                os.environ["DATABASE_URL"] = previous
            reset_settings_cache()


@pytest.fixture(scope="session")
def loaded_database_url(database_url: str) -> str:
    """The session's test database; the sample dataset is already in it.

    ``database_url`` imports ``data/sample_data.xlsx`` (shops, menus, demo users,
    coupons, wallets; see docs/SAMPLE_DATA.md) right after migrating, before any test
    can commit rows of its own, so ids never collide. This name says a test relies on it.
    """
    return database_url


@pytest.fixture(scope="session")
def engine(database_url: str):
    return db_session_module.get_engine(database_url)


@pytest.fixture()
def db_session(engine) -> Iterator[Session]:
    """A session inside one transaction that is rolled back after the test.

    Code under test may call ``session.commit()``: it commits a savepoint only.
    """
    connection = engine.connect()
    outer = connection.begin()
    session = Session(bind=connection, join_transaction_mode="create_savepoint",
                      expire_on_commit=False)
    try:
        yield session
    finally:
        session.close()
        if outer.is_active:
            outer.rollback()
        connection.close()


@pytest.fixture(scope="session")
def redis_url() -> str | None:
    """The Redis URL for cache/lock tests, or None for the in-process cache locally."""
    problem = _redis_reachable()
    if problem is None:
        return TEST_REDIS_URL
    if IN_CI:
        pytest.fail(f"CI=true but Redis is unreachable at {TEST_REDIS_URL}: {problem}")
    return None


def fresh_redis_db(redis_url: str, db: int) -> str:
    """``redis_url`` pointed at database ``db``, emptied: servers started by a test session see
    no keys from an earlier run (its user ids restart with the fresh PostgreSQL database, so
    per-user counters such as card-link attempts of the same day would otherwise carry over)."""
    import redis

    url = redis_url.rsplit("/", 1)[0] + f"/{db}"
    redis.Redis.from_url(url, socket_timeout=5).flushdb()
    return url


@pytest.fixture()
def cache(redis_url: str | None) -> Iterator[cache_module.Cache]:
    """The cache the code under test sees (Redis in CI), emptied before each test."""
    instance = cache_module.make_cache(redis_url)
    if redis_url:
        instance.client.flushdb()
    # Configure the app's choice first (as naviyam.adapters.cache.get_cache does), so that
    # it keeps the instance installed below instead of replacing it on first use.
    cache_module.configure_cache(get_settings().redis_url)
    cache_module.set_cache(instance)
    try:
        yield instance
    finally:
        cache_module.set_cache(None)


@pytest.fixture()
def recommender_env(monkeypatch: pytest.MonkeyPatch, tmp_path, cache) -> pytest.MonkeyPatch:
    """Recommendation tests: fresh catalog each call, no index auto-build, private
    index and ranker folders (so no test sees another's model), the test cache."""
    monkeypatch.setenv("NAVIYAM_CATALOG_REFRESH_S", "0")
    monkeypatch.setenv("NAVIYAM_INDEX_AUTOBUILD", "0")
    monkeypatch.setenv("NAVIYAM_INDEX_DIR", str(tmp_path / "index"))
    monkeypatch.setenv("NAVIYAM_RANKER_DIR", str(tmp_path / "ranker"))
    return monkeypatch


@pytest.fixture(scope="session")
def domain() -> dict:
    """The project's domain as the action server receives it from Rasa (the parts the
    actions read: responses, slots, forms, session config), merged from domain/*.yml."""
    import yaml

    merged: dict = {"responses": {}, "slots": {}, "forms": {}, "session_config": {}}
    for path in sorted((Path(__file__).resolve().parent.parent / "domain").glob("*.yml")):
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
        for key in merged:
            merged[key].update(data.get(key) or {})
    return merged
