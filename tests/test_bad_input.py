"""Bad input rows never stop the build: each one is parsed and billed, or rejected with a reason.

Every file in tests/fixtures/bad_input is one case with its own channel (its own event ids, since
deduplication is global). They are built together by one `dbt build`, with two files generated
here: a message of 1 MB and timestamps relative to today. A second build over the
implausible-timestamp files checks that the plausibility vars move the limits.
"""

from __future__ import annotations

import codecs
import csv
import shutil
from collections import Counter
from collections.abc import Iterator, Mapping
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import duckdb
import pytest

from dbt_harness import build_warehouse, connect_warehouse, write_events_csv

BAD_INPUT = Path(__file__).parent / "fixtures" / "bad_input"
LONG_MESSAGE_FILE = "07_long_message.csv"
RELATIVE_TIMES_FILE = "03_implausible_relative.csv"
LONG_MESSAGE_BYTES = 1024 * 1024
LIMIT_OVERRIDES: dict[str, object] = {
    "occurred_at_min": "2000-01-01",
    "occurred_at_max_future_days": 10,
}

BILLED = ("billed", "room_activity")
OUTSIDE_ROOM = ("unbilled", "outside_room")
DUPLICATE = ("rejected", "duplicate_event_id")
TOO_EARLY = ("rejected", "occurred_at_too_early")
IN_FUTURE = ("rejected", "occurred_at_in_future")
UNPARSEABLE = ("rejected", "unparseable_occurred_at")
MISSING_TIME = ("rejected", "missing_occurred_at")

Row = tuple[Any, ...]
Events = list[Mapping[str, str | None]]


