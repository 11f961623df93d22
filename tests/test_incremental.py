"""Incremental builds equal a full rebuild: the same events delivered in any split into arrival
batches (late events, a file delivered twice) give marts identical, row for row, to one
`--full-refresh` build; a build with no new data changes nothing; staging reads only new and
changed files (DECISIONLOG D18)."""

from __future__ import annotations

import json
import os
import re
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dbt_harness import DbtBuildError, connect_warehouse, run_dbt, write_events_csv

KST = timezone(timedelta(hours=9))
START = datetime(2026, 3, 25, 0, 0, tzinfo=KST)
# No month is closed, so the monthly fees follow the charges and can be compared too.
OPEN_MONTHS = {"closed_through_month": "2000-01"}
COMPARED = {
    "marts.fct_room_charges": "*",
    "marts.fct_chat_rooms": "*",
    "marts.fct_chat_event_audit": "*",
    "marts.fct_charge_allocations": "*",
    "marts.fct_avoidable_charges": "*",
    "marts.fct_monthly_fees": "* exclude (closed_at, computed_at)",
    "intermediate.int_chat_events__validated": "* exclude (validated_at, loaded_at)",
    "intermediate.int_chat_events__assigned_to_rooms": "*",
    "intermediate.int_chat_rooms__lifecycle": "* exclude (computed_at)",
}
ROOMS = "intermediate.int_chat_events__assigned_to_rooms"
AUDIT = "marts.fct_chat_event_audit"
LIFECYCLE = "intermediate.int_chat_rooms__lifecycle"
EXAMPLES = int(os.environ.get("KAKAO_HYPOTHESIS_EXAMPLES", "4"))


@st.composite
def event_rows(draw: st.DrawFn) -> list[dict[str, str | None]]:
    """A small, messy stream: few customers, rooms over ~40 days, ends, expiries, duplicates."""
    rows: list[dict[str, str | None]] = []
    for number in range(draw(st.integers(1, 25))):
        minutes = draw(st.integers(0, 40 * 24 * 60))
        event_type = draw(st.sampled_from(
            ["room_opened", "room_opened", "message", "message", "message", "room_left",
             "room_closed"]
        ))
        sender = draw(st.sampled_from(["customer", "consultant", "system"]))
        when = START + timedelta(minutes=minutes)
        rows.append({
            "event_id": f"e{number}",
            "occurred_at": when.isoformat() if number % 3 else
            when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "channel_id": draw(st.sampled_from(["ch_a", "ch_b"])),
            "customer_id": draw(st.sampled_from(["u1", "u2", "u3"])),
            "event_type": event_type,
            "sender_type": sender,
            "consultant_id": "kim" if sender == "consultant" else None,
            "entry_point": "web" if event_type == "room_opened" else None,
            "message_text": draw(st.sampled_from(["hi", "!종료", " !종료 ", "ok"])),
            # the platform's session, on some events (D34)
            "session_id": draw(st.sampled_from([None, None, None, None, "s1", "s2"])),
        })
    # repeated ids: the same event again, or a different event under a used id
    for _ in range(draw(st.integers(0, 3))):
        original = rows[draw(st.integers(0, len(rows) - 1))]
        if draw(st.booleans()):
            rows.append(dict(original))
        else:
            shifted = datetime.fromisoformat(original["occurred_at"].replace("Z", "+00:00"))
            shift = timedelta(minutes=draw(st.integers(-3000, 3000)))
            rows.append({**original, "occurred_at": (shifted + shift).isoformat()})
    return rows


def marts(database: Path) -> dict[str, list[tuple[object, ...]]]:
    with connect_warehouse(database) as connection:
        return {
            table: sorted(
                map(repr, connection.execute(f"select {columns} from {table}").fetchall())
            )
            for table, columns in COMPARED.items()
        }


