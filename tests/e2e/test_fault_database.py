"""Fault test (issue 10): every database connection terminated for a few seconds while REST
traffic runs (``pg_terminate_backend`` in a loop, as a failover or an operator would).

The servers get a database of their own (migrated, sample data loaded), so only their
connections are terminated. No 5xx, a polite Korean answer during the fault, normal answers
again within the deadline, and no half-written turn: every conversations row that answered
with a recommendation has its recommendations_log row.
"""
from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from sqlalchemy import create_engine, text

from tests.conftest import _import_sample_data, migrated_database
from tests.e2e.harness import BotServers, start_servers
from tests.e2e.traffic import run_fault

pytestmark = pytest.mark.e2e

RECOVERY_DEADLINE_S = 10.0
OUTAGE_S = 4.0


@pytest.fixture(scope="module")
def db_fault_bot(rasa_model, backend: str,
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[BotServers, str]]:
    if backend != "postgres":
        pytest.fail("the database fault test needs PostgreSQL (pg_terminate_backend)")
    with migrated_database(backend, tmp_path_factory.mktemp("dbfault"), prefix="naviyam_fault") as url:
        _import_sample_data(url, tmp_path_factory)
        servers = start_servers(rasa_model, {"DATABASE_URL": url, "KAKAO_BOT_IDS": "naviyam-test-bot"},
                                tmp_path_factory.mktemp("db_fault"))
        try:
            yield servers, url
        finally:
            servers.stop()


def test_database_connections_terminated_under_traffic(db_fault_bot):
    bot, url = db_fault_bot
    admin = create_engine(url, isolation_level="AUTOCOMMIT")
    terminated = 0

    def outage() -> None:
        nonlocal terminated
        end = time.monotonic() + OUTAGE_S
        with admin.connect() as conn:
            while time.monotonic() < end:
                terminated += conn.execute(text(
                    "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
                    "WHERE datname = current_database() AND pid <> pg_backend_pid()")).scalar() or 0
                time.sleep(0.05)

    try:
        run = run_fault(bot, "database", outage, lambda: None,
                        messages=("안녕", "5천원으로 떡볶이 먹고 싶어"))
        with admin.connect() as conn:
            recommended = conn.execute(text(
                "SELECT count(*) FROM conversations WHERE cardinality(recommended_shop_ids) > 0")).scalar()
            half_written = conn.execute(text(
                "SELECT count(*) FROM conversations c WHERE cardinality(c.recommended_shop_ids) > 0 "
                "AND NOT EXISTS (SELECT 1 FROM recommendations_log r WHERE r.session_id = c.session_id)")).scalar()
    finally:
        admin.dispose()

    print({name: len(run.phase(name)) for name in ("before", "down", "repaired")}, f"{recommended} recommendations;",
          f"{terminated} connections terminated; recovered {run.recovery_s} s after the last;",
          f"during the fault: {sorted({r[3][:60] for r in run.phase('down')})[:3]}")
    assert terminated > 0
    assert all(run.phase(name) for name in ("before", "down", "repaired")), "every phase saw traffic"
    assert [r for r in run.results if r[2] >= 500] == []
    assert run.problems() == []
    assert run.recovery_s is not None, "no normal answer after the database came back"
    assert run.recovery_s <= RECOVERY_DEADLINE_S
    assert recommended > 0 and half_written == 0
