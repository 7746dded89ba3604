"""The place gazetteer (data/places/gazetteer.csv): data checks, resolving, reverse geocoding,
the generated Rasa lookup, and another time (naviyam.domain.when)."""
from __future__ import annotations

import csv
import subprocess
import sys
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from naviyam.adapters.gazetteer import get_gazetteer
from naviyam.domain.shop_info import asked_topics, referenced_shop
from naviyam.domain.when import shifted_time
from naviyam.shared.places import Gazetteer, distance_m

ROOT = Path(__file__).resolve().parent.parent
KST = ZoneInfo("Asia/Seoul")
TUESDAY_LUNCH = datetime(2026, 11, 24, 12, 30, tzinfo=KST)


@pytest.fixture(scope="module")
def gazetteer() -> Gazetteer:
    return get_gazetteer()


def test_every_row_is_usable_and_every_key_unique():
    rows = list(csv.DictReader((ROOT / "data/places/gazetteer.csv").open(encoding="utf-8")))
    Gazetteer.from_rows(rows)                     # raises on a bad kind or coordinates
    keys = [k for r in rows for k in [r["name"], *filter(None, r["aliases"].split("|"))]]
    assert len(keys) == len(set(keys)), sorted({k for k in keys if keys.count(k) > 1})


def test_coverage(gazetteer):
    kinds = {}
    for place in gazetteer.places:
        kinds.setdefault(place.kind, []).append(place)
    seoul = [p for p in kinds["district"] if p.parent == "서울"]
    assert len(seoul) == 25
    # the six 광역시' 구 (부산 15, 대구 7, 인천 8, 광주 5, 대전 5, 울산 4), under their city
    assert len(kinds["district"]) == 25 + 44
    assert {p.parent for p in kinds["district"]} == {"서울", "부산", "대구", "인천", "광주", "대전", "울산"}
    assert len(kinds["city"]) + len(kinds["metro"]) >= 80       # 75 시 + 특별/광역시
    assert len(kinds["county"]) >= 80                            # 82 군
    assert len(kinds["station"]) >= 200 and len(kinds["neighbourhood"]) >= 150
    # every 동 and station hangs under a known district or city
    names = {p.name for p in gazetteer.places}
    assert all(p.parent in names for p in kinds["station"] + kinds["neighbourhood"])
    # the sample data's neighbourhood names all resolve
    for name in ("화양동", "자양동", "구의동", "군자동", "창천동", "대현동", "신촌동", "연희동",
                 "노량진동", "본동", "대방동", "상도동", "건대입구", "신촌", "노량진"):
        assert gazetteer.resolve(name) is not None, name


@pytest.mark.parametrize("name,lat,lng", [
    ("강남", 37.4979, 127.0276), ("홍대입구", 37.5572, 126.9245), ("서울역", 37.5547, 126.9707),
    ("잠실", 37.5133, 127.1001), ("부산", 35.1796, 129.0756), ("제주시", 33.4996, 126.5312),
    ("수원시", 37.2636, 127.0286), ("광진구", 37.5385, 127.0823),
])
def test_known_coordinates(gazetteer, name, lat, lng):
    place = gazetteer.get(name)
    assert distance_m(place.lat, place.lng, lat, lng) < 1500


def test_metro_places_are_in_their_city(gazetteer):
    """Issue 14 rows (scripts/derive_metro_places.py): each 구 within 20 km of its city's centre,
    each neighbourhood within 10 km of its 구's centre (영종도 is 9 km across the sea from
    인천 중구's old town), and the 중구 are told apart."""
    for place in gazetteer.places:
        parent = gazetteer.get(place.parent) if place.parent else None
        if place.kind == "district" and place.parent != "서울":
            assert distance_m(place.lat, place.lng, parent.lat, parent.lng) < 20_000, place
        if place.kind == "neighbourhood" and parent is not None and parent.parent not in ("서울", ""):
            assert distance_m(place.lat, place.lng, parent.lat, parent.lng) < 10_000, place
    seoul, busan = gazetteer.get("중구"), gazetteer.get("부산 중구")
    assert seoul.parent == "서울" and busan.parent == "부산"
    assert distance_m(seoul.lat, seoul.lng, busan.lat, busan.lng) > 300_000


