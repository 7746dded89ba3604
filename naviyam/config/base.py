"""Shared machinery of the settings sections (see ``naviyam.config``)."""
from __future__ import annotations

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


def _load(section: type[_Section]) -> _Section:
    """Build ``section`` from the environment; a bad value raises one line naming the variable."""
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

