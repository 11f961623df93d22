"""The hand-written baseline query gives the same monthly fees as the dbt project.

benchmarks/baseline.sql computes, in one DuckDB statement over the raw Parquet files, what
`marts.fct_monthly_fees` holds for open months under policy `activity`. Each test builds the dbt
project on the same Parquet files (every month open: `closed_through_month` 2000-01) and
compares the two, row for row: the fixtures (edge cases and bad rows), the sample data, and
generated batches (tests/strategies.py; env KAKAO_HYPOTHESIS_EXAMPLES, default 4).
"""

from __future__ import annotations

import os
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

from dbt_harness import PROJECT_DIR, build_warehouse, connect_warehouse, write_events_csv
from strategies import event_batches

sys.path.insert(0, str(PROJECT_DIR / "scripts"))
from baseline_billing import COLUMNS, run_baseline
from events_to_parquet import convert

pytestmark = pytest.mark.dbt

OPEN_MONTHS = {"closed_through_month": "2000-01", "room_charge_policy": "activity"}
MONTHLY_SQL = (
    f"select {', '.join(COLUMNS)} from marts.fct_monthly_fees order by channel_id, usage_month"
)
MAX_EXAMPLES = int(os.environ.get("KAKAO_HYPOTHESIS_EXAMPLES", "4"))

Record = tuple[Any, ...]


def _records(rows: Sequence[Sequence[Any]]) -> list[Record]:
    """Rows as tuples of plain Python values, sorted by channel and month."""
    return sorted(tuple(int(v) if i >= 2 else v for i, v in enumerate(row)) for row in rows)


def _to_parquet(csv_glob: str, out_dir: Path) -> Path:
    convert(csv_glob, out_dir, overwrite=True)
    return out_dir / "*.parquet"


def dbt_monthly_fees(events_glob: Path, work_dir: Path) -> list[Record]:
    """`dbt build` on the Parquet files; the open months of marts.fct_monthly_fees."""
    database = build_warehouse(events_glob, work_dir, vars=OPEN_MONTHS)
    with connect_warehouse(database) as connection:
        return _records(connection.execute(MONTHLY_SQL).fetchall())


def assert_same_monthly_fees(events_glob: Path, work_dir: Path) -> None:
    expected = dbt_monthly_fees(events_glob, work_dir)
    actual = _records(run_baseline(str(events_glob)))
    only_dbt = [row for row in expected if row not in actual]
    only_baseline = [row for row in actual if row not in expected]
    assert actual == expected, (
        f"baseline and dbt differ ({', '.join(COLUMNS)})\n"
        f"  only in dbt: {only_dbt}\n  only in the baseline: {only_baseline}"
    )


@pytest.mark.parametrize(
    "csv_glob",
    ["tests/fixtures/events/*.csv", "data/sample/chat_events.csv"],
    ids=["fixtures", "sample"],
)
def test_baseline_matches_dbt(csv_glob: str, tmp_path: Path) -> None:
    events_glob = _to_parquet(str(PROJECT_DIR / csv_glob), tmp_path / "events")
    assert_same_monthly_fees(events_glob, tmp_path / "dbt")


def test_baseline_has_rows_for_the_fixtures(tmp_path: Path) -> None:
    """A guard against comparing two empty results: the fixtures bill several channels."""
    events_glob = _to_parquet(
        str(PROJECT_DIR / "tests" / "fixtures" / "events" / "*.csv"), tmp_path / "events"
    )
    rows = run_baseline(str(events_glob))
    assert len(rows) >= 10
    assert all(fee == 100 * charges for _, _, charges, _, _, fee in rows)


@settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=bool(os.environ.get("CI")),
    print_blob=True,
)
@given(rows=event_batches())
def test_baseline_matches_dbt_on_generated_events(
    rows: list[dict[str, str | None]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    # The generated instants lie in 2025-12..2026-10, in the past of the run (D5's future bound).
    work_dir = tmp_path_factory.mktemp("baseline_generated")
    # the baseline leaves out the platform's session ids (benchmarks/baseline.sql; D34)
    rows = [{**row, "session_id": None} for row in rows]
    csv_path = write_events_csv(rows, work_dir / "csv" / "chat_events.csv")
    events_glob = _to_parquet(str(csv_path), work_dir / "events")
    assert_same_monthly_fees(events_glob, work_dir / "dbt")
