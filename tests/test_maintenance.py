"""Maintenance (coupon expiry + retention policy) against a real database it commits to."""
from __future__ import annotations

import os
import signal
from datetime import datetime, timedelta, timezone

import pytest
from sqlalchemy import select

from helpers_coupons import give, make_coupon, make_shop, make_user
from helpers_lifecycle import (  # noqa: F401 - fixtures
    conversation,
    context,
    count,
    lifecycle_db,
    performance,
    recommendation,
    url,
)
from naviyam.usecases import maintenance
from naviyam import manage
from naviyam.config import get_lifecycle_settings, reset_settings_cache
from naviyam.adapters.db.models import (
    Conversation,
    ConversationContext,
    PerformanceLog,
    RecommendationLog,
    UserCouponWallet,
)
from naviyam.adapters.db.session import unit_of_work

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=timezone.utc)


def days_ago(days: float) -> datetime:
    return NOW - timedelta(days=days)


@pytest.fixture()
def settings():
    return get_lifecycle_settings()


def test_defaults_are_the_seeds_numbers(monkeypatch):
    for name in ("CONVERSATIONS", "RAW_TEXT", "RECOMMENDATIONS_LOG", "PERFORMANCE_LOGS", "CONVERSATION_CONTEXTS"):
        monkeypatch.delenv(f"NAVIYAM_RETAIN_{name}_DAYS", raising=False)
    monkeypatch.delenv("NAVIYAM_MAINTENANCE_BATCH_SIZE", raising=False)
    s = get_lifecycle_settings()
    assert (s.conversations_days, s.raw_text_days, s.recommendations_log_days, s.performance_logs_days,
            s.conversation_contexts_days, s.batch_size) == (365, 7, 365, 90, 7, 5000)


def test_old_rows_go_old_text_is_blanked_recent_rows_stay(url, settings):
    with unit_of_work(url) as s:
        user = make_user(s)
        shop = make_shop(s)
        conversation(s, days_ago(400), user_id=user.id)
        month = conversation(s, days_ago(30), user_id=user.id, selected_shop_id=shop.id,
                             recommended_shop_ids=[shop.id]).id
        fresh = conversation(s, days_ago(3), user_id=user.id).id
        for age in (400, 366):
            recommendation(s, days_ago(age))
        kept_reco = recommendation(s, days_ago(300)).id
        for age in (120, 91, 95):
            performance(s, days_ago(age))
        kept_perf = performance(s, days_ago(30)).id
        context(s, days_ago(10))
        kept_ctx = context(s, days_ago(1)).id
        coupon = make_coupon(s, NOW.date() - timedelta(days=1))
        overdue = give(s, user, coupon, NOW, days=-1, issued_at=days_ago(5)).id
        valid = give(s, user, coupon, NOW, days=2).id
        used = give(s, user, coupon, NOW, days=-1, issued_at=days_ago(5), status="USED",
                    used_at=days_ago(2)).id

    report = maintenance.run_maintenance(url, NOW, settings=settings)

    assert report.ok, str(report)
    assert report.counts() == {
        "expire_coupons": 1,
        "delete_conversations": 1,
        "blank_conversation_text": 1,
        "delete_recommendations_log": 2,
        "delete_performance_logs": 3,
        "delete_conversation_contexts": 1,
    }
    with unit_of_work(url) as s:
        rows = {c.id: c for c in s.scalars(select(Conversation))}
        assert set(rows) == {month, fresh}
        blanked = rows[month]
        assert (blanked.input_text, blanked.response_text) == ("", "")
        # what analytics and the ranker read stays
        assert blanked.extracted_intent == "FOOD_REQUEST" and blanked.rasa_intent == "food_request"
        assert blanked.extracted_entities == {"food_type": "떡볶이"}
        assert blanked.selected_shop_id == shop.id and list(blanked.recommended_shop_ids) == [shop.id]
        assert blanked.user_id == user.id
        assert rows[fresh].input_text == "떡볶이 먹고 싶어요" and rows[fresh].response_text
        assert s.scalars(select(RecommendationLog.id)).all() == [kept_reco]
        assert s.scalars(select(PerformanceLog.id)).all() == [kept_perf]
        assert s.scalars(select(ConversationContext.id)).all() == [kept_ctx]
        status = dict(s.execute(select(UserCouponWallet.id, UserCouponWallet.status)).all())
        assert status == {overdue: "EXPIRED", valid: "ACTIVE", used: "USED"}

    again = maintenance.run_maintenance(url, NOW, settings=settings)
    assert again.ok and set(again.counts().values()) == {0}


