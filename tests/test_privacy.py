"""forget_user (right to be forgotten) against a real database, cache and Redis."""
from __future__ import annotations

import io
from datetime import datetime, timedelta, timezone

import pytest

from helpers_coupons import give, make_card, make_coupon, make_shop
from helpers_lifecycle import (  # noqa: F401 - fixtures
    context,
    conversation,
    count,
    lifecycle_db,
    performance,
    recommendation,
    url,
)
from naviyam import manage
from naviyam.shared import cache_keys
from naviyam.config import reset_settings_cache
from naviyam.adapters.db.models import (
    Conversation,
    ConversationContext,
    FoodcardUser,
    PerformanceLog,
    RecommendationFeedback,
    RecommendationLog,
    User,
    UserCouponWallet,
    UserProfile,
)
from naviyam.adapters.db.session import unit_of_work
from naviyam.usecases.forget_user import UnknownUser, forget_user
from naviyam.shared.cache_keys import rasa_tracker_key
from naviyam.adapters.db.users import get_or_create_user

NOW = datetime.now(timezone.utc).replace(microsecond=0)
TABLES = (RecommendationFeedback, Conversation, RecommendationLog, PerformanceLog, ConversationContext, UserCouponWallet,
          FoodcardUser, UserProfile, User)


def add_user_with_history(url: str, external_id: str, platform: str) -> int:
    """A user with a row in every table that holds something about them."""
    with unit_of_work(url) as s:
        user = get_or_create_user(s, external_id, platform)
        make_card(s, user)
        coupon = make_coupon(s, NOW.date())
        give(s, user, coupon, NOW)
        conversation(s, NOW - timedelta(days=2), user_id=user.id, sender=external_id)
        conversation(s, NOW - timedelta(days=1), user_id=user.id, sender=external_id)
        # written before the users row existed: only the session id points at them
        conversation(s, NOW - timedelta(days=30), sender=external_id)
        shown = recommendation(s, NOW - timedelta(days=1), user_id=user.id, sender=external_id)
        s.add(RecommendationFeedback(  # "별로였어" about a recommended shop (issue 12)
            recommendation_log_id=shown.id, user_id=user.id, session_id=shown.session_id, recommended_shops=[],
            user_action="viewed", feedback_shop_id=make_shop(s).id, feedback_kind="disliked",
            action_timestamp=NOW, context_features={}, user_features={}, explicit_rating=2))
        performance(s, NOW - timedelta(days=1), user_id=user.id, sender=external_id)
        context(s, NOW, user_id=user.id, session_key=external_id)
        return user.id


def rows_of(url: str, user_id: int) -> dict[str, int]:
    out = {}
    for model in TABLES:
        column = model.id if model is User else model.user_id
        out[model.__tablename__] = count(url, model, column == user_id)
    return out


def cache_user(cache, user_id: int, external_id: str) -> list[str]:
    keys = list(cache_keys.user_keys(user_id))
    for key in keys:
        cache.set(key, {"user": user_id}, 600)
    cache.set(cache_keys.profile_key(user_id), {"shown_categories": ["분식"]}, 600)
    return list(dict.fromkeys([cache_keys.profile_key(user_id), *keys]))


def test_forget_user_erases_every_row_and_cache_key_and_nothing_else(url, cache):
    gone = add_user_with_history(url, "kakao:child-1", "kakao")
    kept = add_user_with_history(url, "telegram:42", "telegram")
    gone_keys = cache_user(cache, gone, "kakao:child-1")
    kept_keys = cache_user(cache, kept, "telegram:42")
    cache.incr_window("ratelimit:kakao:child-1", 60)
    kept_before = rows_of(url, kept)

    report = forget_user("kakao:child-1", "kakao", url=url, redis_url="")

    assert report.user_id == gone and report.platform == "kakao"
    assert report.rows == {
        "recommendation_feedback": 1, "conversations": 3, "recommendations_log": 1, "performance_logs": 1, "conversation_contexts": 1,
        "user_coupon_wallet": 1, "foodcard_users": 1, "user_profiles": 1, "users": 1,
        "nlu_training_data": 0, "training_data_queue": 0, "reminders_sent": 0, "reminder_opt_outs": 0,
    }
    assert set(rows_of(url, gone).values()) == {0}
    assert count(url, Conversation, Conversation.user_id.is_(None)) == 1  # only the other user's early row
    assert all(cache.get(key) is None for key in gone_keys)
    assert cache.get("ratelimit:kakao:child-1") is None
    assert "ratelimit:kakao:child-1" in report.cache_keys
    assert rows_of(url, kept) == kept_before and all(v > 0 for v in kept_before.values())
    assert all(cache.get(key) is not None for key in kept_keys)
    assert "kakao:child-1" in str(report) and "users: 1 rows deleted" in str(report)

    with pytest.raises(UnknownUser):  # a second request: nothing left to find
        forget_user("kakao:child-1", url=url, redis_url="")


