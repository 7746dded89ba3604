"""Deterministic generator of ``data/sample_data.xlsx`` (one sheet per table).

Same seed and options → the same workbook, byte for byte (fixed random seed, fixed
dates, fixed zip timestamps). Nothing depends on the clock: order histories and
wallets are dated relative to ``AS_OF`` and coupons are valid 2026-01-01..2027-12-31
(plus a few expired or inactive ones).

    python -m devtools.sampledata.generate [--out PATH] [--shops N] [--seed S]
"""
from __future__ import annotations

import argparse
import io
import math
import random
import re
import sys
import zipfile
from collections import Counter
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from pathlib import Path
from typing import Any

from devtools.sampledata import catalog as cat
from naviyam.adapters.workbook.schema import SEOUL, SHEETS, WEEKDAYS, to_cell

DEFAULT_SEED = 20261121
DEFAULT_SHOPS = 330
AS_OF = date(2026, 11, 20)  # the day the sample's histories and balances refer to
VALID_FROM = date(2026, 1, 1)
VALID_UNTIL = date(2027, 12, 31)
_FIXED_ZIP_TIME = (2026, 1, 1, 0, 0, 0)
_FIXED_DOC_TIME = datetime(2026, 1, 1, 0, 0, 0)

Rows = dict[str, list[dict[str, Any]]]


def _dt(day: date, hh: int = 12, mm: int = 0) -> datetime:
    return datetime.combine(day, time(hh, mm), tzinfo=SEOUL)


# ---------------------------------------------------------------- business hours

def _hhmm(minutes: int) -> str:
    """Minutes since 00:00 → "HH:MM"; 1440 is "24:00"; later means the next day."""
    if minutes > 24 * 60:
        minutes -= 24 * 60
    return f"{minutes // 60:02d}:{minutes % 60:02d}"


def _day(opening: int, closing: int, brk: tuple[int, int] | None = None) -> dict[str, Any]:
    entry: dict[str, Any] = {"open": _hhmm(opening), "close": _hhmm(closing)}
    if brk:
        entry["break_start"], entry["break_end"] = _hhmm(brk[0]), _hhmm(brk[1])
    return entry


def _week(opening: int, closing: int, *, brk: tuple[int, int] | None = None,
          closed: tuple[str, ...] = (), weekend_late_open: int = 0, fri_sat_extra: int = 0,
          weekend_break: bool = False, holiday_closed: bool = False) -> dict[str, Any]:
    hours: dict[str, Any] = {}
    for name in WEEKDAYS:
        if name in closed:
            hours[name] = {"closed": True}
            continue
        o, c = opening, closing
        if name in ("saturday", "sunday"):
            o += weekend_late_open
        if name in ("friday", "saturday") and c < 24 * 60 and fri_sat_extra:
            c = min(c + fri_sat_extra, 24 * 60)
        elif name in ("friday", "saturday") and c > 24 * 60 and fri_sat_extra:
            c = c + fri_sat_extra
        use_break = brk if (brk and (weekend_break or name not in ("saturday", "sunday"))) else None
        if use_break and not (o <= use_break[0] and use_break[1] <= min(c, 24 * 60)):
            use_break = None
        hours[name] = _day(o, c, use_break)
    if holiday_closed:
        hours["holiday"] = {"closed": True}
    return hours


H = 60
ALL_DAY = (0, 24 * H)


