"""Spark gives the same marts as DuckDB, row for row, on the same Parquet files.

Each test runs the real `dbt build --target spark` (local pyspark session, its own metastore and
table directory) in a subprocess, reads the Spark tables' Parquet files (a view's rows as Spark
computes them), and compares every mart with a DuckDB build of the same files. One policy is
built in two deliveries, so Spark's incremental path (overwriting stream buckets) is compared
too, with the second delivery first validated by a build of part of the project, whose work the
next build finishes. The other reads the same rows on Spark from a metastore table (var
chat_events_relation).
"""

from __future__ import annotations

import datetime as dt
import os
import shutil
import subprocess
import sys
from decimal import Decimal
from pathlib import Path

import duckdb
import pytest

from dbt_harness import (
    EVENTS_TABLE,
    FIXTURE_INPUTS,
    PROJECT_DIR,
    connect_warehouse,
    run_dbt,
    write_events_csv,
)
from reference_billing import CONTRACT_COLUMNS, OPTIONAL_COLUMNS
from warehouse_compare import SOURCE_COLUMNS

sys.path.insert(0, str(PROJECT_DIR / "scripts"))
from events_to_parquet import convert

pytestmark = pytest.mark.spark

FIXTURES = PROJECT_DIR / "tests" / "fixtures" / "events"
# Every timestamp form, accepted and rejected (DECISIONLOG D3, D36), read by both engines.
TIMESTAMP_FORMS = PROJECT_DIR / "tests" / "fixtures" / "bad_input" / "02_timestamps.csv"
# Build times and invocation ids differ between any two builds; everything else must not.
RUN_DEPENDENT = {"validated_at", "closed_at", "computed_at", "detected_at", "first_seen_at"}
MARTS = ["fct_room_charges", "fct_chat_rooms", "fct_chat_event_audit", "fct_monthly_fees",
         "fct_fee_adjustments", "fct_charge_allocations", "fct_avoidable_charges",
         "rpt_invoice_reconciliation", "rpt_cost_by_consultant", "rpt_cost_by_team",
         "rpt_cost_by_entry_point", "rpt_avoidable_charges", "rpt_month_to_date_projection",
         "rpt_billing_settings", "rpt_session_disagreements", "rpt_rejected_rows"]
OPEN_MONTHS = {"closed_through_month": "2000-01"}
# "Today" for the month-to-date projection: a fixed day inside the fixtures' busiest month.
AS_OF = {"billing_as_of_date": "2026-05-13"}
DBT_BUILT_IN_TESTS = ("not_null", "unique", "accepted_values", "relationships")


def spark_environment(work: Path) -> dict[str, str]:
    return {
        **os.environ,
        "KAKAO_DBT_TARGET": "spark",
        "KAKAO_SPARK_DIR": str(work / "spark"),
        "KAKAO_PROJECT_DIR": str(PROJECT_DIR),
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        # a few hundred rows: one shuffle partition is plenty and saves task overhead
        "KAKAO_SPARK_SHUFFLE_PARTITIONS": "1",
    }


def run_spark(args: list[str], work: Path, events_glob: Path | str,
              vars: dict[str, object]) -> str:
    """`dbt <args> --target spark` in a subprocess; returns its output, raises on failure."""
    env = spark_environment(work)
    all_vars = {"chat_events_path": str(events_glob), **vars}
    work.mkdir(parents=True, exist_ok=True)
    command = [
        str(Path(sys.executable).parent / "dbt"), *args, "--project-dir", str(PROJECT_DIR),
        "--target-path", str(work / "target"), "--log-path", str(work / "logs"),
        "--vars", repr(all_vars).replace("'", '"'),
    ]
    result = subprocess.run(command, cwd=work, env=env, capture_output=True, text=True,
                            check=False)
    if result.returncode != 0:
        output = [line for line in result.stdout.splitlines() if " WARN " not in line]
        raise AssertionError(f"dbt {' '.join(args)} on Spark failed:\n" + "\n".join(output[-60:]))
    return result.stdout


def normalized(value: object) -> object:
    """One representation per value across engines: Spark stores naive UTC timestamps and
    decimals where DuckDB has time-zone-aware timestamps and integers."""
    if isinstance(value, dt.datetime):
        if value.tzinfo is not None:
            value = value.astimezone(dt.UTC).replace(tzinfo=None)
        return value.isoformat()
    if isinstance(value, Decimal):
        return int(value) if value == value.to_integral_value() else str(value.normalize())
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


def rows(connection: duckdb.DuckDBPyConnection, relation: str,
         ignored: frozenset[str] = frozenset()) -> dict[str, list[tuple]]:
    columns = [c for c in connection.sql(f"select * from {relation} limit 0").columns
               if c not in RUN_DEPENDENT and c not in ignored]
    fetched = connection.execute(f"select {', '.join(columns)} from {relation}").fetchall()
    return {"columns": sorted(columns),
            "rows": sorted(repr(tuple(sorted(zip(columns, map(normalized, row),
                                                     strict=True)))) for row in fetched)}


