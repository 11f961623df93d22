"""Run the real dbt project in-process against a fresh DuckDB file, for the Python tests."""

from __future__ import annotations

import csv
import json
import os
import shutil
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from pathlib import Path

import duckdb
from dbt.cli.main import dbtRunner
from dbt.contracts.graph.manifest import Manifest

from reference_billing import CONTRACT_COLUMNS, OPTIONAL_COLUMNS

PROJECT_DIR = Path(__file__).resolve().parent.parent
# The sample's chat events (what `make run` builds), for the tests that split them in arrivals.
SAMPLE_EVENTS = PROJECT_DIR / "data" / "sample" / "chat_events.csv"
# The invoices and teams the expected-output fixtures are built with (vars invoices_path,
# consultant_teams_path): copies of the sample's, whose channels the fixtures do not have.
FIXTURE_INPUTS = {
    "invoices_path": str(PROJECT_DIR / "tests" / "fixtures" / "reference" / "kakao_invoices.csv"),
    "consultant_teams_path": str(
        PROJECT_DIR / "tests" / "fixtures" / "reference" / "consultant_teams.csv"),
}


# _parsed_project's manifests, by the vars other than the events path.
_MANIFESTS: dict[str, Manifest | None] = {}


class DbtBuildError(RuntimeError):
    """A dbt invocation failed; the message lists what failed and why."""


def write_events_csv(events: Sequence[Mapping[str, str | None]], path: Path) -> Path:
    """Write event rows with the input contract's header, and the optional columns any row
    has; None becomes an empty field."""
    columns = CONTRACT_COLUMNS + tuple(
        c for c in OPTIONAL_COLUMNS if any(event.get(c) is not None for event in events)
    )
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(columns)
        for event in events:
            writer.writerow(["" if event.get(c) is None else event[c] for c in columns])
    return path


def _options(work_dir: Path, all_vars: Mapping[str, object]) -> list[str]:
    # --no-write-json: results are read from the invocation, not from target/*.json, and writing
    # manifest.json and run_results.json costs most of a second per build; dbt.log is kept.
    return ["--project-dir", str(PROJECT_DIR), "--profiles-dir", str(PROJECT_DIR),
            "--target-path", str(work_dir / "target"), "--log-path", str(work_dir / "logs"),
            "--vars", json.dumps(all_vars), "--quiet", "--no-write-json"]


def _parsed_project(all_vars: Mapping[str, object]) -> Manifest | None:
    """The project parsed once per set of vars other than the events path.

    Parsing takes longer than building a small dataset. The events path is read only when a
    run starts (the on-run-start hook), so builds that differ only in it share a manifest; any
    other var can change what parsing makes of the project (a source's freshness), so it gets
    its own parse. None when parsing fails: dbt then parses again and reports the error.
    """
    key = json.dumps({k: v for k, v in all_vars.items() if k != "chat_events_path"},
                     sort_keys=True, default=str)
    if key not in _MANIFESTS:
        with tempfile.TemporaryDirectory(prefix="dbt-parse-") as parse_dir:
            parsed = dbtRunner().invoke(["parse", *_options(Path(parse_dir), all_vars)])
        _MANIFESTS[key] = parsed.result if parsed.success else None
    return _MANIFESTS[key]


def run_dbt(
    args: Sequence[str],
    work_dir: Path,
    *,
    events_path: Path | str,
    vars: Mapping[str, object] | None = None,
) -> Path:
    """Invoke `dbt <args>` on the project with its own DuckDB file, target and log dirs.

    Returns the DuckDB file's path (the marts are published to work_dir/published); raises
    DbtBuildError listing the failed nodes.
    """
    work_dir.mkdir(parents=True, exist_ok=True)
    database = work_dir / "warehouse.duckdb"
    all_vars = {"chat_events_path": str(events_path), **(vars or {})}
    os.environ["KAKAO_DUCKDB_PATH"] = str(database)
    os.environ["KAKAO_DBT_TARGET"] = "duckdb"
    os.environ["KAKAO_PROJECT_DIR"] = str(PROJECT_DIR)
    # Each build publishes its marts next to its own database (the default: work_dir/published),
    # never into the project's.
    os.environ.pop("KAKAO_PUBLISH_DIR", None)
    result = dbtRunner(manifest=_parsed_project(all_vars)).invoke(
        [*args, *_options(work_dir, all_vars)]
    )
    if not result.success:
        failures: list[str] = []
        if result.exception is not None:
            failures.append(str(result.exception))
        for node_result in getattr(result.result, "results", None) or []:
            if str(node_result.status) not in ("success", "pass"):
                failures.append(f"{node_result.node.unique_id}: {node_result.status}: "
                                f"{node_result.message}")
        raise DbtBuildError("dbt " + " ".join(args) + " failed:\n" + "\n".join(failures))
    return database


def build_warehouse(
    events: Sequence[Mapping[str, str | None]] | Path,
    work_dir: Path,
    vars: Mapping[str, object] | None = None,
) -> Path:
    """`dbt build` the project on the given events (rows or a file/glob path).

    Models, seeds and data tests all run (so the integrity tests check every dataset); the
    unit tests do not depend on the events and are left to `make test`'s own build.
    """
    if isinstance(events, Path):
        events_path: Path | str = events
    else:
        events_path = write_events_csv(events, work_dir / "events" / "chat_events.csv")
    return run_dbt(
        ["build", "--exclude-resource-type", "unit_test"],
        work_dir,
        events_path=events_path,
        vars=vars,
    )