def build(events_glob: Path, work: Path, *extra_args: str) -> Path:
    """`dbt build` (seeds, models, data tests; not the unit tests) into work's warehouse."""
    return run_dbt(["build", "--exclude-resource-type", "unit_test", *extra_args], work,
                   events_path=events_glob, vars=OPEN_MONTHS)


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    derandomize=bool(os.environ.get("CI")),
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(rows=event_rows(), data=st.data())
def test_any_arrival_split_equals_a_full_rebuild(
    rows: list[dict[str, str | None]], data: st.DataObject, tmp_path_factory
) -> None:
    root = tmp_path_factory.mktemp("split")
    landing = root / "landing"
    batch_count = data.draw(st.integers(2, 3), label="batches")
    assignment = data.draw(
        st.lists(st.integers(0, batch_count - 1), min_size=len(rows), max_size=len(rows)),
        label="arrival batch of each row",
    )
    redeliver = data.draw(st.integers(-1, batch_count - 1), label="batch delivered twice")

    incremental = root / "incremental"
    for batch in range(batch_count):
        write_events_csv([r for r, b in zip(rows, assignment, strict=True) if b == batch],
                         landing / f"day_{batch}.csv")
        if batch == redeliver:
            write_events_csv([r for r, b in zip(rows, assignment, strict=True) if b == batch],
                             landing / f"day_{batch}_again.csv")
        database = build(landing / "*.csv", incremental)
    after_last_batch = marts(database)
    # nothing new: nothing changes (and every data test passes on the incremental result)
    assert marts(build(landing / "*.csv", incremental)) == after_last_batch

    # The reference: one full build. Its data tests are left out: every incremental build above
    # ran them, and the property tests run them on full builds of generated batches.
    expected = marts(build(landing / "*.csv", root / "full", "--full-refresh",
                           "--exclude-resource-type", "test"))
    for table in COMPARED:
        assert after_last_batch[table] == expected[table], (
            f"{table} differs after incremental arrival\n"
            f"only incremental: {sorted(set(after_last_batch[table]) - set(expected[table]))}\n"
            f"only full: {sorted(set(expected[table]) - set(after_last_batch[table]))}"
        )


def test_a_late_event_reaches_back_to_an_old_room(tmp_path: Path) -> None:
    """No lookback window: an event arriving long after a room's day still lands in it."""
    landing = tmp_path / "landing"
    base = {"channel_id": "ch", "customer_id": "u", "sender_type": "customer"}
    write_events_csv([
        {**base, "event_id": "open", "occurred_at": "2026-01-05T10:00:00+09:00",
         "event_type": "room_opened"},
        {**base, "event_id": "next_day", "occurred_at": "2026-01-06T10:00:00+09:00",
         "event_type": "message", "sender_type": "consultant"},
    ], landing / "january.csv")
    build(landing / "*.csv", tmp_path / "db")
    # months later, the !종료 sent on the first day finally arrives: the room ended then
    write_events_csv([
        {**base, "event_id": "bye", "occurred_at": "2026-01-05T10:30:00+09:00",
         "event_type": "message", "message_text": "!종료"},
        {**base, "event_id": "june", "occurred_at": "2026-06-01T10:00:00+09:00",
         "event_type": "message", "sender_type": "consultant"},
    ], landing / "june_delivery.csv")
    database = build(landing / "*.csv", tmp_path / "db")
    with connect_warehouse(database) as connection:
        charges = connection.execute(
            "select billing_date::varchar, charge_reason from marts.fct_room_charges"
        ).fetchall()
        dispositions = dict(connection.execute(
            "select event_id, disposition_reason from marts.fct_chat_event_audit"
        ).fetchall())
    assert charges == [("2026-01-05", "room_opened")]
    # a consultant's message with no room open opens none (D32)
    assert dispositions == {"open": "room_activity", "bye": "room_activity",
                            "next_day": "outside_room_anomaly", "june": "outside_room_anomaly"}


def recompute_from(database: Path) -> dict[str, tuple[object, ...]]:
    """Per customer whose events changed: where the build recomputed the stream from (D27)."""
    with connect_warehouse(database) as connection:
        rows = connection.execute(
            "select customer_id, events_from_event_id"
            " from intermediate.int_chat_events__streams_to_recompute"
        ).fetchall()
    return {customer: tuple(rest) for customer, *rest in rows}


# Per table: the column that identifies a row, and a column to mark, with a mark no build
# writes there (every test event is a customer's; a room's flag is never null).
# (the audit is a view over validation and ROOMS: it stores nothing to keep or write again)
MARKS = {
    ROOMS: ("event_id", "consultant_id", "'kept'"),
    LIFECYCLE: ("opened_event_id", "is_expired_by_data_clock", "null"),
}


def mark_every_row(database: Path) -> dict[str, dict[str, object]]:
    """Put MARKS' mark on every row; return each table's rows' original values."""
    originals = {}
    with connect_warehouse(database) as connection:
        for table, (key, column, mark) in MARKS.items():
            originals[table] = dict(connection.execute(
                f"select {key}, {column} from {table}").fetchall())
            connection.execute(f"update {table} set {column} = {mark}")
    return originals


def unmark_rows_not_written_again(database: Path, originals: dict[str, dict[str, object]]
                                  ) -> dict[str, list[str]]:
    """Per table, the rows that still carry the mark (a build left them as they were); put
    their original values back."""
    kept = {}
    with connect_warehouse(database) as connection:
        for table, (key, column, mark) in MARKS.items():
            kept[table] = sorted(row[0] for row in connection.execute(
                f"select {key} from {table} where {column} is not distinct from {mark}"
            ).fetchall())
            for row_key in kept[table]:
                connection.execute(f"update {table} set {column} = ? where {key} = ?",
                                   [originals[table][row_key], row_key])
    return kept


