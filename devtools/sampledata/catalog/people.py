"""People: nicknames, the hand-written demo users and what generated users choose from."""
from __future__ import annotations

from dataclasses import dataclass

NICKNAMES = (
    "햇살", "도토리", "꼬마곰", "별빛", "민트", "구름빵", "복숭아", "새싹", "초코칩", "바다",
    "하늘", "솜사탕", "다람쥐", "무지개", "호랑이", "토끼", "노을", "은하수", "감귤", "보리",
    "참새", "몽실", "두부", "젤리", "수박", "콩떡", "치즈", "꿀벌", "펭귄", "판다",
    "여름", "단풍", "눈꽃", "푸딩", "마카롱", "라임", "해바라기", "고래", "오리", "사과",
)


@dataclass(frozen=True)
class Persona:
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
    Persona("demo_kid_01", "test", 0, "아동급식카드", "초등학생", 32000, 9000, 200000, 18,
            ("분식", "한식"), 5000, taste=(("매운맛", 0.3), ("단맛", 0.8)),
            note="typical meal-card kid near 건대입구"),
    Persona("demo_teen_01", "test", 1, "청소년급식카드", "고등학생", 48500, 12000, 300000, 26,
            ("중식", "분식", "패스트푸드"), 8000, ("견과류",), taste=(("매운맛", 0.9), ("단맛", 0.4)),
            style="casual", note="loves spicy food, nut allergy, 신촌"),
    Persona("demo_lowbal_01", "test", 2, "아동급식카드", "중학생", 3200, 9000, 200000, 9,
            ("도시락/죽", "분식"), 4000, taste=(("매운맛", 0.5),), note="low balance (3,200원), 노량진"),
    Persona("demo_zero_01", "test", 0, "청소년급식카드", "중학생", 0, 10000, 250000, 6,
            ("분식",), 5000, note="balance 0원"),
    Persona("demo_new_01", "test", 1, "아동급식카드", "초등학생", 40000, 9000, 200000, 0,
            note="new user (onboarding), WELCOME1000 in wallet"),
    Persona("demo_nocard_01", "web", 0, None, "대학생", 0, 0, 0, 14,
            ("양식", "일식", "카페/디저트"), 12000, taste=(("단맛", 0.6),), note="no meal card"),
    Persona("demo_allergy_01", "test", 2, "청소년급식카드", "고등학생", 27000, 11000, 280000, 12,
            ("한식", "기타음식"), 7000, ("돼지고기", "갑각류"), note="no pork, no shellfish"),
    Persona("demo_suspended_01", "test", 1, "아동급식카드", "중학생", 15000, 9000, 200000, 4,
            ("분식",), 5000, card_status="SUSPENDED", note="card SUSPENDED"),
)

DIETARY_CHOICES = (("견과류",), ("돼지고기",), ("갑각류",), ("유제품",), ("해산물",), ("견과류", "계란"))
TASTES = ("매운맛", "단맛", "짠맛", "담백한맛", "고소한맛")
COMPANIONS = ("혼자", "친구", "가족")