def _hours_for(rng: random.Random, category: str, name: str, brand: str | None) -> dict[str, Any]:
    """Plausible opening hours for a shop of ``category`` (see docs for conventions)."""
    r = rng.random()
    one_closed = (rng.choice(("sunday", "monday", "tuesday")),)
    if "24시" in name:
        return _week(*ALL_DAY)
    if category == "편의점":
        return _week(*ALL_DAY) if r < 0.85 else _week(7 * H, 24 * H, weekend_late_open=H)
    if category == "한식":
        if r < 0.4:
            return _week(10 * H, 21 * H + 30, brk=(15 * H, 16 * H + 30),
                         closed=("sunday",) if rng.random() < 0.5 else (), holiday_closed=True)
        if r < 0.7:
            return _week(11 * H, 22 * H, closed=one_closed if rng.random() < 0.4 else (), fri_sat_extra=H)
        if r < 0.85:
            return _week(7 * H, 21 * H, brk=(15 * H, 17 * H))
        return _week(17 * H, 26 * H, closed=("sunday",), fri_sat_extra=H)  # late opener, past midnight
    if category == "중식":
        return _week(11 * H, 21 * H + (30 if r < 0.5 else 0),
                     brk=(15 * H, 16 * H + 30) if rng.random() < 0.5 else None,
                     closed=(rng.choice(("monday", "sunday")),) if rng.random() < 0.5 else ())
    if category == "일식":
        return _week(11 * H + 30, 21 * H, brk=(15 * H, 17 * H) if r < 0.7 else None,
                     closed=one_closed if rng.random() < 0.4 else (), holiday_closed=rng.random() < 0.3)
    if category == "양식":
        return _week(11 * H + 30, 22 * H, brk=(15 * H + 30, 17 * H) if r < 0.6 else None,
                     closed=("monday",) if rng.random() < 0.4 else (), weekend_late_open=30)
    if category == "치킨":
        if r < 0.5:
            return _week(16 * H, 26 * H, fri_sat_extra=H, closed=("tuesday",) if rng.random() < 0.15 else ())
        if r < 0.8:
            return _week(15 * H, 24 * H)
        return _week(12 * H, 25 * H)
    if category == "피자":
        return _week(11 * H, 23 * H if r < 0.7 else 24 * H)
    if category == "패스트푸드":
        if brand in ("맥도날드", "버거킹") and r < 0.6:
            return _week(*ALL_DAY)
        if brand == "서브웨이":
            return _week(8 * H, 22 * H, weekend_late_open=H)
        return _week(10 * H, 22 * H + (30 if r < 0.5 else 0), fri_sat_extra=H if r < 0.3 else 0)
    if category == "분식":
        if name.startswith("심야"):
            return _week(18 * H, 28 * H, closed=("monday",))
        if brand == "김밥천국" and r < 0.6:
            return _week(*ALL_DAY)
        if r < 0.5:
            return _week(9 * H, 21 * H, closed=("sunday",) if rng.random() < 0.3 else ())
        if r < 0.8:
            return _week(10 * H, 22 * H, brk=(15 * H, 16 * H) if rng.random() < 0.3 else None)
        return _week(11 * H, 25 * H, fri_sat_extra=H)
    if category == "카페/디저트":
        if "24시" in name:
            return _week(*ALL_DAY)
        if brand == "설빙":
            return _week(11 * H, 23 * H)
        if name.startswith("붕어빵"):
            return _week(12 * H, 20 * H, closed=("monday",))
        return _week(8 * H if r < 0.6 else 10 * H, 22 * H, weekend_late_open=H if r < 0.6 else 0)
    if category == "도시락/죽":
        if brand == "본죽":
            return _week(9 * H, 21 * H, closed=("sunday",) if r < 0.3 else ())
        if "컵밥" in name:
            return _week(7 * H, 22 * H, closed=("sunday",) if r < 0.2 else ())
        return _week(8 * H + 30, 21 * H + 30, weekend_late_open=30)
    if category == "프랜차이즈":
        if brand == "이삭토스트":
            return _week(7 * H, 20 * H, closed=("sunday",) if r < 0.3 else ())
        if brand == "청년다방":
            return _week(11 * H, 22 * H, fri_sat_extra=H)
        return _week(8 * H if r < 0.5 else 9 * H, 21 * H + 30)
    if category == "기타음식":
        if brand in ("라화쿵부",) or "마라" in name:
            return _week(11 * H, 23 * H)
        return _week(11 * H, 21 * H + 30, brk=(15 * H, 17 * H) if r < 0.5 else None,
                     closed=("monday",) if rng.random() < 0.2 else ())
    return _week(10 * H, 21 * H)


def _open_minutes(day_entry: dict[str, Any]) -> list[tuple[int, int]]:
    """Open intervals of one day entry within that calendar day (generator use only)."""
    if not day_entry or day_entry.get("closed"):
        return []

    def mins(text: str) -> int:
        return int(text[:2]) * 60 + int(text[3:])

    o, c = mins(day_entry["open"]), mins(day_entry["close"])
    if c <= o:
        c = 24 * 60
    if "break_start" in day_entry:
        bs, be = mins(day_entry["break_start"]), mins(day_entry["break_end"])
        return [(o, bs), (be, c)]
    return [(o, c)]


# ---------------------------------------------------------------- shops and menus

def _allocate(total: int, weights: dict[str, int]) -> dict[str, int]:
    """Largest-remainder split of ``total`` over weights, every key at least 1 if possible."""
    weight_sum = sum(weights.values())
    raw = {k: total * w / weight_sum for k, w in weights.items()}
    counts = {k: max(1, int(v)) if total >= len(weights) else int(v) for k, v in raw.items()}
    order = sorted(weights, key=lambda k: (raw[k] - int(raw[k])), reverse=True)
    i = 0
    while sum(counts.values()) < total:
        counts[order[i % len(order)]] += 1
        i += 1
    while sum(counts.values()) > total:
        biggest = max(counts, key=lambda k: counts[k])
        counts[biggest] -= 1
    return counts


