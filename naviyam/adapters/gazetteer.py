"""The place gazetteer file (data/places/gazetteer.csv), read once and cached.

Re-read when the file changes (its modification time and size), so designers' edits
apply without a restart; a broken file keeps the last good copy and logs why.
"""
from __future__ import annotations

import logging
import threading
from pathlib import Path

from naviyam.config import get_recommend_settings
from naviyam.shared.places import Gazetteer

log = logging.getLogger(__name__)

_lock = threading.Lock()
_cached: tuple[tuple[str, int, int], Gazetteer] | None = None


def _stamp(path: Path) -> tuple[str, int, int]:
    info = path.stat()
    return str(path), info.st_mtime_ns, info.st_size


def get_gazetteer(path: Path | None = None) -> Gazetteer:
    """The configured gazetteer (``NAVIYAM_GAZETTEER``), cached until the file changes."""
    global _cached
    path = Path(path or get_recommend_settings().gazetteer_path)
    stamp = _stamp(path)
    cached = _cached
    if cached is not None and cached[0] == stamp:
        return cached[1]
    with _lock:
        if _cached is not None and _cached[0] == stamp:
            return _cached[1]
        try:
            gazetteer = Gazetteer.from_csv(path)
        except (OSError, ValueError):
            if _cached is not None and _cached[0][0] == str(path):
                log.exception("Gazetteer %s is unreadable; keeping the last good copy", path)
                return _cached[1]
            raise
        _cached = (stamp, gazetteer)
        log.info("Gazetteer: %d places from %s", len(gazetteer.places), path)
        return gazetteer