def cli_environment(work_dir: Path, *, project_dir: Path = PROJECT_DIR,
                    database: Path | None = None) -> dict[str, str]:
    """Environment for the dbt and mf commands on work_dir's own warehouse (or `database`) and
    publish folder (the default, next to the warehouse: work_dir/published), with the profile
    and DuckDB functions of `project_dir` (a copy of the project, in a test that changes it)."""
    return {
        **{key: value for key, value in os.environ.items() if key != "KAKAO_PUBLISH_DIR"},
        "DBT_PROFILES_DIR": str(project_dir),
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_VERSION_CHECK": "false",
        "KAKAO_PROJECT_DIR": str(project_dir),
        "KAKAO_DBT_TARGET": "duckdb",
        # unset KAKAO_PUBLISH_DIR: the marts are published next to it, to work_dir/published
        "KAKAO_DUCKDB_PATH": str(database or work_dir / "warehouse.duckdb"),
    }


def dbt_command(
    args: Sequence[str],
    work_dir: Path,
    *,
    events_path: Path | str,
    vars: Mapping[str, object] | None = None,
    project_dir: Path = PROJECT_DIR,
) -> list[str]:
    """The `dbt <args>` command line run_dbt_cli runs (with cli_environment, in work_dir)."""
    all_vars = {"chat_events_path": str(events_path), **(vars or {})}
    return [str(Path(sys.executable).parent / "dbt"), *args, "--project-dir", str(project_dir),
            "--target-path", str(work_dir / "target"), "--log-path", str(work_dir / "logs"),
            "--vars", json.dumps(all_vars)]


def run_dbt_cli(
    args: Sequence[str],
    work_dir: Path,
    *,
    events_path: Path | str,
    vars: Mapping[str, object] | None = None,
    project_dir: Path = PROJECT_DIR,
    database: Path | None = None,
) -> subprocess.CompletedProcess[str]:
    """`dbt <args>` in a separate process, as a scheduler runs it; the file is closed after.

    Uses work_dir like run_dbt (warehouse.duckdb, published/, target/, logs/), or `database`
    for the warehouse, and the project in `project_dir`; raises DbtBuildError with dbt's output
    when the command fails.
    """
    work_dir.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        dbt_command(args, work_dir, events_path=events_path, vars=vars, project_dir=project_dir),
        cwd=work_dir,
        env=cli_environment(work_dir, project_dir=project_dir, database=database),
        capture_output=True,
        text=True,
        check=False,
    )
    if result.returncode != 0:
        raise DbtBuildError(
            "dbt " + " ".join(args) + " failed:\n" + result.stdout[-4000:] + result.stderr[-4000:]
        )
    return result


def copy_project(destination: Path) -> Path:
    """A copy of the project's sources (no venv, warehouse, build output or the package test
    project, whose dbt_packages/ may link back here), for a test that changes a file of it."""
    shutil.copytree(PROJECT_DIR, destination, symlinks=True, ignore=shutil.ignore_patterns(
        ".git", ".venv", "warehouse", "target", "logs", "benchmarks", "build", "*.egg-info",
        "artifacts", "__pycache__", ".hypothesis", ".pytest_cache", ".ruff_cache",
        "integration_tests"))
    return destination


# The warehouse table the table-source tests load (var chat_events_relation), and its columns.
EVENTS_TABLE = "raw.chat_events"


def load_events_table(database: Path, events_csv: Path, loaded_at: str,
                      relation: str = EVENTS_TABLE) -> int:
    """Append a CSV file's rows to a table of the warehouse, as a loader does: every contract
    column as text and `loaded_at` (timestamptz) set to `loaded_at` for the whole batch.
    Creates the table on first use; returns the number of rows loaded."""
    columns = ", ".join(f"{column} varchar" for column in (*CONTRACT_COLUMNS, *OPTIONAL_COLUMNS))
    with connect_warehouse(database) as connection:
        connection.execute(f"create schema if not exists {relation.split('.')[0]}")
        connection.execute(
            f"create table if not exists {relation} ({columns}, loaded_at timestamptz)")
        before = connection.execute(f"select count(*) from {relation}").fetchone()[0]
        connection.execute(
            f"insert into {relation} by name select *, cast(? as timestamptz) as loaded_at"
            " from read_csv(?, header = true, all_varchar = true, delim = ',', quote = '\"')",
            [loaded_at, str(events_csv)])
        return connection.execute(f"select count(*) from {relation}").fetchone()[0] - before


def connect_warehouse(database: Path | None) -> duckdb.DuckDBPyConnection:
    """Open a built warehouse (or, with None, an in-memory database), session zone UTC.

    dbt ran in this process and its DuckDB instance is still open on the file; DuckDB only lets
    a second connection share it with the same configuration, so this is not `read_only`.
    """
    connection = duckdb.connect(":memory:" if database is None else str(database))
    connection.execute("set TimeZone = 'UTC'")
    return connection