# The tables with a row per room, or per room and billing day (its charges). A row a build
# does not write again keeps its place (rowid); one written again is appended after the others.
ROOM_LEVEL = [
    "intermediate.int_room_charges__daily",
    "intermediate.int_room_charges__priced",
    "marts.fct_room_charges",
    "marts.fct_chat_rooms",
    "marts.fct_charge_allocations",
]


def last_rowids(database: Path) -> dict[str, int]:
    with connect_warehouse(database) as connection:
        return {table: connection.execute(f"select max(rowid) from {table}").fetchone()[0]
                for table in ROOM_LEVEL}


def rooms_not_written_again(database: Path, last: dict[str, int]) -> dict[str, list[str]]:
    """Per room-level table, the rooms (named by their room_opened) whose rows a build left in
    place: rows at or before the table's last rowid before the build."""
    with connect_warehouse(database) as connection:
        return {table: [room for (room,) in connection.execute(
            f"select distinct rooms.opened_event_id from {table} as kept"
            f" inner join {LIFECYCLE} as rooms on kept.room_id = rooms.room_id"
            " where kept.rowid <= ? order by 1", [last[table]]).fetchall()]
            for table in ROOM_LEVEL}


def test_a_days_build_recomputes_events_from_the_room_open_at_the_earliest_new_one(
    tmp_path: Path,
) -> None:
    """D27: a stream's events are recomputed from the last room_opened before its earliest
    new event; before any room_opened, the whole stream; a
    stream whose open room only the data's clock expired keeps its events' rooms, and only
    that room is written again. Only the events from the earliest new one on are written
    again, and only the charges, rows and shares of the rooms lifecycle wrote again. The
    result equals a full rebuild."""
    landing = tmp_path / "landing"

    def event(customer: str, event_id: str, day: str, event_type: str = "message"
              ) -> dict[str, str | None]:
        return {"channel_id": "ch", "customer_id": customer, "sender_type": "customer",
                "event_id": event_id, "occurred_at": f"2026-{day}T10:00:00+09:00",
                "event_type": event_type, "message_text": "hi"}

    write_events_csv([
        # late: a message in its second room, then a room_opened between its first and second
        event("late_msg", "m_open1", "01-02", "room_opened"),
        event("late_msg", "m_open2", "01-04", "room_opened"),
        event("late_open", "o_open1", "01-02", "room_opened"),
        event("late_open", "o_open2", "01-09", "room_opened"),
        # the late event comes before its only room_opened
        event("before", "b_open", "01-05", "room_opened"),
        # a room left open: the data's clock passing its expiry (30 days), not an event, ends it
        event("clock", "c_open", "01-03", "room_opened"),
        # a room whose room_opened a late row of its event_id replaces: the room goes
        event("gone", "g_open", "01-03", "room_opened"),
    ], landing / "day_1.csv")
    database = build(landing / "*.csv", tmp_path / "db")
    marked = mark_every_row(database)
    last = last_rowids(database)

    write_events_csv([
        event("late_msg", "m_late", "01-05"), event("late_open", "o_late", "01-05", "room_opened"),
        event("before", "b_late", "01-01"), event("later", "l_open", "02-05", "room_opened"),
        # rejected, with no time to place it: in the audit all the same
        {**event("late_msg", "m_bad_time", "01-06"), "occurred_at": "2026-01-06T25:00:00+09:00"},
        # an earlier consultant's message under the room_opened's event_id: kept (D6), and it
        # opens no room (D32): the room is gone
        {**event("gone", "g_open", "01-02"), "sender_type": "consultant"},
    ], landing / "day_2.csv")
    build(landing / "*.csv", tmp_path / "db")

    assert recompute_from(database) == {
        "late_msg": ("m_open2",),
        "late_open": ("o_open1",),
        "before": (None,),
        "later": (None,),
        "gone": (None,),
    }
    # read to place the later events, not written again: the events before each stream's
    # earliest new one (m_open2, o_open1), and the clock-only stream's; the rooms before the
    # room_opened each stream's recomputation starts from (m_open1's)
    assert unmark_rows_not_written_again(database, marked) == {
        ROOMS: ["c_open", "m_open1", "m_open2", "o_open1"],
        LIFECYCLE: ["m_open1"],
    }
    # the rooms' charges, rows and shares: those of the rooms lifecycle kept stay in place; a
    # room that is gone leaves no row (the comparison with a full rebuild below)
    assert rooms_not_written_again(database, last) == {table: ["m_open1"] for table in ROOM_LEVEL}
    incremental = marts(database)
    expected = marts(build(landing / "*.csv", tmp_path / "full", "--full-refresh"))
    for table in COMPARED:
        assert incremental[table] == expected[table], table
    with connect_warehouse(database) as connection:
        placed = connection.execute(
            "select event_id, opened_event_id from intermediate.int_chat_events__assigned_to_rooms"
            " where customer_id in ('late_msg', 'late_open')"
            " order by customer_id, occurred_at, event_id"
        ).fetchall()
        assert placed == [("m_open1", "m_open1"), ("m_open2", "m_open2"), ("m_late", "m_open2"),
                          ("o_open1", "o_open1"), ("o_late", "o_late"), ("o_open2", "o_open2")]
        rejected = connection.execute(
            "select disposition, disposition_reason from marts.fct_chat_event_audit"
            " where event_id = 'm_bad_time'"
        ).fetchall()
    assert rejected == [("rejected", "unparseable_occurred_at")]


