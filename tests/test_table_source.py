"""Chat events read from a warehouse table (var chat_events_relation) instead of files, as a
loader (dlt, Airbyte, a dealer-API job) lands them: load, build, load more, build, as a daily
pipeline runs it, equals one build of the same rows as a file; rows deleted from the table, or
loaded under a load time a build has read past, are named; a table that cannot be read stops
the build before anything is written. The same from Spark: tests/test_spark_parity.py; killed
builds: tests/test_interruptions.py."""

from __future__ import annotations

import csv
import shutil
import subprocess
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest

from dbt_harness import (
    EVENTS_TABLE,
    SAMPLE_EVENTS,
    DbtBuildError,
    cli_environment,
    connect_warehouse,
    dbt_command,
    load_events_table,
    run_dbt,
    run_dbt_cli,
)
from warehouse_compare import SOURCE_COLUMNS, table_differences

pytestmark = pytest.mark.dbt

TABLE_VARS = {"chat_events_path": "", "chat_events_relation": EVENTS_TABLE,
              # a throwaway warehouse: every month stays open, so the two builds and the one-shot
              # build bill the same months the same way (closed months: test_interruptions.py)
              "close_months": False}
BUILD = ["build", "--exclude-resource-type", "unit_test"]


def split_sample(folder: Path) -> tuple[Path, Path, Path]:
    """The sample's rows in two batches, as a loader delivers them: batch 1 the rows before
    2026-11-10 (in the text), batch 2 the rest, every 5th October row again (loaded twice) and
    every 7th November row of batch 1 held back until then (late). Also all of it as one file:
    batch 1 then batch 2, the rows loaded twice included."""
    with SAMPLE_EVENTS.open(encoding="utf-8", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    at = header.index("occurred_at")
    early = [row for row in rows if row[at] < "2026-11-10"]
    late_november = set(range(0, len(early), 7)) & {
        number for number, row in enumerate(early) if row[at].startswith("2026-11")}
    first = [row for number, row in enumerate(early) if number not in late_november]
    again = [row for row in first if row[at].startswith("2026-10")][::5]
    second = ([row for row in rows if not row[at] < "2026-11-10"]
              + [early[number] for number in sorted(late_november)] + again)
    assert late_november and again, "the sample no longer has the rows this split needs"
    files = []
    for name, batch in (("batch_1.csv", first), ("batch_2.csv", second),
                        ("all.csv", first + second)):
        files.append(folder / name)
        with files[-1].open("w", encoding="utf-8", newline="") as handle:
            csv.writer(handle).writerows([header, *batch])
    return files[0], files[1], files[2]


def pipeline(command: list[str], work_dir: Path) -> subprocess.CompletedProcess[str]:
    """One step of the daily pipeline (docs/pipelines.md), in its own process."""
    return subprocess.run(command, cwd=work_dir, env=cli_environment(work_dir),
                          capture_output=True, text=True, check=False)


@pytest.fixture(scope="session")
def loaded_twice(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, Path]:
    """The pipeline run on the table (a warehouse of its own), and the one-shot file build."""
    root = tmp_path_factory.mktemp("table_source")
    batch_1, batch_2, everything = split_sample(root)
    work_dir = root / "pipeline"
    work_dir.mkdir()
    database = work_dir / "warehouse.duckdb"
    now = datetime.now(UTC)
    build = dbt_command(BUILD, work_dir, events_path="", vars=TABLE_VARS)
    freshness = dbt_command(["source", "freshness"], work_dir, events_path="", vars=TABLE_VARS)
    for batch, hours_ago in ((batch_1, 26), (batch_2, 2)):
        load_events_table(database, batch, (now - timedelta(hours=hours_ago)).isoformat())
        checked = pipeline(freshness, work_dir)
        # the newest load is 26 h old after the first (warn, exit 0), 2 h after the second
        assert checked.returncode == 0, checked.stdout[-3000:]
        assert ("WARN" in checked.stdout) == (hours_ago > 24), checked.stdout[-3000:]
        built = pipeline(build, work_dir)
        # exit 0: the sample's rejected rows are a warning, not a failure
        assert built.returncode == 0, built.stdout[-4000:] + built.stderr[-2000:]
        assert "Rejected input:" in built.stdout
    # in its own process too, so that the file is closed for the comparison
    run_dbt_cli(BUILD, root / "one_shot", events_path=everything, vars={"close_months": False})
    return database, root / "one_shot" / "warehouse.duckdb"


def test_a_table_loaded_in_two_batches_equals_one_build_of_the_same_rows_as_a_file(
    loaded_twice: tuple[Path, Path],
) -> None:
    """Late rows and rows loaded twice from the table: every mart equals the one-shot build of
    the same rows from one file (the columns that name the source aside)."""
    table_built, one_shot = loaded_twice
    assert table_differences(one_shot, table_built, schemas=["marts"],
                             ignored=SOURCE_COLUMNS) == []
    with connect_warehouse(table_built) as connection:
        audit = dict(connection.execute(
            "select disposition, count(*) from marts.fct_chat_event_audit group by 1").fetchall())
        loaded = connection.execute(f"select count(*) from {EVENTS_TABLE}").fetchone()[0]
        staged = connection.execute(
            "select count(*), count(distinct source_loaded_at), min(source_file)"
            " from intermediate.int_chat_events__validated").fetchone()
    # every row of the table is in the audit once: the second build read only the second batch
    assert sum(audit.values()) == loaded == staged[0]
    assert staged[1:] == (2, EVENTS_TABLE)


def test_a_build_with_nothing_loaded_reads_nothing(loaded_twice: tuple[Path, Path],
                                                   tmp_path: Path) -> None:
    """The high-water mark: a third build, with no new load, loads no row and validates none."""
    work_dir = tmp_path / "again"
    work_dir.mkdir()
    shutil.copyfile(loaded_twice[0], work_dir / "warehouse.duckdb")
    state = ("select count(*), max(loaded_at), max(validated_at)"
             " from intermediate.int_chat_events__validated")
    with connect_warehouse(work_dir / "warehouse.duckdb") as connection:
        before = connection.execute(state).fetchone()
    database = run_dbt(BUILD, work_dir, events_path="", vars=TABLE_VARS)
    with connect_warehouse(database) as connection:
        assert connection.execute(state).fetchone() == before


def test_rows_deleted_from_the_table_or_loaded_under_the_mark_are_named(
    loaded_twice: tuple[Path, Path], tmp_path: Path,
) -> None:
    """D16 for a table: a row deleted from an earlier batch, and a row loaded with a load time
    before the newest one a build read (which the high-water mark never reads), fail the data
    test loaded_rows_are_still_in_the_source; the build's last lines name the load times, the
    deleted event id and the command, and the --full-refresh it names bills the table as it is."""
    work_dir = tmp_path / "edited"
    work_dir.mkdir()
    database = work_dir / "warehouse.duckdb"
    shutil.copyfile(loaded_twice[0], database)
    with connect_warehouse(database) as connection:
        first_load, deleted = connection.execute(
            f"select loaded_at, min(event_id) from {EVENTS_TABLE}"
            f" where loaded_at = (select min(loaded_at) from {EVENTS_TABLE}) group by 1"
        ).fetchone()
        connection.execute(f"delete from {EVENTS_TABLE} where event_id = ? and loaded_at = ?",
                           [deleted, first_load])
        connection.execute(
            f"insert into {EVENTS_TABLE} select * replace ('evt_backdated' as event_id,"
            " loaded_at + interval 1 hour as loaded_at)"
            f" from {EVENTS_TABLE} where event_id = (select min(event_id) from {EVENTS_TABLE})"
            " limit 1")
    with pytest.raises(DbtBuildError, match="loaded_rows_are_still_in_the_source"):
        run_dbt(BUILD, work_dir, events_path="", vars=TABLE_VARS)
    log = (work_dir / "logs" / "dbt.log").read_text(encoding="utf-8")
    loaded = first_load.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S")
    assert (f"2 load time(s) of the chat event table changed after a build read them (rows "
            f"deleted, or loaded with a load time already read): {EVENTS_TABLE}, loaded "
            f"{loaded}" in log)
    assert f"(1 row gone, first event id {deleted})" in log
    assert "(1 row(s) added after a build had read that load time, not read)" in log
    assert ("The table must only grow (DECISIONLOG D16). To rebuild from it as it is now: `make "
            "build FULL_REFRESH=1`" in log)
    run_dbt([*BUILD, "--full-refresh"], work_dir, events_path="", vars=TABLE_VARS)
    with connect_warehouse(database) as connection:
        audited = dict(connection.execute(
            "select event_id, count(*) from marts.fct_chat_event_audit"
            " where event_id in (?, 'evt_backdated') group by 1", [deleted]).fetchall())
    assert audited.get("evt_backdated") == 1
    assert audited.get(deleted, 0) == rows_in_table(loaded_twice[0], deleted) - 1


def rows_in_table(database: Path, event_id: str) -> int:
    with connect_warehouse(database) as connection:
        return connection.execute(f"select count(*) from {EVENTS_TABLE} where event_id = ?",
                                  [event_id]).fetchone()[0]


@pytest.mark.parametrize(("prepare", "variables", "message"), [
    ("", {}, "chat_events_relation 'raw.chat_events' is not a table or view in the warehouse"
             " (looked for"),
    ("create table raw.chat_events as select 'e1' as event_id, '2026-10-01 10:00' as occurred_at,"
     " '@a' as channel_id, 'c1' as customer_id, 'room_opened' as event_type",
     {}, "chat_events_relation 'raw.chat_events' lacks column(s): loaded_at."),
    ("create table raw.chat_events as select 'e1' as event_id, '2026-10-01 10:00' as occurred_at,"
     " '@a' as channel_id, 'c1' as customer_id, 'room_opened' as event_type,"
     " 'not a time' as synced",
     {"chat_events_loaded_at_column": "synced"},
     "1 row(s) of chat_events_relation 'raw.chat_events' have no load time in column synced"
     " (empty, or not a time: 'not a time')"),
    ("create table raw.chat_events as select 'e1' as event_id, '2026-10-01 10:00' as occurred_at,"
     " '@a' as channel_id, 'c1' as customer_id, 'message' as event_type,"
     " now() as loaded_at",
     {}, "chat_events_relation 'raw.chat_events' has 1 message row(s) but no sender_type column"),
    ("create table raw.chat_events as select 'e1' as event_id, '2026-10-01 10:00' as occurred_at,"
     " '@a' as channel_id, 'c1' as customer_id, 'room_opened' as event_type,"
     " now() as loaded_at",
     {"message_webhook_path": "webhook.jsonl"},
     "message_webhook_path cannot be read beside it"),
])
def test_a_table_that_cannot_be_read_stops_the_build_naming_it(
    tmp_path: Path, prepare: str, variables: dict[str, object], message: str,
) -> None:
    """Each problem stops the build at its start, before anything is written, with a message
    that names the relation and what to do."""
    tmp_path.mkdir(exist_ok=True)
    with connect_warehouse(tmp_path / "warehouse.duckdb") as connection:
        connection.execute("create schema raw")
        if prepare:
            connection.execute(prepare)
    with pytest.raises(DbtBuildError) as stopped:
        run_dbt(["run", "--select", "stg_kakao__chat_events"], tmp_path, events_path="",
                vars={**TABLE_VARS, **variables})
    assert message in str(stopped.value)
