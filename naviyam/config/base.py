"""Shared machinery of the settings sections (see ``naviyam.config``)."""
from __future__ import annotations

import os
from pathlib import Path
from typing import Any, TypeVar

from pydantic import ValidationError, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

PROJECT_ROOT = Path(__file__).resolve().parents[2]


class ConfigurationError(ValueError):
    """An environment variable holds a value its setting cannot take (message names it)."""


def normalise_database_url(url: str) -> str:
    """Make plain ``postgresql://`` URLs use psycopg 3 (the driver we install)."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://"):]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://"):]
    return url


class _EnvSection(BaseSettings):
    """Common behaviour of every section (see the module docstring)."""

    model_config = SettingsConfigDict(case_sensitive=True, frozen=True, extra="ignore",
                                      populate_by_name=True)

    @model_validator(mode="before")
    @classmethod
    def _blank_means_unset(cls, data: Any) -> Any:
        if not isinstance(data, dict):
            return data
        return {key: value.strip() if isinstance(value, str) else value
                for key, value in data.items() if not (isinstance(value, str) and not value.strip())}


_Section = TypeVar("_Section", bound=_EnvSection)


# Sections read "on every call" are built once per distinct environment: building a pydantic
# section costs about 0.5 ms, and a recommendation turn read settings some 10 times (4.6 % of the
# action server's CPU, py-spy; docs/PERFORMANCE.md). Keyed by the whole environment, so a change
# at run time (tests, operators) is still seen on the next call; sections are frozen, so sharing
# an instance is safe.
_BUILT: dict[tuple[type, frozenset], _EnvSection] = {}
_BUILT_MAX = 64


def _load(section: type[_Section]) -> _Section:
    """Build ``section`` from the environment; a bad value raises one line naming the variable."""
    key = (section, frozenset(os.environ.items()))
    built = _BUILT.get(key)
    if built is None:
        built = _build(section)
        if len(_BUILT) >= _BUILT_MAX:
            _BUILT.clear()
        _BUILT[key] = built
    return built  # type: ignore[return-value]


def _build(section: type[_Section]) -> _Section:
    try:
        return section()
    except ValidationError as exc:
        problems = [
            f"{'.'.join(str(part) for part in error['loc']) or section.__name__}: "
            f"{error['msg'].removeprefix('Value error, ')}"
            + (f", got {error['input']!r}" if isinstance(error.get("input"), (str, int, float)) else "")
            for error in exc.errors()
            if error["type"] != "default_factory_not_called"  # a consequence of another error
        ]
        raise ConfigurationError("Environment variable " + "; ".join(problems)) from None

