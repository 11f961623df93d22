"""The semantic layer: `mf validate-configs` passes and `mf query` agrees with the marts.

A separate `dbt build` process builds the fixtures (so no DuckDB file stays open in this one),
then the `mf` command runs the way a user runs it: from a project root holding
target/semantic_manifest.json, with DBT_PROFILES_DIR pointing at profiles.yml.
"""

from __future__ import annotations

import csv
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from dbt_harness import PROJECT_DIR, cli_environment, run_dbt_cli

FIXTURE_EVENTS = PROJECT_DIR / "tests" / "fixtures" / "events" / "*.csv"
MF = Path(sys.executable).parent / "mf"
INVOICE_METRICS = ["room_charges", "opened_charges", "rollover_charges", "fee_krw", "vat_krw",
                   "total_krw"]
SHARE_METRICS = ["charge_count", "unanswered_charge_count", "unanswered_share"]

pytestmark = pytest.mark.dbt


@pytest.fixture(scope="session")
def built_project(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A work folder with the fixtures' warehouse and target/, usable as `mf`'s project root."""
    if not MF.exists():
        pytest.fail(f"{MF} is missing: install the metrics extra (make install-metrics)")
    work_dir = tmp_path_factory.mktemp("semantic_layer")
    run_dbt_cli(["build", "--exclude-resource-type", "unit_test"], work_dir,
                events_path=FIXTURE_EVENTS)
    (work_dir / "dbt_project.yml").symlink_to(PROJECT_DIR / "dbt_project.yml")
    return work_dir


def mf(work_dir: Path, *args: str) -> str:
    result = subprocess.run([str(MF), *args], cwd=work_dir, env=cli_environment(work_dir),
                            capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def mf_query_csv(work_dir: Path, metrics: list[str], group_by: str) -> list[dict[str, str]]:
    output = work_dir / "mf_query.csv"
    mf(work_dir, "query", "--metrics", ",".join(metrics), "--group-by", group_by,
       "--csv", str(output))
    with output.open(newline="") as handle:
        return list(csv.DictReader(handle))


@pytest.fixture(scope="session")
def metrics_by_month(built_project: Path) -> list[dict[str, str]]:
    """Every metric of the tests, by metric_time__month, from one `mf query`."""
    return mf_query_csv(built_project, [*INVOICE_METRICS, *SHARE_METRICS], "metric_time__month")


def test_mf_validate_configs_passes_against_the_warehouse(built_project: Path) -> None:
    output = mf(built_project, "validate-configs")
    assert "Successfully validated metrics against data warehouse" in output
    assert "ERRORS: 0" in output
    for line in output.splitlines():
        if "ERRORS:" in line:
            assert "ERRORS: 0, FUTURE_ERRORS: 0, WARNINGS: 0" in line, line


def test_invoice_metrics_by_month_equal_fct_monthly_fees(
    built_project: Path, metrics_by_month: list[dict[str, str]]
) -> None:
    queried = {
        row["metric_time__month"][:10]: tuple(int(Decimal(row[m])) for m in INVOICE_METRICS)
        for row in metrics_by_month
    }
    sums = ", ".join(f"sum({m})" for m in INVOICE_METRICS)
    with duckdb.connect(str(built_project / "warehouse.duckdb"), read_only=True) as connection:
        expected = {
            str(month): tuple(int(value) for value in values)
            for month, *values in connection.execute(
                f"select usage_month, {sums} from marts.fct_monthly_fees group by usage_month"
            ).fetchall()
        }
    assert expected, "the fixtures produced no monthly fees"
    assert queried == expected


def test_unanswered_share_by_month_equals_fct_room_charges(
    built_project: Path, metrics_by_month: list[dict[str, str]]
) -> None:
    queried = {
        row["metric_time__month"][:10]: (
            int(Decimal(row["charge_count"])),
            int(Decimal(row["unanswered_charge_count"])),
            round(float(row["unanswered_share"]), 9),
        )
        for row in metrics_by_month
    }
    with duckdb.connect(str(built_project / "warehouse.duckdb"), read_only=True) as connection:
        expected = {
            str(month): (total, unanswered, round(unanswered / total, 9))
            for month, total, unanswered in connection.execute(
                "select cast(date_trunc('month', billing_date) as date), count(*),"
                " count(*) filter (where coalesce(consultant_message_count, 0) = 0)"
                " from marts.fct_room_charges group by 1"
            ).fetchall()
        }
    assert queried == expected
    # The fixtures hold both kinds of charge, so the share is not trivially 0 or 1 everywhere.
    assert any(0 < share < 1 for _, _, share in queried.values())


def test_avoidable_fee_by_month_counts_each_avoidable_charge_once(built_project: Path) -> None:
    rows = mf_query_csv(built_project, ["avoidable_fee_krw", "avoidable_charge_count"],
                        "metric_time__month")
    queried = {
        row["metric_time__month"][:10]: (int(Decimal(row["avoidable_fee_krw"])),
                                         int(Decimal(row["avoidable_charge_count"])))
        for row in rows
    }
    with duckdb.connect(str(built_project / "warehouse.duckdb"), read_only=True) as connection:
        expected = {
            str(month): (int(fee), int(count))
            for month, fee, count in connection.execute(
                "select cast(date_trunc('month', charges.billing_date) as date),"
                " sum(charges.unit_price_krw), count(*)"
                " from marts.fct_room_charges as charges"
                " where charges.charge_id in (select charge_id from marts.fct_avoidable_charges)"
                " group by 1"
            ).fetchall()
        }
    assert expected, "the fixtures produced no avoidable charges"
    assert queried == expected
