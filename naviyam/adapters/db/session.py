"""The one place that creates the engine and sessions.

``unit_of_work()`` is the transaction boundary of a use case (a selection, a
redemption, an import): it commits when the block ends and rolls back whole on any
error, so a failed step never half-writes rows.
"""
from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
import threading
from pathlib import Path

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from naviyam.config import get_settings


def make_engine(url: str) -> Engine:
    """An engine for ``url`` with the settings each backend needs."""
    if url.startswith("sqlite"):
        path = url.split("///", 1)[-1]
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 30})

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_connection, _record):  # pragma: no cover - trivial
            cursor = dbapi_connection.cursor()
            cursor.execute("PRAGMA foreign_keys=ON")
            cursor.execute("PRAGMA journal_mode=WAL")
            cursor.execute("PRAGMA busy_timeout=30000")
            cursor.close()

        return engine
    return create_engine(
        url,
        pool_pre_ping=True,
        pool_size=10,
        max_overflow=20,
        connect_args={"connect_timeout": 10},
    )


_ENGINES: dict[str, Engine] = {}
_ENGINES_LOCK = threading.Lock()


def get_engine(url: str | None = None) -> Engine:
    """The process-wide engine for ``url`` (default: the configured database)."""
    url = url or get_settings().database_url
    with _ENGINES_LOCK:
        if url not in _ENGINES:
            _ENGINES[url] = make_engine(url)
        return _ENGINES[url]


_FACTORIES: dict[str, sessionmaker[Session]] = {}


def session_factory(url: str | None = None) -> sessionmaker[Session]:
    """The process-wide session factory of ``url`` (default: the configured database)."""
    url = url or get_settings().database_url
    engine = get_engine(url)
    with _ENGINES_LOCK:
        factory = _FACTORIES.get(url)
        if factory is None or factory.kw.get("bind") is not engine:
            factory = _FACTORIES[url] = sessionmaker(bind=engine, expire_on_commit=False)
        return factory


@contextmanager
def unit_of_work(url: str | None = None) -> Iterator[Session]:
    """One transaction (``sessionmaker.begin()``): commit on success, roll back everything on error."""
    with session_factory(url).begin() as session:
        yield session


def dispose_engine(url: str) -> None:
    """Close and forget the pooled engine of one database (e.g. before dropping it)."""
    with _ENGINES_LOCK:
        engine = _ENGINES.pop(url, None)
        _FACTORIES.pop(url, None)
    if engine is not None:
        engine.dispose()


def dispose_engines() -> None:
    """Close every pooled connection (tests, forked workers)."""
    with _ENGINES_LOCK:
        for engine in _ENGINES.values():
            engine.dispose()
        _ENGINES.clear()
        _FACTORIES.clear()


from naviyam.adapters.db import user_cache as _user_cache  # noqa: E402,F401  (registers its Session listeners)
