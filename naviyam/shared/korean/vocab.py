"""Closed vocabularies for entity values and the normalisers that map text onto them.

Stdlib only. The Rasa entity normaliser (``bot/nlu/entity_normalizer.py``) calls
these; the app may call them too (e.g. onboarding answers typed as free text).
Food names are canonicalised by the designer-edited synonym table in
``data/nlu/synonyms.yml`` (Rasa's EntitySynonymMapper + the normaliser), not here.
"""
from __future__ import annotations

import re
import unicodedata

TIME_PREFERENCES = ("아침", "점심", "저녁", "야식", "지금")
URGENCY_LEVELS = ("high", "normal", "low")
PORTION_SIZES = ("large", "normal", "small")

# Checked in order; the first keyword found in the entity text wins.
_TIME_KEYWORDS: list[tuple[str, str]] = [
    ("야식", "야식"), ("밤참", "야식"), ("새벽", "야식"), ("자기 전", "야식"), ("자기전", "야식"),
    ("늦은 밤", "야식"), ("늦은밤", "야식"), ("밤늦", "야식"), ("심야", "야식"), ("밤", "야식"),
    ("아침", "아침"), ("조식", "아침"), ("모닝", "아침"), ("등교 전", "아침"), ("등교전", "아침"),
    ("브런치", "점심"), ("점심", "점심"), ("런치", "점심"), ("낮", "점심"), ("정오", "점심"),
    ("저녁", "저녁"), ("디너", "저녁"), ("하교", "저녁"), ("학원 끝나고", "저녁"),
    ("석식", "저녁"), ("지금", "지금"), ("당장", "지금"), ("바로", "지금"), ("현재", "지금"),
    ("곧", "지금"),
]

_URGENT = ("당장", "급해", "급하", "급함", "빨리", "빨랑", "얼른", "서둘", "바로", "어서",
           "죽겠", "쓰러지", "미치겠", "배고파 죽", "시간 없", "시간없", "ㅃㄹ", "후딱", "지금 바로")
_RELAXED = ("천천히", "여유", "느긋", "안 급", "안급", "급하지 않", "급한 거 아니")

_LARGE = ("많이", "많은", "배부르", "배터지", "든든", "곱빼기", "곱배기", "대짜", "큰", "푸짐",
          "양 많", "양많", "왕", "특대", "대자", "넉넉")
_SMALL = ("적게", "적은", "조금", "가볍", "간단", "소식", "작은", "소짜", "소자", "양 적", "양적",
          "살짝", "간식")

# taste canonical value ← keywords (negated spiciness first)
_TASTE: list[tuple[tuple[str, ...], str]] = [
    (("안 매", "안매", "맵지 않", "맵지않", "안맵", "순한", "순하", "매운거 빼", "매운 거 빼",
      "매운건 빼", "매운 건 빼", "매운거 말고", "매운 거 말고", "맵지 않은", "덜 매", "덜매",
      "매운 거 못", "매운거 못", "맵찔이"), "순한"),
    (("매운", "매콤", "맵", "얼큰", "칼칼", "화끈", "불닭"), "매운"),
    (("달달", "달콤", "단 ", "단거", "단 거", "달아", "스위트"), "단"),
    (("짭짤", "짠", "간간"), "짠"),
    (("담백", "깔끔", "슴슴", "심심한 맛", "건강"), "담백한"),
    (("고소",), "고소한"),
    (("느끼", "기름진", "버터"), "느끼한"),
    (("시원", "개운"), "시원한"),
    (("새콤", "상큼", "시큼"), "새콤한"),
    (("바삭", "바싹"), "바삭한"),
    (("따뜻", "뜨끈", "따끈", "뜨거운"), "따뜻한"),
    (("차가운", "찬 ", "시원한 거"), "차가운"),
]

_COMPANIONS: list[tuple[tuple[str, ...], str]] = [
    (("혼자", "혼밥", "나만", "솔로"), "혼자"),
    (("엄마", "아빠", "부모", "가족", "동생", "형", "누나", "언니", "오빠", "할머니", "할아버지",
      "식구", "삼촌", "이모", "고모", "사촌"), "가족"),
    (("친구", "친구들", "절친", "베프", "반 애들", "반애들", "애들", "동아리", "팀", "같은 반",
      "학원", "반 친구"), "친구"),
    (("선생님", "쌤"), "선생님"),
    (("여친", "남친", "여자친구", "남자친구", "애인"), "연인"),
]