def test_big_backlogs_go_in_batches(url, settings, monkeypatch):
    with unit_of_work(url) as s:
        for i in range(7):
            performance(s, days_ago(100 + i))
            conversation(s, days_ago(20 + i), sender=f"kid-{i}")
        performance(s, days_ago(1))
    statements = []
    real = maintenance._delete_batch

    def counting(session, model, where, limit):
        rows = real(session, model, where, limit)
        statements.append((model.__tablename__, rows))
        return rows

    monkeypatch.setattr(maintenance, "_delete_batch", counting)
    report = maintenance.run_maintenance(url, NOW, settings=settings.model_copy(update={"batch_size": 3}))

    assert report.counts()["delete_performance_logs"] == 7
    assert report.counts()["blank_conversation_text"] == 7
    assert [rows for table, rows in statements if table == "performance_logs"] == [3, 3, 1]
    assert count(url, PerformanceLog) == 1
    assert count(url, Conversation, Conversation.input_text != "") == 0


def test_a_failed_step_writes_nothing_and_the_others_still_run(url, settings, monkeypatch):
    with unit_of_work(url) as s:
        for i in range(5):
            recommendation(s, days_ago(400 + i))
        performance(s, days_ago(200))
    real = maintenance._delete_batch
    calls = []

    def failing_second_batch(session, model, where, limit):
        if model is RecommendationLog:
            calls.append(model)
            if len(calls) == 2:  # the first batch of 2 rows is already deleted in this transaction
                raise RuntimeError("disk full")
        return real(session, model, where, limit)

    monkeypatch.setattr(maintenance, "_delete_batch", failing_second_batch)
    report = maintenance.run_maintenance(url, NOW, settings=settings.model_copy(update={"batch_size": 2}))

    assert not report.ok
    failed = {step.name: step for step in report.steps if step.error}
    assert list(failed) == ["delete_recommendations_log"]
    assert "disk full" in failed["delete_recommendations_log"].error
    assert count(url, RecommendationLog) == 5  # the first batch was rolled back with the step
    assert report.counts()["delete_performance_logs"] == 1 and count(url, PerformanceLog) == 0


def test_retention_days_come_from_the_environment(url, monkeypatch):
    with unit_of_work(url) as s:
        conversation(s, days_ago(10))
        performance(s, days_ago(1000))
    monkeypatch.setenv("NAVIYAM_RETAIN_RAW_TEXT_DAYS", "30")
    monkeypatch.setenv("NAVIYAM_RETAIN_PERFORMANCE_LOGS_DAYS", "-1")

    report = maintenance.run_maintenance(url, NOW)

    steps = {step.name: step for step in report.steps}
    assert steps["blank_conversation_text"].rows == 0
    assert steps["blank_conversation_text"].cutoff == NOW - timedelta(days=30)
    assert steps["delete_performance_logs"].skipped and count(url, PerformanceLog) == 1
    assert count(url, Conversation, Conversation.input_text != "") == 1

    monkeypatch.setenv("NAVIYAM_RETAIN_CONVERSATIONS_DAYS", "0")
    with pytest.raises(ValueError, match="NAVIYAM_RETAIN_CONVERSATIONS_DAYS"):
        get_lifecycle_settings()


@pytest.fixture()
def cli_database(url, monkeypatch):
    monkeypatch.setenv("DATABASE_URL", url)
    reset_settings_cache()
    yield url
    reset_settings_cache()


def test_maintain_command_runs_once_and_prints_counts(cli_database, capsys):
    with unit_of_work(cli_database) as s:
        performance(s, datetime.now(timezone.utc) - timedelta(days=91))

    assert manage.main(["maintain"]) == 0

    out = capsys.readouterr().out
    assert "delete_performance_logs: 1 rows" in out
    assert count(cli_database, PerformanceLog) == 0


def test_maintain_loop_stops_on_sigterm(cli_database, monkeypatch, capsys):
    real = maintenance.run_maintenance
    runs = []

    def run_then_terminate(*args, **kwargs):
        report = real(*args, **kwargs)
        runs.append(report)
        if len(runs) == 2:
            os.kill(os.getpid(), signal.SIGTERM)  # what systemd sends on stop
        return report

    monkeypatch.setattr(maintenance, "run_maintenance", run_then_terminate)
    previous = signal.getsignal(signal.SIGTERM)

    assert manage.main(["maintain", "--interval", "0.01"]) == 0

    assert len(runs) == 2 and all(r.ok for r in runs)
    assert "maintenance loop stopped" in capsys.readouterr().out
    assert signal.getsignal(signal.SIGTERM) is previous


def test_maintain_refuses_bad_settings_in_one_line(cli_database, monkeypatch, capsys):
    monkeypatch.setenv("NAVIYAM_RETAIN_RAW_TEXT_DAYS", "a week")

    assert manage.main(["maintain"]) == 2

    err = capsys.readouterr().err
    assert err.startswith("error: ") and "NAVIYAM_RETAIN_RAW_TEXT_DAYS" in err and "Traceback" not in err
