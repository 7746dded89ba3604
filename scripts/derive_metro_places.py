"""Rows for data/places/gazetteer.csv: the metro cities' 구 and their best-known neighbourhoods
(issue 14), computed from public boundary data, never typed from memory.

Sources (github.com/vuski/admdongkor, commit 20dca68f3e79f24602ee9fe484e59c2b3b0fb871):
  SGG  ver20220309/ver20220309_sgg_vote_simple.geojson   시군구 polygons, WGS84 (2022)
  DONG 통계청MDIS인구용_행정경계중심점/coordinate_UTMK_이름포함.tsv  행정동 centres, EPSG:5179
  VOTE ver20220309/vote_emd.tsv   voters (POPU_ALL, 선거인수) per 행정동, 2022 election

A 구's centre is where its people live: the mean of its 행정동 centres weighted by voters
(hills and airports do not pull it away, as they pull a polygon's centroid: 대전 서구's centroid
is 5.9 km south of its housing). 인천 중구 is two parts across the sea (the old town and
영종도): its centre is the area-weighted centroid of its mainland polygons (east of
126.58°E), 영종도 is its own row. A neighbourhood's centre is its 행정동 centre, or the mean
of the numbered 동 (구월1~4동). Prints CSV rows (no header) in the gazetteer's columns:

    python scripts/derive_metro_places.py SGG DONG VOTE > rows.csv
"""
from __future__ import annotations

import csv
import json
import math
import re
import sys

METROS = {"부산광역시": "부산", "대구광역시": "대구", "인천광역시": "인천", "광주광역시": "광주",
          "대전광역시": "대전", "울산광역시": "울산"}
# 구 names that exist in more than one city (or in Seoul): named "<city> <구>"
SHARED = {"중구", "동구", "서구", "남구", "북구", "강서구"}
# short forms people use; everyday words (수영, 사상, 연수, 남동, 광산, 유성, 수성) are left out,
# and so are those inside everyday words (사하: 감사하다, 장사하는), which the lookup would flag
SHORT = {"해운대구": "", "동래구": "동래", "연제구": "연제", "금정구": "금정",
         "영도구": "영도", "달서구": "달서", "미추홀구": "미추홀", "부평구": "부평", "계양구": "계양",
         "대덕구": "대덕"}
# name, city, 구, 행정동 (their centres are averaged), aliases
NEIGHBOURHOODS = [
    ("서면", "부산", "부산진구", ["부전제1동"], "서면역"),
    ("해운대", "부산", "해운대구", ["우제1동", "중제1동"], "해운대해수욕장|해운대역"),
    ("광안리", "부산", "수영구", ["광안제2동"], "광안리해수욕장|광안리해변"),
    ("남포동", "부산", "중구", ["남포동"], "남포"),
    ("연산동", "부산", "연제구", [f"연산제{i}동" for i in range(1, 10)], ""),
    ("하단동", "부산", "사하구", ["하단제1동", "하단제2동"], ""),
    ("장전동", "부산", "금정구", ["장전제1동", "장전제2동", "장전제3동"], ""),
    ("동성로", "대구", "중구", ["성내1동"], ""),
    ("범어동", "대구", "수성구", ["범어1동", "범어2동", "범어3동", "범어4동"], ""),
    ("상인동", "대구", "달서구", ["상인1동", "상인2동", "상인3동"], ""),
    ("구월동", "인천", "남동구", ["구월1동", "구월2동", "구월3동", "구월4동"], ""),
    ("송도", "인천", "연수구", [f"송도{i}동" for i in range(1, 6)], "송도동|송도국제도시"),
    ("주안동", "인천", "미추홀구", [f"주안{i}동" for i in range(1, 9)], "주안역"),   # not 주안: "이번 주안에"
    ("청라", "인천", "서구", ["청라1동", "청라2동", "청라3동"], "청라동|청라국제도시"),
    ("영종도", "인천", "중구", ["영종동", "영종1동", "운서동"], "영종"),
    ("신포동", "인천", "중구", ["신포동"], ""),
    ("충장로", "광주", "동구", ["충장동"], "충장동"),
    ("수완동", "광주", "광산구", ["수완동"], "수완지구"),
    ("첨단지구", "광주", "광산구", ["첨단1동", "첨단2동"], ""),
    ("둔산동", "대전", "서구", ["둔산1동", "둔산2동", "둔산3동"], "둔산"),
    ("은행동", "대전", "중구", ["은행선화동"], "은행선화동"),
    ("노은동", "대전", "유성구", ["노은1동", "노은2동", "노은3동"], "노은"),
    ("삼산동", "울산", "남구", ["삼산동"], "삼산"),
    ("성남동", "울산", "중구", ["성남동"], ""),
]