def spark_marts(work: Path, ignored: frozenset[str] = frozenset()
                ) -> dict[str, dict[str, list[tuple]]]:
    """Read the Spark build's mart tables straight from their Parquet files (a view's from
    write_spark_views')."""
    connection = duckdb.connect()
    connection.execute("set TimeZone = 'UTC'")
    marts = {}
    for mart in MARTS:
        folder = work / "spark" / "tables" / "marts.db" / mart
        if not folder.is_dir():  # a view: its rows as write_spark_views wrote them
            folder = work / "views" / mart
        files = list(folder.rglob("*.parquet"))
        if not files:
            marts[mart] = {"columns": "no files", "rows": []}
            continue
        connection.execute(
            f"create or replace view {mart} as select * from read_parquet("
            f"'{folder}/**/*.parquet', hive_partitioning = true)"
        )
        marts[mart] = rows(connection, mart, ignored)
    return marts


def duckdb_marts(database: Path, ignored: frozenset[str] = frozenset()
                 ) -> dict[str, dict[str, list[tuple]]]:
    with connect_warehouse(database) as connection:
        return {mart: rows(connection, f"marts.{mart}", ignored) for mart in MARTS}


def assert_same_marts(spark: dict, duck: dict) -> None:
    for mart in MARTS:
        assert spark[mart]["columns"] == duck[mart]["columns"], f"{mart}: columns differ"
        only_spark = sorted(set(spark[mart]["rows"]) - set(duck[mart]["rows"]))
        only_duck = sorted(set(duck[mart]["rows"]) - set(spark[mart]["rows"]))
        assert spark[mart]["rows"] == duck[mart]["rows"], (
            f"{mart} differs\nonly on Spark: {only_spark[:5]}\nonly on DuckDB: {only_duck[:5]}")


def deliver(csv_file: Path, landing: Path) -> None:
    convert(str(csv_file), landing)


def load_batch(csv_files: list[Path], location: Path, loaded_at: str) -> None:
    """A loader's batch for the Spark table: the files' rows as one Parquet file in the table's
    folder, every contract column as text (null where a file lacks it) and `loaded_at`."""
    location.mkdir(parents=True, exist_ok=True)
    files = ", ".join(f"'{file}'" for file in csv_files)
    present = duckdb.sql(f"select * from read_csv([{files}], all_varchar = true,"
                         " union_by_name = true) limit 0").columns
    columns = ", ".join(f'"{c}"' if c in present else f"cast(null as varchar) as {c}"
                        for c in (*CONTRACT_COLUMNS, *OPTIONAL_COLUMNS))
    batch = location / f"batch_{len(list(location.glob('*.parquet'))) + 1}.parquet"
    duckdb.sql(
        f"copy (select {columns}, timestamptz '{loaded_at}' as loaded_at from read_csv([{files}],"
        f" all_varchar = true, union_by_name = true)) to '{batch}'")


def run_in_spark(work: Path, statements: str) -> None:
    """Python `statements` with `spark`, a session on the run's own metastore and tables, in a
    subprocess (the embedded metastore admits one process at a time)."""
    script = (
        "from pyspark.sql import SparkSession\n"
        "spark = (SparkSession.builder.master('local[1]').enableHiveSupport()"
        f".config('spark.sql.warehouse.dir', {str(work / 'spark' / 'tables')!r})"
        ".config('spark.driver.extraJavaOptions',"
        f" {'-Dderby.system.home=' + str(work / 'spark' / 'metastore')!r})"
        ".config('spark.sql.session.timeZone', 'UTC')"
        ".config('spark.ui.enabled', 'false').getOrCreate())\n"
        f"{statements}"
        "spark.stop()\n"
    )
    work.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-c", script], cwd=work, env=spark_environment(work),
                   check=True, capture_output=True)


def create_spark_table(work: Path, location: Path) -> None:
    """The metastore table EVENTS_TABLE over the Parquet files in `location` (as a loader's
    external table on Databricks), in the run's own metastore: new files in the folder are new
    rows for the next build."""
    run_in_spark(work, (
        f"spark.sql('create database if not exists {EVENTS_TABLE.split('.')[0]}')\n"
        f"spark.sql(\"create table {EVENTS_TABLE} using parquet location '{location}'\")\n"
    ))


def write_spark_views(work: Path) -> None:
    """The marts that are views on Spark (they store no files), each computed by Spark and
    written as Parquet under work/views/<mart>, for spark_marts."""
    (work / "views").mkdir(parents=True, exist_ok=True)
    run_in_spark(work, (
        f"for mart in {MARTS!r}:\n"
        "    if spark.sql(f\"show views in marts like '{mart}'\").count():\n"
        f"        spark.table('marts.' + mart).write.parquet({f'{work}/views/'!r} + mart)\n"
    ))