def test_forget_user_removes_the_rasa_tracker_from_redis(url, cache, redis_url):
    if not redis_url:
        pytest.skip("no Redis here (CI=true makes this a failure)")
    import redis

    add_user_with_history(url, "demo_kid_77", "rest")
    client = redis.Redis.from_url(redis_url)
    mine, other = rasa_tracker_key("demo_kid_77", "naviyam"), rasa_tracker_key("demo_kid_78", "naviyam")
    client.set(mine, '{"events": [{"event": "user", "text": "우리집은 ..."}]}', ex=600)
    client.set(other, '{"events": []}', ex=600)
    try:
        report = forget_user("demo_kid_77", url=url, redis_url=redis_url, tracker_key_prefix="naviyam")
    finally:
        leftover = client.exists(mine), client.exists(other)
        client.delete(mine, other)
        client.close()

    assert leftover == (0, 1)
    assert report.tracker == "deleted naviyam:tracker:demo_kid_77"


def test_tracker_keys_are_built_as_rasa_builds_them():
    # rasa/core/tracker_store.py (3.6): non-alphanumeric prefixes are ignored
    assert rasa_tracker_key("kakao:abc", "naviyam_tracker") == "tracker:kakao:abc"
    assert rasa_tracker_key("kakao:abc", None) == "tracker:kakao:abc"
    assert rasa_tracker_key("kakao:abc", "naviyam") == "naviyam:tracker:kakao:abc"


def test_unknown_user_or_wrong_platform_is_a_clear_error_and_deletes_nothing(url, cache):
    uid = add_user_with_history(url, "telegram:7", "telegram")
    before = rows_of(url, uid)

    with pytest.raises(UnknownUser, match="no user with external id 'nobody'"):
        forget_user("nobody", url=url, redis_url="")
    with pytest.raises(UnknownUser, match="platform 'telegram', not 'kakao'"):
        forget_user("telegram:7", "kakao", url=url, redis_url="")

    assert rows_of(url, uid) == before


def test_a_redis_failure_rolls_the_database_back(url, cache):
    uid = add_user_with_history(url, "kakao:child-2", "kakao")
    before = rows_of(url, uid)

    import redis

    with pytest.raises(redis.exceptions.ConnectionError):  # nothing listens on port 1
        forget_user("kakao:child-2", url=url, redis_url="redis://127.0.0.1:1/0")

    assert rows_of(url, uid) == before  # run the command again once Redis is back


@pytest.fixture()
def cli_env(url, monkeypatch, cache):
    monkeypatch.setenv("DATABASE_URL", url)
    monkeypatch.delenv("REDIS_URL", raising=False)
    reset_settings_cache()
    yield url
    reset_settings_cache()


def test_forget_user_command_asks_first(cli_env, monkeypatch, capsys):
    uid = add_user_with_history(cli_env, "demo_kid_90", "rest")

    monkeypatch.setattr("sys.stdin", io.StringIO("n\n"))
    assert manage.main(["forget-user", "demo_kid_90"]) == 1
    assert "nothing deleted" in capsys.readouterr().out
    assert rows_of(cli_env, uid)["users"] == 1

    monkeypatch.setattr("sys.stdin", io.StringIO("y\n"))
    assert manage.main(["forget-user", "demo_kid_90", "--platform", "rest"]) == 0
    out = capsys.readouterr().out
    assert "forgot user demo_kid_90" in out and "rasa tracker: not in Redis" in out
    assert set(rows_of(cli_env, uid).values()) == {0}


def test_forget_user_command_unknown_user_exits_2_in_one_line(cli_env, capsys):
    assert manage.main(["forget-user", "nobody", "--yes"]) == 2
    err = capsys.readouterr().err
    assert err.strip() == "error: no user with external id 'nobody'"


def test_forget_user_also_drops_the_channels_per_sender_keys(url, cache):
    add_user_with_history(url, "telegram:4242", "telegram")
    for key in ("abuse:telegram:4242", "channel:location:telegram:4242", "ratelimit:telegram:4242"):
        cache.set(key, {"kept": True}, 600)
    cache.set("channel:location:telegram:4243", {"kept": True}, 600)

    report = forget_user("telegram:4242", url=url, redis_url="")

    assert cache.get("abuse:telegram:4242") is None and cache.get("channel:location:telegram:4242") is None
    assert cache.get("ratelimit:telegram:4242") is None
    assert cache.get("channel:location:telegram:4243") is not None  # another chat's position stays
    assert "channel:location:telegram:4242" in report.cache_keys
    assert cache_keys.sender_keys("kakao:abc") == [
        "ratelimit:kakao:abc", "abuse:kakao:abc", "channel:choices:kakao:abc"]


def test_forget_user_also_drops_the_card_link_attempt_counters(url, cache):
    gone = add_user_with_history(url, "kakao:child-3", "kakao")
    kept = add_user_with_history(url, "kakao:child-4", "kakao")
    for day in ("2026-11-22", "2026-11-23"):   # a counter a day; an old one may not have expired yet
        cache.incr_window(cache_keys.card_link_attempts_key(gone, day), 600)
    cache.incr_window(cache_keys.card_link_attempts_key(kept, "2026-11-23"), 600)

    report = forget_user("kakao:child-3", url=url, redis_url="")

    assert cache.get(cache_keys.card_link_attempts_key(gone, "2026-11-22")) is None
    assert cache.get(cache_keys.card_link_attempts_key(gone, "2026-11-23")) is None
    assert cache.get(cache_keys.card_link_attempts_key(kept, "2026-11-23")) == 1   # another user's stays
    assert f"cardlink:attempts:{gone}:*" in report.cache_keys
