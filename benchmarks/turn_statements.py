"""Round trips to the database and the cache of one recommendation turn (issue 11), counted.

    python benchmarks/turn_statements.py [--database-url URL] [--redis-url URL] [--turns 3]

Runs the action's use case (``recommend_turn`` with the action's rendering replaced by a
plain ``Turn``) in process, as the returning sample user ``demo_kid_01`` asking
"6천원으로 점심 추천해줘" near 건대입구, on PostgreSQL (``perf_turn_statements``, created with
the sample dataset when missing) and Redis. SQL statements are counted with SQLAlchemy's
``before_cursor_execute`` hook, transactions with ``begin``. The first turn fills the
per-user cache (``user:{id}:card``, ``user:{id}:wallet``, the profile); the next ones read
it. Counts only: no timings (docs/PERFORMANCE.md "A turn: where the time goes").
"""
from __future__ import annotations

import argparse
import os
import sys
from collections import Counter
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(os.environ.get("NAVIYAM_BENCH_ROOT") or Path(__file__).resolve().parent.parent)   # another checkout: its code
sys.path.insert(0, str(ROOT))
os.environ.setdefault("NAVIYAM_DEV_MODE", "1")   # a local trial: dev keys for the sample's card numbers


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--database-url")
    parser.add_argument("--redis-url", default="redis://127.0.0.1:6379/5")
    parser.add_argument("--turns", type=int, default=3)
    parser.add_argument("--sender", default="demo_kid_01")
    parser.add_argument("--show", action="store_true", help="print the last turn's statements")
    args = parser.parse_args(argv)

    from devtools.sampledata.scale import ensure_database

    os.environ["DATABASE_URL"] = args.database_url or ensure_database("perf_turn_statements")
    os.environ["REDIS_URL"] = args.redis_url
    os.environ.setdefault("NAVIYAM_INDEX_AUTOBUILD", "0")
    from sqlalchemy import event

    from naviyam.adapters.cache import get_cache
    from naviyam.adapters.db.session import get_engine
    from naviyam.config import reset_settings_cache
    from naviyam.domain.recommend.request import RecommendationRequest
    from naviyam.shared.cache_keys import user_keys
    from naviyam.usecases.recommend_turn import recommend_turn
    from naviyam.usecases.senders import Sender
    from naviyam.usecases.turns import Turn

    reset_settings_cache()
    engine = get_engine()
    statements: list[str] = []
    transactions = [0]
    event.listen(engine, "before_cursor_execute", lambda _c, _cur, sql, *_a: statements.append(sql))
    event.listen(engine, "begin", lambda _conn: transactions.__setitem__(0, transactions[0] + 1))

    sender = Sender(args.sender)
    now = datetime(2026, 11, 23, 12, 30, tzinfo=ZoneInfo("Asia/Seoul"))
    text = "6천원으로 점심 추천해줘"

    def turn(t) -> Turn:
        return Turn(sender=sender, input_text=text, response_text="utter_recommend_list", intent="food_request",
                    recommended_shop_ids=[i.shop_id for i in t.result.items] if t.result else None)

    def one() -> tuple[int, int, Counter]:
        statements.clear()
        transactions[0] = 0
        request = RecommendationRequest(now=now, text=text, intent="food_request", stated_budget=6000,
                                        location=(37.5404, 127.0693), location_source="metadata")
        recommend_turn(sender, request, turn)
        kinds = Counter(s.split()[0].upper() for s in statements)
        return len(statements), transactions[0], kinds

    one()   # warm: catalogue, Kiwi, ranker (their loading statements are not a turn's)
    from naviyam.adapters.db.session import unit_of_work
    from naviyam.usecases.senders import consented_user_id

    with unit_of_work() as session:
        user_id = consented_user_id(session, sender)
    print(f"sender {args.sender} (user {user_id}); {text!r}; statements per turn:")
    get_cache().delete(*user_keys(user_id))
    for n in range(args.turns):
        count, tx, kinds = one()
        label = "cache empty (first turn after a change)" if n == 0 else "cache filled"
        print(f"  turn {n + 1} ({label}): {count} statements in {tx} transaction(s): {dict(kinds)}")
    if args.show:
        for sql in statements:
            print("    " + " ".join(sql.split())[:140])
    return 0


if __name__ == "__main__":
    sys.exit(main())