def test_a_rewritten_file_stops_the_build_until_a_full_refresh(tmp_path: Path) -> None:
    """The source must only grow. A file rewritten after it was loaded (here: its last row was
    half-written when first read) fails the build, naming the file, instead of leaving the
    vanished row billed; `--full-refresh` rebuilds from the files as they are now."""
    landing = tmp_path / "landing"
    base = {"channel_id": "ch", "customer_id": "u", "sender_type": "customer",
            "event_type": "message"}
    complete = [
        {**base, "event_id": "a", "occurred_at": "2026-01-05T10:00:00+09:00",
         "event_type": "room_opened"},
        {**base, "event_id": "b", "occurred_at": "2026-01-06T10:00:00+09:00"},
    ]
    write_events_csv([complete[0], {**complete[1], "occurred_at": "2026-01-06T1"}],
                     landing / "day.csv")
    build(landing / "*.csv", tmp_path / "db")
    write_events_csv(complete, landing / "day.csv")

    with pytest.raises(DbtBuildError) as failure:
        build(landing / "*.csv", tmp_path / "db")
    assert "loaded_rows_are_still_in_the_source" in str(failure.value)

    database = build(landing / "*.csv", tmp_path / "db", "--full-refresh")
    with connect_warehouse(database) as connection:
        audit = connection.execute(
            "select event_id, disposition from marts.fct_chat_event_audit order by event_id"
        ).fetchall()
    assert audit == [("a", "billed"), ("b", "billed")]


def loaded_files(database: Path) -> dict[str, tuple[int, object]]:
    """Per file validation holds rows of: (rows, the latest loaded_at)."""
    with connect_warehouse(database) as connection:
        rows = connection.execute(
            "select source_file, count(*), max(loaded_at)"
            " from intermediate.int_chat_events__validated group by source_file"
        ).fetchall()
    return {Path(name).name: (count, loaded_at) for name, count, loaded_at in rows}


def files_read_by_last_build(work: Path) -> set[str]:
    """The files the last build's validation read from staging: the names in its load filter,
    as compiled (`source_file in (...)`; `false` when none)."""
    ran = (work / "target" / "compiled" / "kakao_consult_billing" / "models" / "intermediate"
           / "chat_events" / "int_chat_events__validated.sql").read_text(encoding="utf-8")
    listed = re.search(r"where source_file in \(([^)]*)\)", ran)
    assert listed or "where false" in ran, "the build read every file"
    return {Path(name).name for name in re.findall(r"'([^']*)'", listed[1])} if listed else set()


def test_staging_reads_only_new_and_changed_files(tmp_path: Path) -> None:
    """D18: a file is parsed once; a new file is read on the next build, an untouched one is
    not read again, and a file that grew is read again whole, keeping every row it had."""
    landing = tmp_path / "landing"
    base = {"channel_id": "ch", "customer_id": "u", "sender_type": "customer"}
    first = [{**base, "event_id": "a", "occurred_at": "2026-01-05T10:00:00+09:00",
              "event_type": "room_opened"}]
    write_events_csv(first, landing / "monday.csv")
    database = build(landing / "*.csv", tmp_path / "db")
    before = loaded_files(database)

    write_events_csv([{**base, "event_id": "b", "occurred_at": "2026-01-06T10:00:00+09:00",
                       "event_type": "message"}], landing / "tuesday.csv")
    grown = [*first, {**base, "event_id": "c", "occurred_at": "2026-01-05T11:00:00+09:00",
                      "event_type": "message", "message_text": "!종료"}]
    write_events_csv(grown, landing / "monday_late.csv")
    build(landing / "*.csv", tmp_path / "db")
    assert files_read_by_last_build(tmp_path / "db") == {"tuesday.csv", "monday_late.csv"}
    middle = loaded_files(database)
    assert middle["monday.csv"] == before["monday.csv"], "an untouched file was loaded again"
    assert middle["tuesday.csv"][0] == 1
    assert middle["monday_late.csv"][0] == 2

    # the late file grows again: it is read again, whole, and nothing it had is lost
    write_events_csv([*grown, {**base, "event_id": "d", "occurred_at": "2026-01-07T10:00:00+09:00",
                               "event_type": "room_opened"}], landing / "monday_late.csv")
    build(landing / "*.csv", tmp_path / "db")
    assert files_read_by_last_build(tmp_path / "db") == {"monday_late.csv"}
    after = loaded_files(database)
    assert after["monday.csv"] == before["monday.csv"]
    assert after["tuesday.csv"] == middle["tuesday.csv"]
    assert after["monday_late.csv"][0] == 3
    assert after["monday_late.csv"][1] > middle["monday_late.csv"][1]

    # nothing new: no file is read
    build(landing / "*.csv", tmp_path / "db")
    assert files_read_by_last_build(tmp_path / "db") == set()
    assert loaded_files(database) == after

    # a file written again with the same rows (a copy of the folder): read once, its rows take
    # its new signature, and it is not read again
    modified = (landing / "monday.csv").stat().st_mtime + 60
    os.utime(landing / "monday.csv", (modified, modified))
    build(landing / "*.csv", tmp_path / "db")
    assert files_read_by_last_build(tmp_path / "db") == {"monday.csv"}
    build(landing / "*.csv", tmp_path / "db")
    assert files_read_by_last_build(tmp_path / "db") == set()
    assert loaded_files(database) == after

    incremental = marts(database)
    expected = marts(build(landing / "*.csv", tmp_path / "full", "--full-refresh"))
    for table in COMPARED:
        assert incremental[table] == expected[table], table


