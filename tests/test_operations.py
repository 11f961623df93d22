"""Operations: a second writer on the warehouse fails fast and readably; source freshness."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from dbt_harness import PROJECT_DIR, DbtBuildError, run_dbt, run_dbt_cli

FIXTURE_EVENTS = PROJECT_DIR / "tests" / "fixtures" / "events" / "*.csv"
HOLD_LOCK = (
    "import duckdb, sys; connection = duckdb.connect(sys.argv[1]); "
    "print('holding', flush=True); sys.stdin.read()"
)


@pytest.fixture
def locked_warehouse(tmp_path: Path) -> Iterator[Path]:
    """A warehouse file held open for writing by another process until the test ends."""
    database = tmp_path / "warehouse.duckdb"
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(database)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        text=True,
    )
    assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
    yield database
    holder.communicate("")


def test_lock_check_names_the_process_holding_the_warehouse(locked_warehouse: Path) -> None:
    result = subprocess.run(
        [sys.executable, "scripts/check_warehouse_lock.py", "--database", str(locked_warehouse)],
        cwd=PROJECT_DIR,
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 1
    assert f"The warehouse {locked_warehouse} is in use by process" in result.stderr
    assert "Traceback" not in result.stderr


def test_lock_check_passes_on_a_free_or_missing_file(tmp_path: Path) -> None:
    for database in (tmp_path / "missing.duckdb", tmp_path / "free.duckdb"):
        if database.name == "free.duckdb":
            subprocess.run([sys.executable, "-c", f"import duckdb; duckdb.connect('{database}')"],
                           check=True)
        result = subprocess.run(
            [sys.executable, "scripts/check_warehouse_lock.py", "--database", str(database)],
            cwd=PROJECT_DIR,
            capture_output=True,
            text=True,
            check=False,
        )
        assert (result.returncode, result.stderr) == (0, "")


def test_second_dbt_build_on_a_locked_warehouse_fails_with_the_lock_message(
    locked_warehouse: Path,
) -> None:
    """Plain `dbt build` (not make build) on a warehouse another process holds: a message that
    names the process and says what to do, not the traceback of DuckDB's lock error."""
    environment = {**os.environ, "KAKAO_DUCKDB_PATH": str(locked_warehouse),
                   "KAKAO_PROJECT_DIR": str(PROJECT_DIR), "DBT_PROFILES_DIR": str(PROJECT_DIR)}
    result = subprocess.run(
        [str(Path(sys.executable).parent / "dbt"), "build", "--vars",
         f'{{chat_events_path: "{FIXTURE_EVENTS}"}}'],
        cwd=PROJECT_DIR,
        env=environment,
        capture_output=True,
        text=True,
        check=False,
    )
    output = result.stdout + result.stderr
    assert result.returncode != 0
    assert f"The warehouse {locked_warehouse} is in use by process " in output
    assert "Nothing was written." in output
    assert "Traceback" not in output


def test_source_freshness_warns_and_fails_on_old_events(tmp_path: Path) -> None:
    # The fixture events end on 2026-06-01: fresh for generous thresholds, stale otherwise.
    run_dbt(["source", "freshness"], tmp_path / "fresh", events_path=FIXTURE_EVENTS,
            vars={"events_warn_after_hours": 10**6, "events_error_after_hours": 10**6 + 1})
    with pytest.raises(DbtBuildError, match=r"source\.kakao_consult_billing\.kakao\.chat_events"):
        run_dbt(["source", "freshness"], tmp_path / "stale", events_path=FIXTURE_EVENTS,
                vars={"events_warn_after_hours": 1, "events_error_after_hours": 2})


def test_a_build_leaves_its_changes_in_the_warehouse_file_not_in_the_write_ahead_log(
    tmp_path: Path,
) -> None:
    # The profile lets DuckDB's write-ahead log grow during a build (checkpoint_threshold), and
    # the on-run-end hook checkpoints once: when dbt returns, even in this process (where the
    # database is not closed yet), the log has been written into the file.
    database = run_dbt(["run", "--select", "stg_kakao__chat_events"], tmp_path,
                       events_path=FIXTURE_EVENTS, vars={"publish_marts": False})

    assert database.exists()
    assert not Path(f"{database}.wal").exists()