_CHAIN_SHARE = {
    "편의점": 1.0, "프랜차이즈": 0.7, "패스트푸드": 0.75, "치킨": 0.65, "피자": 0.6,
    "카페/디저트": 0.5, "도시락/죽": 0.45, "분식": 0.3, "중식": 0.25, "일식": 0.3,
    "양식": 0.2, "한식": 0.15, "기타음식": 0.4,
}


@dataclass
class _ShopDraft:
    name: str
    category: str
    brand: str | None
    hood: cat.Neighbourhood


def _shop_names(rng: random.Random, hood: cat.Neighbourhood, category: str, count: int,
                used: set[str]) -> list[_ShopDraft]:
    drafts: list[_ShopDraft] = []
    brands = list(cat.CHAINS.get(category, ()))
    all_independents = [n.format(short=hood.short) for n in cat.INDEPENDENTS.get(category, ())]
    independents = [n for n in all_independents if n not in used]
    rng.shuffle(independents)
    rng.shuffle(all_independents)
    branch_names = list(hood.stations) + [d[:-1] for d in hood.dongs]
    for _ in range(count):
        use_chain = brands and (not independents or rng.random() < _CHAIN_SHARE[category])
        if use_chain:
            brand = rng.choice(brands)
            branches = [b for b in branch_names if f"{brand} {b}점" not in used]
            name = f"{brand} {rng.choice(branches)}점" if branches else f"{brand} {hood.short}{len(used)}호점"
            drafts.append(_ShopDraft(name, category, brand, hood))
        else:
            if independents:
                base = independents.pop()
            elif all_independents:  # the same small business with a second shop here
                base = f"{all_independents.pop()} {hood.short}점"
            else:
                base = f"{hood.short} {category.split('/')[0]}집"
            name, k = base, 2
            while name in used:
                name, k = f"{base} {k}호점", k + 1
            drafts.append(_ShopDraft(name, category, None, hood))
        used.add(drafts[-1].name)
    return drafts


def _point(rng: random.Random, hood: cat.Neighbourhood, radius_m: float) -> tuple[float, float, float]:
    r = radius_m * math.sqrt(rng.random())
    theta = rng.random() * 2 * math.pi
    lat = hood.lat + r * math.cos(theta) / 111_320
    lng = hood.lng + r * math.sin(theta) / (111_320 * math.cos(math.radians(hood.lat)))
    return round(lat, 7), round(lng, 7), theta


def _phone(rng: random.Random, hood: cat.Neighbourhood) -> str:
    return f"{rng.choice(hood.phone_prefixes)}{rng.randint(0, 9)}-{rng.randint(0, 9999):04d}"


def _owner_message(rng: random.Random, foodcard: str, chain: bool, category: str) -> str | None:
    chance = 0.2 if category == "편의점" else (0.4 if chain else 0.85)
    if rng.random() >= chance:
        return None
    pool = [msg for msg in cat.OWNER_MESSAGES if foodcard in ("Y", "P") or "급식카드" not in msg]
    return rng.choice(pool)


def _options(keys: str) -> dict[str, Any] | None:
    if not keys:
        return None
    merged: dict[str, list] = {}
    for key in keys.split("+"):
        for group, items in cat.OPTION_SETS[key].items():
            merged.setdefault(group, []).extend(dict(item) for item in items)
    return merged


def _menu_pool(draft: _ShopDraft) -> tuple[tuple, ...]:
    if draft.category != "프랜차이즈":
        return cat.MENUS[draft.category]
    brand = draft.brand
    if brand is None:  # an independent shop of the franchise kind borrows a brand's menu
        brand = next((menu_brand for pattern, menu_brand in cat.INDEPENDENT_BRAND_MENU.items()
                      if draft.name.startswith(pattern.format(short=draft.hood.short))), "봉구스밥버거")
    return cat.BRAND_MENUS[brand]


def _price(rng: random.Random, lo: int, hi: int, level: float, step: int) -> int:
    if lo == hi:
        return lo
    x = min(1.0, max(0.0, level + rng.uniform(-0.25, 0.25)))
    price = lo + round((hi - lo) * x / step) * step
    return max(lo, min(hi, price))