def two_room_openings(landing: Path, first: str, second: str) -> Path:
    """Two files of one room_opened each: event a (5 January) in `first`, b (6 January) in
    `second`."""
    base = {"channel_id": "ch", "customer_id": "u", "sender_type": "customer",
            "event_type": "room_opened"}
    write_events_csv([{**base, "event_id": "a", "occurred_at": "2026-01-05T10:00:00+09:00"}],
                     landing / first)
    write_events_csv([{**base, "event_id": "b", "occurred_at": "2026-01-06T10:00:00+09:00"}],
                     landing / second)
    return landing


def build_log(work: Path) -> str:
    return (work / "logs" / "dbt.log").read_text(encoding="utf-8")


def test_a_build_says_how_many_raw_rows_it_rejected_and_why(tmp_path: Path) -> None:
    """A misspelt event_type is a rejected row, not an error: the build passes (the events after
    it may fall outside a room, for a lower fee). Its last lines count the rows it validated,
    name the rejections by reason and count the rows of conflicting event_ids; a build with
    nothing new says so."""
    landing = two_room_openings(tmp_path / "landing", "day1.csv", "day2.csv")
    build(landing / "*.csv", tmp_path / "db")
    assert ("Raw rows validated by this build (new, or sharing an event_id with a new one): 2 "
            "(2 accepted; 0 rejected). What became of each row: marts.fct_chat_event_audit."
            in build_log(tmp_path / "db"))
    base = {"channel_id": "ch", "customer_id": "u", "sender_type": "customer"}
    write_events_csv([
        {**base, "event_id": "c", "event_type": "room_openned",
         "occurred_at": "2026-01-07T10:00:00+09:00"},
        {**base, "event_id": "d", "event_type": "message", "message_text": "hello",
         "occurred_at": "2026-01-07T10:01:00+09:00"},
        {**base, "event_id": "d", "event_type": "message", "message_text": "hello",
         "occurred_at": "2026-01-07T10:01:00+09:00"},
        # one event_id for two different messages: a conflict (D6), worth a look at the feed
        {**base, "event_id": "e", "event_type": "message", "message_text": "a",
         "occurred_at": "2026-01-07T10:02:00+09:00"},
        {**base, "event_id": "e", "event_type": "message", "message_text": "b",
         "occurred_at": "2026-01-07T10:02:00+09:00"},
    ], landing / "day3.csv")
    build(landing / "*.csv", tmp_path / "db")
    assert ("validated by this build (new, or sharing an event_id with a new one): 5 (2 accepted;"
            " 1 exact re-delivery of an event, counted once; 2 rejected: 1 duplicate_event_id,"
            " 1 unknown_event_type; 2 share an event_id with"
            " rows of other content, event_id_conflict)." in build_log(tmp_path / "db"))
    build(landing / "*.csv", tmp_path / "db")
    assert "Raw rows validated by this build: none (no new rows)." in build_log(tmp_path / "db")