# dietary restriction code ← keywords. Codes follow seed 003 §9 (vegetarian, halal, no_pork).
_DIETARY: list[tuple[tuple[str, ...], str]] = [
    (("비건", "vegan"), "vegan"),
    (("채식", "고기 안", "고기안", "베지", "vegetarian", "고기 못", "고기못"), "vegetarian"),
    (("할랄", "halal", "무슬림", "이슬람"), "halal"),
    (("돼지", "돈육", "pork"), "no_pork"),
    (("소고기", "쇠고기", "beef"), "no_beef"),
    (("갑각", "새우", "게 ", "꽃게", "랍스터"), "no_shellfish"),
    (("해산물", "생선", "해물", "회 ", "오징어", "조개"), "no_seafood"),
    (("땅콩", "견과", "호두", "아몬드", "잣"), "no_nuts"),
    (("우유", "유제품", "치즈", "유당", "락토"), "no_dairy"),
    (("계란", "달걀", "에그"), "no_egg"),
    (("밀가루", "글루텐", "밀 "), "no_wheat"),
    (("복숭아",), "no_peach"),
    (("매운", "매운거", "매운 거"), "no_spicy"),
]

# Only particles that no food name ends with: "이", "가", "도", "나" are left alone
# ("떡볶이", "가지", "만두" would be damaged); the synonym table handles "치킨이" etc.
_PARTICLES = sorted([
    "이랑", "랑", "하고", "이나", "이요", "요", "은", "는", "을", "를",
    "으로", "로", "에서", "에", "의", "까지", "처럼", "같은", "같은거", "같은 거",
    "같은걸", "종류", "같은 거로", "같은거로", "으로요", "이면", "면",
], key=len, reverse=True)

_LOCATION_TAILS = sorted(["에서", "에", "으로", "로", "쪽", "쪽에", "쪽에서", "까지", "이랑", "랑"],
                         key=len, reverse=True)


def _clean(text: str) -> str:
    return unicodedata.normalize("NFKC", text or "").strip()


def normalize_time(text: str) -> str | None:
    """"점심시간" → 점심, "밤에" → 야식, "당장" → 지금; None if no meal time is named."""
    text = _clean(text)
    if text in TIME_PREFERENCES:
        return text
    for keyword, value in _TIME_KEYWORDS:
        if keyword in text:
            return value
    return None


def normalize_urgency(text: str) -> str:
    """"당장", "급해", "빨리" → high; "천천히" → low; anything else normal."""
    text = _clean(text)
    if text in URGENCY_LEVELS:
        return text
    if any(word in text for word in _RELAXED):
        return "low"
    if any(word in text for word in _URGENT):
        return "high"
    return "normal"


def normalize_portion(text: str) -> str | None:
    text = _clean(text)
    if text in PORTION_SIZES:
        return text
    if any(word in text for word in _SMALL):
        return "small"
    if any(word in text for word in _LARGE):
        return "large"
    if "보통" in text or "적당" in text:
        return "normal"
    return None


def normalize_taste(text: str) -> str | None:
    text = _clean(text) + " "
    for keywords, value in _TASTE:
        if any(word in text for word in keywords):
            return value
    return None


def normalize_companions(text: str) -> str | None:
    text = _clean(text)
    for keywords, value in _COMPANIONS:
        if any(word in text for word in keywords):
            return value
    return None


def normalize_dietary(text: str) -> list[str]:
    """All restriction codes named in ``text`` ("땅콩이랑 새우 알레르기" → no_nuts, no_shellfish)."""
    text = _clean(text) + " "
    found: list[str] = []
    for keywords, code in _DIETARY:
        if any(word in text for word in keywords) and code not in found:
            found.append(code)
    # "돼지고기 못 먹어" names one meat: not vegetarian.
    if "vegetarian" in found and ({"no_pork", "no_beef"} & set(found)) and "채식" not in text:
        found.remove("vegetarian")
    return found


def strip_particles(text: str) -> str:
    """"치킨이랑" → 치킨, "떡볶이를" → 떡볶이 (one trailing particle at a time)."""
    text = _clean(text)
    changed = True
    while changed:
        changed = False
        for particle in _PARTICLES:
            if text.endswith(particle) and len(text) > len(particle) + 1:
                text = text[: -len(particle)].rstrip()
                changed = True
                break
    return text


def normalize_location(text: str) -> str:
    """"학교 앞에서" → 학교 앞; keeps relative words such as 근처."""
    text = _clean(text)
    for tail in _LOCATION_TAILS:
        if text.endswith(tail) and len(text) > len(tail) + 1:
            return text[: -len(tail)].rstrip()
    return text


_SPACES = re.compile(r"\s+")


def compact(text: str) -> str:
    """Lower-case, NFKC, no spaces: the key used to look synonyms up."""
    return _SPACES.sub("", _clean(text).lower())


_NEGATIVE_FEEDBACK = ("별로", "맛없", "최악", "비쌌", "비싸", "멀었", "늦게", "안 받", "안받", "이상",
                      "다시는", "닫혀", "닫았", "적었", "달랐", "싫었", "불친절", "실망", "짜증", "아쉬")


def is_negative_feedback(text: str) -> bool:
    """"거기 별로였어", "너무 비쌌어" → True; "맛있었어" → False."""
    text = _clean(text)
    return any(word in text for word in _NEGATIVE_FEEDBACK)
