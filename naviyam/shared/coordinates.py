"""Parsing a user's position from channel metadata. Standard library only (both envs)."""
from __future__ import annotations

from typing import Any


def parse_location(raw: Any) -> tuple[float, float] | None:
    """``(lat, lng)`` from ``{"lat", "lng"}`` or ``{"latitude", "longitude"}``, if valid."""
    if not isinstance(raw, dict):
        return None
    try:
        lat = float(raw.get("lat", raw.get("latitude")))
        lng = float(raw.get("lng", raw.get("longitude")))
    except (TypeError, ValueError):
        return None
    if -90 <= lat <= 90 and -180 <= lng <= 180:
        return lat, lng
    return None
