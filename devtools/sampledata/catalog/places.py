"""Places: the neighbourhoods the sample's shops and users belong to."""
from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Neighbourhood:
    key: str
    name: str           # shown to users, e.g. "건대입구"
    short: str          # used in shop names, e.g. "건대"
    gu: str
    dongs: tuple[str, ...]
    roads: tuple[str, ...]
    stations: tuple[str, ...]   # branch names for chains ("건대입구역점")
    lat: float
    lng: float
    phone_prefixes: tuple[str, ...]


NEIGHBOURHOODS = (
    Neighbourhood(
        key="kondae", name="건대입구", short="건대", gu="광진구",
        dongs=("화양동", "자양동", "구의동", "군자동"),
        roads=("아차산로", "능동로", "동일로", "광나루로", "뚝섬로", "아차산로31길", "동일로18길", "능동로13길"),
        stations=("건대입구역", "건대", "화양", "건국대", "자양", "어린이대공원"),
        lat=37.5404, lng=127.0693, phone_prefixes=("02-44", "02-46", "02-49"),
    ),
    Neighbourhood(
        key="sinchon", name="신촌", short="신촌", gu="서대문구",
        dongs=("창천동", "대현동", "신촌동", "연희동"),
        roads=("연세로", "신촌로", "명물길", "연세로5길", "신촌역로", "이화여대길", "연희로", "연세로7안길"),
        stations=("신촌역", "신촌", "연세대", "창천", "이대", "연희"),
        lat=37.5559, lng=126.9368, phone_prefixes=("02-31", "02-33", "02-36"),
    ),
    Neighbourhood(
        key="noryangjin", name="노량진", short="노량진", gu="동작구",
        dongs=("노량진동", "본동", "대방동", "상도동"),
        roads=("노량진로", "장승배기로", "만양로", "노들로", "여의대방로", "등용로", "노량진로10길"),
        stations=("노량진역", "노량진", "학원가", "대방", "장승배기", "노들"),
        lat=37.5133, lng=126.9426, phone_prefixes=("02-81", "02-82", "02-88"),
    ),
)
