"""Shared fixtures: real dbt builds of the expected-output fixtures, once per policy.

Warehouse fixtures that tests only read are session-scoped, here and in the test modules: the
pytest workers take queued tests from each other, so a worker can leave a module and come back
to it, and a module-scoped fixture would then be built again.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from dbt_harness import FIXTURE_INPUTS, build_warehouse, connect_warehouse

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE_EVENTS = FIXTURES / "events" / "*.csv"


@pytest.fixture(scope="session", params=["activity", "open"])
def fixture_warehouse(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[str, duckdb.DuckDBPyConnection]]:
    """The expected-output fixtures built by `dbt build` under each charge policy."""
    policy: str = request.param
    work_dir = tmp_path_factory.mktemp(f"fixtures_{policy}")
    database = build_warehouse(
        FIXTURE_EVENTS, work_dir, vars={**FIXTURE_INPUTS, "room_charge_policy": policy})
    connection = connect_warehouse(database)
    yield policy, connection
    connection.close()
