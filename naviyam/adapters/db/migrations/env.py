"""Alembic environment: the URL is the configured DATABASE_URL (or -x url=...)."""
from __future__ import annotations

from alembic import context

from naviyam.config import get_settings
from naviyam.adapters.db.models import Base
from naviyam.adapters.db.session import make_engine

config = context.config
target_metadata = Base.metadata


def _url() -> str:
    override = context.get_x_argument(as_dictionary=True).get("url")
    if override:
        return override
    attached = config.attributes.get("url")
    return attached or get_settings().database_url


def include_object(obj, name, type_, reflected, compare_to):
    """Indexes named idx_* are written as SQL in the migrations (partial, GIN)."""
    if type_ == "index" and reflected and compare_to is None and (name or "").startswith("idx_"):
        return False
    return True


def run_migrations_offline() -> None:
    context.configure(url=_url(), target_metadata=target_metadata, literal_binds=True,
                      render_as_batch=True, include_object=include_object)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=True, include_object=include_object)
        with context.begin_transaction():
            context.run_migrations()
        return
    engine = make_engine(_url())
    with engine.connect() as connection:
        context.configure(connection=connection, target_metadata=target_metadata,
                          render_as_batch=True, include_object=include_object)
        with context.begin_transaction():
            context.run_migrations()
    engine.dispose()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
