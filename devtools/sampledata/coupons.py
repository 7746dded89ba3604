"""The sample's coupons: every usage type and discount kind, some expired or paused.

Coupon ids are fixed codes (``WELCOME1000``, ``FOODCARD500``, ``EMERGENCY_ASSIST``, ...)
that settings and docs refer to; ``total_issued``/``total_used`` are filled in once the
wallets exist (``wallets.count_issued``).
"""
from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from devtools.sampledata.dates import VALID_FROM, VALID_UNTIL


def build_coupons(shops: list[dict]) -> list[dict]:
    """The coupon rows; the SHOP coupons apply to the first good (착한가게) and 분식 shops."""
    good_shops = [s["id"] for s in shops if s["is_good_influence_shop"] and s["is_food_card_shop"] == "Y"][:12]
    bunsik_shops = [s["id"] for s in shops if s["category"] == "분식"][:6]

    def coupon(cid: str, name: str, desc: str, usage: str, *, amount: int | None = None,
               rate: str | None = None, cap: int | None = None, min_order: int = 0,
               categories: list[str] | None = None, shop_ids: list[int] | None = None,
               users: list[str] | None = None, valid: tuple[date, date] = (VALID_FROM, VALID_UNTIL),
               per_user: int = 1, max_issue: int | None = None, active: bool = True,
               priority: str = "0.50") -> dict[str, Any]:
        return {
            "id": cid, "coupon_name": name, "description": desc,
            "coupon_type": "FIXED_AMOUNT" if amount is not None else "PERCENTAGE",
            "discount_amount": amount, "discount_rate": Decimal(rate) if rate else None,
            "max_discount_amount": cap, "min_order_amount": min_order, "usage_type": usage,
            "target_categories": categories, "applicable_shop_ids": shop_ids,
            "target_user_types": users, "valid_from": valid[0], "valid_until": valid[1],
            "max_issue_count": max_issue, "max_use_per_user": per_user, "total_issued": 0,
            "total_used": 0, "is_active": active, "priority_score": Decimal(priority),
            "created_by": "sample_data",
        }

    return [
        coupon("WELCOME1000", "첫 방문 1,000원 할인", "처음 오신 친구에게 드리는 환영 쿠폰이에요. 5,000원 이상 주문 시 1,000원 할인!",
               "NEW_USER", amount=1000, min_order=5000, users=["new"], priority="0.80"),
        coupon("WELCOME10P", "신규 가입 10% 할인", "가입을 환영해요! 최대 2,000원까지 10% 할인해 드려요.",
               "NEW_USER", rate="0.10", cap=2000, min_order=6000, users=["new"], priority="0.60"),
        coupon("FOODCARD500", "급식카드 500원 할인", "급식카드로 결제하면 3,000원 이상 주문 시 500원을 깎아 드려요.",
               "FOODCARD", amount=500, min_order=3000, users=["foodcard"], per_user=3, priority="0.70"),
        coupon("FOODCARD10P", "급식카드 10% 할인", "급식카드 결제 시 6,000원 이상 주문하면 10% 할인(최대 1,500원)!",
               "FOODCARD", rate="0.10", cap=1500, min_order=6000, users=["foodcard"], per_user=2, priority="0.65"),
        coupon("EMERGENCY_ASSIST", "든든 지원 쿠폰", "잔액이 부족할 때 한 끼를 챙길 수 있도록 2,000원을 지원해 드려요.",
               "FOODCARD", amount=2000, min_order=0, users=["foodcard"], per_user=2, priority="0.95"),
        coupon("ALL1000", "모두의 1,000원 할인", "어느 가게에서나 8,000원 이상 주문 시 1,000원 할인돼요.",
               "ALL", amount=1000, min_order=8000, priority="0.50"),
        coupon("ALL5P", "전 메뉴 5% 할인", "모든 가게에서 쓸 수 있는 5% 할인 쿠폰(최대 1,000원)이에요.",
               "ALL", rate="0.05", cap=1000, min_order=0, per_user=3, priority="0.40"),
        coupon("BUNSIK500", "분식 500원 할인", "김밥, 떡볶이 같은 분식을 4,000원 이상 주문하면 500원 할인!",
               "CATEGORY", amount=500, min_order=4000, categories=["분식"], per_user=2, priority="0.55"),
        coupon("HANSIK10P", "든든한 밥 10% 할인", "한식과 도시락/죽 메뉴를 10% 할인해 드려요(최대 1,500원).",
               "CATEGORY", rate="0.10", cap=1500, min_order=5000, categories=["한식", "도시락/죽"], priority="0.55"),
        coupon("CHICKENPIZZA2000", "치킨·피자 2,000원 할인", "친구들과 나눠 먹는 치킨, 피자 15,000원 이상 주문 시 2,000원 할인!",
               "CATEGORY", amount=2000, min_order=15000, categories=["치킨", "피자"], priority="0.45"),
        coupon("GOODSHOP1000", "착한가게 응원 1,000원", "착한가게에서 6,000원 이상 주문하면 1,000원 할인돼요.",
               "SHOP", amount=1000, min_order=6000, shop_ids=good_shops, per_user=2, priority="0.60"),
        coupon("BUNSIKSHOP15P", "동네 분식집 15% 할인", "참여 분식집에서 15% 할인(최대 1,000원) 받아 가세요.",
               "SHOP", rate="0.15", cap=1000, min_order=3000, shop_ids=bunsik_shops, priority="0.50"),
        coupon("LOYALTY1500", "단골 감사 1,500원", "자주 찾아 주셔서 고마워요! 5,000원 이상 주문 시 1,500원 할인.",
               "LOYALTY", amount=1500, min_order=5000, users=["vip"], per_user=2, priority="0.75"),
        coupon("LOYALTY15P", "단골 15% 할인", "단골 친구에게 드리는 15% 할인(최대 3,000원) 쿠폰이에요.",
               "LOYALTY", rate="0.15", cap=3000, min_order=8000, users=["vip"], priority="0.65"),
        coupon("SUMMER2026", "여름방학 1,000원 할인", "여름방학 동안 쓸 수 있었던 할인 쿠폰이에요.",
               "ALL", amount=1000, min_order=5000, valid=(date(2026, 7, 1), date(2026, 8, 31)), priority="0.50"),
        coupon("EXAM2026P", "시험 응원 10% 할인", "1학기 시험 기간 응원 쿠폰이에요.",
               "CATEGORY", rate="0.10", cap=1000, min_order=4000, categories=["분식", "도시락/죽"],
               valid=(date(2026, 4, 1), date(2026, 6, 30)), priority="0.40"),
        coupon("PAUSED_EVENT", "일시 중단된 이벤트", "운영상 잠시 멈춘 이벤트 쿠폰이에요.",
               "ALL", amount=500, min_order=3000, active=False, priority="0.30"),
    ]