def _menus_for(seed: int, rng: random.Random, draft: _ShopDraft) -> list[dict[str, Any]]:
    """6-12 menus; branches of one brand share their menu and prices."""
    pick = random.Random(f"{seed}:brand:{draft.brand}") if draft.brand else rng
    pool = _menu_pool(draft)
    k = min(len(pool), pick.randint(6, 12))
    indices = sorted(pick.sample(range(len(pool)), k))
    if not any(pool[i][3] == "M" for i in indices):
        mains = [i for i in range(len(pool)) if pool[i][3] == "M"]
        indices[0] = pick.choice(mains)
        indices = sorted(set(indices))
    level = pick.random()
    step_small = draft.category == "편의점"
    menus = []
    for i in indices:
        name, lo, hi, code, desc, tags, diet, opts = pool[i]
        step = 100 if (step_small or hi < 3000) else 500
        menus.append({
            "menu_name": name,
            "price": _price(pick, lo, hi, level, step),
            "description": desc,
            "category": cat.MENU_CATEGORY_CODES[code],
            "is_available": rng.random() > 0.03,
            "is_popular": False,
            "options": _options(opts),
            "recommendation_frequency": 0,
            "dietary_info": diet or None,
            "tags": tags.split(),
        })
    mains = [mm for mm in menus if mm["category"] == "메인메뉴"]
    for popular in pick.sample(mains, min(len(mains), pick.choice((1, 1, 2)))):
        popular["is_popular"] = True
    return menus