def long_message_text() -> str:
    """Exactly LONG_MESSAGE_BYTES of UTF-8, with commas, quotes and newlines inside."""
    unit = '긴 메시지, "quoted" long message\n'
    text = unit * (LONG_MESSAGE_BYTES // len(unit.encode("utf-8")))
    return text + "x" * (LONG_MESSAGE_BYTES - len(text.encode("utf-8")))


def long_message_events() -> Events:
    room = {"channel_id": "c07_long", "customer_id": "cu07_long"}
    return [
        {**room, "event_id": "long_open", "occurred_at": "2026-03-08T12:00:00+09:00",
         "event_type": "room_opened", "sender_type": "customer", "entry_point": "app"},
        {**room, "event_id": "long_message", "occurred_at": "2026-03-08T12:01:00+09:00",
         "event_type": "message", "sender_type": "customer", "message_text": long_message_text()},
        {**room, "event_id": "long_end", "occurred_at": "2026-03-08T12:02:00+09:00",
         "event_type": "message", "sender_type": "consultant", "consultant_id": "kim",
         "message_text": "!종료"},
    ]


def relative_time_events(now: datetime) -> Events:
    """One room opening a day from now (plausible) and one five days from now (not, by default)."""
    events: Events = []
    for event_id, days in (("im_next_day", 1), ("im_in_five_days", 5)):
        events.append({
            "event_id": event_id,
            "occurred_at": (now + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "channel_id": "c03_implausible",
            "customer_id": f"cu_{event_id}",
            "event_type": "room_opened",
            "sender_type": "customer",
            "entry_point": "consult_button",
        })
    return events


@pytest.fixture(scope="session")
def generated_events() -> dict[str, Events]:
    return {
        LONG_MESSAGE_FILE: long_message_events(),
        RELATIVE_TIMES_FILE: relative_time_events(datetime.now(UTC)),
    }


@pytest.fixture(scope="session")
def events_dir(
    tmp_path_factory: pytest.TempPathFactory, generated_events: dict[str, Events]
) -> Path:
    """The committed fixtures, byte for byte, plus the generated files."""
    directory = tmp_path_factory.mktemp("bad_input_events")
    for fixture in sorted(BAD_INPUT.glob("*.csv")):
        shutil.copyfile(fixture, directory / fixture.name)
    for name, events in generated_events.items():
        write_events_csv(events, directory / name)
    return directory


@pytest.fixture(scope="session")
def bad_input_warehouse(
    events_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[duckdb.DuckDBPyConnection]:
    """Every bad-input file built together with the default vars."""
    database = build_warehouse(events_dir / "*.csv", tmp_path_factory.mktemp("bad_input_build"))
    connection = connect_warehouse(database)
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def overridden_limits_warehouse(
    events_dir: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[duckdb.DuckDBPyConnection]:
    """The implausible-timestamp files built with occurred_at_min and the future bound moved."""
    database = build_warehouse(
        events_dir / "03_*.csv", tmp_path_factory.mktemp("limits_build"), vars=LIMIT_OVERRIDES
    )
    connection = connect_warehouse(database)
    yield connection
    connection.close()


def dispositions(
    connection: duckdb.DuckDBPyConnection, column: str, value: str
) -> dict[str, tuple[str, str]]:
    """event_id -> (disposition, reason) of the audit rows with `column` = value."""
    rows = connection.execute(
        "select event_id, disposition, disposition_reason from marts.fct_chat_event_audit"
        f" where {column} = ?",
        [value],
    ).fetchall()
    by_event_id = {event_id: (disposition, reason) for event_id, disposition, reason in rows}
    assert len(by_event_id) == len(rows), f"event ids repeat in {rows}"
    return by_event_id


def file_dispositions(
    connection: duckdb.DuckDBPyConnection, file_name: str
) -> dict[str, tuple[str, str]]:
    """occurred_at_text -> (disposition, reason) of the audit rows from one input file."""
    rows = connection.execute(
        "select occurred_at_text, disposition, disposition_reason"
        " from marts.fct_chat_event_audit where parse_filename(source_file) = ?",
        [file_name],
    ).fetchall()
    by_time = {occurred_at: (disposition, reason) for occurred_at, disposition, reason in rows}
    assert len(by_time) == len(rows), f"occurred_at_text repeats in {rows}"
    return by_time


def charges(connection: duckdb.DuckDBPyConnection, channel_id: str) -> list[Row]:
    return connection.execute(
        "select billing_date, charge_reason, unit_price_krw, active_consultant_ids,"
        " consultant_message_count from marts.fct_room_charges where channel_id = ?"
        " order by billing_date",
        [channel_id],
    ).fetchall()


def rooms(connection: duckdb.DuckDBPyConnection, channel_id: str) -> list[Row]:
    return connection.execute(
        "select customer_id, opened_event_id, end_reason, entry_point, message_count,"
        " charged_days, fee_krw from marts.fct_chat_rooms where channel_id = ?"
        " order by opened_at",
        [channel_id],
    ).fetchall()


def monthly_fees(connection: duckdb.DuckDBPyConnection, channel_id: str) -> list[Row]:
    return connection.execute(
        "select * exclude (channel_id) from marts.fct_monthly_fees where channel_id = ?"
        " order by usage_month",
        [channel_id],
    ).fetchall()


def raw_message_text(connection: duckdb.DuckDBPyConnection, event_id: str) -> str:
    rows = connection.execute(
        "select message_text from kakao.chat_events where event_id = ?", [event_id]
    ).fetchall()
    assert len(rows) == 1, f"{event_id}: {len(rows)} raw rows"
    return str(rows[0][0])


def fixture_row_count(path: Path) -> int:
    """Records in a committed fixture file, read independently of DuckDB."""
    with path.open(encoding="utf-8-sig", newline="") as handle:
        return sum(1 for _ in csv.DictReader(handle))


# 1. UTF-8 BOM, CRLF line endings, commas and newlines inside quoted fields


def test_bom_crlf_file_parses_every_row_with_event_id_first(
    bad_input_warehouse: duckdb.DuckDBPyConnection,
) -> None:
    raw = (BAD_INPUT / "01_bom_crlf.csv").read_bytes()
    assert raw.startswith(codecs.BOM_UTF8 + b"event_id,")
    assert b"\r\n" in raw and raw.count(b"\n") == raw.count(b"\r\n")
    raw_ids = bad_input_warehouse.execute(
        "select event_id from kakao.chat_events"
        " where parse_filename(source_file) = '01_bom_crlf.csv'"
    ).fetchall()
    assert sorted(row[0] for row in raw_ids) == sorted(
        ["bom_open", "bom_m1", "bom_m2", "bom_m3", "bom_end", "bom_after"]
    )
    assert raw_message_text(bad_input_warehouse, "bom_m1") == (
        "안녕하세요, 문의가 있습니다.\r\n주문번호는 1,234 입니다."
    )
    assert raw_message_text(bad_input_warehouse, "bom_m2") == '네, "확인"했습니다,\r\n\r\n잠시만요'
    assert dispositions(bad_input_warehouse, "channel_id", "c01_bom_crlf") == {
        "bom_open": BILLED,
        "bom_m1": BILLED,
        "bom_m2": BILLED,
        "bom_m3": BILLED,
        "bom_end": BILLED,
        # the customer writes again after !종료: a new room (D32)
        "bom_after": ("billed", "opened_by_customer_message"),
    }


def test_bom_crlf_file_is_charged_like_the_clean_file(
    bad_input_warehouse: duckdb.DuckDBPyConnection,
) -> None:
    expected_charges = [
        (date(2026, 3, 2), "room_opened", 100, None, 0),
        (date(2026, 3, 3), "day_rollover", 100, "kim", 1),
        # the message after !종료 opens a room (D32)
        (date(2026, 3, 4), "room_opened", 100, None, 0),
    ]
    assert charges(bad_input_warehouse, "c01_clean") == expected_charges
    assert charges(bad_input_warehouse, "c01_bom_crlf") == expected_charges
    clean_rooms = rooms(bad_input_warehouse, "c01_clean")
    assert [room[:4] for room in clean_rooms] == [
        ("cu01", "cln_open", "end_command", "consult_button"),
        ("cu01", "cln_after", clean_rooms[1][2], "customer_message"),
    ]
    assert clean_rooms[0][4:] == (4, 2, 200)
    assert clean_rooms[1][4:] == (1, 1, 100)
    assert rooms(bad_input_warehouse, "c01_bom_crlf") == [
        ("cu01", "bom_open", *clean_rooms[0][2:]),
        ("cu01", "bom_after", *clean_rooms[1][2:]),
    ]
    assert monthly_fees(bad_input_warehouse, "c01_bom_crlf") == monthly_fees(
        bad_input_warehouse, "c01_clean"
    )


# 2. Timestamp formats (DECISIONLOG D3)


def test_timestamp_formats_with_and_without_offset_parse_to_utc(
    bad_input_warehouse: duckdb.DuckDBPyConnection,
) -> None:
    one_am_utc = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
    march_2 = date(2026, 3, 2)
    expected = {
        "ts_fraction_ms": (one_am_utc.replace(microsecond=250000), march_2),
        "ts_fraction_ns": (one_am_utc.replace(microsecond=123456), march_2),
        "ts_zulu": (one_am_utc, march_2),
        "ts_offset_colon": (one_am_utc, march_2),
        "ts_offset_compact": (one_am_utc, march_2),
        "ts_offset_negative": (one_am_utc, march_2),
        "ts_no_offset": (one_am_utc, march_2),
        "ts_no_offset_space_minutes": (one_am_utc, march_2),
        # the local forms Korean exports write (D36): KST wall-clock time
        "ts_korean_excel_am": (one_am_utc, march_2),
        "ts_slash_one_digit_month": (one_am_utc, march_2),
        "ts_dot_seconds": (one_am_utc, march_2),
        "ts_korean_locale": (one_am_utc, march_2),
        "ts_korean_words": (one_am_utc, march_2),
        # 오후 12:10 is ten past noon; 오전 12:30 half past midnight, before 04:00: March 1st's
        # billing day
        "ts_korean_excel_noon": (datetime(2026, 3, 2, 3, 10, tzinfo=UTC), march_2),
        "ts_korean_excel_half_past_midnight": (
            datetime(2026, 3, 1, 15, 30, tzinfo=UTC), date(2026, 3, 1)),
        "ts_slash_one_digit_hour": (datetime(2026, 3, 1, 19, 20, tzinfo=UTC), march_2),
        "ts_korean_excel_pm": (datetime(2026, 3, 2, 6, 5, 9, tzinfo=UTC), march_2),
    }
    rows = bad_input_warehouse.execute(
        "select event_id, occurred_at, billing_date, disposition, disposition_reason"
        " from marts.fct_chat_event_audit"
        " where channel_id = 'c02_timestamps' and disposition <> 'rejected'"
    ).fetchall()
    assert {row[0]: (row[1], row[2]) for row in rows} == expected
    assert {tuple(row[3:]) for row in rows} == {BILLED}
    assert len(charges(bad_input_warehouse, "c02_timestamps")) == len(expected)


def test_unparseable_and_missing_timestamps_are_rejected(
    bad_input_warehouse: duckdb.DuckDBPyConnection,
) -> None:
    rows = bad_input_warehouse.execute(
        "select event_id, occurred_at_text, occurred_at, disposition, disposition_reason"
        " from marts.fct_chat_event_audit"
        " where channel_id = 'c02_timestamps' and disposition = 'rejected'"
    ).fetchall()
    assert {row[0]: (row[1], row[2], *row[3:]) for row in rows} == {
        "ts_garbage": ("not-a-time", None, *UNPARSEABLE),
        "ts_date_only": ("2026-03-02", None, *UNPARSEABLE),
        "ts_no_such_day": ("2026-02-30T10:00:00+09:00", None, *UNPARSEABLE),
        "ts_hour_24": ("2026-03-02T24:00:00+09:00", None, *UNPARSEABLE),
        "ts_lower_case_t": ("2026-03-02t10:00:00+09:00", None, *UNPARSEABLE),
        "ts_pm_hour_13": ("2026-03-02 오후 13:00:00", None, *UNPARSEABLE),
        "ts_am_hour_0": ("2026-03-02 오전 0:30:00", None, *UNPARSEABLE),
        "ts_slash_no_such_day": ("2026/02/30 10:00", None, *UNPARSEABLE),
        "ts_us_order": ("03/02/2026 10:00", None, *UNPARSEABLE),
        "ts_dot_date_only": ("2026.03.02", None, *UNPARSEABLE),
        "ts_empty": (None, None, *MISSING_TIME),
        "ts_blank": (None, None, *MISSING_TIME),
    }


# 3. Implausible timestamps (vars occurred_at_min, occurred_at_max_future_days)


def test_implausible_timestamps_are_rejected_with_default_limits(
    bad_input_warehouse: duckdb.DuckDBPyConnection,
) -> None:
    assert dispositions(bad_input_warehouse, "channel_id", "c03_implausible") == {
        "im_1999": TOO_EARLY,
        "im_2001": TOO_EARLY,
        "im_before_min": TOO_EARLY,  # 2014-12-31 23:59:59 KST
        "im_at_min": BILLED,  # 2015-01-01 00:00:00 KST
        "im_recent": BILLED,
        "im_2999": IN_FUTURE,
        "im_next_day": BILLED,
        "im_in_five_days": IN_FUTURE,
    }
    charged = bad_input_warehouse.execute(
        "select customer_id, billing_date from marts.fct_room_charges"
        " where channel_id = 'c03_implausible'"
    ).fetchall()
    assert sorted(customer for customer, _ in charged) == [
        "cu_im_at_min", "cu_im_next_day", "cu_im_recent"
    ]
    assert date(2014, 12, 31) in {billing_date for _, billing_date in charged}


def test_overridden_timestamp_limits_change_which_rows_are_accepted(
    overridden_limits_warehouse: duckdb.DuckDBPyConnection,
) -> None:
    assert dispositions(overridden_limits_warehouse, "channel_id", "c03_implausible") == {
        "im_1999": TOO_EARLY,
        "im_2001": BILLED,
        "im_before_min": BILLED,
        "im_at_min": BILLED,
        "im_recent": BILLED,
        "im_2999": IN_FUTURE,
        "im_next_day": BILLED,
        "im_in_five_days": BILLED,
    }
    charged_2001 = overridden_limits_warehouse.execute(
        "select billing_date, charge_reason, unit_price_krw from marts.fct_room_charges"
        " where customer_id = 'cu_im_2001'"
    ).fetchall()
    assert charged_2001 == [(date(2001, 6, 1), "room_opened", 100)]


# 4. Unknown enum values and empty or whitespace-only ids (DECISIONLOG D4, D5)


def test_unknown_event_type_and_sender_type_are_rejected(
    bad_input_warehouse: duckdb.DuckDBPyConnection,
) -> None:
    by_time = file_dispositions(bad_input_warehouse, "04_ids_and_enums.csv")
    assert {time: by_time[time] for time in sorted(by_time)[:5]} == {
        "2026-03-02T10:00:00+09:00": BILLED,
        "2026-03-02T10:01:00+09:00": BILLED,  # no sender_type: optional
        "2026-03-02T10:02:00+09:00": BILLED,  # ' MESSAGE ', ' Customer ': trimmed, lower-cased
        "2026-03-02T10:03:00+09:00": ("rejected", "unknown_event_type"),
        "2026-03-02T10:04:00+09:00": ("rejected", "unknown_sender_type"),
    }


def test_empty_or_whitespace_only_ids_are_rejected_as_missing(
    bad_input_warehouse: duckdb.DuckDBPyConnection,
) -> None:
    by_time = file_dispositions(bad_input_warehouse, "04_ids_and_enums.csv")
    assert {time: by_time[time] for time in sorted(by_time)[5:]} == {
        "2026-03-02T10:05:00+09:00": ("rejected", "missing_event_id"),  # empty
        "2026-03-02T10:06:00+09:00": ("rejected", "missing_event_id"),  # spaces
        "2026-03-02T10:07:00+09:00": ("rejected", "missing_event_id"),  # tab, U+3000
        "2026-03-02T10:08:00+09:00": ("rejected", "missing_channel_id"),
        "2026-03-02T10:09:00+09:00": ("rejected", "missing_channel_id"),
        "2026-03-02T10:10:00+09:00": ("rejected", "missing_customer_id"),
        "2026-03-02T10:11:00+09:00": ("rejected", "missing_customer_id"),
    }
    assert charges(bad_input_warehouse, "c04_fields") == [
        (date(2026, 3, 2), "room_opened", 100, None, 0)
    ]


# 5. Repeated event ids (DECISIONLOG D6)


def event_id_rows(connection: duckdb.DuckDBPyConnection, event_id: str) -> list[Row]:
    return connection.execute(
        "select occurred_at_text, disposition, disposition_reason"
        " from marts.fct_chat_event_audit where event_id = ? order by all",
        [event_id],
    ).fetchall()


def test_identical_duplicate_event_is_billed_once(
    bad_input_warehouse: duckdb.DuckDBPyConnection,
) -> None:
    assert event_id_rows(bad_input_warehouse, "d_same_open") == [
        ("2026-03-02T10:00:00+09:00", *BILLED),
        ("2026-03-02T10:00:00+09:00", *DUPLICATE),
    ]
    charged = bad_input_warehouse.execute(
        "select billing_date, charge_reason from marts.fct_room_charges"
        " where channel_id = 'c05_duplicates' and customer_id = 'cu05a'"
    ).fetchall()
    assert charged == [(date(2026, 3, 2), "room_opened")]


def test_conflicting_duplicate_keeps_the_earliest_row(
    bad_input_warehouse: duckdb.DuckDBPyConnection,
) -> None:
    assert event_id_rows(bad_input_warehouse, "d_conflict") == [
        ("2026-03-04T10:00:00+09:00", *BILLED),
        ("2026-03-05T10:00:00+09:00", *DUPLICATE),
    ]
    # the message of 03-04 10:05 falls in the room only if the 03-04 opening was kept
    assert event_id_rows(bad_input_warehouse, "d_unique") == [
        ("2026-03-04T10:05:00+09:00", *BILLED)
    ]
    charged = bad_input_warehouse.execute(
        "select billing_date, charge_reason from marts.fct_room_charges"
        " where channel_id = 'c05_duplicates' and customer_id = 'cu05b'"
    ).fetchall()
    assert charged == [(date(2026, 3, 4), "room_opened")]


def test_event_id_conflict_flags_only_ids_with_differing_content(
    bad_input_warehouse: duckdb.DuckDBPyConnection,
) -> None:
    audit_columns = {
        row[0]
        for row in bad_input_warehouse.execute(
            "select column_name from information_schema.columns"
            " where table_schema = 'marts' and table_name = 'fct_chat_event_audit'"
        ).fetchall()
    }
    assert "event_id_conflict" in audit_columns, "fct_chat_event_audit lacks event_id_conflict"
    flags = bad_input_warehouse.execute(
        "select event_id, event_id_conflict, count(*) over (partition by event_id)"
        " from marts.fct_chat_event_audit where event_id is not null"
    ).fetchall()
    case_flags = Counter((event_id, flag) for event_id, flag, _ in flags if event_id[:2] == "d_")
    assert case_flags == {
        ("d_same_open", False): 2,
        ("d_same_msg", False): 1,
        ("d_conflict", True): 2,
        ("d_unique", False): 1,
    }
    unique_id_flags = Counter(flag for _, flag, rows in flags if rows == 1)
    assert unique_id_flags[False] > 50
    assert set(unique_id_flags) == {False}


# 6. Text that looks like SQL or Jinja, in every text field

HOSTILE_CHANNEL = "{{ var('x') }}"
HOSTILE_CUSTOMER = "{% raw %}"
HOSTILE_EVENT_IDS = (
    "x'; drop table marts.fct_room_charges; --",
    '"; select * from information_schema.tables; /*',
    "{{ 7 * 7 }}",
    "{% endraw %}') or 1=1 --",
)


def test_sql_and_jinja_text_is_kept_verbatim(
    bad_input_warehouse: duckdb.DuckDBPyConnection,
) -> None:
    audited = bad_input_warehouse.execute(
        "select event_id, channel_id, customer_id, disposition from marts.fct_chat_event_audit"
        " where parse_filename(source_file) = '06_sql_and_jinja_text.csv'"
        " and channel_id <> 'c06_clean'"
    ).fetchall()
    assert sorted(audited) == sorted(
        (event_id, HOSTILE_CHANNEL, HOSTILE_CUSTOMER, "billed") for event_id in HOSTILE_EVENT_IDS
    )
    assert raw_message_text(bad_input_warehouse, HOSTILE_EVENT_IDS[0]) == "'); select 1; --"
    assert rooms(bad_input_warehouse, HOSTILE_CHANNEL) == [(
        HOSTILE_CUSTOMER, HOSTILE_EVENT_IDS[0], "end_command",
        "'); delete from kakao.chat_events; --", 3, 2, 200,
    )]
    relations = {
        f"{schema}.{name}"
        for schema, name in bad_input_warehouse.execute(
            "select table_schema, table_name from information_schema.tables"
        ).fetchall()
    }
    assert {
        "kakao.chat_events",
        "marts.fct_room_charges",
        "marts.fct_monthly_fees",
        "marts.fct_chat_rooms",
        "marts.fct_chat_event_audit",
    } <= relations


def test_sql_and_jinja_text_is_charged_like_clean_text(
    bad_input_warehouse: duckdb.DuckDBPyConnection,
) -> None:
    assert charges(bad_input_warehouse, "c06_clean") == [
        (date(2026, 3, 6), "room_opened", 100, "kim", 1),
        (date(2026, 3, 7), "day_rollover", 100, None, 0),
    ]
    assert charges(bad_input_warehouse, HOSTILE_CHANNEL) == [
        (date(2026, 3, 6), "room_opened", 100, "{{ this }}", 1),
        (date(2026, 3, 7), "day_rollover", 100, None, 0),
    ]
    assert monthly_fees(bad_input_warehouse, HOSTILE_CHANNEL) == monthly_fees(
        bad_input_warehouse, "c06_clean"
    )
    assert len(monthly_fees(bad_input_warehouse, "c06_clean")) == 1


# 7. A 1 MB message, emoji and non-Korean text


def test_one_megabyte_message_is_billed_normally(
    bad_input_warehouse: duckdb.DuckDBPyConnection,
) -> None:
    stored = raw_message_text(bad_input_warehouse, "long_message")
    assert len(stored.encode("utf-8")) == LONG_MESSAGE_BYTES
    assert stored == long_message_text()
    assert dispositions(bad_input_warehouse, "channel_id", "c07_long") == {
        "long_open": BILLED,
        "long_message": BILLED,
        "long_end": BILLED,
    }
    assert charges(bad_input_warehouse, "c07_long") == [
        (date(2026, 3, 8), "room_opened", 100, "kim", 1)
    ]
    assert rooms(bad_input_warehouse, "c07_long") == [
        ("cu07_long", "long_open", "end_command", "app", 2, 1, 100)
    ]


def test_emoji_and_non_korean_text_round_trip_in_ids_and_messages(
    bad_input_warehouse: duckdb.DuckDBPyConnection,
) -> None:
    channel = "c07_유니코드_ユニコード"
    assert dispositions(bad_input_warehouse, "channel_id", channel) == {
        "😊🎉-open": BILLED,
        "イベント-2": BILLED,
        "حدث-3": BILLED,
        "👍-4": BILLED,
    }
    assert raw_message_text(bad_input_warehouse, "😊🎉-open") == "😊🎉"
    assert raw_message_text(bad_input_warehouse, "حدث-3") == "مرحبا، كيف يمكنني مساعدتك؟"
    customers = bad_input_warehouse.execute(
        "select customer_id from marts.fct_chat_event_audit where channel_id = ?"
        " union all select customer_id from marts.fct_room_charges where channel_id = ?"
        " union all select customer_id from marts.fct_chat_rooms where channel_id = ?",
        [channel] * 3,
    ).fetchall()
    assert customers == [("😊🎉",)] * 7
    assert charges(bad_input_warehouse, channel) == [
        (date(2026, 3, 8), "room_opened", 100, "مستشار", 1),
        (date(2026, 3, 9), "day_rollover", 100, None, 0),
    ]


# 8. Every raw row is accounted for, in every build


def audit_totals(connection: duckdb.DuckDBPyConnection) -> tuple[int, int, dict[str, int]]:
    raw_rows = connection.execute("select count(*) from kakao.chat_events").fetchone()
    audited = connection.execute("select count(*) from marts.fct_chat_event_audit").fetchone()
    assert raw_rows is not None and audited is not None
    by_disposition = dict(
        connection.execute(
            "select disposition, count(*) from marts.fct_chat_event_audit group by all"
        ).fetchall()
    )
    return raw_rows[0], audited[0], by_disposition


@pytest.mark.parametrize(
    ("build", "file_pattern"),
    [("bad_input_warehouse", "*.csv"), ("overridden_limits_warehouse", "03_*.csv")],
)
def test_audit_balances_raw_rows_in_every_build(
    build: str,
    file_pattern: str,
    request: pytest.FixtureRequest,
    generated_events: dict[str, Events],
) -> None:
    connection: duckdb.DuckDBPyConnection = request.getfixturevalue(build)
    expected_raw_rows = sum(
        fixture_row_count(path) for path in BAD_INPUT.glob(file_pattern)
    ) + sum(
        len(events) for name, events in generated_events.items()
        if Path(name).match(file_pattern)
    )
    raw_rows, audited, by_disposition = audit_totals(connection)
    assert raw_rows == expected_raw_rows
    assert audited == raw_rows
    assert set(by_disposition) <= {"billed", "unbilled", "rejected"}
    assert by_disposition.get("billed", 0) + by_disposition.get("unbilled", 0) + (
        by_disposition.get("rejected", 0)
    ) == raw_rows
    assert by_disposition.get("rejected", 0) > 0
