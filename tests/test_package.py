"""The project installed as a dbt package (docs/package.md): integration_tests/, a consumer
project with a plain dbt-duckdb profile plus the documented plugin lines, builds the
expected-output fixtures through the package with `dbt deps && dbt build`, and gets the charges
and fees of the standalone build.

One consumer build, in a copy of integration_tests/ in a temporary folder (its dbt_packages/,
target/, logs/ and warehouse are written there, never into the repository), with the package's
`local:` path made absolute. Its `dbt build` runs the package's hooks, seeds, models, data and
unit tests, and the consumer's own model and tests (which compare the marts with the
hand-derived fixtures); this test checks the run's results and compares the marts with the
standalone build of the same fixtures (fixture_warehouse, policy activity). And the profile
lines docs/package.md gives are those the consumer uses and the error naming them says.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest
import yaml

from dbt_harness import PROJECT_DIR

pytestmark = pytest.mark.dbt

CONSUMER = "kakao_consult_billing_integration_tests"
PACKAGE = "kakao_consult_billing"
# The schemas the package's relations get in the consumer: the standalone build's names.
PACKAGE_SCHEMAS = {"kakao", "build_log", "staging", "intermediate", "marts", "reference",
                   "semantic"}
# The consumer's own, by dbt's default generate_schema_name: <target schema>_<custom schema>.
CONSUMER_SCHEMAS = {"main_analytics", "main_expected"}
# Columns that record when a build ran, not what it computed.
BUILD_TIME_COLUMNS = {"closed_at", "computed_at"}


def _consumer_project(work_dir: Path) -> Path:
    """integration_tests/ copied to work_dir, its package path pointing at this repository."""
    consumer = work_dir / "consumer"
    shutil.copytree(
        PROJECT_DIR / "integration_tests", consumer,
        ignore=shutil.ignore_patterns("dbt_packages", "target", "logs", "warehouse",
                                      "package-lock.yml"))
    packages = consumer / "packages.yml"
    text = packages.read_text(encoding="utf-8")
    assert "local: ../\n" in text
    packages.write_text(text.replace("local: ../\n", f"local: {PROJECT_DIR}\n"),
                        encoding="utf-8")
    return consumer


def _dbt(args: list[str], consumer: Path) -> subprocess.CompletedProcess[str]:
    """`dbt <args>` in the consumer's folder with its own profile, none of the project's
    environment (KAKAO_*) and no network."""
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith(("KAKAO_", "DBT_"))}
    environment.update(DBT_PROFILES_DIR=str(consumer), DBT_SEND_ANONYMOUS_USAGE_STATS="false",
                       DBT_VERSION_CHECK="false")
    result = subprocess.run([str(Path(sys.executable).parent / "dbt"), *args], cwd=consumer,
                            env=environment, capture_output=True, text=True, check=False)
    assert result.returncode == 0, (
        f"dbt {' '.join(args)} in the consumer project failed:\n"
        + result.stdout[-6000:] + result.stderr[-3000:])
    return result


def _rows(connection: duckdb.DuckDBPyConnection, table: str,
          columns: list[str]) -> list[tuple[object, ...]]:
    listed = ", ".join(f'"{column}"' for column in columns)
    return sorted(connection.execute(f"select {listed} from {table}").fetchall(),
                  key=lambda row: tuple("" if value is None else str(value) for value in row))


def _columns(connection: duckdb.DuckDBPyConnection, schema: str, table: str) -> list[str]:
    return [name for (name,) in connection.execute(
        "select column_name from duckdb_columns() where schema_name = ? and table_name = ?"
        " order by column_index", [schema, table]).fetchall()]


def _schemas(connection: duckdb.DuckDBPyConnection) -> set[str]:
    return {schema for (schema,) in connection.execute(
        "select schema_name from duckdb_tables() union select schema_name from duckdb_views()"
        " where not internal").fetchall()}


@pytest.mark.parametrize("fixture_warehouse", ["activity"], indirect=True)
def test_a_consumer_project_builds_the_package_with_the_standalone_charges(
    fixture_warehouse, tmp_path: Path
) -> None:
    _, standalone = fixture_warehouse
    consumer = _consumer_project(tmp_path)
    _dbt(["deps"], consumer)
    build = _dbt(["build"], consumer)

    # Every node passed; the one warning is the package's, as in the standalone build (the
    # fixtures hold rejected rows on purpose).
    results = json.loads((consumer / "target" / "run_results.json").read_text(encoding="utf-8"))
    statuses = {result["unique_id"]: result["status"] for result in results["results"]}
    assert {uid: status for uid, status in statuses.items()
            if status not in ("success", "pass", "no-op")} == {
        f"test.{PACKAGE}.rejected_input_rows": "warn"}, build.stdout[-4000:]
    # The package's unit tests and data tests ran in the consumer's build, and its own.
    assert sum(uid.startswith(f"unit_test.{PACKAGE}.") for uid in statuses) >= 40
    assert sum(uid.startswith(f"test.{PACKAGE}.") for uid in statuses) >= 100
    for own in (f"model.{CONSUMER}.channel_fee_totals",
                f"unit_test.{CONSUMER}.channel_fee_totals.channel_fee_totals_sums_a_channels_months",
                f"test.{CONSUMER}.room_charges_match_expected",
                f"test.{CONSUMER}.monthly_fees_match_expected",
                f"test.{CONSUMER}.channel_fee_totals_match_monthly_fees"):
        assert statuses.get(own) in ("success", "pass"), own

    # Hooks: the consumer's first, then the package's in their order, at start and at end.
    hooks = [uid.split(".")[-1] for uid in statuses if uid.startswith("operation.")]
    assert hooks == [
        f"{CONSUMER}-on-run-start-0",
        *(f"{PACKAGE}-on-run-start-{n}" for n in range(6)),
        f"{CONSUMER}-on-run-end-0",
        *(f"{PACKAGE}-on-run-end-{n}" for n in range(4)),
    ]
    # The package's on-run-end hooks published its marts, next to the consumer's warehouse.
    warehouse = consumer / "warehouse" / "integration_tests.duckdb"
    assert (warehouse.parent / "published" / "current" / "fct_monthly_fees.parquet").exists()

    built = duckdb.connect(str(warehouse), read_only=True)
    try:
        built.execute("set TimeZone = 'UTC'")
        # The package's tables are where the standalone build puts them; the consumer's own
        # follow dbt's default naming.
        assert _schemas(built) == PACKAGE_SCHEMAS | CONSUMER_SCHEMAS
        assert _schemas(standalone) == PACKAGE_SCHEMAS

        # The same charges and fees as the standalone build, column for column.
        for table in ("fct_room_charges", "fct_monthly_fees"):
            columns = [column for column in _columns(standalone, "marts", table)
                       if column not in BUILD_TIME_COLUMNS]
            assert _columns(built, "marts", table) == _columns(standalone, "marts", table)
            consumer_rows = _rows(built, f"marts.{table}", columns)
            assert consumer_rows, table
            assert consumer_rows == _rows(standalone, f"marts.{table}", columns), table
        # And every mart as many rows.
        marts = sorted(name for (name,) in standalone.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts'").fetchall())
        assert len(marts) >= 15
        count = "select count(*) from marts.{}"
        assert {m: built.execute(count.format(m)).fetchone()[0] for m in marts} == {
            m: standalone.execute(count.format(m)).fetchone()[0] for m in marts}
    finally:
        built.close()


def test_the_profile_lines_the_docs_and_the_error_give_are_those_the_consumer_uses() -> None:
    """docs/package.md's profile, the consumer's (integration_tests/profiles.yml) and the error
    that names the missing lines (macros/utils/check_profile.sql) agree."""
    docs = (PROJECT_DIR / "docs" / "package.md").read_text(encoding="utf-8")
    block = re.search(r"```yaml\n(your_profile:.*?)```", docs, re.S)
    assert block, "docs/package.md has no profile block"
    documented = next(iter(yaml.safe_load(block.group(1))["your_profile"]["outputs"].values()))
    profiles = yaml.safe_load(
        (PROJECT_DIR / "integration_tests" / "profiles.yml").read_text(encoding="utf-8"))
    used = profiles[CONSUMER]["outputs"]["duckdb"]
    for key in ("type", "settings", "module_paths", "plugins"):
        assert documented[key] == used[key], key
    advice = (PROJECT_DIR / "macros" / "utils" / "check_profile.sql").read_text(encoding="utf-8")
    assert f"- {used['module_paths'][0]}" in advice
    assert f"- module: {used['plugins'][0]['module']}" in advice
    assert "TimeZone: UTC" in advice