def shaped_like_a_days_tables(connection: duckdb.DuckDBPyConnection, table: str) -> None:
    """A table of full row groups with part-filled ones between them, as days of appends leave
    an incremental table; there DuckDB's vacuum merges row groups even for a few deleted rows.
    Commented, as dbt documents the project's tables: a rewrite must keep the comment."""
    connection.execute(f"create table {table} as select range as i from range(20 * 122880)")
    connection.execute(f"comment on table {table} is 'documented'")
    connection.execute("checkpoint")
    for _ in range(3):
        for rows in (7_000, 5 * 122_880):
            connection.execute(f"insert into {table} select range from range({rows})")
            connection.execute("checkpoint")


def delete_then_leave_a_change_for_the_build(database: Path, share_percent: int,
                                             table: str = "main.vacuum_probe") -> None:
    """Delete share_percent of the table's rows (marks, checkpointed without vacuum), then one
    insert left in the write-ahead log: the build's own checkpoint has the table to write."""
    with duckdb.connect(str(database)) as connection:
        connection.execute("set max_vacuum_tasks = 0")
        if not connection.execute("select count(*) from duckdb_tables()"
                                  " where schema_name || '.' || table_name = ?",
                                  [table]).fetchone()[0]:
            shaped_like_a_days_tables(connection, table)
        connection.execute(f"delete from {table} where i % 100 < {share_percent}")
        connection.execute("force checkpoint")
        connection.execute("pragma disable_checkpoint_on_shutdown")
        connection.execute(f"insert into {table} values (-1)")


def stored_and_live(database: Path, table: str = "main.vacuum_probe") -> tuple[int, int, str]:
    with duckdb.connect(str(database), read_only=True) as connection:
        return connection.execute(
            f"select estimated_size, (select count(*) from {table}), comment from duckdb_tables()"
            " where schema_name || '.' || table_name = ?", [table]).fetchone()


def test_deleted_rows_are_reclaimed_once_they_are_a_quarter_of_a_big_table(
    tmp_path: Path,
) -> None:
    """An incremental build leaves deleted rows marked: vacuuming them at every checkpoint
    rewrote most of every big table a day touched (5-7 s of a 25 s day at 10M events). The
    build's end checkpoint reclaims them only once a table of at least one row group holds a
    quarter or more deleted rows, and then in that table alone (DuckDB's vacuum, turned on,
    would merge every changed table's row groups: 22.7 s at 10M for one small mart)."""
    # dbt in its own process, as a scheduler runs it: this test's connections are the only
    # others, and their settings do not reach the build's
    build = ["run", "--select", "stg_kakao__chat_events"]
    options = {"events_path": FIXTURE_EVENTS, "vars": {"publish_marts": False}}
    run_dbt_cli(build, tmp_path, **options)
    database = tmp_path / "warehouse.duckdb"

    delete_then_leave_a_change_for_the_build(database, 4)
    before = stored_and_live(database)
    run_dbt_cli(build, tmp_path, **options)
    # DuckDB's own default would have merged row groups here; the marks stay
    assert stored_and_live(database) == before
    assert before[0] - before[1] > 0.03 * before[0]

    delete_then_leave_a_change_for_the_build(database, 4, "main.vacuum_neighbour")
    neighbour = stored_and_live(database, "main.vacuum_neighbour")
    delete_then_leave_a_change_for_the_build(database, 30)
    run_dbt_cli(build, tmp_path, **options)
    stored, live, comment = stored_and_live(database)
    assert stored - live < 0.05 * stored, (stored, live)
    assert comment == "documented"
    # the other big table, with a few deleted rows, keeps its marks (DuckDB's vacuum, turned
    # on for the checkpoint, merged its row groups too)
    assert stored_and_live(database, "main.vacuum_neighbour") == neighbour
    log = (tmp_path / "logs" / "dbt.log").read_text(encoding="utf-8")
    assert re.search(r"Checkpoint: reclaiming deleted rows \(main\.vacuum_probe 30% of"
                     r" 4,32\d,\d{3} stored rows deleted\): rewriting those tables", log)


def test_a_first_build_creates_the_folder_of_a_new_warehouse_path(tmp_path: Path) -> None:
    # `dbt build` run directly (not through make) on a KAKAO_DUCKDB_PATH whose folder does not
    # exist yet: the project's DuckDB plugin creates it before DuckDB opens the file.
    database = tmp_path / "new" / "nested" / "warehouse.duckdb"
    run_dbt_cli(["run", "--select", "stg_kakao__chat_events"], tmp_path,
                events_path=FIXTURE_EVENTS, vars={"publish_marts": False}, database=database)
    assert database.exists()