# EPSG:5179 (Korea 2000 / Unified CS): GRS80, transverse Mercator, lat0 38, lon0 127.5, k0 0.9996,
# false easting 1,000,000, false northing 2,000,000 (Snyder, Map Projections, pp. 61-64)
_A, _F = 6378137.0, 1 / 298.257222101
_E2 = _F * (2 - _F)
_EP2 = _E2 / (1 - _E2)
_LAT0, _LON0, _K0, _FE, _FN = math.radians(38), math.radians(127.5), 0.9996, 1_000_000.0, 2_000_000.0


def _meridian(phi: float) -> float:
    e2, e4, e6 = _E2, _E2 ** 2, _E2 ** 3
    return _A * ((1 - e2 / 4 - 3 * e4 / 64 - 5 * e6 / 256) * phi
                 - (3 * e2 / 8 + 3 * e4 / 32 + 45 * e6 / 1024) * math.sin(2 * phi)
                 + (15 * e4 / 256 + 45 * e6 / 1024) * math.sin(4 * phi) - (35 * e6 / 3072) * math.sin(6 * phi))


def to_utmk(lat: float, lon: float) -> tuple[float, float]:
    phi, lam = math.radians(lat), math.radians(lon)
    n = _A / math.sqrt(1 - _E2 * math.sin(phi) ** 2)
    t, c = math.tan(phi) ** 2, _EP2 * math.cos(phi) ** 2
    a = (lam - _LON0) * math.cos(phi)
    x = _FE + _K0 * n * (a + (1 - t + c) * a ** 3 / 6 + (5 - 18 * t + t * t + 72 * c - 58 * _EP2) * a ** 5 / 120)
    y = _FN + _K0 * (_meridian(phi) - _meridian(_LAT0) + n * math.tan(phi) * (
        a * a / 2 + (5 - t + 9 * c + 4 * c * c) * a ** 4 / 24 + (61 - 58 * t + t * t + 600 * c - 330 * _EP2) * a ** 6 / 720))
    return x, y


def from_utmk(x: float, y: float) -> tuple[float, float]:
    e1 = (1 - math.sqrt(1 - _E2)) / (1 + math.sqrt(1 - _E2))
    mu = (_meridian(_LAT0) + (y - _FN) / _K0) / (_A * (1 - _E2 / 4 - 3 * _E2 ** 2 / 64 - 5 * _E2 ** 3 / 256))
    phi1 = (mu + (3 * e1 / 2 - 27 * e1 ** 3 / 32) * math.sin(2 * mu) + (21 * e1 ** 2 / 16 - 55 * e1 ** 4 / 32) * math.sin(4 * mu)
            + (151 * e1 ** 3 / 96) * math.sin(6 * mu) + (1097 * e1 ** 4 / 512) * math.sin(8 * mu))
    c1, t1 = _EP2 * math.cos(phi1) ** 2, math.tan(phi1) ** 2
    n1 = _A / math.sqrt(1 - _E2 * math.sin(phi1) ** 2)
    r1 = _A * (1 - _E2) / (1 - _E2 * math.sin(phi1) ** 2) ** 1.5
    d = (x - _FE) / (n1 * _K0)
    phi = phi1 - (n1 * math.tan(phi1) / r1) * (d * d / 2 - (5 + 3 * t1 + 10 * c1 - 4 * c1 * c1 - 9 * _EP2) * d ** 4 / 24
                                               + (61 + 90 * t1 + 298 * c1 + 45 * t1 * t1 - 252 * _EP2 - 3 * c1 * c1) * d ** 6 / 720)
    lam = _LON0 + (d - (1 + 2 * t1 + c1) * d ** 3 / 6
                   + (5 - 2 * c1 + 28 * t1 - 3 * c1 * c1 + 8 * _EP2 + 24 * t1 * t1) * d ** 5 / 120) / math.cos(phi1)
    return math.degrees(phi), math.degrees(lam)


