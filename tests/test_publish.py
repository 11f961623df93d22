"""Publishing the marts for BI tools (macro publish_marts, on-run-end).

After a successful build every mart is a Parquet file in a new version folder of
KAKAO_PUBLISH_DIR, equal to its table (the audit: a folder of them by billing day, the days
whose rows did not change carried over from the version before); `current` points to it and
kakao_billing_marts.duckdb holds views over its files. A BI tool reading those never blocks the
next build, and sees one build's marts, never a mix, even when a build is killed while it
publishes. A failed build publishes nothing. Builds run in separate dbt processes, as a
scheduler runs them.
"""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import duckdb
import pytest

from dbt_harness import (
    PROJECT_DIR,
    DbtBuildError,
    cli_environment,
    copy_project,
    dbt_command,
    run_dbt_cli,
    write_events_csv,
)

FIXTURE_EVENTS = PROJECT_DIR / "tests" / "fixtures" / "events"
CATALOG = "kakao_billing_marts.duckdb"
BUILD = ["build", "--exclude-resource-type", "unit_test"]

pytestmark = pytest.mark.dbt

# A BI tool: keeps the published catalog open read-only and queries every view (and reads each
# Parquet file of the version `current` pointed to when it started) in a loop until the stop
# file appears, noting whether the warehouse file was write-locked at the time (from
# /proc/locks, which takes no lock itself).
READER = r"""
import json, os, sys, time
from collections.abc import Callable
from pathlib import Path
import duckdb

warehouse, published, stop = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
inode = os.stat(warehouse).st_ino
catalog = duckdb.connect(str(published / "kakao_billing_marts.duckdb"), read_only=True)
memory = duckdb.connect()
files = [str(path) if path.suffix == ".parquet" else f"{path}/**/*.parquet"
         for path in sorted((published / "current").resolve().iterdir())]
views = [name for (name,) in catalog.execute(
    "select view_name from duckdb_views() where schema_name = 'marts'").fetchall()]
seen, reads, reads_while_locked, errors = set(), 0, 0, []
print("reading", flush=True)
deadline = time.monotonic() + 300
while not stop.exists() and time.monotonic() < deadline:
    with open("/proc/locks") as locks:
        locked = any(f":{inode} " in line for line in locks)
    try:
        counts = tuple(catalog.execute(f"select count(*) from marts.{view}").fetchone()[0]
                       for view in views)
        direct = tuple(
            memory.execute(f"select count(*) from read_parquet('{path}', hive_partitioning = false)"
                           ).fetchone()[0]
            for path in files)
        seen.add((counts, direct))
        reads += 1
        reads_while_locked += locked
    except Exception as error:
        errors.append(repr(error))
    time.sleep(0.02)
print(json.dumps({"reads": reads, "reads_while_locked": reads_while_locked,
                  "errors": errors[:5], "distinct_results": len(seen)}), flush=True)
"""


