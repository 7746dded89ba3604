"""The shop service's API fuzzed from its own OpenAPI description (schemathesis): no 5xx.

Runs against an empty, freshly migrated database with one shop, so the fuzzer's writes
(preferences, menus, redemptions of random ids) touch nothing other tests read. Every
operation is called with the operator token (the deepest access) and without any
credential (which must be refused, never crash).
"""
from __future__ import annotations

import pytest
import schemathesis
from hypothesis import HealthCheck, settings

from naviyam.config import reset_settings_cache
from naviyam.shop_service.app import create_app
from tests.conftest import migrated_database

TOKEN = "fuzz-operator-token"
schema = schemathesis.openapi.from_asgi("/openapi.json", create_app())


@pytest.fixture(scope="module")
def fuzz_database(backend, tmp_path_factory):
    with migrated_database(backend, tmp_path_factory.mktemp("fuzz"), prefix="naviyam_fuzz") as url:
        yield url


@pytest.fixture()
def fuzz_env(fuzz_database, monkeypatch, cache):
    monkeypatch.setenv("DATABASE_URL", fuzz_database)
    monkeypatch.setenv("NAVIYAM_OPERATOR_TOKEN", TOKEN)
    reset_settings_cache()
    yield
    reset_settings_cache()


@schema.parametrize()
@settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
def test_no_server_errors(case, fuzz_env):
    with_token = case.call(headers={"Authorization": f"Bearer {TOKEN}"})
    assert with_token.status_code < 500, (case.method, case.path, with_token.status_code, with_token.text[:300])
    anonymous = case.call(headers={"Authorization": ""} if case.headers else None)
    assert anonymous.status_code < 500, (case.method, case.path, anonymous.status_code, anonymous.text[:300])
    if case.path.startswith("/api/v1/"):  # every API call needs a credential
        assert 400 <= anonymous.status_code < 500, (case.path, anonymous.status_code)