def test_a_build_that_finishes_an_unfinished_one_counts_the_rows_it_validated(
    tmp_path: Path,
) -> None:
    """D31: a build that validated a file's rows and stopped before the marts (here a --select
    of validation) leaves them for the next build, which bills them; that build's summary
    counts them and names their rejections, which no build has said yet."""
    landing = tmp_path / "landing"
    base = {"channel_id": "ch", "customer_id": "u", "sender_type": "customer"}
    write_events_csv([{**base, "event_id": "a", "event_type": "room_opened",
                       "occurred_at": "2026-01-05T10:00:00+09:00"}], landing / "day1.csv")
    build(landing / "*.csv", tmp_path / "db")
    write_events_csv([
        {**base, "event_id": "b", "event_type": "room_opened",
         "occurred_at": "2026-01-06T10:00:00+09:00"},
        {**base, "event_id": "c", "event_type": "room_openned",
         "occurred_at": "2026-01-07T10:00:00+09:00"},
    ], landing / "day2.csv")
    run_dbt(["run", "--select", "+int_chat_events__validated"], tmp_path / "db",
            events_path=landing / "*.csv", vars=OPEN_MONTHS)
    database = build(landing / "*.csv", tmp_path / "db")
    assert ("Raw rows validated since the last complete build (new, or sharing an event_id with"
            " a new one; 2 of them by earlier builds that did not complete, whose work this one"
            " finishes): 2"
            " (1 accepted; 1 rejected: 1 unknown_event_type)." in build_log(tmp_path / "db"))
    with connect_warehouse(database) as connection:
        assert connection.execute("select sum(room_charges) from marts.fct_monthly_fees"
                                  ).fetchone() == (2,)


def test_a_file_edited_in_place_fails_naming_it_and_the_command_that_rebuilds(
    tmp_path: Path,
) -> None:
    """D16: a loaded file edited in place (a typo corrected) fails the data test
    loaded_rows_are_still_in_the_source, whose own output says only 'Got 1 result'. The build's
    last lines name the file, the rows it lost, and the command; that command then runs."""
    landing = two_room_openings(tmp_path / "landing", "day1.csv", "day2.csv")
    build(landing / "*.csv", tmp_path / "db")
    edited = landing / "day2.csv"
    edited.write_text(edited.read_text(encoding="utf-8").replace("10:00:00", "11:00:00"),
                      encoding="utf-8")
    with pytest.raises(DbtBuildError, match="loaded_rows_are_still_in_the_source"):
        build(landing / "*.csv", tmp_path / "db")
    assert (f"1 chat event file(s) no longer hold rows that an earlier build loaded (edited in "
            f"place or truncated): {edited} (1 row). The files must only grow (DECISIONLOG D16)."
            " To rebuild from them as they are now: `make build FULL_REFRESH=1`"
            in build_log(tmp_path / "db"))
    database = build(landing / "*.csv", tmp_path / "db", "--full-refresh")
    with connect_warehouse(database) as connection:
        assert connection.execute(
            "select occurred_at::varchar from marts.fct_chat_event_audit where event_id = 'b'"
        ).fetchall() == [("2026-01-06 02:00:00+00",)]


def test_a_build_under_changed_billing_vars_stops_until_a_full_refresh(tmp_path: Path) -> None:
    """D29: a build under another room_charge_policy than the warehouse's would recompute only
    the customers with new events under it; it stops before writing anything, naming the var
    and both values. A --full-refresh applies the new value to every room, and later builds
    under it run."""
    landing = two_room_openings(tmp_path / "landing", "day1.csv", "day2.csv")
    database = build(landing / "*.csv", tmp_path / "db")
    open_policy = {**OPEN_MONTHS, "room_charge_policy": "open"}

    def charges_and_settings() -> tuple[list[tuple[object, ...]], dict[str, str]]:
        with connect_warehouse(database) as connection:
            charges = connection.execute(
                "select opened_event_id, billing_date::varchar from marts.fct_room_charges"
                " join intermediate.int_chat_rooms__lifecycle using (room_id) order by all"
            ).fetchall()
            # the marts say which rules their figures follow, as the build log recorded them
            settings = dict(connection.execute(
                "select * from marts.rpt_billing_settings").fetchall())
            assert json.loads(connection.execute(
                "select billing_settings from staging.stg_build_log__builds where is_complete"
                " order by started_at desc limit 1").fetchone()[0]) == settings
        return charges, settings

    before = charges_and_settings()
    # activity: each room on its own day; room a is superseded by b on 6 January
    assert before[0] == [("a", "2026-01-05"), ("b", "2026-01-06")]
    assert before[1]["room_charge_policy"] == "activity"
    with pytest.raises(DbtBuildError) as failure:
        run_dbt(["build", "--exclude-resource-type", "unit_test"], tmp_path / "db",
                events_path=landing / "*.csv", vars=open_policy)
    assert "room_charge_policy = open (the warehouse was built with activity)" in str(
        failure.value)
    assert charges_and_settings() == before

    # open: room a is charged from its opening through its end, 6 January included
    run_dbt(["build", "--full-refresh", "--exclude-resource-type", "unit_test"],
            tmp_path / "db", events_path=landing / "*.csv", vars=open_policy)
    charges, settings = charges_and_settings()
    assert charges == [("a", "2026-01-05"), ("a", "2026-01-06"), ("b", "2026-01-06")]
    assert settings["room_charge_policy"] == "open"
    run_dbt(["build", "--exclude-resource-type", "unit_test"], tmp_path / "db",
            events_path=landing / "*.csv", vars=open_policy)