def build_shops_and_menus(seed: int, n_shops: int) -> tuple[list[dict], list[dict]]:
    rng = random.Random(seed)
    hoods = cat.NEIGHBOURHOODS
    per_hood = [n_shops // len(hoods) + (1 if i < n_shops % len(hoods) else 0) for i in range(len(hoods))]
    used: set[str] = set()
    drafts: list[_ShopDraft] = []
    for hood, count in zip(hoods, per_hood):
        for category, k in _allocate(count, cat.CATEGORY_WEIGHTS).items():
            drafts.extend(_shop_names(rng, hood, category, k, used))

    shops, menus = [], []
    for draft in drafts:
        shop_id = len(shops) + 1
        hood = draft.hood
        radius = 700 if draft.category == "편의점" else 1200
        lat, lng, theta = _point(rng, hood, radius)
        dong = hood.dongs[int(theta / (2 * math.pi) * len(hood.dongs)) % len(hood.dongs)]
        statuses = ("Y", "P", "N", "U")
        foodcard = rng.choices(statuses, weights=cat.FOODCARD_WEIGHTS[draft.category])[0]
        chain = draft.brand is not None
        shops.append({
            "id": shop_id,
            "shop_name": draft.name,
            "category": draft.category,
            "address_name": f"서울 {hood.gu} {dong} {rng.randint(1, 640)}-{rng.randint(1, 45)}",
            "road_address_name": f"서울 {hood.gu} {rng.choice(hood.roads)} {rng.randint(1, 260)}",
            "neighbourhood": hood.name,
            "is_good_influence_shop": rng.random() < (0.1 if chain else 0.36),
            "is_food_card_shop": foodcard,
            "business_hours": _hours_for(rng, draft.category, draft.name, draft.brand),
            "phone": _phone(rng, hood) if rng.random() > 0.05 else None,
            "owner_message": _owner_message(rng, foodcard, chain, draft.category),
            "latitude": Decimal(str(lat)),
            "longitude": Decimal(str(lng)),
            "current_status": "UNKNOWN",
            "popularity_score": Decimal(str(round(rng.uniform(0.45, 0.95) if chain else rng.uniform(0.15, 0.9), 3))),
            "quality_score": Decimal(str(round(rng.uniform(0.3, 0.95), 3))),
            "recommendation_count": 0,
            "data_source": "manual",
        })
        for menu in _menus_for(seed, rng, draft):
            menus.append({"id": len(menus) + 1, "shop_id": shop_id, **menu})
    return shops, menus


# ---------------------------------------------------------------- coupons

def build_coupons(shops: list[dict]) -> list[dict]:
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


# ---------------------------------------------------------------- users

@dataclass(frozen=True)
class _Persona:
    external_user_id: str
    platform: str
    hood: int
    card: str | None  # card type or None
    age: str
    balance: int
    daily_limit: int
    monthly_limit: int
    interactions: int
    categories: tuple[str, ...] = ()
    budget: int | None = None
    dietary: tuple[str, ...] = ()
    card_status: str = "ACTIVE"
    taste: tuple[tuple[str, float], ...] = ()
    style: str = "friendly"
    note: str = ""


# The hand-written demo users documented in docs/SAMPLE_DATA.md and the README.
DEMO_PERSONAS = (
    _Persona("demo_kid_01", "test", 0, "아동급식카드", "초등학생", 32000, 9000, 200000, 18,
             ("분식", "한식"), 5000, taste=(("매운맛", 0.3), ("단맛", 0.8)),
             note="typical meal-card kid near 건대입구"),
    _Persona("demo_teen_01", "test", 1, "청소년급식카드", "고등학생", 48500, 12000, 300000, 26,
             ("중식", "분식", "패스트푸드"), 8000, ("견과류",), taste=(("매운맛", 0.9), ("단맛", 0.4)),
             style="casual", note="loves spicy food, nut allergy, 신촌"),
    _Persona("demo_lowbal_01", "test", 2, "아동급식카드", "중학생", 3200, 9000, 200000, 9,
             ("도시락/죽", "분식"), 4000, taste=(("매운맛", 0.5),), note="low balance (3,200원), 노량진"),
    _Persona("demo_zero_01", "test", 0, "청소년급식카드", "중학생", 0, 10000, 250000, 6,
             ("분식",), 5000, note="balance 0원"),
    _Persona("demo_new_01", "test", 1, "아동급식카드", "초등학생", 40000, 9000, 200000, 0,
             note="new user (onboarding), WELCOME1000 in wallet"),
    _Persona("demo_nocard_01", "web", 0, None, "대학생", 0, 0, 0, 14,
             ("양식", "일식", "카페/디저트"), 12000, taste=(("단맛", 0.6),), note="no meal card"),
    _Persona("demo_allergy_01", "test", 2, "청소년급식카드", "고등학생", 27000, 11000, 280000, 12,
             ("한식", "기타음식"), 7000, ("돼지고기", "갑각류"), note="no pork, no shellfish"),
    _Persona("demo_suspended_01", "test", 1, "아동급식카드", "중학생", 15000, 9000, 200000, 4,
             ("분식",), 5000, card_status="SUSPENDED", note="card SUSPENDED"),
)

_DIETARY_CHOICES = (("견과류",), ("돼지고기",), ("갑각류",), ("유제품",), ("해산물",), ("견과류", "계란"))
_TASTES = ("매운맛", "단맛", "짠맛", "담백한맛", "고소한맛")
_COMPANIONS = ("혼자", "친구", "가족")


def _generated_personas(rng: random.Random, count: int) -> list[_Persona]:
    personas = []
    kid = teen = other = 1
    platforms = ("test", "web", "kakao", "telegram", "test", "kakao")
    cats = [c for c in cat.CATEGORY_WEIGHTS if c != "편의점"]
    for i in range(count):
        has_card = i % 5 != 4  # 80% with meal cards
        if has_card:
            card = rng.choice(("아동급식카드", "청소년급식카드"))
            age = rng.choice(("초등학생", "중학생")) if card == "아동급식카드" else rng.choice(("중학생", "고등학생"))
        else:
            card, age = None, rng.choice(("대학생", "청년", "고등학생"))
        if age == "초등학생":
            kid += 1
            base = f"demo_kid_{kid:02d}"
        elif age in ("중학생", "고등학생") and has_card:
            teen += 1
            base = f"demo_teen_{teen:02d}"
        else:
            other += 1
            base = f"demo_user_{other:02d}"
        platform = platforms[i % len(platforms)]
        ext = f"{platform}:{base}" if platform in ("kakao", "telegram") else base
        daily = rng.choice((9000, 10000, 11000, 12000)) if card else 0
        interactions = rng.choice((0, 0, 2, 5, 8, 12, 15, 20, 25, 32, 40))
        taste = tuple((t, round(rng.uniform(0.1, 0.95), 2)) for t in rng.sample(_TASTES, rng.randint(1, 3)))
        personas.append(_Persona(
            ext, platform, i % len(cat.NEIGHBOURHOODS), card, age,
            balance=rng.choice((0, 2800, 4500, 12000, 18500, 25000, 36000, 52000, 70000)) if card else 0,
            daily_limit=daily, monthly_limit=rng.choice((200000, 250000, 300000)) if card else 0,
            interactions=interactions,
            categories=tuple(rng.sample(cats, rng.randint(1, 3))) if interactions else (),
            budget=rng.choice((5000, 6000, 7000, 8000, 10000, 12000)) if interactions else None,
            dietary=rng.choice(_DIETARY_CHOICES) if rng.random() < 0.2 else (),
            taste=taste if interactions else (),
            style=rng.choice(("friendly", "friendly", "casual", "brief", "formal")),
        ))
    return personas


_RESTRICTION_MARKERS = {  # restriction word → dietary_info markers it excludes
    "견과류": ("견과류 포함",), "돼지고기": ("돼지고기 포함",), "갑각류": ("갑각류 포함",),
    "유제품": ("유제품 포함",), "해산물": ("해산물 포함", "갑각류 포함"), "계란": ("계란 포함",),
}


def _allowed(menu: dict, dietary: tuple[str, ...]) -> bool:
    info = menu["dietary_info"] or ""
    return not any(marker in info for word in dietary for marker in _RESTRICTION_MARKERS.get(word, (f"{word} 포함",)))


def build_users(seed: int, shops: list[dict], menus: list[dict], coupons: list[dict],
                n_generated: int = 32) -> Rows:
    rng = random.Random(seed + 1)
    personas = list(DEMO_PERSONAS) + _generated_personas(rng, n_generated)
    menus_by_shop: dict[int, list[dict]] = {}
    for menu in menus:
        menus_by_shop.setdefault(menu["shop_id"], []).append(menu)
    hood_names = [h.name for h in cat.NEIGHBOURHOODS]
    coupon_by_id = {c["id"]: c for c in coupons}

    users, cards, profiles, wallets, orders = [], [], [], [], []
    for index, p in enumerate(personas):
        uid = index + 1
        hood = cat.NEIGHBOURHOODS[p.hood]
        joined = AS_OF - timedelta(days=3 if p.interactions == 0 else rng.randint(40, 300))
        nickname = cat.NICKNAMES[index % len(cat.NICKNAMES)]
        birth_year = {"초등학생": 2015, "중학생": 2012, "고등학생": 2009, "대학생": 2005, "청년": 2001}.get(p.age, 2008)
        users.append({
            "id": uid, "external_user_id": p.external_user_id, "platform": p.platform,
            "name": None, "nickname": nickname, "email": None, "phone_number": None,
            "birth_date": date(birth_year + rng.randint(0, 1), rng.randint(1, 12), 1),
            "current_address": f"서울 {hood.gu} {hood.dongs[0]}",
            "preferred_location": hood.name,
            "status": "ACTIVE",
            "terms_agreed_at": _dt(joined, 15, 0), "privacy_agreed_at": _dt(joined, 15, 0),
            "marketing_agreed_at": _dt(joined, 15, 1) if rng.random() < 0.3 else None,
            "last_login_at": _dt(AS_OF - timedelta(days=rng.randint(0, 6)), rng.randint(8, 21), rng.randint(0, 59)),
        })

        # Order history: meals bought at open shops of the user's neighbourhood.
        user_orders = []
        n_orders = min(30, p.interactions // 2 + (1 if p.interactions else 0))
        eligible = [s for s in shops if s["neighbourhood"] == hood.name
                    and (p.card is None or s["is_food_card_shop"] in ("Y", "P"))]
        cap = int((p.budget or 8000) * 1.3)
        weights = [3 if s["category"] in p.categories else 1 for s in eligible]
        tries = 0
        while len(user_orders) < n_orders and tries < n_orders * 20:
            tries += 1
            shop = rng.choices(eligible, weights=weights)[0]
            choices = [mm for mm in menus_by_shop[shop["id"]] if mm["is_available"] and mm["category"] in ("메인메뉴", "세트메뉴")
                       and mm["price"] <= cap and _allowed(mm, p.dietary)]
            if not choices:
                continue
            day = AS_OF - timedelta(days=rng.randint(0, min(90, (AS_OF - joined).days - 1)))
            intervals = _open_minutes(shop["business_hours"].get(WEEKDAYS[day.weekday()], {}))
            last = 20 * 60 if day == AS_OF else 22 * 60  # the sample's data ends AS_OF 21:00
            meal_times = [t for t in range(7 * 60, last, 15) if any(a <= t < b - 20 for a, b in intervals)]
            if not meal_times:
                continue
            minute = rng.choice(meal_times)
            menu = rng.choice(choices)
            user_orders.append({
                "shop": shop, "menu": menu,
                "at": datetime.combine(day, time(minute // 60, minute % 60), tzinfo=SEOUL),
                "satisfaction": Decimal(str(rng.choice((3.0, 3.5, 4.0, 4.0, 4.5, 4.5, 5.0)))),
                "companions": rng.choice(_COMPANIONS) if rng.random() < 0.8 else None,
            })
        user_orders.sort(key=lambda o: o["at"])
        for o in user_orders:
            orders.append({
                "id": len(orders) + 1, "user_id": uid, "shop_id": o["shop"]["id"], "menu_id": o["menu"]["id"],
                "menu_name": o["menu"]["menu_name"], "price": o["menu"]["price"], "coupon_id": None,
                "final_price": o["menu"]["price"], "ordered_at": o["at"], "companions": o["companions"],
                "satisfaction": o["satisfaction"],
            })
        my_orders = orders[len(orders) - len(user_orders):]

        if p.card:
            month_spent = sum(o["price"] for o in my_orders if o["ordered_at"].date().replace(day=1) == AS_OF.replace(day=1))
            month_spent = min(month_spent, p.monthly_limit)
            day_spent = min(sum(o["price"] for o in my_orders if o["ordered_at"].date() == AS_OF), p.daily_limit)
            cards.append({
                "id": len(cards) + 1, "user_id": uid, "card_number": f"9410-****-****-{uid:04d}",
                "card_type": p.card, "balance": p.balance, "daily_limit": p.daily_limit,
                "monthly_limit": p.monthly_limit, "daily_spent": day_spent, "monthly_spent": month_spent,
                "spent_as_of": AS_OF, "target_age_group": p.age, "status": p.card_status,
                "balance_alert_threshold": 5000, "balance_alert_sent": False, "last_balance_alert_at": None,
                "last_sync_at": _dt(AS_OF, 21, 0),
            })

        counts = Counter(o["shop_id"] for o in my_orders)
        favourites = [sid for sid, n in counts.most_common(3) if n >= 2]
        recent = [{"shop_id": o["shop_id"], "menu_id": o["menu_id"], "menu_name": o["menu_name"],
                   "price": o["price"], "order_date": o["ordered_at"].isoformat(timespec="seconds"),
                   "satisfaction": float(o["satisfaction"])}
                  for o in reversed(my_orders[-10:])]
        filled = [bool(p.categories), p.budget is not None, bool(p.taste), bool(favourites), bool(p.dietary) or p.interactions > 5]
        profiles.append({
            "id": uid, "user_id": uid, "preferred_categories": list(p.categories),
            "average_budget": p.budget, "favorite_shops": favourites, "conversation_style": p.style,
            "taste_preferences": dict(p.taste), "companion_patterns": sorted({o["companions"] for o in my_orders if o["companions"]}),
            "location_preferences": [hood.name] if p.interactions else [],
            "dietary_restrictions": list(p.dietary),
            "good_influence_preference": Decimal(str(round(rng.uniform(0.3, 0.9), 2))),
            "interaction_count": p.interactions,
            "data_completeness": Decimal(str(round(sum(filled) / len(filled), 2))),
            "recent_orders": recent,
            "onboarding_completed_at": _dt(joined, 15, 5) if p.interactions else None,
            "last_updated": _dt(AS_OF - timedelta(days=1) if p.interactions else joined, 20, 0),
        })

        # Wallet: what a user of this kind would hold.
        def grant(coupon_id: str, source: str, status: str = "ACTIVE", order: dict | None = None,
                  issued: date | None = None) -> None:
            coupon = coupon_by_id[coupon_id]
            issued_on = issued or max(joined, coupon["valid_from"])
            row = {
                "id": len(wallets) + 1, "user_id": uid, "coupon_id": coupon_id, "status": status,
                "issued_at": _dt(issued_on, 9, 0), "issued_by": "SYSTEM", "acquisition_source": source,
                "acquisition_context": {"campaign_id": f"2026_{source}", "trigger_event":
                                        {"WELCOME_BONUS": "first_login", "LOYALTY_REWARD": "visit_count",
                                         "EMERGENCY_ASSIST": "low_balance"}.get(source, "promotion")},
                "used_at": None, "used_shop_id": None, "used_order_amount": None, "discount_applied": None,
                "redemption_key": None,
                "expires_at": datetime.combine(coupon["valid_until"], time(23, 59, 59), tzinfo=SEOUL),
                "expiry_notified": status == "EXPIRED",
                "usage_probability": Decimal(str(round(rng.uniform(0.2, 0.9), 3))),
                "recommended_usage_date": None,
            }
            if status == "USED" and order is not None:
                amount = coupon["discount_amount"] or min(
                    int(order["price"] * coupon["discount_rate"]), coupon["max_discount_amount"] or 10**9)
                row.update(used_at=order["ordered_at"], used_shop_id=order["shop_id"],
                           used_order_amount=order["price"], discount_applied=amount,
                           redemption_key=f"sample-{uid}-{order['id']}")
                order["coupon_id"] = coupon_id
                order["final_price"] = order["price"] - amount
            wallets.append(row)

        if p.interactions == 0:
            grant("WELCOME1000", "WELCOME_BONUS", issued=joined)
        if p.card:
            grant("FOODCARD500", "PROMOTION")
            if rng.random() < 0.5:
                grant("BUNSIK500", "PROMOTION")
            usable = [o for o in my_orders if o["price"] >= 3000 and o["ordered_at"].date() >= date(2026, 1, 1)]
            if usable and rng.random() < 0.7:
                grant("FOODCARD500", "PROMOTION", "USED", usable.pop(rng.randrange(len(usable))))
            if p.balance < 5000 and usable:
                grant("EMERGENCY_ASSIST", "EMERGENCY_ASSIST", "USED", usable[-1])
        if p.interactions >= 20:
            grant("LOYALTY1500", "LOYALTY_REWARD")
        if p.interactions and joined <= date(2026, 7, 1) and rng.random() < 0.4:
            grant("SUMMER2026", "PROMOTION", "EXPIRED", issued=date(2026, 7, 1))
        if p.interactions >= 10 and rng.random() < 0.3:
            grant("ALL1000", "ADMIN_GRANT", "CANCELLED")
        if p.card is None and p.interactions:
            grant("ALL5P", "PROMOTION")

    issued = Counter(w["coupon_id"] for w in wallets)
    used = Counter(w["coupon_id"] for w in wallets if w["status"] == "USED")
    for coupon in coupons:
        coupon["total_issued"], coupon["total_used"] = issued[coupon["id"]], used[coupon["id"]]
    return {"users": users, "foodcard_users": cards, "user_profiles": profiles,
            "user_coupon_wallet": wallets, "orders": orders}


# ---------------------------------------------------------------- dataset and workbook

def build_dataset(seed: int = DEFAULT_SEED, n_shops: int = DEFAULT_SHOPS) -> Rows:
    """All sheets as lists of row dicts (Python values), in sheet order."""
    if n_shops < len(cat.NEIGHBOURHOODS) * len(cat.CATEGORY_WEIGHTS):
        raise ValueError(f"--shops must be at least {len(cat.NEIGHBOURHOODS) * len(cat.CATEGORY_WEIGHTS)}")
    shops, menus = build_shops_and_menus(seed, n_shops)
    coupons = build_coupons(shops)
    people = build_users(seed, shops, menus, coupons)
    return {"shops": shops, "menus": menus, "users": people["users"],
            "foodcard_users": people["foodcard_users"], "user_profiles": people["user_profiles"],
            "coupons": coupons, "user_coupon_wallet": people["user_coupon_wallet"],
            "orders": people["orders"]}


def _normalise_zip(data: bytes) -> bytes:
    """Fixed timestamps inside the xlsx so the same content gives the same bytes."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as dst:
        for info in src.infolist():
            payload = src.read(info.filename)
            if info.filename == "docProps/core.xml":
                payload = re.sub(rb"(<dcterms:modified[^>]*>)[^<]*(</dcterms:modified>)",
                                 rb"\g<1>2026-01-01T00:00:00Z\g<2>", payload)
            fixed = zipfile.ZipInfo(info.filename, date_time=_FIXED_ZIP_TIME)
            fixed.compress_type = zipfile.ZIP_DEFLATED
            fixed.external_attr = info.external_attr
            dst.writestr(fixed, payload)
    return out.getvalue()


def write_workbook(dataset: Rows, path: Path | str) -> Path:
    from openpyxl import Workbook
    from openpyxl.cell import WriteOnlyCell
    from openpyxl.styles import Font

    wb = Workbook(write_only=True)
    wb.properties.creator = "devtools.sampledata.generate"
    wb.properties.created = _FIXED_DOC_TIME
    wb.properties.modified = _FIXED_DOC_TIME
    bold = Font(bold=True)
    for sheet in SHEETS:
        ws = wb.create_sheet(sheet.name)
        ws.freeze_panes = "B2"
        header = []
        for name in sheet.column_names:
            cell = WriteOnlyCell(ws, value=name)
            cell.font = bold
            header.append(cell)
        ws.append(header)
        for row in dataset[sheet.name]:
            ws.append([to_cell(col, row.get(col.name)) for col in sheet.columns])
    buffer = io.BytesIO()
    wb.save(buffer)
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(_normalise_zip(buffer.getvalue()))
    return path


def generate_workbook(path: Path | str, seed: int = DEFAULT_SEED, n_shops: int = DEFAULT_SHOPS) -> dict[str, int]:
    """Build the dataset and write it to ``path``; returns the row count per sheet."""
    dataset = build_dataset(seed, n_shops)
    write_workbook(dataset, path)
    return {name: len(rows) for name, rows in dataset.items()}


def main(argv: list[str] | None = None) -> int:
    from naviyam.config import get_settings

    parser = argparse.ArgumentParser(prog="python -m devtools.sampledata.generate",
                                     description="Write the deterministic sample dataset workbook.")
    parser.add_argument("--out", type=Path, default=None,
                        help="output .xlsx (default: NAVIYAM_SAMPLE_DATA or data/sample_data.xlsx)")
    parser.add_argument("--shops", type=int, default=DEFAULT_SHOPS, help=f"number of shops (default {DEFAULT_SHOPS})")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED, help=f"random seed (default {DEFAULT_SEED})")
    args = parser.parse_args(argv)
    out = args.out or get_settings().sample_data_path
    try:
        counts = generate_workbook(out, seed=args.seed, n_shops=args.shops)
    except ValueError as exc:
        parser.error(str(exc))
    summary = ", ".join(f"{name} {n}" for name, n in counts.items())
    print(f"Wrote {out}: {summary}")
    return 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
