"""The benchmark's measurements: the models' time, and what storing the event-level tables costs.

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
from benchmark import (
    EVENT_LEVEL_TABLES,
    Measurement,
    counts_as_model_time,
    mean_day,
    measuring_options,
    model_wall_seconds,
    reclaimed_deleted_rows,
    write_floor,
)


def _result(unique_id: str, started: str, completed: str) -> dict:
    return {"unique_id": unique_id, "execution_time": 0.0,
            "timing": [{"name": "execute", "started_at": f"2026-11-27T10:00:{started}Z",
                        "completed_at": f"2026-11-27T10:00:{completed}Z"}]}


def test_models_time_runs_from_the_first_model_to_the_end_of_the_on_run_end_checkpoint() -> None:
    results = [
        _result("operation.kakao_consult_billing.kakao_consult_billing-on-run-start-0", "00", "01"),
        _result("seed.kakao_consult_billing.kakao_rate_card", "01", "02"),
        _result("model.kakao_consult_billing.stg_kakao__chat_events", "02", "10"),
        _result("model.kakao_consult_billing.fct_monthly_fees", "05", "20"),
        _result("operation.kakao_consult_billing.kakao_consult_billing-on-run-end-0", "20", "27"),
    ]

    counted = [r for r in results if counts_as_model_time(r)]

    assert [r["unique_id"].split(".")[-1] for r in counted] == [
        "stg_kakao__chat_events", "fct_monthly_fees", "kakao_consult_billing-on-run-end-0"]
    assert model_wall_seconds(counted) == 25.0



def test_the_cost_of_a_day_is_the_mean_of_the_added_days_against_the_full_build() -> None:
    full = Measurement("full build", 1_000, 120.0, 100.0)
    days = [Measurement(f"incremental +1 day on 30 (day {n})", events, seconds, models, rss)
            for n, (events, seconds, models, rss) in enumerate(
                [(30, 20.0, 8.0, 900.0), (34, 22.0, 9.0, 1_100.0), (32, 30.0, 16.0, 950.0)],
                start=1)]

    mean = mean_day(days, 30, full)

    assert (mean.label, mean.events, mean.seconds, mean.model_seconds, mean.peak_rss_mib) == (
        "incremental: mean day on 30", 32, 24.0, 11.0, 1_100.0)
    assert mean.notes == ["models 11.0% of the full build's; mean of 3 days: 8.0, 9.0, 16.0 s"]


def test_a_day_whose_checkpoint_reclaimed_deleted_rows_is_told_from_its_log(tmp_path: Path) -> None:
    reclaiming, plain = tmp_path / "reclaiming.log", tmp_path / "plain.log"
    reclaiming.write_text("12:00:01  Checkpoint: reclaiming deleted rows (intermediate."
                          "int_room_charges__daily 27% of 700,000 stored rows deleted).\n")
    plain.write_text("12:00:01  Completed successfully\n")

    assert reclaimed_deleted_rows(reclaiming)
    assert not reclaimed_deleted_rows(plain)


def test_the_results_file_states_the_run_without_the_folders_it_wrote_to() -> None:
    argv = ["--sizes", "1000000", "--results", "/somewhere/results.md", "--history-days", "30",
            "90", "--work-dir=/scratch", "--data-dir", "/data", "--incremental-days", "6"]

    assert measuring_options(argv) == [
        "--sizes", "1000000", "--history-days", "30", "90", "--incremental-days", "6"]

@pytest.mark.dbt
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