@pytest.mark.parametrize("text,name", [
    ("건대", "건대입구"), ("홍대", "홍대입구"), ("강남", "강남"), ("강남역 근처에서", "강남"),
    ("건대입구역 2번 출구", "건대입구"), ("수원", "수원시"), ("경기 광주", "경기 광주시"),
    ("광주", "광주"), ("종로", "종로구"), ("마포구 쪽", "마포구"),
    # issue 14: the metro cities' 구 and neighbourhoods
    ("서면인데 돈까스 먹을래", "서면"), ("부산 서면", "서면"), ("부산 서면인데 돈까스 먹을래", "서면"),
    ("해운대 근처", "해운대"), ("부산 해운대", "해운대"), ("해운대구", "해운대구"), ("부산진구에서", "부산진구"),
    ("광안리 쪽", "광안리"), ("동성로에서", "동성로"), ("둔산동 근처", "둔산동"), ("충장로", "충장로"),
    ("송도", "송도"), ("구월동", "구월동"), ("주안역", "주안동"), ("동래", "동래구"),
    # same-named 구: the bare name stays Seoul's, the others carry their city
    ("중구", "중구"), ("중구 쪽", "중구"), ("강서구", "강서구"), ("부산 중구", "부산 중구"), ("부산중구", "부산 중구"),
    ("대구 중구 쪽", "대구 중구"), ("부산 강서구", "부산 강서구"), ("광주 북구", "광주 북구"), ("인천 서구", "인천 서구"),
])
def test_resolve(gazetteer, text, name):
    assert gazetteer.resolve(text).name == name


@pytest.mark.parametrize("text", ["예산", "고양이", "학교 앞", "근처", "우리 동네", "아틀란티스", "",
                                  "동구", "서구", "남구", "북구", "수영", "이번 주안에", "감사하다"])
def test_common_words_are_not_places(gazetteer, text):
    assert gazetteer.resolve(text) is None


def test_reverse_geocoding_names_the_nearest_area(gazetteer):
    assert gazetteer.area_at(37.5406, 127.0697).name == "건대입구"
    assert gazetteer.area_at(35.18, 129.07).name == "부산"         # no station list there: the city
    assert gazetteer.area_at(37.27, 127.02).name == "수원시"


def test_lookup_table_is_generated_from_the_gazetteer():
    """data/nlu/lookup_location.yml must match the gazetteer (run scripts/gen_location_lookup.py)."""
    done = subprocess.run([sys.executable, str(ROOT / "scripts/gen_location_lookup.py"), "--check"],
                          capture_output=True, text=True)
    assert done.returncode == 0, done.stderr


@pytest.mark.parametrize("text,when,label", [
    ("저녁에 먹을 거", "2026-11-24T18:00", "오늘 저녁(18:00)"),
    ("내일 점심 추천", "2026-11-25T12:00", "내일 점심(12:00)"),
    ("일요일에도 하는 곳", "2026-11-29T12:30", "일요일 12:30"),
    ("밤 11시에도 먹을 수 있는 데", "2026-11-24T23:00", "오늘 23:00"),
    ("아침 7시에 문 연 데", "2026-11-25T07:00", "내일 07:00"),
])
def test_another_time(text, when, label):
    shift = shifted_time(text, None, TUESDAY_LUNCH)
    assert shift.at == datetime.fromisoformat(when).replace(tzinfo=KST) and shift.label == label


@pytest.mark.parametrize("text,preference", [
    ("점심 추천해줘", "점심"), ("지금 열린 곳", None), ("떡볶이", None), ("24시간 하는 곳", None), ("24시 식당", None),
])
def test_now_is_not_shifted(text, preference):
    assert shifted_time(text, preference, TUESDAY_LUNCH) is None


def test_which_shop_and_what_was_asked():
    shown = [{"shop_id": 7}, {"shop_id": 9}, {"shop_id": 4}]
    assert referenced_shop(shown, 2, None) == 9
    assert referenced_shop(shown, None, 4) == 4          # "거기" after a choice
    assert referenced_shop(shown, None, None) == 7       # else the first shown
    assert referenced_shop([], None, None) is None
    assert asked_topics("거기 몇 시에 닫아?")[0] == "hours"
    assert asked_topics("2번 가게 어디야?")[0] == "address"
    assert asked_topics("전화번호 알려줘")[0] == "phone"
    assert asked_topics("거기 카드 돼?")[0] == "card"


def test_telegram_asks_for_the_position_with_a_keyboard_button():
    from bot.channels import rendering

    reply = rendering.collect([
        {"text": "어디 근처에서 찾을까요?", "buttons": [{"title": "📍 건대입구",
                                                      "payload": '/inform_place{"location": "건대입구"}'}]},
        {"custom": {"kind": "ask_location", "recommendations": [], "request_location": True}},
    ])
    messages, _ = rendering.to_telegram(reply, 42)
    assert messages[0]["reply_markup"]["inline_keyboard"][0][0]["text"] == "📍 건대입구"
    keyboard = messages[-1]["reply_markup"]["keyboard"]
    assert keyboard[0][0]["request_location"] is True
