"""The benchmark's measurement of what storing the event-level tables costs on its own.

scripts/benchmark.py copies each table at the grain of the raw rows from memory into a fresh
DuckDB file and times the write: the floor under the models' time that the ratio to the
hand-written baseline (which stores nothing) cannot go below while the project keeps them.
"""

from __future__ import annotations

import sys
from pathlib import Path

import duckdb
import pytest

from dbt_harness import PROJECT_DIR

sys.path.insert(0, str(PROJECT_DIR / "scripts"))
from benchmark import EVENT_LEVEL_TABLES, write_floor

pytestmark = pytest.mark.dbt


@pytest.mark.parametrize("fixture_warehouse", ["activity"], indirect=True)
def test_write_floor_copies_every_row_of_each_event_level_table(
    fixture_warehouse: tuple[str, duckdb.DuckDBPyConnection], tmp_path: Path
) -> None:
    _, connection = fixture_warehouse
    out = tmp_path / "write_floor.duckdb"

    timings = write_floor(connection, out)

    assert [table for table, _, _ in timings] == EVENT_LEVEL_TABLES
    for table, rows, _ in timings:
        assert rows > 0
        assert rows == connection.execute(f"select count(*) from {table}").fetchone()[0], table
    # the warehouse is left as it was: the copy detached and removed
    databases = connection.execute("select database_name from duckdb_databases()").fetchall()
    attached = {name for (name,) in databases}
    assert "write_floor" not in attached
    assert not out.exists()
