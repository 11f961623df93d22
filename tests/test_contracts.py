"""The marts the exposures read are the project's public interface: `access: public` and an
enforced contract (every column's name and type, in models/marts/_marts__models.yml and
models/marts/reports/_reports__models.yml), so a change that would break the dashboard or the
monthly statement fails the build instead of reaching them. dbt checks the contract on every
engine; Spark's builds (tests/test_spark_parity.py) run under the same contracts.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from dbt_harness import PROJECT_DIR, DbtBuildError, copy_project, run_dbt_cli, write_events_csv

pytestmark = pytest.mark.dbt

# What the exposures read today (models/marts/_marts__exposures.yml); a model an exposure
# starts to read must be public and under contract too, which the tests check from the manifest.
EXPOSED = {"fct_monthly_fees", "fct_room_charges", "fct_chat_rooms", "fct_fee_adjustments",
           "rpt_avoidable_charges", "rpt_cost_by_team", "rpt_invoice_reconciliation",
           "rpt_billing_settings"}
# The one type without a spelling both engines accept: an instant with its zone (DuckDB
# TIMESTAMPTZ) is Spark's `timestamp`; the yml renders it per target.
ZONED = "timestamp with time zone"


def parse_command(work_dir: Path, target: str) -> tuple[list[str], dict[str, str]]:
    """`dbt parse` of the project for `target`, writing work_dir/target/manifest.json; parsing
    opens no connection, so the Spark target needs dbt-spark but no Spark session."""
    command = [str(Path(sys.executable).parent / "dbt"), "parse", "--project-dir",
               str(PROJECT_DIR), "--target-path", str(work_dir / "target"), "--log-path",
               str(work_dir / "logs"), "--quiet"]
    env = {**os.environ, "DBT_PROFILES_DIR": str(PROJECT_DIR),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false", "DBT_VERSION_CHECK": "false",
           "KAKAO_PROJECT_DIR": str(PROJECT_DIR), "KAKAO_DBT_TARGET": target,
           "KAKAO_DUCKDB_PATH": str(work_dir / "warehouse.duckdb"),
           "KAKAO_SPARK_DIR": str(work_dir / "spark")}
    return command, env


@pytest.fixture(scope="session")
def manifests(tmp_path_factory: pytest.TempPathFactory) -> dict[str, dict]:
    """The parsed project (manifest.json) for the DuckDB and the Spark target, parsed side by
    side in two dbt processes."""
    work = {target: tmp_path_factory.mktemp(f"contracts_parse_{target}")
            for target in ("duckdb", "spark")}
    processes = {}
    for target, work_dir in work.items():
        command, env = parse_command(work_dir, target)
        processes[target] = subprocess.Popen(command, cwd=work_dir, env=env, text=True,
                                             stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    found = {}
    for target, process in processes.items():
        output, _ = process.communicate()
        assert process.returncode == 0, f"dbt parse for {target} failed:\n{output[-4000:]}"
        manifest = work[target] / "target" / "manifest.json"
        found[target] = json.loads(manifest.read_text(encoding="utf-8"))
    return found


def exposed_models(manifest: dict) -> dict[str, dict]:
    """Every model an exposure depends on, by name."""
    ids = {node for exposure in manifest["exposures"].values()
           for node in exposure["depends_on"]["nodes"] if node.startswith("model.")}
    return {manifest["nodes"][node]["name"]: manifest["nodes"][node] for node in ids}


def test_every_model_an_exposure_reads_is_public_with_an_enforced_contract(
    manifests: dict[str, dict],
) -> None:
    models = exposed_models(manifests["duckdb"])
    assert set(models) >= EXPOSED
    for name, node in models.items():
        assert node["access"] == "public", f"{name}: access {node['access']}"
        assert node["config"]["contract"]["enforced"] is True, f"{name}: contract not enforced"
        assert node["columns"], f"{name}: no columns in its yml"
        untyped = [column for column, spec in node["columns"].items() if not spec.get("data_type")]
        assert not untyped, f"{name}: columns without a data_type: {untyped}"


def test_the_contract_types_are_the_same_on_both_engines_but_the_zoned_instants(
    manifests: dict[str, dict],
) -> None:
    """One spelling per column for DuckDB and Spark; the instants with a zone (DuckDB
    TIMESTAMPTZ) are Spark's `timestamp`, the zone-less ones (`_kst`, build times) `timestamp`
    on both."""
    duck, spark = (exposed_models(manifests[target]) for target in ("duckdb", "spark"))
    assert set(duck) == set(spark)
    zoned = []
    for name, node in duck.items():
        spark_types = {column: spec["data_type"] for column, spec in
                       spark[name]["columns"].items()}
        for column, spec in node["columns"].items():
            expected = "timestamp" if spec["data_type"] == ZONED else spec["data_type"]
            assert spark_types[column] == expected, (name, column, spec["data_type"])
            if spec["data_type"] == ZONED:
                zoned.append(f"{name}.{column}")
    assert "fct_chat_rooms.opened_at" in zoned


# The Hive metastore's column comment (COLUMNS_V2.COMMENT) holds 256 characters; a longer one
# fails there and the metastore retries it for about 20 s before Spark stores the view otherwise.
HIVE_COLUMN_COMMENT_LIMIT = 256


def test_no_spark_view_gives_the_metastore_a_column_comment_it_cannot_hold(
    manifests: dict[str, dict],
) -> None:
    """On Spark a view's column comments go into its column list, so into the Hive metastore
    (the tables' are not persisted on Parquet): every comment a view persists fits there, and
    the audit view, whose comments do not, persists its relation's comment only."""
    views = {node["name"]: node for node in manifests["spark"]["nodes"].values()
             if node["resource_type"] == "model" and node["config"]["materialized"] == "view"}
    assert "fct_chat_event_audit" in views
    persisting = {name: node for name, node in views.items()
                  if node["config"]["persist_docs"].get("columns")}
    assert "fct_chat_event_audit" not in persisting
    assert persisting, "no Spark view persists its columns' comments: the check checks nothing"
    too_long = [f"{name}.{column} ({len(spec['description'])} characters)"
                for name, node in persisting.items() for column, spec in node["columns"].items()
                if len(spec["description"]) > HIVE_COLUMN_COMMENT_LIMIT]
    assert not too_long, "Spark view column comments too long for the metastore: " + ", ".join(
        too_long)
    audit_columns = views["fct_chat_event_audit"]["columns"].values()
    assert any(len(spec["description"]) > HIVE_COLUMN_COMMENT_LIMIT for spec in audit_columns)
    duck_audit = next(node for node in manifests["duckdb"]["nodes"].values()
                      if node["name"] == "fct_chat_event_audit")
    assert duck_audit["config"]["persist_docs"] == {"relation": True, "columns": True}


def test_the_contracts_name_every_column_of_the_built_marts_with_its_type(
    fixture_warehouse: tuple[str, duckdb.DuckDBPyConnection], manifests: dict[str, dict],
) -> None:
    """The yml columns are exactly the built tables' columns, in order, and each table column
    has the type its data_type names on DuckDB."""
    _, connection = fixture_warehouse
    for name, node in exposed_models(manifests["duckdb"]).items():
        built = connection.execute(f"describe marts.{name}").fetchall()
        assert [row[0] for row in built] == list(node["columns"]), name
        for column, kind, *_ in built:
            declared = node["columns"][column]["data_type"]
            (resolved,) = connection.execute(
                f"select typeof(cast(null as {declared}))").fetchone()
            assert kind == resolved, f"{name}.{column}: built {kind}, contract {declared}"


def test_a_public_mart_whose_column_changes_type_fails_the_build(tmp_path: Path) -> None:
    """A copy of the project where fct_monthly_fees gives room_charges as text, as a careless
    edit could: the build stops on the contract before writing the table, naming the column.
    Only the mart and what it reads are built, on a file with no events."""
    project = tmp_path / "project"
    copy_project(project)
    model = project / "models" / "marts" / "fct_monthly_fees.sql"
    # the model as it is, its count as text (config() and set render to nothing inside)
    model.write_text(
        "select * replace (cast(room_charges as varchar) as room_charges)\nfrom (\n"
        + model.read_text(encoding="utf-8") + "\n) as fees\n", encoding="utf-8")
    events = write_events_csv([], tmp_path / "events" / "chat_events.csv")
    work = tmp_path / "work"

    with pytest.raises(DbtBuildError) as failure:
        run_dbt_cli(["build", "--select", "+fct_monthly_fees", "--exclude-resource-type", "test",
                     "--exclude-resource-type", "unit_test"], work, events_path=events,
                    project_dir=project)
    output = str(failure.value)
    assert "This model has an enforced contract that failed." in output, output
    # the model's type, then the contract's
    assert re.search(r"\| room_charges +\| VARCHAR +\| BIGINT +\| data type mismatch", output), (
        output)
    assert "ERROR=1" in output, output
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as connection:
        tables = {name for (name,) in connection.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts'").fetchall()}
    assert "fct_monthly_fees" not in tables