def polygon_centroid(polygons: list, keep=lambda ring: True) -> tuple[float, float]:
    """Area-weighted centroid of GeoJSON polygons (outer ring minus holes), in EPSG:5179 metres."""
    total = sx = sy = 0.0
    for polygon in polygons:
        if not keep(polygon[0]):
            continue
        for i, ring in enumerate(polygon):
            pts = [to_utmk(lat, lon) for lon, lat in ring]
            a = cx = cy = 0.0
            for (x1, y1), (x2, y2) in zip(pts, pts[1:] + pts[:1]):
                cross = x1 * y2 - x2 * y1
                a, cx, cy = a + cross, cx + (x1 + x2) * cross, cy + (y1 + y2) * cross
            sign = (1 if a > 0 else -1) * (1 if i == 0 else -1)      # holes subtract, any winding
            total, sx, sy = total + sign * a / 2, sx + sign * cx / 6, sy + sign * cy / 6
    return from_utmk(sx / total, sy / total)


def district_centres(sgg_path: str) -> dict[tuple[str, str], tuple[float, float]]:
    features = json.load(open(sgg_path, encoding="utf-8"))["features"]
    out = {}
    for f in features:
        p, geom = f["properties"], f["geometry"]
        polygons = geom["coordinates"] if geom["type"] == "MultiPolygon" else [geom["coordinates"]]
        keep = (lambda ring: sum(lon for lon, _ in ring) / len(ring) > 126.58) \
            if (p["SIDONM"], p["SGGNM"]) == ("인천광역시", "중구") else (lambda ring: True)
        out[(p["SIDONM"], p["SGGNM"])] = polygon_centroid(polygons, keep)
    return out


def dong_centres(dong_path: str) -> dict[str, tuple[float, float]]:
    rows = csv.DictReader(open(dong_path, encoding="utf-8"), delimiter="\t")
    return {r["ADMNM"]: from_utmk(float(r["X"]), float(r["Y"])) for r in rows}


def _key(name: str) -> str:
    """The two files spell 동 differently: "부전1동"/"부전제1동", "숭의1.3동"/"숭의1,3동"."""
    return re.sub(r"제(\d)", r"\1", name).replace("·", ".").replace(",", ".").replace(" ", "")


def people_centres(dongs: dict[str, tuple[float, float]], vote_path: str) -> dict[tuple[str, str], tuple[float, float]]:
    """Each 시군구's voter-weighted mean of its 행정동 centres."""
    by_key = {_key(name): point for name, point in dongs.items()}
    sums: dict[tuple[str, str], list[float]] = {}
    for r in csv.DictReader(open(vote_path, encoding="utf-8"), delimiter="\t"):
        point = by_key.get(_key(f"{r['ELEC_SIDO']} {r['ELEC_GU']} {r['ELEC_EMD']}"))
        if point is None:
            continue
        w = float(r["POPU_ALL"])
        acc = sums.setdefault((r["ELEC_SIDO"], r["ELEC_GU"]), [0.0, 0.0, 0.0])
        acc[0], acc[1], acc[2] = acc[0] + w * point[0], acc[1] + w * point[1], acc[2] + w
    return {k: (a / w, b / w) for k, (a, b, w) in sums.items() if w}


def district_name(city: str, gu: str) -> str:
    return f"{city} {gu}" if gu in SHARED else gu


def rows(sgg_path: str, dong_path: str, vote_path: str) -> list[list[str]]:
    polygons, dongs = district_centres(sgg_path), dong_centres(dong_path)
    centres = people_centres(dongs, vote_path)
    centres[("인천광역시", "중구")] = polygons[("인천광역시", "중구")]
    out = []
    for sido, gu in polygons:
        city = METROS.get(sido)
        if city is None or not gu.endswith("구"):
            continue
        lat, lon = centres[(sido, gu)]
        name = district_name(city, gu)
        aliases = f"{city}{gu}" if gu in SHARED else SHORT.get(gu, "")
        out.append([name, "district", city, f"{lat:.4f}", f"{lon:.4f}", aliases])
    full = {v: k for k, v in METROS.items()}
    for name, city, gu, parts, aliases in NEIGHBOURHOODS:
        points = [dongs[f"{full[city]} {gu} {d}"] for d in parts]
        lat, lon = (sum(p[i] for p in points) / len(points) for i in (0, 1))
        out.append([name, "neighbourhood", district_name(city, gu), f"{lat:.4f}", f"{lon:.4f}", aliases])
    return out


if __name__ == "__main__":
    csv.writer(sys.stdout, lineterminator="\n").writerows(rows(sys.argv[1], sys.argv[2], sys.argv[3]))