@pytest.mark.parametrize("policy", ["activity", "open"])
def test_spark_marts_equal_duckdb_marts(policy: str, tmp_path: Path) -> None:
    landing = tmp_path / "landing"
    events = landing / "*.parquet"
    # the invoices and teams too: Spark registers their files itself
    vars = {**OPEN_MONTHS, **AS_OF, **FIXTURE_INPUTS, "room_charge_policy": policy}
    fixtures = [*sorted(FIXTURES.glob("*.csv")), TIMESTAMP_FORMS]
    assert len(fixtures) >= 2
    duck_dir, spark_dir = tmp_path / "duckdb", tmp_path / "spark_run"
    spark_events, spark_vars = events, vars
    if policy == "open":
        # Spark reads the events from a metastore table (var chat_events_relation), loaded in
        # two batches (two files in its folder), in one build: Spark's staging reads the whole
        # table on every build, so a build after each batch would take the path of the files'
        # second delivery above; DuckDB reads the files. Reading a table after its high-water
        # mark: tests/test_table_source.py.
        location = tmp_path / "table"
        load_batch(fixtures[:1], location, "2026-06-01 00:00:00+00")
        load_batch(fixtures[1:], location, "2026-06-02 00:00:00+00")
        create_spark_table(spark_dir, location)
        spark_events, spark_vars = "", {**vars, "chat_events_relation": EVENTS_TABLE}
    if policy == "activity":
        # two deliveries: the second build is incremental on both engines
        deliver(fixtures[0], landing)
        run_dbt(["build", "--exclude-resource-type", "unit_test"], duck_dir,
                events_path=events, vars=vars)
        run_spark(["build", "--exclude-resource-type", "unit_test",
                   "--exclude-resource-type", "test"], spark_dir, events, vars)
    for fixture in fixtures:
        deliver(fixture, landing)
    database = run_dbt(["build", "--exclude-resource-type", "unit_test"], duck_dir,
                       events_path=events, vars=vars)
    if policy == "activity":
        # Spark first validates the second delivery in a build of part of the project, as a
        # build stopped after validation would: the next build must finish that work (the
        # build log; docs/incremental.md), not lose the delivery.
        run_spark(["build", "--select", "+int_chat_events__validated",
                   "--exclude-resource-type", "unit_test", "--exclude-resource-type", "test"],
                  spark_dir, events, vars)
    # The project's own data tests (audit balance, monthly = charges, the generic tests in
    # tests/generic, ...) run on Spark after the incremental build. dbt's built-in generic tests
    # (not_null, unique, accepted_values, relationships) are dbt-spark's SQL, not the project's,
    # and check marts that are compared row for row with DuckDB's, where they all run; the other
    # policy's build skips data tests altogether. Both keep the suite's time down.
    skip_tests = (["--exclude", *(f"test_name:{name}" for name in DBT_BUILT_IN_TESTS)]
                  if policy == "activity" else ["--exclude-resource-type", "test"])
    run_spark(["build", "--exclude-resource-type", "unit_test", *skip_tests], spark_dir,
              spark_events, spark_vars)
    write_spark_views(spark_dir)

    # from the table, the columns that name the source (and ids made with them) differ
    ignored = SOURCE_COLUMNS if policy == "open" else frozenset()
    duck = duckdb_marts(database, ignored)
    for mart in MARTS:
        if mart != "fct_fee_adjustments":  # no month is closed: nothing to adjust
            assert duck[mart]["rows"], f"the fixtures must produce rows in {mart}"
    assert_same_marts(spark_marts(spark_dir, ignored), duck)


def test_spark_build_fails_on_an_empty_source(tmp_path: Path) -> None:
    """On Spark an empty source is the symptom of files it cannot see (e.g. a table over
    unregistered partitions): the build must stop, not bill nothing."""
    landing = tmp_path / "landing"
    convert(str(write_events_csv([], tmp_path / "csv" / "empty.csv")), landing)
    with pytest.raises(AssertionError, match="chat_events_source_is_not_empty"):
        run_spark(["build", "--select", "source:kakao"], tmp_path / "run",
                  landing / "*.parquet", OPEN_MONTHS)


def test_spark_rejects_csv_with_a_clear_message(tmp_path: Path) -> None:
    csv_file = write_events_csv([], tmp_path / "events.csv")
    # The on-run-start hook refuses the path before any query; without listing the schemas
    # first (--no-populate-cache) the build stops before starting a Spark session at all.
    with pytest.raises(AssertionError, match="must name Parquet files"):
        run_spark(["build", "--no-populate-cache", "--select", "source:kakao"], tmp_path / "run",
                  csv_file, OPEN_MONTHS)
    shutil.rmtree(tmp_path / "run", ignore_errors=True)
