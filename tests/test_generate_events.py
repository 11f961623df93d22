"""scripts/generate_events.py: deterministic, in the input contract, dirty as asked, billable.

The generator runs as a command, as users run it. A ~100k-event run checks the dirty-data
rates; a small run is built by the real dbt project and must produce billed, rejected and
day-rollover rows.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import duckdb
import pytest

from dbt_harness import CONTRACT_COLUMNS, build_warehouse, connect_warehouse

SCRIPT = Path(__file__).resolve().parent.parent / "scripts" / "generate_events.py"
EVENT_TYPES = ("room_opened", "message", "room_left", "room_closed")
SENDER_TYPES = ("customer", "consultant", "system")


def generate(out: Path, *options: str) -> dict[str, object]:
    """Run the generator into `out`; return its manifest."""
    subprocess.run(
        [sys.executable, str(SCRIPT), "--out", str(out), "--quiet", *options],
        check=True, capture_output=True, text=True,
    )
    return json.loads((out / "manifest.json").read_text(encoding="utf-8"))


def data_files(out: Path) -> list[Path]:
    return sorted(out.glob("*/*.parquet"))


def open_rows(out: Path) -> duckdb.DuckDBPyConnection:
    """A connection with the view `rows`: every row with its arrival date (from the folder
    name) and, when it parses, the KST calendar date it occurred on (`occurred_date`)."""
    connection = duckdb.connect()
    connection.execute("set TimeZone = 'Asia/Seoul'")
    glob = str(out / "*" / "*.parquet").replace("'", "''")
    connection.execute(f"""
        create view rows as
        select *,
            case when regexp_matches(occurred_at, '^20[0-9][0-9]-[0-9][0-9]-[0-9][0-9][T ]')
                 then cast(try_cast(occurred_at as timestamptz) as date) end as occurred_date
        from read_parquet('{glob}', hive_partitioning = true)
    """)
    return connection


def one(connection: duckdb.DuckDBPyConnection, sql: str) -> tuple:
    row = connection.execute(sql).fetchone()
    assert row is not None
    return row


@pytest.fixture(scope="module")
def small_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """About 5,000 events, dirtier than the defaults so that every defect shows up."""
    out = tmp_path_factory.mktemp("small") / "events"
    generate(out, "--customers", "250", "--seed", "7", "--duplicate-rate", "0.01",
             "--reject-rate", "0.01", "--late-rate", "0.05")
    return out


@pytest.fixture(scope="module")
def large_run(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, object]]:
    """About 100,000 events with known dirty-data rates."""
    out = tmp_path_factory.mktemp("large") / "events"
    manifest = generate(out, "--customers", "5000", "--duplicate-rate", "0.01",
                        "--late-rate", "0.05", "--late-max-days", "4", "--reject-rate", "0.01")
    return out, manifest


def contents(out: Path) -> dict[str, bytes]:
    return {str(path.relative_to(out)): path.read_bytes()
            for path in [*data_files(out), out / "manifest.json"]}


def test_same_seed_gives_identical_files_whatever_the_threads(
    small_run: Path, tmp_path: Path
) -> None:
    options: Sequence[str] = ("--customers", "250", "--seed", "7", "--duplicate-rate", "0.01",
                              "--reject-rate", "0.01", "--late-rate", "0.05")
    one_thread = tmp_path / "one_thread"
    generate(one_thread, *options, "--threads", "1")
    assert contents(one_thread) == contents(small_run)


def test_another_seed_gives_other_events(small_run: Path, tmp_path: Path) -> None:
    other = tmp_path / "other_seed"
    generate(other, "--customers", "250", "--seed", "8", "--duplicate-rate", "0.01",
             "--reject-rate", "0.01", "--late-rate", "0.05")
    columns = ", ".join(CONTRACT_COLUMNS)
    ours = set(open_rows(small_run).execute(f"select {columns} from rows").fetchall())
    theirs = set(open_rows(other).execute(f"select {columns} from rows").fetchall())
    assert ours != theirs
    assert len(ours & theirs) < 0.05 * len(ours)


def test_files_hold_the_contract_columns_as_text_by_arrival_date(small_run: Path) -> None:
    files = data_files(small_run)
    assert files
    for path in files:
        assert re.fullmatch(r"arrival_date=\d{4}-\d{2}-\d{2}", path.parent.name), path
        date.fromisoformat(path.parent.name.removeprefix("arrival_date="))
        assert path.name == "events.parquet"
        schema = duckdb.sql(
            f"describe select * from read_parquet('{path}', hive_partitioning = false)"
        ).fetchall()
        assert [(name, kind) for name, kind, *_ in schema] == [
            (column, "VARCHAR") for column in CONTRACT_COLUMNS
        ], path
    folders = [p for p in small_run.iterdir() if p.is_dir()]
    assert sorted(folders) == sorted(path.parent for path in files)


def test_manifest_counts_the_files(large_run: tuple[Path, dict[str, object]]) -> None:
    out, manifest = large_run
    per_day = dict(open_rows(out).execute(
        "select strftime(arrival_date, '%Y-%m-%d'), count(*) from rows group by all"
    ).fetchall())
    assert manifest["events_per_arrival_date"] == per_day
    assert manifest["total_events"] == sum(per_day.values())
    assert manifest["total_events"] == manifest["unique_events"] + manifest["redelivered_rows"]
    assert manifest["options"]["seed"] == 42
    assert 90_000 < manifest["unique_events"] < 110_000


def test_events_look_like_chat_rooms(large_run: tuple[Path, dict[str, object]]) -> None:
    rows = open_rows(large_run[0])
    rows.execute(f"""
        create view valid as from rows
        where event_type in {EVENT_TYPES} and sender_type in {SENDER_TYPES}
    """)
    assert one(rows, "select bool_and(regexp_matches(event_id, '^e[0-9]+$')) from rows")[0]
    counts = dict(rows.execute("select event_type, count(*) from valid group by all").fetchall())
    assert set(counts) == set(EVENT_TYPES)
    assert counts["message"] > 5 * counts["room_opened"]
    assert one(rows, "select bool_and(entry_point in ('consult_button', 'talk_channel', 'web', "
                     "'app')) from valid where event_type = 'room_opened'")[0]
    assert one(rows, "select bool_and(regexp_matches(consultant_id, '^agent_[0-9]{3,}$')) "
                     "from valid where event_type = 'message' and sender_type = 'consultant'")[0]
    ends = one(rows, "select count(*) from valid "
                     "where regexp_matches(message_text, '^[\\s\u3000]*!종료[\\s\u3000]*$')")[0]
    assert ends > 0.1 * counts["room_opened"]
    # every customer stays in one channel; channels differ in size
    assert one(rows, """
        select max(channels) from (
            select customer_id, count(distinct channel_id) as channels from rows
            where customer_id <> '' and channel_id is not null group by all)
    """)[0] == 1
    sizes = sorted(n for _, n in rows.execute(
        "select channel_id, count(*) from valid where channel_id is not null group by all"
    ).fetchall())
    assert len(sizes) == 10
    assert sizes[-1] > 3 * sizes[0]
    formats = one(rows, """
        select count(*) filter (where occurred_at like '%+09:00'),
            count(*) filter (where occurred_at like '%Z'),
            count(*) filter (where regexp_matches(occurred_at, ':[0-9]{2}[.][0-9]+'))
        from rows
    """)
    assert all(count > 0 for count in formats)


def test_dirty_data_rates_are_respected(large_run: tuple[Path, dict[str, object]]) -> None:
    out, manifest = large_run
    rows = open_rows(out)
    events = manifest["unique_events"]
    total, distinct_ids = one(
        rows, "select count(*), count(distinct event_id) from rows where event_id is not null")
    assert 0.7 * 0.01 < (total - distinct_ids) / events < 1.3 * 0.01

    # a re-delivery is an exact copy that arrives on a later day
    assert one(rows, f"""
        select bool_and(contents = 1 and days = n) from (
            select event_id, count(*) as n,
                count(distinct ({", ".join(CONTRACT_COLUMNS)})) as contents,
                count(distinct arrival_date) as days
            from rows where event_id is not null group by all having count(*) > 1)
    """)[0]

    # nothing arrives before it occurred; late rows arrive 1 to 4 days after their day
    rows.execute("""
        create view dated as from rows
        where occurred_date is not null and occurred_date >= '2026-01-01'
    """)
    earliest, latest = one(rows, "select min(arrival_date - occurred_date), "
                                 "max(arrival_date - occurred_date) from dated")
    assert earliest == 0
    assert latest <= 4 + 4  # late, then re-delivered up to 4 days later
    late_share = one(rows, """
        select avg((arrival_date > day)::INTEGER) from (
            select event_id, min(arrival_date) as arrival_date, any_value(occurred_date) as day
            from dated group by all)
    """)[0]
    assert 0.7 * 0.05 < late_share < 1.3 * 0.05

    invalid = one(rows, f"""
        select count(*) from rows
        where event_id is null or channel_id is null or customer_id = ''
            or event_type not in {EVENT_TYPES} or sender_type not in {SENDER_TYPES}
            or occurred_date is null or occurred_date < '2015-01-01'
            or not regexp_matches(occurred_at, 'T[0-9]')
    """)[0]
    invalid_events = manifest["invalid_events"]
    assert 0.7 * 0.01 < invalid_events / events < 1.3 * 0.01
    # every invalid event is in the files once, or twice when it was re-delivered too
    assert invalid_events <= invalid <= 1.05 * invalid_events


def test_events_option_sets_the_customers(tmp_path: Path) -> None:
    manifest = generate(tmp_path / "sized", "--events", "20000", "--days", "10")
    assert 17_000 < manifest["unique_events"] < 23_000
    assert manifest["options"]["events"] == 20000
    assert len(manifest["events_per_arrival_date"]) >= 10


@pytest.mark.dbt
def test_the_dbt_project_bills_generated_events(small_run: Path, tmp_path: Path) -> None:
    database = build_warehouse(
        small_run / "*" / "*.parquet",
        tmp_path / "warehouse",
        vars={"closed_through_month": "2000-01", "occurred_at_max_future_days": 36500},
    )
    connection = connect_warehouse(database)
    try:
        dispositions = dict(connection.execute(
            "select disposition, count(*) from marts.fct_chat_event_audit group by all"
        ).fetchall())
        reasons = dict(connection.execute(
            "select charge_reason, count(*) from marts.fct_room_charges group by all"
        ).fetchall())
        rejected = {reason for (reason,) in connection.execute(
            "select distinct disposition_reason from marts.fct_chat_event_audit "
            "where disposition = 'rejected'"
        ).fetchall()}
        end_reasons = {reason for (reason,) in connection.execute(
            "select distinct end_reason from marts.fct_chat_rooms").fetchall()}
    finally:
        connection.close()
    raw_rows = one(open_rows(small_run), "select count(*) from rows")[0]
    assert sum(dispositions.values()) == raw_rows
    assert dispositions.get("billed", 0) > 0.8 * raw_rows
    assert dispositions.get("rejected", 0) > 0
    assert dispositions.get("unbilled", 0) > 0
    assert reasons.get("room_opened", 0) > 0
    assert reasons.get("day_rollover", 0) > 0
    assert {"duplicate_event_id", "unparseable_occurred_at"} <= rejected
    assert {"end_command", "customer_left", "closed", "superseded"} <= end_reasons