def test_a_deleted_file_stops_the_build_until_a_full_refresh(tmp_path: Path) -> None:
    """A file that an earlier build loaded and that has gone stops the build, naming it."""
    landing = two_room_openings(tmp_path / "landing", "kept.csv", "removed.csv")
    build(landing / "*.csv", tmp_path / "db")
    (landing / "removed.csv").unlink()

    with pytest.raises(DbtBuildError) as failure:
        build(landing / "*.csv", tmp_path / "db")
    message = str(failure.value)
    assert "removed.csv" in message
    assert "no longer in chat_events_path" in message
    assert "drop_missing_files: true" in message

    # a full refresh would drop the file's rows: it stops too, until that is said
    with pytest.raises(DbtBuildError) as failure:
        build(landing / "*.csv", tmp_path / "db", "--full-refresh")
    assert "removed.csv" in str(failure.value)
    assert "drop_missing_files: true" in str(failure.value)

    database = run_dbt(["build", "--exclude-resource-type", "unit_test", "--full-refresh"],
                       tmp_path / "db", events_path=landing / "*.csv",
                       vars={**OPEN_MONTHS, "drop_missing_files": True})
    with connect_warehouse(database) as connection:
        audit = connection.execute("select event_id from marts.fct_chat_event_audit").fetchall()
    assert audit == [("a",)]


def test_a_full_refresh_without_the_scheduled_path_stops_instead_of_dropping_files(
    tmp_path: Path,
) -> None:
    """D16: a --full-refresh run without the glob the scheduled builds use (here: one of the
    two files) would drop the other file's rows; it stops naming it, and the warehouse keeps
    every row."""
    landing = two_room_openings(tmp_path / "landing", "day1.csv", "day2.csv")
    database = build(landing / "*.csv", tmp_path / "db")

    with pytest.raises(DbtBuildError) as failure:
        build(landing / "day1.csv", tmp_path / "db", "--full-refresh")
    message = str(failure.value)
    assert "day2.csv" in message
    assert "not in chat_events_path" in message

    with connect_warehouse(database) as connection:
        audit = connection.execute(
            "select event_id from marts.fct_chat_event_audit order by 1").fetchall()
    assert audit == [("a",), ("b",)]
    # with the scheduled path, the full refresh runs, validation's unit tests included (they
    # compile the model without a table of their own)
    run_dbt(["build", "--full-refresh", "--select", "int_chat_events__validated"], tmp_path / "db",
            events_path=landing / "*.csv", vars=OPEN_MONTHS)
    build(landing / "*.csv", tmp_path / "db", "--full-refresh")


def test_a_row_rejected_as_in_the_future_is_checked_again_by_later_builds(tmp_path: Path) -> None:
    """Staging judges occurred_at_in_future when it loads a file, against that run's clock;
    validation re-checks those rows on every build (D18), so a row the clock has caught up
    with is billed without its file being read again. Here the clock's reach moves through
    var occurred_at_max_future_days instead of waiting a day."""
    landing = tmp_path / "landing"
    tomorrow = (datetime.now(UTC) + timedelta(days=1)).strftime("%Y-%m-%dT%H:%M:%SZ")
    write_events_csv([{"event_id": "early_bird", "occurred_at": tomorrow, "channel_id": "ch",
                       "customer_id": "u", "event_type": "room_opened",
                       "sender_type": "customer"}], landing / "day.csv")

    def build_with(future_days: int) -> Path:
        return run_dbt(["build", "--exclude-resource-type", "unit_test"], tmp_path / "db",
                       events_path=landing / "*.csv",
                       vars={**OPEN_MONTHS, "occurred_at_max_future_days": future_days})

    def disposition(database: Path) -> list[tuple[str, str]]:
        with connect_warehouse(database) as connection:
            return connection.execute(
                "select disposition, disposition_reason from marts.fct_chat_event_audit"
            ).fetchall()

    database = build_with(0)
    assert disposition(database) == [("rejected", "occurred_at_in_future")]
    loaded = loaded_files(database)

    database = build_with(2)
    assert files_read_by_last_build(tmp_path / "db") == set(), "the file was read again"
    assert loaded_files(database) == loaded
    assert disposition(database) == [("billed", "room_activity")]


