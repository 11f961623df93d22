"""Publishing the marts for BI tools (macro publish_marts, on-run-end).

After a successful build every mart is a Parquet file in KAKAO_PUBLISH_DIR, equal to its table,
with kakao_billing_marts.duckdb holding views over them. A BI tool reading those never blocks
the next build, and never sees a partly written file while that build replaces them. A failed
build publishes nothing. Builds run in separate dbt processes, as a scheduler runs them.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from dbt_harness import PROJECT_DIR, DbtBuildError, run_dbt_cli

FIXTURE_EVENTS = PROJECT_DIR / "tests" / "fixtures" / "events"
CATALOG = "kakao_billing_marts.duckdb"
BUILD = ["build", "--exclude-resource-type", "unit_test"]

pytestmark = pytest.mark.dbt

# A BI tool: keeps the published catalog open read-only and queries every view (and reads each
# Parquet file directly) in a loop until the stop file appears, noting whether the warehouse
# file was write-locked at the time (from /proc/locks, which takes no lock itself).
READER = r"""
import json, os, sys, time
from pathlib import Path
import duckdb

warehouse, published, stop = Path(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3])
inode = os.stat(warehouse).st_ino
catalog = duckdb.connect(str(published / "kakao_billing_marts.duckdb"), read_only=True)
memory = duckdb.connect()
files = sorted(published.glob("*.parquet"))
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
            memory.execute(f"select count(*) from read_parquet('{path}')").fetchone()[0]
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


def mart_tables(database: Path) -> list[str]:
    with duckdb.connect(str(database), read_only=True) as connection:
        return [name for (name,) in connection.execute(
            "select table_name from duckdb_tables() where schema_name = 'marts' order by 1"
        ).fetchall()]


def rows_differing(connection: duckdb.DuckDBPyConnection, left: str, right: str) -> int:
    """How many rows one relation has that the other lacks, counting duplicates, both ways."""
    return connection.execute(
        f"select count(*) from ((from {left} except all from {right})"
        f" union all (from {right} except all from {left}))").fetchone()[0]


def published_types(columns: list[tuple]) -> list[tuple]:
    """A table's `describe` rows as its Parquet file has them: Parquet has no 128-bit integer,
    so a HUGEINT column is published as DECIMAL(38,0)."""
    return [(name, "DECIMAL(38,0)" if kind in ("HUGEINT", "UHUGEINT") else kind, *rest)
            for name, kind, *rest in columns]


def test_every_mart_is_published_as_parquet_equal_to_its_table(work_dir: Path) -> None:
    published = work_dir / "published"
    marts = mart_tables(work_dir / "warehouse.duckdb")
    assert "fct_monthly_fees" in marts and "fct_room_charges" in marts
    assert sorted(path.stem for path in published.glob("*.parquet")) == marts
    assert not list(published.glob(".staging-*"))
    with duckdb.connect(":memory:") as connection:
        connection.execute("set TimeZone = 'UTC'")
        connection.execute(f"attach '{work_dir / 'warehouse.duckdb'}' as wh (read_only)")
        connection.execute(f"attach '{published / CATALOG}' as bi (read_only)")
        for mart in marts:
            table, file, view = (f"wh.marts.{mart}", f"read_parquet('{published / mart}.parquet')",
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
    assert not list(published.glob(".staging-*"))


def test_publish_marts_false_given_as_text_publishes_nothing(work_dir: Path) -> None:
    """`--vars '{publish_marts: "false"}'` on the command line is the text false: it turns
    publishing off like the boolean (a non-empty text used to count as true)."""
    published = work_dir / "published"
    catalog_before = os.stat(published / CATALOG).st_ino
    result = run_dbt_cli(["run", "--select", "rpt_billing_settings"], work_dir,
                         events_path=work_dir / "events" / "*.csv",
                         vars={"publish_marts": "false"})
    assert "Marts not published: var publish_marts is false." in result.stdout
    assert os.stat(published / CATALOG).st_ino == catalog_before


def test_a_failed_build_publishes_nothing(work_dir: Path) -> None:
    published = work_dir / "published"
    before = {path.name: path.read_bytes() for path in published.glob("*.parquet")}
    # Truncating an event file the warehouse has read fails the data test
    # loaded_rows_are_still_in_the_source: the build fails, the last good files stay.
    events = sorted((work_dir / "events").glob("*.csv"))[0]
    lines = events.read_text(encoding="utf-8").splitlines(keepends=True)
    events.write_text("".join(lines[:-1]), encoding="utf-8")
    with pytest.raises(DbtBuildError, match=r"Marts not published: the build did not succeed: "
                       r"loaded_rows_are_still_in_the_source \(fail\); \d+ skipped"):
        run_dbt_cli(BUILD, work_dir, events_path=work_dir / "events" / "*.csv")
    after = {path.name: path.read_bytes() for path in published.glob("*.parquet")}
    assert after == before
    assert not list(published.glob(".staging-*"))


def test_a_mart_of_your_own_with_a_128_bit_sum_is_published_exactly(tmp_path: Path) -> None:
    """An analyst's model in schema marts whose plain sum() is a HUGEINT: DuckDB would write it
    to Parquet as a DOUBLE; it is published as DECIMAL(38,0), with the same values."""
    project = tmp_path / "project"
    shutil.copytree(PROJECT_DIR, project, ignore=shutil.ignore_patterns(
        ".git", ".venv", "warehouse", "target", "logs", "benchmarks", "build", "*.egg-info",
        "artifacts", "__pycache__"))
    (project / "models" / "marts" / "rpt_my_fees.sql").write_text(
        "select channel_id, sum(room_charges) as charges, sum(fee_krw) as fee_krw\n"
        "from {{ ref('fct_monthly_fees') }}\ngroup by channel_id\n", encoding="utf-8")
    work = tmp_path / "work"
    run_dbt_cli([*BUILD, "--exclude-resource-type", "test"], work,
                events_path=FIXTURE_EVENTS / "*.csv", project_dir=project)

    with duckdb.connect(":memory:") as connection:
        connection.execute(f"attach '{work / 'warehouse.duckdb'}' as wh (read_only)")
        file = f"read_parquet('{work / 'published' / 'rpt_my_fees.parquet'}')"
        table_types, file_types = (
            {name: kind for name, kind, *_ in connection.execute(f"describe {query}").fetchall()}
            for query in ("wh.marts.rpt_my_fees", f"select * from {file}"))
        assert table_types["charges"] == table_types["fee_krw"] == "HUGEINT"
        assert file_types["charges"] == file_types["fee_krw"] == "DECIMAL(38,0)"
        assert rows_differing(connection, "wh.marts.rpt_my_fees", file) == 0