@pytest.fixture(scope="module")
def work_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A fixture build (its own warehouse, events and publish folder), published once."""
    work = tmp_path_factory.mktemp("publish")
    shutil.copytree(FIXTURE_EVENTS, work / "events")
    run_dbt_cli(BUILD, work, events_path=work / "events" / "*.csv")
    return work


def leftovers(published: Path) -> list[str]:
    """What a publish left besides the catalog, `current` and complete versions."""
    return sorted([path.name for path in published.iterdir()
                   if path.name not in (CATALOG, "current", "versions")]
                  + [path.name for path in (published / "versions").glob("*.partial")])


def mart_tables(database: Path) -> list[str]:
    with duckdb.connect(str(database), read_only=True) as connection:
        return [name for (name,) in connection.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
            " order by 1"
        ).fetchall()]


def rows_differing(connection: duckdb.DuckDBPyConnection, left: str, right: str) -> int:
    """How many rows one relation has that the other lacks, counting duplicates, both ways."""
    return connection.execute(
        f"select count(*) from ((from {left} except all from {right})"
        f" union all (from {right} except all from {left}))").fetchone()[0]


def published_relation(version: Path, mart: str) -> str | None:
    """How a reader reads a mart's files in a version: its Parquet file, or the files of its
    folder (the audit's, by day) read as files only; None when it has neither."""
    if (version / f"{mart}.parquet").is_file():
        return f"read_parquet('{version / mart}.parquet')"
    if (version / mart).is_dir():
        return f"read_parquet('{version / mart}/**/*.parquet', hive_partitioning = false)"
    return None


def published_types(columns: list[tuple]) -> list[tuple]:
    """A table's `describe` rows as its Parquet file has them: Parquet has no 128-bit integer,
    so a HUGEINT column is published as DECIMAL(38,0)."""
    return [(name, "DECIMAL(38,0)" if kind in ("HUGEINT", "UHUGEINT") else kind, *rest)
            for name, kind, *rest in columns]


def test_every_mart_is_published_as_parquet_equal_to_its_table(work_dir: Path) -> None:
    published = work_dir / "published"
    current = (published / "current").resolve()
    marts = mart_tables(work_dir / "warehouse.duckdb")
    assert "fct_monthly_fees" in marts and "fct_room_charges" in marts
    assert current.parent == published / "versions"
    assert sorted(path.name.removesuffix(".parquet") for path in current.iterdir()) == marts
    assert (current / "fct_chat_event_audit").is_dir()
    assert leftovers(published) == []
    with duckdb.connect(":memory:") as connection:
        connection.execute("set TimeZone = 'UTC'")
        connection.execute(f"attach '{work_dir / 'warehouse.duckdb'}' as wh (read_only)")
        connection.execute(f"attach '{published / CATALOG}' as bi (read_only)")
        for mart in marts:
            table, file, view = (f"wh.marts.{mart}", published_relation(current, mart),
                                 f"bi.marts.{mart}")
            assert published_types(connection.execute(f"describe {table}").fetchall()) == \
                connection.execute(f"describe select * from {file}").fetchall(), mart
            for other in (file, view):
                assert rows_differing(connection, table, other) == 0, \
                    f"{mart}: {other} differs from the table"
            assert connection.execute(f"select count(*) from {file}").fetchone()[0] == \
                connection.execute(f"select count(*) from {table}").fetchone()[0]


def test_catalog_opens_in_duckdb_clients_from_1_0(work_dir: Path) -> None:
    """The catalog is written in storage format 64 (DuckDB 1.0 on), not this DuckDB's newest,
    so an older CLI or BI driver than the one that built the warehouse can open it."""
    header = (work_dir / "published" / CATALOG).read_bytes()[:20]
    assert header[8:12] == b"DUCK"
    assert int.from_bytes(header[12:20], "little") == 64


@pytest.mark.skipif(not Path("/proc/locks").exists(), reason="needs Linux /proc/locks")
def test_bi_reader_neither_blocks_the_next_build_nor_sees_partial_files(work_dir: Path) -> None:
    published, stop = work_dir / "published", work_dir / "reader.stop"
    catalog_before = os.stat(published / CATALOG).st_ino
    version_before = (published / "current").resolve()
    reader = subprocess.Popen(
        [sys.executable, "-c", READER, str(work_dir / "warehouse.duckdb"), str(published),
         str(stop)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
    )
    try:
        assert reader.stdout is not None and reader.stdout.readline().strip() == "reading"
        # dbt holds the warehouse's write lock from its first query to its end, publishing
        # included; the reader holds the published catalog open all that time.
        run_dbt_cli(BUILD, work_dir, events_path=work_dir / "events" / "*.csv")
        time.sleep(0.2)
    finally:
        stop.touch()
        output, errors = reader.communicate(timeout=60)
    assert reader.returncode == 0, errors
    report = json.loads(output.strip().splitlines()[-1])
    assert report["errors"] == []
    assert report["reads_while_locked"] > 0, report
    # Same events, same marts: every read, before, during and after the swap, saw the same rows.
    assert report["distinct_results"] == 1, report
    assert os.stat(published / CATALOG).st_ino != catalog_before, "the build did not republish"
    assert (published / "current").resolve() != version_before
    # The version the reader read stays for it: the newest two are kept.
    assert sorted((published / "versions").iterdir()) == \
        sorted([version_before, (published / "current").resolve()])
    assert leftovers(published) == []


def test_publish_marts_false_given_as_text_publishes_nothing(work_dir: Path) -> None:
    """`--vars '{publish_marts: "false"}'` on the command line is the text false: it turns
    publishing off like the boolean (a non-empty text used to count as true)."""
    published = work_dir / "published"
    catalog_before = os.stat(published / CATALOG).st_ino
    version_before = (published / "current").resolve()
    result = run_dbt_cli(["run", "--select", "rpt_billing_settings"], work_dir,
                         events_path=work_dir / "events" / "*.csv",
                         vars={"publish_marts": "false"})
    assert "Marts not published: var publish_marts is false." in result.stdout
    assert os.stat(published / CATALOG).st_ino == catalog_before
    assert (published / "current").resolve() == version_before


def test_a_failed_build_publishes_nothing(work_dir: Path) -> None:
    published = work_dir / "published"
    version_before = (published / "current").resolve()
    before = {path: path.read_bytes() for path in version_before.rglob("*.parquet")}
    # Truncating an event file the warehouse has read fails the data test
    # loaded_rows_are_still_in_the_source: the build fails, the last good files stay. The file
    # is put back after: the module's other tests build on the same folder, in any order (the
    # pytest workers take tests from each other).
    events = sorted((work_dir / "events").glob("*.csv"))[0]
    original = events.read_text(encoding="utf-8")
    events.write_text("".join(original.splitlines(keepends=True)[:-1]), encoding="utf-8")
    try:
        with pytest.raises(DbtBuildError, match=r"Marts not published: the build did not "
                           r"succeed: loaded_rows_are_still_in_the_source \(fail\); \d+ skipped"):
            run_dbt_cli(BUILD, work_dir, events_path=work_dir / "events" / "*.csv")
    finally:
        events.write_text(original, encoding="utf-8")
    assert (published / "current").resolve() == version_before
    after = {path: path.read_bytes() for path in version_before.rglob("*.parquet")}
    assert after == before
    assert leftovers(published) == []


def test_a_mart_of_your_own_with_a_128_bit_sum_is_published_exactly(tmp_path: Path) -> None:
    """An analyst's model in schema marts whose plain sum() is a HUGEINT: DuckDB would write it
    to Parquet as a DOUBLE; it is published as DECIMAL(38,0), with the same values."""
    project = tmp_path / "project"
    copy_project(project)
    (project / "models" / "marts" / "rpt_my_fees.sql").write_text(
        "select channel_id, sum(room_charges) as charges, sum(fee_krw) as fee_krw\n"
        "from {{ ref('fct_monthly_fees') }}\ngroup by channel_id\n", encoding="utf-8")
    work = tmp_path / "work"
    run_dbt_cli([*BUILD, "--exclude-resource-type", "test"], work,
                events_path=FIXTURE_EVENTS / "*.csv", project_dir=project)

    with duckdb.connect(":memory:") as connection:
        connection.execute(f"attach '{work / 'warehouse.duckdb'}' as wh (read_only)")
        file = f"read_parquet('{work / 'published' / 'current' / 'rpt_my_fees.parquet'}')"
        table_types, file_types = (
            {name: kind for name, kind, *_ in connection.execute(f"describe {query}").fetchall()}
            for query in ("wh.marts.rpt_my_fees", f"select * from {file}"))
        assert table_types["charges"] == table_types["fee_krw"] == "HUGEINT"
        assert file_types["charges"] == file_types["fee_krw"] == "DECIMAL(38,0)"
        assert rows_differing(connection, "wh.marts.rpt_my_fees", file) == 0


# A room of a channel the fixtures do not have: the second build's marts differ from the first's.
LATE_ROOM = [
    {"event_id": "torn_open", "occurred_at": "2026-05-20T10:00:00+09:00", "channel_id": "torn",
     "customer_id": "cu_torn", "event_type": "room_opened", "sender_type": "customer",
     "entry_point": "consult_button"},
    {"event_id": "torn_m1", "occurred_at": "2026-05-20T10:01:00+09:00", "channel_id": "torn",
     "customer_id": "cu_torn", "event_type": "message", "sender_type": "consultant",
     "consultant_id": "kim", "message_text": "네"},
]


def audit_day_files(version: Path) -> dict[str, int]:
    """The audit's day folders in a version, each with its Parquet file's inode."""
    return {path.parent.name: path.stat().st_ino
            for path in (version / "fct_chat_event_audit").glob("*/*.parquet")}


def test_an_audit_day_is_written_again_only_when_its_rows_or_the_audits_sql_change(
    tmp_path: Path,
) -> None:
    """The audit is published as a folder per billing day (audit_day=rejected: the rejected
    rows). A build that adds a room on 20 May and a second, different row of an event of 10 May
    writes again 20 May, 10 May (whose row is now flagged as an event_id conflict, although no
    new row fell on it) and the rejected rows (the second row is a duplicate), and carries the
    other days over from the version before (the same files, hard-linked); after a change to the
    audit's SQL, every day is written again. Each time, the published audit equals the
    warehouse's."""
    project, work = tmp_path / "project", tmp_path / "work"
    copy_project(project)
    shutil.copytree(FIXTURE_EVENTS, work / "events")
    events = work / "events" / "*.csv"

    def build() -> tuple[dict[str, int], str, list[str]]:
        """The published day folders, the build's log line on the audit, and the folders the
        warehouse's audit rows belong in."""
        result = run_dbt_cli(BUILD, work, events_path=events, project_dir=project)
        current = (work / "published" / "current").resolve()
        with duckdb.connect() as connection:
            connection.execute("set TimeZone = 'UTC'")
            connection.execute(f"attach '{work / 'warehouse.duckdb'}' as wh (read_only)")
            assert rows_differing(connection, "wh.marts.fct_chat_event_audit",
                                  published_relation(current, "fct_chat_event_audit")) == 0
            days = [day for (day,) in connection.execute(
                "select distinct 'audit_day=' || coalesce(strftime(billing_date, '%Y-%m-%d'),"
                " 'rejected') from wh.marts.fct_chat_event_audit order by 1").fetchall()]
        logged = [line.split("fct_chat_event_audit: ", 1)[1]
                  for line in result.stdout.splitlines() if "fct_chat_event_audit: " in line]
        return audit_day_files(current), logged[0], days

    first, logged, days = build()
    assert sorted(first) == days and "audit_day=rejected" in days and len(days) > 10
    assert logged.startswith(f"{len(days)} day(s) written")
    _, logged, _ = build()  # nothing new
    assert logged == f"no day written, {len(days)} carried over unchanged from the version before"

    conflicting = {"event_id": "ex20_m02", "occurred_at": "2026-05-10T10:30:00+09:00",
                   "channel_id": "ex_20_messages", "customer_id": "cu_a", "event_type": "message",
                   "sender_type": "consultant", "consultant_id": "kim", "message_text": "다시"}
    write_events_csv([*LATE_ROOM, conflicting], work / "events" / "late_room.csv")
    second, logged, days = build()
    assert sorted(second) == days and "audit_day=2026-05-20" in days
    assert [day for day in days if second[day] != first.get(day)] == \
        ["audit_day=2026-05-10", "audit_day=2026-05-20", "audit_day=rejected"]
    assert logged == ("3 day(s) written (2026-05-10, 2026-05-20, rejected), "
                      f"{len(days) - 3} carried over unchanged from the version before")

    # the same rows, by other SQL
    audit_sql = project / "models" / "marts" / "fct_chat_event_audit.sql"
    audit_sql.write_text(audit_sql.read_text(encoding="utf-8").replace(
        "raw_rows.event_id,", "coalesce(raw_rows.event_id, raw_rows.event_id) as event_id,", 1),
        encoding="utf-8")
    third, logged, days = build()
    assert sorted(third) == days == sorted(second)
    assert all(third[day] != second[day] for day in days)
    assert logged.startswith(f"{len(days)} day(s) written")


def visible_parquet_files(folder: Path) -> dict[Path, int]:
    """Every Parquet file under folder, with its inode, outside hidden (staging) folders and
    without following symlinks: where a build's files show once it writes or renames them."""
    files: dict[Path, int] = {}
    for root, folders, names in os.walk(folder):
        folders[:] = [name for name in folders if not name.startswith(".")]
        for name in names:
            if name.endswith(".parquet"):
                with contextlib.suppress(FileNotFoundError):
                    files[Path(root, name)] = os.stat(Path(root, name)).st_ino
    return files


def origins(connection: duckdb.DuckDBPyConnection,
            relations: dict[str, str | None]) -> dict[str, list[str]]:
    """Marts by which build their relation (a view or a file; None: missing) equals: `first`
    (the marts saved after the first build), `second` (the warehouse now), `both` (a mart the
    second build left as it was) or `neither`."""
    found: dict[str, list[str]] = {}
    for mart, relation in relations.items():
        if relation is None:
            origin = "missing"
        else:
            first, second = (rows_differing(connection, f"{build}.{mart}", relation) == 0
                             for build in ("first", "wh.marts"))
            origin = {(True, True): "both", (True, False): "first",
                      (False, True): "second"}.get((first, second), "neither")
        found.setdefault(origin, []).append(mart)
    return found


def test_a_build_killed_while_it_publishes_leaves_the_last_complete_publish(
    tmp_path: Path,
) -> None:
    """SIGKILL a build as soon as the first Parquet file of its publish shows in the publish
    folder: the catalog's views and the files under `current` are all the first build's marts.
    The next build publishes the new marts and removes what the killed one left."""
    work, published = tmp_path / "work", tmp_path / "work" / "published"
    shutil.copytree(FIXTURE_EVENTS, work / "events")
    events = work / "events" / "*.csv"
    run_dbt_cli(BUILD, work, events_path=events)
    marts = mart_tables(work / "warehouse.duckdb")
    first_version = (published / "current").resolve()
    with duckdb.connect(str(tmp_path / "first.duckdb")) as first:
        first.execute(f"attach '{work / 'warehouse.duckdb'}' as wh (read_only)")
        for mart in marts:
            first.execute(f"create table {mart} as from wh.marts.{mart}")

    write_events_csv(LATE_ROOM, work / "events" / "late_room.csv")
    before = visible_parquet_files(published)
    with (work / "killed_build.log").open("w") as log:
        build = subprocess.Popen(dbt_command(BUILD, work, events_path=events), cwd=work,
                                 env=cli_environment(work), stdout=log, stderr=subprocess.STDOUT)
    try:
        # The lowest priority, so that the polling below runs as soon as a file shows.
        os.setpriority(os.PRIO_PROCESS, build.pid, 19)
        deadline = time.monotonic() + 600
        while all(before.get(path) == inode
                  for path, inode in visible_parquet_files(published).items()):
            assert build.poll() is None, "the build ended before it published a file"
            assert time.monotonic() < deadline, "no file published in 10 minutes"
            time.sleep(0.002)
    finally:
        build.kill()  # SIGKILL
        build.wait()
    assert build.returncode == -9, (work / "killed_build.log").read_text()

    def published_state() -> tuple[dict[str, list[str]], dict[str, list[str]]]:
        """Which build the catalog's views and the files under `current` come from."""
        current = (published / "current").resolve()
        with duckdb.connect() as connection:
            connection.execute(f"attach '{tmp_path / 'first.duckdb'}' as first (read_only)")
            # the killed build's models committed before it published
            connection.execute(f"attach '{work / 'warehouse.duckdb'}' as wh (read_only)")
            connection.execute(f"attach '{published / CATALOG}' as bi (read_only)")
            views = origins(connection, {mart: f"bi.marts.{mart}" for mart in marts})
            files = origins(connection, {
                mart: published_relation(current, mart) for mart in marts})
        return views, files

    views, files = published_state()
    assert set(views) | set(files) <= {"both", "first"}, \
        f"after the kill, the catalog's views: {views}; the files under current: {files}"
    assert "first" in views, "the second build changed no mart"

    # A file the former layout published at the top of the folder.
    shutil.copy(first_version / "fct_monthly_fees.parquet", published)
    result = run_dbt_cli(BUILD, work, events_path=events)
    assert f"Published {len(marts)} marts as Parquet" in result.stdout
    assert f"Removed 1 Parquet file from the top of {published}, where earlier builds" \
        in result.stdout
    views, files = published_state()
    assert set(views) | set(files) <= {"both", "second"}, (views, files)
    # The killed build's partial version is gone; the first build's stays for its readers.
    assert sorted(path.name for path in (published / "versions").iterdir()) == \
        [first_version.name, (published / "current").resolve().name]
    assert sorted(path.name for path in published.iterdir()) == ["current", CATALOG, "versions"]


class Interrupted(Exception):
    """Stands for a kill between two of publish_commit's file-system steps."""


@pytest.mark.parametrize("stop_before", [
    None, "rename to versions/<id>", "replace the catalog", "make the symlink", "replace current",
])
def test_a_publish_stopped_between_any_two_steps_shows_one_complete_version(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path, stop_before: str | None,
) -> None:
    """Publish build 1, then build 2 stopped before one of publish_commit's renames (or not):
    the catalog and `current` each show all of build 1 or all of build 2. Build 3 is then
    published, and only it and the versions the readers had open stay."""
    monkeypatch.syspath_prepend(str(PROJECT_DIR / "udfs"))
    import kakao_udfs

    published = tmp_path / "published"
    steps = ["rename to versions/<id>", "replace the catalog", "make the symlink",
             "replace current"]

    def publish(build: int, stop: str | None = None) -> None:
        staging = Path(kakao_udfs.publish_stage(str(published)))
        for mart in ("mart_a", "mart_b"):
            duckdb.sql(f"copy (select {build} as build) to '{staging / mart}.parquet'")
        done: list[str] = []

        def step(function: Callable[..., None]) -> Callable[..., None]:
            def run(*args: object) -> None:
                if steps[len(done)] == stop:
                    raise Interrupted
                function(*args)
                done.append(steps[len(done)])
            return run

        with monkeypatch.context() as patch:
            for name in ("rename", "replace", "symlink"):
                patch.setattr(kakao_udfs.os, name, step(getattr(os, name)))
            with contextlib.suppress(Interrupted):
                kakao_udfs.publish_commit(str(staging), str(published))

    def builds() -> tuple[set[int], set[int]]:
        """The builds the catalog's views and the files under `current` show."""
        with duckdb.connect(str(published / CATALOG), read_only=True) as catalog:
            views = {build for (build,) in catalog.execute(
                "from marts.mart_a union all from marts.mart_b").fetchall()}
        files = {build for (build,) in duckdb.sql(
            f"from read_parquet('{published / 'current'}/*.parquet')").fetchall()}
        return views, files

    publish(1)
    publish(2, stop_before)
    views, files = builds()
    assert len(views) == len(files) == 1 and views | files <= {1, 2}, (views, files)
    readers_had = {(published / "current").resolve().name, *kakao_udfs.published_versions(
        published)}
    publish(3)
    assert builds() == ({3}, {3})
    versions = sorted(path.name for path in (published / "versions").iterdir())
    assert versions == sorted({(published / "current").resolve().name, *readers_had})
    # Stopped after the catalog's switch, before current's: the catalog's readers had build 2,
    # the files' readers build 1, so both stay beside build 3.
    assert len(versions) == (2 if stop_before in (None, *steps[:2]) else 3)
    assert sorted(path.name for path in published.iterdir()) == ["current", CATALOG, "versions"]