def test_an_open_month_that_loses_all_its_charges_loses_its_row(tmp_path: Path) -> None:
    """A late `!종료` can end a room before the only message of a later month: that month's
    charges all go, and its row goes too, as in a full build (an incremental build first
    writes a zero row to replace the old one, then deletes it)."""
    landing = tmp_path / "landing"
    base = {"channel_id": "ch", "customer_id": "u", "sender_type": "customer"}
    write_events_csv([
        {**base, "event_id": "open", "occurred_at": "2026-03-25T10:00:00+09:00",
         "event_type": "room_opened"},
        # the consultant's: a customer's message after the late !종료 would open a room (D32)
        {**base, "event_id": "april", "occurred_at": "2026-04-08T10:00:00+09:00",
         "event_type": "message", "sender_type": "consultant"},
    ], landing / "march.csv")
    database = build(landing / "*.csv", tmp_path / "db")

    def months(database: Path) -> list[tuple[str, int]]:
        with connect_warehouse(database) as connection:
            return connection.execute(
                "select usage_month::varchar, room_charges from marts.fct_monthly_fees"
                " order by usage_month"
            ).fetchall()

    assert months(database) == [("2026-03-01", 1), ("2026-04-01", 1)]
    write_events_csv([{**base, "event_id": "bye", "occurred_at": "2026-03-26T10:00:00+09:00",
                       "event_type": "message", "message_text": "!종료"}], landing / "late.csv")
    database = build(landing / "*.csv", tmp_path / "db")
    assert months(database) == [("2026-03-01", 2)]
    assert months(build(landing / "*.csv", tmp_path / "full", "--full-refresh")) == months(database)


def test_a_warehouse_built_by_an_earlier_version_stops_the_build_until_a_full_refresh(
    tmp_path: Path,
) -> None:
    """An incremental table without a column this version writes or reads (a warehouse built
    before the column existed) stops the build with the fix, instead of failing on a binder
    error or silently dropping the new column's values (on_schema_change: fail)."""
    landing = tmp_path / "landing"
    write_events_csv([{"event_id": "a", "occurred_at": "2026-01-05T10:00:00+09:00",
                       "channel_id": "ch", "customer_id": "u", "event_type": "room_opened",
                       "sender_type": "customer"}], landing / "day.csv")
    database = build(landing / "*.csv", tmp_path / "db")

    for table, column, expected in [
        # read before the materialization runs: the files validation has loaded
        ("intermediate.int_chat_events__validated", "source_file_signature",
         "has no column source_file_signature"),
        # only written: dbt's schema comparison
        ("marts.fct_room_charges", "consultant_message_count", "out of sync"),
    ]:
        with connect_warehouse(database) as connection:
            connection.execute(f"alter table {table} drop column {column}")
        with pytest.raises(DbtBuildError) as failure:
            build(landing / "*.csv", tmp_path / "db")
        assert expected in str(failure.value), table
        assert "full-refresh" in str(failure.value).replace("full_refresh", "full-refresh")
        database = build(landing / "*.csv", tmp_path / "db", "--full-refresh")
        with connect_warehouse(database) as connection:
            columns = [row[0] for row in connection.execute(f"describe {table}").fetchall()]
        assert column in columns


def test_an_unfinished_full_refresh_under_other_vars_stops_the_next_ordinary_build(
    tmp_path: Path,
) -> None:
    """D29, D31: a --full-refresh under another room_charge_policy that did not complete (here
    it ran only up to validation) may have left rows computed under it; an ordinary build under
    the old value cannot finish that work, so it stops naming the unfinished build and the var,
    and a --full-refresh under the value wanted runs."""
    landing = two_room_openings(tmp_path / "landing", "day1.csv", "day2.csv")
    build(landing / "*.csv", tmp_path / "db")
    run_dbt(["build", "--full-refresh", "--select", "+int_chat_events__validated",
             "--exclude-resource-type", "test"], tmp_path / "db",
            events_path=landing / "*.csv", vars={**OPEN_MONTHS, "room_charge_policy": "open"})
    with pytest.raises(DbtBuildError) as failure:
        build(landing / "*.csv", tmp_path / "db")
    message = str(failure.value)
    assert "A build that did not complete (`dbt build --full-refresh --select" in message
    assert re.search(r"`, started \d{4}-\d\d-\d\d \d\d:\d\d:\d\d KST\) ran", message)
    assert "room_charge_policy = activity (that build had open)" in message
    build(landing / "*.csv", tmp_path / "db", "--full-refresh")
    build(landing / "*.csv", tmp_path / "db")


def test_a_build_whose_clock_is_behind_the_last_build_stops(tmp_path: Path) -> None:
    """D31: the models find new rows by the start of the build that loaded them, so a build that
    starts before an earlier one did (the machine's clock set back; here the log's last start is
    moved a day ahead) would miss rows: it stops before writing anything."""
    landing = two_room_openings(tmp_path / "landing", "day1.csv", "day2.csv")
    database = build(landing / "*.csv", tmp_path / "db")
    with connect_warehouse(database) as connection:
        connection.execute("update build_log.builds set started_at = started_at + interval 1 day")
        before = connection.execute("select count(*) from build_log.builds").fetchone()
    with pytest.raises(DbtBuildError, match=r"starts at [-\d :]+ KST by this machine's clock, not"
                       r" after the start of an earlier build of the warehouse \([-\d :]+ KST\)"):
        build(landing / "*.csv", tmp_path / "db")
    with connect_warehouse(database) as connection:
        assert connection.execute("select count(*) from build_log.builds").fetchone() == before
