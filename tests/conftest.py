"""Shared fixtures: real dbt builds of the expected-output fixtures, once per policy.

Warehouse fixtures that tests only read are session-scoped, here and in the test modules: the
pytest workers take queued tests from each other, so a worker can leave a module and come back
to it, and a module-scoped fixture would then be built again.

The Spark tests, minutes each, start first, spread over the workers (see
pytest_collection_modifyitems).
"""

from __future__ import annotations

import os
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


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Order the tests so that the Spark tests (a JVM and minutes of builds each) start first,
    one after another on each pytest-xdist worker, instead of last on one worker while the
    other idles. `--dist worksteal` gives the first worker the first len // 2 tests of this order
    and the second the rest (len // workers each in general): each range starts with its share
    of the Spark tests, the longest first. Every worker collects the same order."""
    workers = int(os.environ.get("PYTEST_XDIST_WORKER_COUNT", "1"))
    spark = [item for item in items if item.get_closest_marker("spark")]
    if workers < 2 or not spark:
        return
    spark.sort(key=lambda item: "marts_equal" not in item.name)
    others = [item for item in items if not item.get_closest_marker("spark")]
    ordered: list[pytest.Item] = []
    remaining = len(items)
    for worker in range(workers):
        share = remaining // (workers - worker)  # what worksteal sends this worker first
        firsts = spark[worker::workers]
        ordered += firsts + others[:share - len(firsts)]
        others = others[share - len(firsts):]
        remaining -= share
    items[:] = ordered + others
