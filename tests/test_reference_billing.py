"""Unit tests of the plain-Python billing reference (tests/reference_billing.py).

Every expected value is derived by hand from DECISIONLOG.md. Times without an offset are
Asia/Seoul wall-clock time (UTC+9, no daylight-saving time).
"""

from __future__ import annotations

import os
import random
from collections import Counter
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from reference_billing import (
    AuditRow,
    BillingResult,
    Charge,
    MonthlyFee,
    Room,
    billing_date,
    compute_billing,
    is_end_command,
    next_month,
    normalise_id,
    parse_occurred_at,
    unit_price_on,
)
from strategies import event_batches

Row = dict[str, str | None]


def ev(
    event_id: str | None,
    occurred_at: str | None,
    event_type: str | None = "message",
    *,
    channel: str | None = "ch1",
    customer: str | None = "u1",
    sender: str | None = None,
    consultant: str | None = None,
    entry: str | None = None,
    text: str | None = None,
    end_reason: str | None = None,
) -> Row:
    """One raw event row with the nine contract columns (and end_reason when given)."""
    return {
        "event_id": event_id,
        "occurred_at": occurred_at,
        "channel_id": channel,
        "customer_id": customer,
        "event_type": event_type,
        "sender_type": sender,
        "consultant_id": consultant,
        "entry_point": entry,
        "message_text": text,
        **({"end_reason": end_reason} if end_reason is not None else {}),
    }


def opened(event_id: str, occurred_at: str, **kwargs: str | None) -> Row:
    """A room_opened row."""
    return ev(event_id, occurred_at, "room_opened", **kwargs)


def say(
    event_id: str,
    occurred_at: str,
    text: str | None = "hi",
    sender: str = "customer",
    **kw: str | None,
) -> Row:
    """A message row."""
    return ev(event_id, occurred_at, "message", sender=sender, text=text, **kw)


def utc(*args: int) -> datetime:
    """An aware UTC datetime."""
    return datetime(*args, tzinfo=UTC)


def charge_days(
    result: BillingResult, opened_event_id: str | None = None
) -> list[tuple[date, str]]:
    """(billing_date, charge_reason) of the charges, optionally of one room only."""
    return [
        (c.billing_date, c.charge_reason)
        for c in result.charges
        if opened_event_id is None or c.opened_event_id == opened_event_id
    ]


def dispositions(result: BillingResult) -> list[tuple[str, str]]:
    """(disposition, reason) per input row, in input order."""
    return [(a.disposition, a.reason) for a in result.audit]


def only_room(result: BillingResult) -> Room:
    """The single room of a result."""
    assert len(result.rooms) == 1, result.rooms
    return result.rooms[0]


# --------------------------------------------------------------------------------------------
# D3 timestamps


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2026-01-15T04:00:00Z", utc(2026, 1, 15, 4, 0, 0)),
        ("2026-01-15 04:00:00Z", utc(2026, 1, 15, 4, 0, 0)),
        ("2026-01-15T13:00:00+09:00", utc(2026, 1, 15, 4, 0, 0)),
        ("2026-01-15T13:00:00+0900", utc(2026, 1, 15, 4, 0, 0)),
        ("2026-01-15T13:00:00+09", utc(2026, 1, 15, 4, 0, 0)),
        ("2026-01-14T23:00:00-05:00", utc(2026, 1, 15, 4, 0, 0)),
        ("2026-01-15T09:30:00+05:30", utc(2026, 1, 15, 4, 0, 0)),
        ("2026-01-15T13:00:00", utc(2026, 1, 15, 4, 0, 0)),
        ("2026-01-15 13:00", utc(2026, 1, 15, 4, 0, 0)),
        ("2026-01-15T04:00Z", utc(2026, 1, 15, 4, 0, 0)),
        ("2026-01-15T04:00:00.5Z", utc(2026, 1, 15, 4, 0, 0, 500000)),
        ("2026-01-15T04:00:00.123456Z", utc(2026, 1, 15, 4, 0, 0, 123456)),
        ("2026-01-15T04:00:00.123456789Z", utc(2026, 1, 15, 4, 0, 0, 123456)),
        ("2026-01-15T04:00:00.999999999Z", utc(2026, 1, 15, 4, 0, 0, 999999)),
        ("2028-02-29T12:00:00Z", utc(2028, 2, 29, 12, 0, 0)),
        ("2026-01-01 00:00:00", utc(2025, 12, 31, 15, 0, 0)),
        ("2026-01-15T23:59:59Z", utc(2026, 1, 15, 23, 59, 59)),
        ("2026-01-16T03:59:00+23:59", utc(2026, 1, 15, 4, 0, 0)),
        ("2026-01-15T04:00:00-00:00", utc(2026, 1, 15, 4, 0, 0)),
    ],
)
def test_parse_occurred_at_accepts_the_d3_grammar(text: str, expected: datetime) -> None:
    assert parse_occurred_at(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "not-a-time",
        "2026-01-15",
        "2026-01-15T04",
        "2026-02-30T10:00:00Z",
        "2027-02-29T10:00:00Z",
        "2026-13-01T10:00:00Z",
        "2026-01-15T24:00:00Z",
        "2026-01-15T23:60:00Z",
        "2026-01-15T23:59:60Z",
        "2026-01-15t04:00:00Z",
        "2026-01-15T04:00:00z",
        "2026-01-15T04:00.5Z",
        "2026-01-15T04:00:00.Z",
        "2026-01-15T04:00:00.1234567890Z",
        "2026-01-15T4:00:00Z",
        "26-01-15T04:00:00Z",
        "2026/01/15T04:00:00Z",
        "2026-01-15T04:00:00 +09:00",
        "2026-01-15T04:00:00+9",
        "2026-01-15T04:00:00+09:0",
        "2026-01-15T04:00:00UTC",
        "2026-01-15T04:00:00Z+09:00",
        "\uff12\uff10\uff12\uff16-01-15T04:00:00Z",
        "\u0662\u0660\u0662\u0666-01-15T04:00:00Z",
        "0000-01-01T00:00:00Z",
        "2026-01-15T04:00:00+24:00",
        "2026-01-15T04:00:00+09:60",
        "2026-01-15T04:00:00+99",
    ],
)
def test_parse_occurred_at_rejects_values_outside_the_grammar(text: str) -> None:
    assert parse_occurred_at(text) is None


def test_parse_occurred_at_without_offset_uses_the_given_zone() -> None:
    assert parse_occurred_at("2026-01-15T04:00:00", "UTC") == utc(2026, 1, 15, 4, 0, 0)


# --------------------------------------------------------------------------------------------
# D9 billing day, D12 months


def test_billing_date_03_59_59_kst_belongs_to_the_previous_day() -> None:
    ts = parse_occurred_at("2026-01-15T03:59:59+09:00")
    assert ts is not None
    assert billing_date(ts) == date(2026, 1, 14)


def test_billing_date_04_00_00_kst_starts_the_new_day() -> None:
    ts = parse_occurred_at("2026-01-15T04:00:00+09:00")
    assert ts is not None
    assert billing_date(ts) == date(2026, 1, 15)


def test_billing_date_of_a_z_timestamp_after_04_00_kst_is_the_kst_date() -> None:
    # 19:30 UTC on the 14th is 04:30 KST on the 15th.
    ts = parse_occurred_at("2026-01-14T19:30:00Z")
    assert ts is not None
    assert billing_date(ts) == date(2026, 1, 15)


def test_billing_date_of_a_z_timestamp_before_04_00_kst_is_the_previous_kst_date() -> None:
    # 18:59:59 UTC on the 14th is 03:59:59 KST on the 15th.
    ts = parse_occurred_at("2026-01-14T18:59:59Z")
    assert ts is not None
    assert billing_date(ts) == date(2026, 1, 14)


def test_billing_date_of_a_negative_offset_timestamp() -> None:
    # 14:00 at -05:00 is 19:00 UTC, 04:00 KST the next day.
    ts = parse_occurred_at("2026-01-14T14:00:00-05:00")
    assert ts is not None
    assert billing_date(ts) == date(2026, 1, 15)


def test_billing_date_with_other_zone_and_start_hour() -> None:
    ts = utc(2026, 1, 15, 0, 30)
    assert billing_date(ts, "UTC", 0) == date(2026, 1, 15)
    assert billing_date(ts, "UTC", 1) == date(2026, 1, 14)


def test_first_of_month_before_04_00_belongs_to_the_previous_month() -> None:
    result = compute_billing([opened("e1", "2026-03-01 03:30:00")])
    assert charge_days(result) == [(date(2026, 2, 28), "room_opened")]
    (charge,) = result.charges
    assert charge.usage_month == date(2026, 2, 1)
    (fee,) = result.monthly
    assert fee.usage_month == date(2026, 2, 1)
    assert fee.billing_month == date(2026, 3, 1)
    assert fee.invoice_window_start == date(2026, 3, 15)
    assert fee.invoice_window_end == date(2026, 3, 21)


def test_first_of_month_at_04_00_belongs_to_the_new_month() -> None:
    result = compute_billing([opened("e1", "2026-03-01 04:00:00")])
    (charge,) = result.charges
    assert charge.billing_date == date(2026, 3, 1)
    assert charge.usage_month == date(2026, 3, 1)
    assert result.monthly[0].billing_month == date(2026, 4, 1)


def test_new_year_before_04_00_is_billed_in_december_with_the_january_bill() -> None:
    result = compute_billing([opened("e1", "2026-01-01 03:59:59")])
    (charge,) = result.charges
    assert charge.billing_date == date(2025, 12, 31)
    assert charge.usage_month == date(2025, 12, 1)
    (fee,) = result.monthly
    assert fee.billing_month == date(2026, 1, 1)
    assert (fee.invoice_window_start, fee.invoice_window_end) == (
        date(2026, 1, 15),
        date(2026, 1, 21),
    )


def test_new_year_room_in_december_billed_in_january_rollover_over_the_year() -> None:
    rows = [
        opened("e1", "2025-12-31T18:00:00Z"),  # 2026-01-01 03:00 KST -> 2025-12-31
        say("e2", "2025-12-31T19:00:00Z"),  # 2026-01-01 04:00 KST -> 2026-01-01
    ]
    result = compute_billing(rows)
    assert charge_days(result) == [
        (date(2025, 12, 31), "room_opened"),
        (date(2026, 1, 1), "day_rollover"),
    ]
    assert [(f.usage_month, f.billing_month, f.room_charges) for f in result.monthly] == [
        (date(2025, 12, 1), date(2026, 1, 1), 1),
        (date(2026, 1, 1), date(2026, 2, 1), 1),
    ]


def test_next_month_wraps_the_year() -> None:
    assert next_month(date(2025, 12, 1)) == date(2026, 1, 1)
    assert next_month(date(2026, 1, 1)) == date(2026, 2, 1)


# --------------------------------------------------------------------------------------------
# D4 normalising, D5 rejections


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (ev(None, "2026-01-15 10:00"), "missing_event_id"),
        (ev("   ", "2026-01-15 10:00"), "missing_event_id"),
        (ev("e1", "2026-01-15 10:00", channel=""), "missing_channel_id"),
        (ev("e1", "2026-01-15 10:00", customer=" \t"), "missing_customer_id"),
        (ev("e1", "2026-01-15 10:00", None), "missing_event_type"),
        (ev("e1", "2026-01-15 10:00", "  "), "missing_event_type"),
        (ev("e1", "2026-01-15 10:00", "room_reopened"), "unknown_event_type"),
        (ev("e1", None), "missing_occurred_at"),
        (ev("e1", "  "), "missing_occurred_at"),
        (ev("e1", "not-a-time"), "unparseable_occurred_at"),
        (ev("e1", "2026-02-30 10:00"), "unparseable_occurred_at"),
        (ev("e1", "2026-01-15 10:00", sender="bot"), "unknown_sender_type"),
    ],
)
def test_rejection_reasons(row: Row, reason: str) -> None:
    result = compute_billing([row])
    assert result.audit == [AuditRow(0, "rejected", reason)]
    assert result.rooms == [] and result.charges == [] and result.monthly == []


@pytest.mark.parametrize(
    ("row", "reason"),
    [
        (ev(None, None, None, channel=None, customer=None, sender="bot"), "missing_event_id"),
        (ev("e1", None, None, channel=None, customer=None), "missing_channel_id"),
        (ev("e1", None, None, customer=None), "missing_customer_id"),
        (ev("e1", "not-a-time", None, sender="bot"), "missing_event_type"),
        (ev("e1", None, "bogus", sender="bot"), "unknown_event_type"),
        (ev("e1", None, sender="bot"), "missing_occurred_at"),
        (ev("e1", "not-a-time", sender="bot"), "unparseable_occurred_at"),
    ],
)
def test_rejection_precedence(row: Row, reason: str) -> None:
    assert compute_billing([row]).audit == [AuditRow(0, "rejected", reason)]


def test_enums_are_trimmed_and_lower_cased_and_ids_trimmed() -> None:
    rows = [
        ev(
            " e1 ",
            "2026-01-15 10:00",
            " Room_Opened ",
            channel=" ch1",
            customer="u1 ",
            entry=" WEB ",
        ),
        ev("e2", "2026-01-15 10:01", "MESSAGE", sender=" Consultant ", consultant=" c9 ", text="x"),
    ]
    result = compute_billing(rows)
    assert dispositions(result) == [("billed", "room_activity")] * 2
    room = only_room(result)
    assert (room.channel_id, room.customer_id, room.opened_event_id) == ("ch1", "u1", "e1")
    assert room.entry_point == "web"
    assert room.consultant_message_count == 1
    assert result.charges[0].active_consultant_ids == "c9"


def test_ids_are_case_sensitive() -> None:
    rows = [opened("e1", "2026-01-15 10:00"), opened("E1", "2026-01-15 11:00", customer="U1")]
    result = compute_billing(rows)
    assert [(r.customer_id, r.opened_event_id) for r in result.rooms] == [
        ("U1", "E1"),
        ("u1", "e1"),
    ]
    assert dispositions(result) == [("billed", "room_activity")] * 2


def test_null_sender_type_is_accepted_and_counted_only_in_message_count() -> None:
    rows = [opened("e1", "2026-01-15 10:00"), ev("e2", "2026-01-15 10:01", text="hello")]
    room = only_room(compute_billing(rows))
    assert room.message_count == 1
    assert (room.customer_message_count, room.consultant_message_count) == (0, 0)
    assert room.system_message_count == 0


def test_unknown_entry_point_is_kept() -> None:
    room = only_room(compute_billing([opened("e1", "2026-01-15 10:00", entry="Kiosk")]))
    assert room.entry_point == "kiosk"


def test_rejected_rows_do_not_move_the_data_clock() -> None:
    rows = [
        opened("e1", "2026-01-01 10:00"),
        ev("e2", "2026-03-01 10:00", sender="robot"),
    ]
    room = only_room(compute_billing(rows))
    assert room.end_reason is None and room.ended_at is None


# --------------------------------------------------------------------------------------------
# D5 plausible occurred_at

RUN_START = utc(2026, 1, 15, 0, 0)


@pytest.mark.parametrize(
    ("occurred_at", "reason"),
    [
        ("2014-12-31 23:59:59", "occurred_at_too_early"),
        ("2014-12-31T14:59:59.999999Z", "occurred_at_too_early"),
        ("1970-01-01T00:00:00Z", "occurred_at_too_early"),
        ("2015-01-01 00:00:00", None),
        ("2014-12-31T15:00:00Z", None),
        ("2026-01-17T00:00:00Z", None),
        ("2026-01-17T09:00:00+09:00", None),
        ("2026-01-17T00:00:00.000001Z", "occurred_at_in_future"),
        ("2099-01-01T00:00:00Z", "occurred_at_in_future"),
    ],
)
def test_plausible_occurred_at_bounds(occurred_at: str, reason: str | None) -> None:
    result = compute_billing([opened("e1", occurred_at)], run_started_at=RUN_START)
    expected = ("billed", "room_activity") if reason is None else ("rejected", reason)
    assert dispositions(result) == [expected]


def test_plausibility_comes_after_parsing_and_before_sender_type() -> None:
    rows = [
        ev("e1", "2014-01-01 10:00", "bogus"),
        ev("e2", "2014-01-01 10:00", sender="robot"),
        ev("e3", "2099-01-01 10:00", sender="robot"),
        ev("e4", "2099-13-01 10:00", sender="robot"),
    ]
    assert dispositions(compute_billing(rows, run_started_at=RUN_START)) == [
        ("rejected", "unknown_event_type"),
        ("rejected", "occurred_at_too_early"),
        ("rejected", "occurred_at_in_future"),
        ("rejected", "unparseable_occurred_at"),
    ]


def test_plausibility_bounds_are_configurable() -> None:
    rows = [opened("e1", "2020-01-01 10:00"), opened("e2", "2026-01-20 10:00", customer="u2")]
    result = compute_billing(
        rows, occurred_at_min=date(2021, 1, 1), max_future_days=10, run_started_at=RUN_START
    )
    assert dispositions(result) == [
        ("rejected", "occurred_at_too_early"),
        ("billed", "room_activity"),
    ]
    unbounded = compute_billing(rows[1:], max_future_days=None, run_started_at=utc(2000, 1, 1))
    assert dispositions(unbounded) == [("billed", "room_activity")]


def test_future_rows_neither_compete_as_duplicates_nor_move_the_data_clock() -> None:
    rows = [
        opened("e1", "2026-01-01 10:00"),
        say("e2", "2099-01-01 10:00"),
        say("e2", "2026-01-02 10:00"),
    ]
    result = compute_billing(rows, run_started_at=RUN_START)
    assert dispositions(result) == [
        ("billed", "room_activity"),
        ("rejected", "occurred_at_in_future"),
        ("billed", "room_activity"),
    ]
    assert only_room(result).end_reason is None


# --------------------------------------------------------------------------------------------
# D6 duplicates


def test_identical_duplicate_rows_keep_one() -> None:
    row = opened("e1", "2026-01-15 10:00")
    result = compute_billing([row, dict(row)])
    assert dispositions(result) == [("billed", "room_activity"), ("rejected", "duplicate_event_id")]
    assert len(result.charges) == 1


def test_duplicate_keeps_the_earliest_occurred_at_regardless_of_row_order() -> None:
    rows = [
        opened("e1", "2026-01-16 10:00"),
        opened("e1", "2026-01-15 10:00"),
    ]
    result = compute_billing(rows)
    assert dispositions(result) == [("rejected", "duplicate_event_id"), ("billed", "room_activity")]
    assert only_room(result).opened_at == utc(2026, 1, 15, 1, 0)
    assert charge_days(result) == [(date(2026, 1, 15), "room_opened")]


def test_duplicate_earliest_is_compared_as_instants_not_text() -> None:
    rows = [
        opened("e1", "2026-01-15T02:00:00Z"),  # 11:00 KST
        opened("e1", "2026-01-15 10:30:00"),  # 01:30 UTC, earlier
    ]
    result = compute_billing(rows)
    assert dispositions(result) == [("rejected", "duplicate_event_id"), ("billed", "room_activity")]


def test_duplicate_ids_are_compared_after_trimming() -> None:
    rows = [opened("e1", "2026-01-15 10:00"), opened(" e1 ", "2026-01-15 10:00")]
    result = compute_billing(rows)
    assert sorted(dispositions(result)) == [
        ("billed", "room_activity"),
        ("rejected", "duplicate_event_id"),
    ]


def test_duplicate_with_another_defect_does_not_compete() -> None:
    rows = [
        opened("e1", "not-a-time"),
        opened("e1", "2026-01-15 10:00", sender="robot"),
        opened("e1", "2026-01-16 10:00"),
    ]
    result = compute_billing(rows)
    assert dispositions(result) == [
        ("rejected", "unparseable_occurred_at"),
        ("rejected", "unknown_sender_type"),
        ("billed", "room_activity"),
    ]


def test_duplicate_loser_does_not_move_the_data_clock() -> None:
    rows = [
        opened("e1", "2026-01-01 10:00"),
        say("e2", "2026-01-02 10:00"),
        say("e2", "2026-03-01 10:00"),
    ]
    result = compute_billing(rows)
    assert only_room(result).end_reason is None


def test_duplicates_across_channels_share_one_id_space() -> None:
    rows = [
        opened("e1", "2026-01-15 11:00", channel="ch1"),
        opened("e1", "2026-01-15 10:00", channel="ch2"),
    ]
    result = compute_billing(rows)
    assert dispositions(result) == [("rejected", "duplicate_event_id"), ("billed", "room_activity")]
    assert only_room(result).channel_id == "ch2"


def conflict_flags(rows: list[Row]) -> list[bool]:
    """event_id_conflict of every audit row, in input order."""
    return [a.event_id_conflict for a in compute_billing(rows).audit]


def test_identical_duplicates_are_not_a_conflict() -> None:
    row = say("e1", "2026-01-15 10:00", consultant="c1")
    padded = {**row, "event_id": " e1 ", "channel_id": "ch1\t", "sender_type": " CUSTOMER"}
    assert conflict_flags([row, dict(row), padded, opened("e2", "2026-01-15 09:00")]) == [
        False,
        False,
        False,
        False,
    ]


def test_one_event_written_with_two_offsets_is_not_a_conflict() -> None:
    rows = [opened("e1", "2026-01-15T01:00:00Z"), opened("e1", "2026-01-15 10:00:00+09:00")]
    assert conflict_flags(rows) == [False, False]


def test_rows_of_one_id_with_different_content_are_all_flagged() -> None:
    rows = [
        say("e1", "2026-01-15 10:00", text="a"),
        say("e1", "2026-01-15 10:00", text="b"),
        say("e1", "not-a-time", text="a"),
        say("e2", "2026-01-15 10:00"),
        say("", "2026-01-15 10:00"),
        say("", "2026-01-15 11:00"),
    ]
    assert conflict_flags(rows) == [True, True, True, False, False, False]


def test_a_conflict_flag_does_not_change_the_disposition() -> None:
    rows = [opened("e1", "2026-01-15 11:00"), opened("e1", "2026-01-15 10:00", entry="web")]
    assert compute_billing(rows).audit == [
        AuditRow(0, "rejected", "duplicate_event_id", event_id_conflict=True),
        AuditRow(1, "billed", "room_activity", event_id_conflict=True),
    ]


# --------------------------------------------------------------------------------------------
# D8 ordering


def test_out_of_order_rows_give_the_same_bill() -> None:
    rows = [
        opened("e1", "2026-01-15 10:00"),
        say("e2", "2026-01-15 11:00"),
        say("e3", "2026-01-16 09:00"),
        ev("e4", "2026-01-16 10:00", "room_left"),
        opened("e5", "2026-01-16 11:00"),
        say("e6", "2026-01-17T03:59:59+09:00"),
    ]
    expected = compute_billing(rows)
    shuffled = rows[:]
    random.Random(7).shuffle(shuffled)
    actual = compute_billing(shuffled)
    assert actual.rooms == expected.rooms
    assert actual.charges == expected.charges
    assert actual.monthly == expected.monthly
    assert [r["event_id"] for r in rows] != [r["event_id"] for r in shuffled]
    assert [r.opened_event_id for r in actual.rooms] == ["e1", "e5"]
    assert charge_days(actual) == [
        (date(2026, 1, 15), "room_opened"),
        (date(2026, 1, 16), "day_rollover"),
        (date(2026, 1, 16), "room_opened"),
    ]


def test_same_instant_events_are_ordered_by_event_id() -> None:
    # b1 (message) sorts after a1 (room_opened): inside the room.
    inside = compute_billing([say("b1", "2026-01-15 10:00"), opened("a1", "2026-01-15 10:00")])
    assert dispositions(inside) == [("billed", "room_activity")] * 2
    assert only_room(inside).message_count == 1
    # a2 (a consultant's message) sorts before b2 (room_opened): outside any room.
    outside = compute_billing(
        [say("a2", "2026-01-15 10:00", sender="consultant"), opened("b2", "2026-01-15 10:00")]
    )
    assert dispositions(outside) == [
        ("unbilled", "outside_room_anomaly"),
        ("billed", "room_activity"),
    ]
    assert only_room(outside).message_count == 0


def test_event_id_order_is_binary_not_numeric() -> None:
    # "e10" < "e9" in binary order, so the room_left e10 comes before the message e9.
    rows = [
        opened("e1", "2026-01-15 10:00"),
        say("e9", "2026-01-15 11:00", sender="consultant"),
        ev("e10", "2026-01-15 11:00", "room_left"),
    ]
    result = compute_billing(rows)
    assert dispositions(result) == [
        ("billed", "room_activity"),
        ("unbilled", "outside_room_anomaly"),
        ("unbilled", "room_end_event"),
    ]
    assert only_room(result).end_reason == "customer_left"


# --------------------------------------------------------------------------------------------
# D7 end command


@pytest.mark.parametrize(
    "text",
    ["!종료", "  !종료  ", "\t!종료\n", "\u3000!종료\u3000", "\u00a0!종료\r\n", "\v\f!종료"],
)
def test_end_command_with_surrounding_whitespace_ends_the_room(text: str) -> None:
    assert is_end_command(text)
    rows = [
        opened("e1", "2026-01-15 10:00"),
        say("e2", "2026-01-15 10:05", text=text),
        say("e3", "2026-01-15 10:06", sender="system"),
    ]
    result = compute_billing(rows)
    room = only_room(result)
    assert room.end_reason == "end_command"
    assert room.ended_at == utc(2026, 1, 15, 1, 5)
    assert room.message_count == 1
    assert dispositions(result) == [
        ("billed", "room_activity"),
        ("billed", "room_activity"),
        ("unbilled", "outside_room_anomaly"),
    ]


@pytest.mark.parametrize(
    "text",
    [
        "!종료 감사합니다",
        "! 종료",
        "종료",
        "!종 료",
        "!\u110c\u1169\u11bc\u1105\u116d",
        "",
        None,
        "!종료!",
    ],
)
def test_other_texts_do_not_end_the_room(text: str | None) -> None:
    assert not is_end_command(text)
    rows = [opened("e1", "2026-01-15 10:00"), say("e2", "2026-01-15 10:05", text=text)]
    room = only_room(compute_billing(rows))
    assert room.end_reason is None
    assert room.message_count == 1


def test_end_command_from_a_consultant_ends_the_room() -> None:
    rows = [
        opened("e1", "2026-01-15 10:00"),
        say("e2", "2026-01-15 10:05", text="!종료", sender="consultant", consultant="c1"),
    ]
    room = only_room(compute_billing(rows))
    assert room.end_reason == "end_command"
    assert room.consultant_message_count == 1


def test_end_command_on_the_next_day_is_activity() -> None:
    rows = [opened("e1", "2026-01-15 10:00"), say("e2", "2026-01-16 10:00", text="!종료")]
    result = compute_billing(rows)
    assert charge_days(result) == [
        (date(2026, 1, 15), "room_opened"),
        (date(2026, 1, 16), "day_rollover"),
    ]


def test_end_command_outside_a_room_is_outside_room() -> None:
    result = compute_billing([say("e1", "2026-01-15 10:00", text="!종료")])
    assert dispositions(result) == [("unbilled", "outside_room")]
    assert result.rooms == []


# --------------------------------------------------------------------------------------------
# D8 end events, superseded, outside_room


def test_room_left_ends_the_room_and_is_not_activity() -> None:
    rows = [opened("e1", "2026-01-15 10:00"), ev("e2", "2026-01-16 10:00", "room_left")]
    result = compute_billing(rows)
    room = only_room(result)
    assert (room.end_reason, room.ended_at) == ("customer_left", utc(2026, 1, 16, 1, 0))
    assert dispositions(result) == [("billed", "room_activity"), ("unbilled", "room_end_event")]
    assert charge_days(result) == [(date(2026, 1, 15), "room_opened")]
    assert room.charged_days == 1


def test_room_closed_ends_the_room() -> None:
    rows = [
        opened("e1", "2026-01-15 10:00"),
        ev("e2", "2026-01-15 10:30", "room_closed", sender="system"),
    ]
    result = compute_billing(rows)
    room = only_room(result)
    assert (room.end_reason, room.ended_at) == ("closed", utc(2026, 1, 15, 1, 30))
    assert dispositions(result)[1] == ("unbilled", "room_end_event")


def test_events_outside_any_room_when_only_room_opened_opens_rooms() -> None:
    # customer_message_opens_room=False: the rules before the session model (D32)
    rows = [
        say("e1", "2026-01-15 09:00"),
        ev("e2", "2026-01-15 09:10", "room_left"),
        ev("e3", "2026-01-15 09:20", "room_closed"),
        opened("e4", "2026-01-15 10:00"),
        ev("e5", "2026-01-15 10:10", "room_closed"),
        say("e6", "2026-01-16 10:20"),
        ev("e7", "2026-01-16 10:30", "room_left"),
    ]
    result = compute_billing(rows, customer_message_opens_room=False)
    assert dispositions(result) == [
        ("unbilled", "outside_room"),
        ("unbilled", "outside_room"),
        ("unbilled", "outside_room"),
        ("billed", "room_activity"),
        ("unbilled", "room_end_event"),
        ("unbilled", "outside_room"),
        ("unbilled", "outside_room"),
    ]
    assert charge_days(result) == [(date(2026, 1, 15), "room_opened")]
    assert only_room(result).message_count == 0


def test_superseded_room_ends_at_the_new_opening() -> None:
    rows = [
        opened("e1", "2026-01-15 10:00"),
        say("e2", "2026-01-15 10:05"),
        opened("e3", "2026-01-15 12:00"),
        say("e4", "2026-01-15 12:05"),
    ]
    result = compute_billing(rows)
    first, second = result.rooms
    assert (first.end_reason, first.ended_at) == ("superseded", utc(2026, 1, 15, 3, 0))
    assert (first.message_count, second.message_count) == (1, 1)
    assert second.end_reason is None and second.opened_at == utc(2026, 1, 15, 3, 0)
    assert charge_days(result) == [
        (date(2026, 1, 15), "room_opened"),
        (date(2026, 1, 15), "room_opened"),
    ]


def test_superseded_on_a_later_day_open_policy_charges_the_superseding_day_twice() -> None:
    rows = [opened("e1", "2026-01-15 10:00"), opened("e2", "2026-01-17 10:00")]
    activity = compute_billing(rows)
    assert charge_days(activity) == [
        (date(2026, 1, 15), "room_opened"),
        (date(2026, 1, 17), "room_opened"),
    ]
    open_ = compute_billing(rows, policy="open")
    assert charge_days(open_, "e1") == [
        (date(2026, 1, 15), "room_opened"),
        (date(2026, 1, 16), "day_rollover"),
        (date(2026, 1, 17), "day_rollover"),
    ]
    assert charge_days(open_, "e2") == [(date(2026, 1, 17), "room_opened")]
    assert [r.charged_days for r in open_.rooms] == [3, 1]


def test_conversations_are_per_channel_and_customer() -> None:
    rows = [
        opened("e1", "2026-01-15 10:00", channel="ch1", customer="u1"),
        opened("e2", "2026-01-15 10:01", channel="ch1", customer="u2"),
        opened("e3", "2026-01-15 10:02", channel="ch2", customer="u1"),
        ev("e4", "2026-01-15 10:03", "room_left", channel="ch1", customer="u1"),
    ]
    result = compute_billing(rows)
    assert [(r.channel_id, r.customer_id, r.end_reason) for r in result.rooms] == [
        ("ch1", "u1", "customer_left"),
        ("ch1", "u2", None),
        ("ch2", "u1", None),
    ]
    assert [(f.channel_id, f.room_charges, f.fee_krw) for f in result.monthly] == [
        ("ch1", 2, 200),
        ("ch2", 1, 100),
    ]


# --------------------------------------------------------------------------------------------
# D32 the platform's session model: a customer message opens a room


def test_session_rule_a_customer_message_opens_a_room_when_none_is_open() -> None:
    # a feed of messages only: the customer's first message opens the room it is charged for
    rows = [say("m1", "2026-01-15 10:00"), say("m2", "2026-01-15 10:01", sender="consultant")]
    result = compute_billing(rows)
    room = only_room(result)
    assert (room.opened_event_id, room.entry_point, room.message_count) == (
        "m1",
        "customer_message",
        2,
    )
    assert charge_days(result) == [(date(2026, 1, 15), "room_opened")]
    assert dispositions(result) == [
        ("billed", "opened_by_customer_message"),
        ("billed", "room_activity"),
    ]


def test_session_rule_a_message_after_the_end_command_opens_a_new_room() -> None:
    rows = [
        opened("e1", "2026-01-15 10:00"),
        say("e2", "2026-01-15 10:05", text="!종료"),
        say("e3", "2026-01-15 10:06"),
    ]
    result = compute_billing(rows)
    assert [(r.opened_event_id, r.end_reason) for r in result.rooms] == [
        ("e1", "end_command"),
        ("e3", None),
    ]
    assert [reason for _, reason in charge_days(result)] == ["room_opened", "room_opened"]


def test_session_rule_a_message_after_expiry_opens_a_new_room() -> None:
    rows = [opened("e1", "2026-01-01 10:00"), say("e2", "2026-01-31 10:00")]
    result = compute_billing(rows)
    assert [(r.opened_event_id, r.end_reason) for r in result.rooms] == [
        ("e1", "expired"),
        ("e2", None),
    ]


def test_session_rule_a_lone_end_command_opens_nothing() -> None:
    rows = [
        say("e1", "2026-01-15 10:00", text=" !종료 "),
        say("e2", "2026-01-15 10:01", text="!종료 감사합니다"),
    ]
    result = compute_billing(rows)
    assert dispositions(result) == [
        ("unbilled", "outside_room"),
        ("billed", "opened_by_customer_message"),
    ]
    assert only_room(result).opened_event_id == "e2"


def test_session_rule_consultant_and_system_messages_outside_a_room_stay_outside() -> None:
    rows = [
        say("e1", "2026-01-15 10:00", sender="consultant", consultant="c1"),
        say("e2", "2026-01-15 10:01", sender="system"),
        ev("e3", "2026-01-15 10:02", "room_left"),
    ]
    result = compute_billing(rows)
    assert result.rooms == []
    assert dispositions(result) == [
        ("unbilled", "outside_room_anomaly"),
        ("unbilled", "outside_room_anomaly"),
        ("unbilled", "outside_room"),
    ]


def test_session_rule_room_opened_still_supersedes_an_open_room() -> None:
    rows = [say("e1", "2026-01-15 10:00"), opened("e2", "2026-01-15 10:05")]
    result = compute_billing(rows)
    assert [(r.opened_event_id, r.end_reason) for r in result.rooms] == [
        ("e1", "superseded"),
        ("e2", None),
    ]


def test_session_rule_explicit_opens_only_keeps_customer_messages_outside() -> None:
    rows = [say("e1", "2026-01-15 10:00"), opened("e2", "2026-01-15 10:05")]
    result = compute_billing(rows, customer_message_opens_room=False)
    assert only_room(result).opened_event_id == "e2"
    assert dispositions(result)[0] == ("unbilled", "outside_room")


def test_session_rule_a_feed_of_the_issues_cases_charges_six_rooms_not_two() -> None:
    # the cases the hub-partner documentation settles: a message after !종료, a feed without
    # room_opened, a message 31 days after the last one
    rows = [
        opened("a1", "2026-03-02 10:00", customer="a"),
        say("a2", "2026-03-02 10:01", customer="a"),
        say("a3", "2026-03-02 10:02", customer="a", text="!종료"),
        say("a4", "2026-03-02 10:30", customer="a"),
        say("a5", "2026-03-02 10:31", customer="a", sender="consultant"),
        say("b1", "2026-03-03 09:00", customer="b"),
        say("b2", "2026-03-03 09:05", customer="b", sender="consultant"),
        say("b3", "2026-04-03 09:00", customer="b"),
        opened("c1", "2026-03-05 11:00", customer="c"),
        ev("c2", "2026-03-05 11:10", "room_closed", customer="c", end_reason="consultant_ended"),
        say("c3", "2026-03-05 11:20", customer="c", sender="consultant"),
        say("c4", "2026-03-06 11:20", customer="c"),
        say("d1", "2026-03-07 12:00", customer="d", text="!종료"),
    ]
    assert len(compute_billing(rows).rooms) == 6
    assert len(compute_billing(rows, customer_message_opens_room=False).rooms) == 2


def test_session_rule_the_platforms_session_ids_are_the_rooms() -> None:
    # D34, the cases of the dbt unit test of the same name
    def tagged(row: Row, session: str | None) -> Row:
        return {**row, "session_id": session}

    rows = [
        tagged(opened("a1", "2026-03-01 10:00", customer="a"), "S1"),
        say("a2", "2026-03-01 10:01", customer="a"),
        tagged(ev("a3", "2026-03-01 10:02", "room_closed", customer="a"), "S1"),
        tagged(say("a4", "2026-03-01 10:03", customer="a", sender="consultant"), "S1"),
        tagged(say("b1", "2026-03-01 10:00", customer="b"), "S2"),
        tagged(say("b2", "2026-03-01 10:01", customer="b", text="!종료"), "S2"),
        tagged(say("b3", "2026-03-01 10:02", customer="b"), "S2"),
        tagged(opened("c1", "2026-03-01 10:00", customer="c"), "S3"),
        tagged(say("c2", "2026-03-01 10:01", customer="c"), "S4"),
    ]
    result = compute_billing(rows)
    assert [(r.customer_id, r.opened_event_id, r.session_id, r.message_count)
            for r in result.rooms] == [
        ("a", "a1", "S1", 2),
        ("b", "b1", "S2", 3),
        ("c", "c1", "S3", 0),
        ("c", "c2", "S4", 1),
    ]
    # the rules alone: b's !종료 splits its session, c's two sessions are one room
    alone = compute_billing([{**row, "session_id": None} for row in rows])
    assert [r.opened_event_id for r in alone.rooms] == ["a1", "b1", "b3", "c1"]
    assert dispositions(result)[3] == ("billed", "room_activity")


def test_room_updated_is_kept_in_its_room_and_never_billed() -> None:
    # D35: a status change on the way (a consultant takes the room)
    rows = [
        ev("e0", "2026-01-15 09:00", "room_updated"),
        opened("e1", "2026-01-15 10:00"),
        ev("e2", "2026-01-16 10:01", "room_updated", consultant="c1"),
        say("e3", "2026-01-15 10:02", sender="consultant", consultant="c1"),
    ]
    result = compute_billing(rows)
    room = only_room(result)
    assert (room.end_reason, room.message_count) == (None, 1)
    assert dispositions(result) == [
        ("unbilled", "outside_room"),
        ("billed", "room_activity"),
        ("unbilled", "room_status_event"),
        ("billed", "room_activity"),
    ]
    # not activity: no charge on the 16th
    assert charge_days(result) == [(date(2026, 1, 15), "room_opened")]


# --------------------------------------------------------------------------------------------
# D33 end causes


@pytest.mark.parametrize(
    ("event_type", "end_reason", "expected"),
    [
        ("room_closed", None, "closed"),
        ("room_closed", "consultant_ended", "consultant_ended"),
        ("room_closed", "Consultant_Blocked ", "consultant_blocked"),
        ("room_closed", "manager_ended", "manager_ended"),
        ("room_left", None, "customer_left"),
        ("room_left", "room_deleted", "room_deleted"),
        ("room_left", "channel_blocked", "channel_blocked"),
    ],
)
def test_end_causes_each_end_the_room_with_their_reason(
    event_type: str, end_reason: str | None, expected: str
) -> None:
    rows = [
        opened("e1", "2026-01-15 10:00"),
        ev("e2", "2026-01-15 10:05", event_type, end_reason=end_reason),
        say("e3", "2026-01-15 10:06", sender="consultant"),
    ]
    result = compute_billing(rows)
    room = only_room(result)
    assert (room.end_reason, room.ended_at) == (expected, utc(2026, 1, 15, 1, 5))
    assert dispositions(result)[1:] == [
        ("unbilled", "room_end_event"),
        ("unbilled", "outside_room_anomaly"),
    ]


@pytest.mark.parametrize(
    ("event_type", "end_reason"),
    [
        ("room_left", "consultant_blocked"),
        ("room_closed", "room_deleted"),
        ("room_closed", "timeout"),
        ("message", "channel_blocked"),
        ("room_opened", "closed"),
    ],
)
def test_end_causes_a_reason_the_event_type_cannot_have_is_rejected(
    event_type: str, end_reason: str
) -> None:
    result = compute_billing([ev("e1", "2026-01-15 10:00", event_type, end_reason=end_reason)])
    assert dispositions(result) == [("rejected", "invalid_end_reason")]


# --------------------------------------------------------------------------------------------
# D8 expiry


def test_event_one_second_before_expiry_belongs_to_the_room() -> None:
    rows = [opened("e1", "2026-01-01 10:00"), say("e2", "2026-01-31 09:59:59", sender="consultant")]
    result = compute_billing(rows)
    room = only_room(result)
    assert room.message_count == 1
    assert room.end_reason is None
    assert dispositions(result)[1] == ("billed", "room_activity")


def test_event_at_exactly_expiry_finds_the_room_expired() -> None:
    rows = [opened("e1", "2026-01-01 10:00"), say("e2", "2026-01-31 10:00", sender="consultant")]
    result = compute_billing(rows)
    room = only_room(result)
    assert room.end_reason == "expired"
    assert room.ended_at == utc(2026, 1, 31, 1, 0)
    assert room.message_count == 0
    assert dispositions(result)[1] == ("unbilled", "outside_room_anomaly")
    assert charge_days(result) == [(date(2026, 1, 1), "room_opened")]


def test_customer_messages_extend_expiry_but_consultant_messages_do_not() -> None:
    rows = [
        opened("e1", "2026-01-01 10:00"),
        say("e2", "2026-01-20 10:00", sender="customer"),
        say("e3", "2026-02-10 10:00", sender="consultant", consultant="c1"),
        say("e4", "2026-02-19 10:00", sender="system"),
        say("e5", "2026-02-19 11:00", sender="consultant"),
    ]
    result = compute_billing(rows)
    room = only_room(result)
    # Expiry is 2026-01-20 10:00 + 30 days = 2026-02-19 10:00 KST; e4 arrives exactly then.
    assert room.end_reason == "expired"
    assert room.ended_at == utc(2026, 2, 19, 1, 0)
    assert (room.message_count, room.customer_message_count, room.consultant_message_count) == (
        2,
        1,
        1,
    )
    assert [d for d, _ in charge_days(result)] == [
        date(2026, 1, 1),
        date(2026, 1, 20),
        date(2026, 2, 10),
    ]
    assert dispositions(result)[3:] == [("unbilled", "outside_room_anomaly")] * 2


def test_room_opened_after_expiry_does_not_supersede() -> None:
    rows = [opened("e1", "2026-01-01 10:00"), opened("e2", "2026-03-01 10:00")]
    result = compute_billing(rows)
    assert [(r.opened_event_id, r.end_reason, r.ended_at) for r in result.rooms] == [
        ("e1", "expired", utc(2026, 1, 31, 1, 0)),
        ("e2", None, None),
    ]


def test_unended_room_expires_when_the_data_clock_reaches_expiry() -> None:
    rows = [
        opened("e1", "2026-01-01 10:00", channel="ch1"),
        say("e2", "2026-01-31 10:00", channel="ch2"),  # outside any room, but moves the clock
    ]
    result = compute_billing(rows)
    room = result.rooms[0]
    assert (room.end_reason, room.ended_at) == ("expired", utc(2026, 1, 31, 1, 0))


def test_unended_room_before_the_data_clock_reaches_expiry_stays_open() -> None:
    rows = [
        opened("e1", "2026-01-01 10:00", channel="ch1"),
        say("e2", "2026-01-31 09:59:59.999999", channel="ch2"),
    ]
    room = compute_billing(rows).rooms[0]
    assert (room.end_reason, room.ended_at) == (None, None)


def test_expiry_days_is_configurable() -> None:
    rows = [opened("e1", "2026-01-01 10:00"), say("e2", "2026-01-03 10:00", sender="consultant")]
    room = only_room(compute_billing(rows, expiry_days=2))
    assert (room.end_reason, room.ended_at) == ("expired", utc(2026, 1, 3, 1, 0))


# --------------------------------------------------------------------------------------------
# D1 / D10 policies


def test_activity_policy_skips_idle_days() -> None:
    rows = [opened("e1", "2026-01-15 10:00"), say("e2", "2026-01-17 10:00", sender="consultant")]
    result = compute_billing(rows)
    assert charge_days(result) == [
        (date(2026, 1, 15), "room_opened"),
        (date(2026, 1, 17), "day_rollover"),
    ]
    assert only_room(result).charged_days == 2


def test_open_policy_charges_idle_days_through_last_activity_of_an_unended_room() -> None:
    rows = [opened("e1", "2026-01-15 10:00"), say("e2", "2026-01-17 10:00", sender="consultant")]
    result = compute_billing(rows, policy="open")
    assert charge_days(result) == [
        (date(2026, 1, 15), "room_opened"),
        (date(2026, 1, 16), "day_rollover"),
        (date(2026, 1, 17), "day_rollover"),
    ]
    assert only_room(result).charged_days == 3


def test_open_policy_charges_through_the_end_event_day() -> None:
    rows = [opened("e1", "2026-01-15 10:00"), ev("e2", "2026-01-17 03:59:59", "room_left")]
    assert [d for d, _ in charge_days(compute_billing(rows, policy="open"))] == [
        date(2026, 1, 15),
        date(2026, 1, 16),
    ]
    assert [d for d, _ in charge_days(compute_billing(rows))] == [date(2026, 1, 15)]


def test_open_policy_unended_room_ignores_a_later_clock() -> None:
    rows = [
        opened("e1", "2026-01-15 10:00", channel="ch1"),
        opened("e2", "2026-01-20 10:00", channel="ch2"),
    ]
    result = compute_billing(rows, policy="open")
    assert charge_days(result, "e1") == [(date(2026, 1, 15), "room_opened")]


def test_open_policy_charges_an_expired_room_through_its_expiry_day() -> None:
    rows = [
        opened("e1", "2026-01-10 10:00", channel="ch1"),
        opened("e2", "2026-03-01 10:00", channel="ch2"),
    ]
    result = compute_billing(rows, policy="open")
    days = charge_days(result, "e1")
    assert days[0] == (date(2026, 1, 10), "room_opened")
    assert days[-1] == (date(2026, 2, 9), "day_rollover")
    assert len(days) == 31
    ch1 = [f for f in result.monthly if f.channel_id == "ch1"]
    assert [(f.usage_month, f.room_charges, f.opened_charges, f.rollover_charges) for f in ch1] == [
        (date(2026, 1, 1), 22, 1, 21),
        (date(2026, 2, 1), 9, 0, 9),
    ]
    assert [(f.fee_krw, f.vat_krw, f.total_krw) for f in ch1] == [(2200, 220, 2420), (900, 90, 990)]
    assert compute_billing(rows).rooms[0].charged_days == 1


def test_open_policy_is_the_same_as_activity_for_a_one_day_room() -> None:
    rows = [
        opened("e1", "2026-01-15 10:00"),
        say("e2", "2026-01-16 03:00"),
        say("e3", "2026-01-16 03:59:59"),
    ]
    assert compute_billing(rows).charges == compute_billing(rows, policy="open").charges


def test_unknown_policy_is_an_error() -> None:
    with pytest.raises(ValueError, match="policy"):
        compute_billing([], policy="hourly")


# --------------------------------------------------------------------------------------------
# D11 price and VAT, D12 monthly fees, D13 consultants


def test_monthly_fee_all_columns() -> None:
    rows = [
        opened("e1", "2026-01-15 10:00"),
        say("e2", "2026-01-16 10:00"),
        opened("e3", "2026-01-20 10:00", customer="u2"),
    ]
    assert compute_billing(rows).monthly == [
        MonthlyFee(
            channel_id="ch1",
            usage_month=date(2026, 1, 1),
            room_charges=3,
            opened_charges=2,
            rollover_charges=1,
            unit_price_krw=100,
            fee_krw=300,
            vat_krw=30,
            total_krw=330,
            billing_month=date(2026, 2, 1),
            invoice_window_start=date(2026, 2, 15),
            invoice_window_end=date(2026, 2, 21),
        )
    ]


def test_rate_card_price_changes_within_the_month() -> None:
    card = [(date(2000, 1, 1), 100), (date(2026, 1, 16), 120)]
    rows = [
        opened("e1", "2026-01-15 10:00"),
        say("e2", "2026-01-16 03:59"),
        say("e3", "2026-01-16 04:00"),
    ]
    result = compute_billing(rows, rate_card=card)
    assert [(c.billing_date, c.unit_price_krw) for c in result.charges] == [
        (date(2026, 1, 15), 100),
        (date(2026, 1, 16), 120),
    ]
    (fee,) = result.monthly
    assert (fee.unit_price_krw, fee.fee_krw, fee.vat_krw, fee.total_krw) == (None, 220, 22, 242)


def test_rate_card_row_order_does_not_matter() -> None:
    card = [(date(2026, 1, 1), 130), (date(2000, 1, 1), 100), (date(2026, 2, 1), 150)]
    assert unit_price_on(date(2025, 12, 31), card) == 100
    assert unit_price_on(date(2026, 1, 1), card) == 130
    assert unit_price_on(date(2026, 1, 31), card) == 130
    assert unit_price_on(date(2026, 2, 1), card) == 150


def test_charge_without_an_applicable_rate_is_an_error() -> None:
    with pytest.raises(ValueError, match="rate card"):
        compute_billing([opened("e1", "2026-01-15 10:00")], rate_card=[(date(2026, 2, 1), 100)])


def test_vat_is_rounded_down_to_the_won() -> None:
    rows = [opened(f"e{n}", f"2026-01-1{n} 10:00", customer=f"u{n}") for n in range(1, 4)]
    result = compute_billing(rows, rate_card=[(date(2000, 1, 1), 105)])
    (fee,) = result.monthly
    assert (fee.unit_price_krw, fee.fee_krw, fee.vat_krw, fee.total_krw) == (105, 315, 31, 346)


def test_vat_rate_is_configurable() -> None:
    result = compute_billing([opened("e1", "2026-01-15 10:00")], vat_rate=Decimal("0.075"))
    assert (result.monthly[0].vat_krw, result.monthly[0].total_krw) == (7, 107)


def test_invoice_window_is_configurable() -> None:
    result = compute_billing([opened("e1", "2026-01-15 10:00")], invoice_window=(1, 28))
    assert (result.monthly[0].invoice_window_start, result.monthly[0].invoice_window_end) == (
        date(2026, 2, 1),
        date(2026, 2, 28),
    )


def test_active_consultant_ids_are_distinct_sorted_per_billing_day() -> None:
    rows = [
        opened("e1", "2026-01-15 10:00"),
        say("e2", "2026-01-15 10:01", sender="consultant", consultant="c2"),
        say("e3", "2026-01-15 10:02", sender="consultant", consultant=" c10 "),
        say("e4", "2026-01-15 10:03", sender="consultant", consultant="c2"),
        say("e5", "2026-01-15 10:04", sender="consultant", consultant=None),
        say("e6", "2026-01-15 10:05", sender="customer", consultant="c7"),
        say("e7", "2026-01-16 03:59", sender="system", consultant="c8"),
        say("e8", "2026-01-16 10:00", sender="customer"),
        say("e9", "2026-01-17 10:00", sender="consultant", consultant="c3"),
    ]
    result = compute_billing(rows)
    assert [(c.billing_date, c.active_consultant_ids) for c in result.charges] == [
        (date(2026, 1, 15), "c10,c2"),
        (date(2026, 1, 16), None),
        (date(2026, 1, 17), "c3"),
    ]
    assert only_room(result).consultant_message_count == 5


def test_open_policy_idle_day_has_no_consultants() -> None:
    rows = [
        opened("e1", "2026-01-15 10:00"),
        say("e2", "2026-01-17 10:00", sender="consultant", consultant="c1"),
    ]
    result = compute_billing(rows, policy="open")
    assert [c.active_consultant_ids for c in result.charges] == [None, None, "c1"]


# --------------------------------------------------------------------------------------------
# The source document's example table


def test_source_example_consult_click_is_one_charge() -> None:
    result = compute_billing([opened("e1", "2026-01-15 10:00", entry="button")])
    assert result.charges == [
        Charge("ch1", "u1", "e1", date(2026, 1, 15), date(2026, 1, 1), "room_opened", 100, None)
    ]


def test_source_example_twenty_messages_add_no_charge() -> None:
    rows = [opened("e0", "2026-01-15 10:00")]
    rows += [
        say(
            f"m{n:02d}",
            f"2026-01-15 10:{n:02d}",
            sender="customer" if n % 2 else "consultant",
            consultant="c1",
        )
        for n in range(1, 21)
    ]
    result = compute_billing(rows)
    assert len(result.charges) == 1
    room = only_room(result)
    assert (room.message_count, room.customer_message_count, room.consultant_message_count) == (
        20,
        10,
        10,
    )
    assert room.charged_days == 1


def test_source_example_consult_again_next_day_is_one_more_charge() -> None:
    rows = [opened("e1", "2026-01-15 10:00"), opened("e2", "2026-01-16 10:00")]
    result = compute_billing(rows)
    assert charge_days(result) == [
        (date(2026, 1, 15), "room_opened"),
        (date(2026, 1, 16), "room_opened"),
    ]
    assert result.rooms[0].end_reason == "superseded"


def test_source_example_leave_and_reenter_is_one_more_charge() -> None:
    rows = [
        opened("e1", "2026-01-15 10:00"),
        ev("e2", "2026-01-15 10:10", "room_left", sender="customer"),
        opened("e3", "2026-01-15 10:20"),
    ]
    result = compute_billing(rows)
    assert charge_days(result) == [
        (date(2026, 1, 15), "room_opened"),
        (date(2026, 1, 15), "room_opened"),
    ]
    assert result.monthly[0].fee_krw == 200


def test_source_example_end_command_then_consult_again_is_one_more_charge() -> None:
    rows = [
        opened("e1", "2026-01-15 10:00"),
        say("e2", "2026-01-15 10:10", text="!종료", sender="consultant"),
        opened("e3", "2026-01-15 10:20"),
    ]
    result = compute_billing(rows)
    assert [r.end_reason for r in result.rooms] == ["end_command", None]
    assert len(result.charges) == 2


def test_source_example_resume_next_day_is_charged_at_04_00() -> None:
    rows = [
        opened("e1", "2026-01-15 22:00"),
        say("e2", "2026-01-16 03:59:59"),
        say("e3", "2026-01-16 04:00:00"),
    ]
    result = compute_billing(rows)
    assert charge_days(result) == [
        (date(2026, 1, 15), "room_opened"),
        (date(2026, 1, 16), "day_rollover"),
    ]
    assert result.monthly[0].rollover_charges == 1


# --------------------------------------------------------------------------------------------
# D14 audit and whole results


def test_audit_has_one_row_per_input_row_in_input_order() -> None:
    rows = [
        opened("e1", "2026-01-15 10:00"),
        say("e2", "2026-01-15 10:01"),
        ev("e3", "2026-01-15 10:02", "room_closed"),
        say("e4", "2026-01-15 10:03"),
        say("e2", "2026-01-15 10:04"),
        ev("", "2026-01-15 10:05"),
    ]
    assert compute_billing(rows).audit == [
        AuditRow(0, "billed", "room_activity"),
        AuditRow(1, "billed", "room_activity", event_id_conflict=True),
        AuditRow(2, "unbilled", "room_end_event"),
        AuditRow(3, "billed", "opened_by_customer_message"),
        AuditRow(4, "rejected", "duplicate_event_id", event_id_conflict=True),
        AuditRow(5, "rejected", "missing_event_id"),
    ]


def test_empty_input_gives_an_empty_result() -> None:
    assert compute_billing([]) == BillingResult(rooms=[], charges=[], monthly=[], audit=[])


def test_whole_room_record() -> None:
    rows = [
        opened("e1", "2026-01-15T01:00:00Z", entry="channel"),
        say("e2", "2026-01-15T01:01:00Z", sender="customer"),
        say("e3", "2026-01-15T01:02:00Z", sender="consultant", consultant="c1"),
        say("e4", "2026-01-15T01:03:00Z", sender="system"),
        say("e5", "2026-01-15T01:04:00.000001Z", text=" !종료 ", sender="customer"),
    ]
    assert compute_billing(rows).rooms == [
        Room(
            channel_id="ch1",
            customer_id="u1",
            opened_event_id="e1",
            opened_at=utc(2026, 1, 15, 1, 0),
            ended_at=utc(2026, 1, 15, 1, 4, 0, 1),
            end_reason="end_command",
            entry_point="channel",
            session_id=None,
            message_count=4,
            customer_message_count=2,
            consultant_message_count=1,
            system_message_count=1,
            charged_days=1,
        )
    ]


def test_results_are_timezone_aware_utc() -> None:
    room = only_room(compute_billing([opened("e1", "2026-01-15 10:00")]))
    assert room.opened_at.utcoffset() == timedelta(0)


# --------------------------------------------------------------------------------------------
# Properties of the reference itself on generated batches (fast: no dbt involved)

REFERENCE_SETTINGS = settings(
    max_examples=int(os.environ.get("KAKAO_REFERENCE_EXAMPLES", "60")),
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=bool(os.environ.get("CI")),
)


def audit_multiset(rows: list[Row], result: BillingResult) -> Counter[tuple[str | None, str, str]]:
    """(event_id, disposition, reason) of every audit row, ignoring row order."""
    return Counter(
        (normalise_id(rows[a.row_index]["event_id"]), a.disposition, a.reason) for a in result.audit
    )


@REFERENCE_SETTINGS
@given(rows=event_batches(), seed=st.integers(0, 2**32 - 1))
def test_property_row_order_does_not_change_the_bill(rows: list[Row], seed: int) -> None:
    shuffled = rows[:]
    random.Random(seed).shuffle(shuffled)
    for policy in ("activity", "open"):
        expected = compute_billing(rows, policy=policy)
        actual = compute_billing(shuffled, policy=policy)
        assert actual.rooms == expected.rooms
        assert actual.charges == expected.charges
        assert actual.monthly == expected.monthly
        assert audit_multiset(shuffled, actual) == audit_multiset(rows, expected)


@REFERENCE_SETTINGS
@given(rows=event_batches())
def test_property_delivering_rows_twice_does_not_change_the_bill(rows: list[Row]) -> None:
    once = compute_billing(rows)
    twice = compute_billing(rows + [dict(row) for row in rows])
    assert (twice.rooms, twice.charges, twice.monthly) == (once.rooms, once.charges, once.monthly)
    repeated = [a for a in twice.audit[len(rows) :] if a.disposition != "rejected"]
    assert repeated == []


@REFERENCE_SETTINGS
@given(rows=event_batches())
def test_property_results_are_consistent(rows: list[Row]) -> None:
    activity = compute_billing(rows)
    open_ = compute_billing(rows, policy="open")
    assert activity.rooms == [
        Room(**{**vars(room), "charged_days": a.charged_days})
        for room, a in zip(open_.rooms, activity.rooms, strict=True)
    ]
    assert len(activity.audit) == len(rows)
    for result in (activity, open_):
        assert sum(room.charged_days for room in result.rooms) == len(result.charges)
        assert sum(fee.room_charges for fee in result.monthly) == len(result.charges)
        assert sum(fee.fee_krw for fee in result.monthly) == 100 * len(result.charges)
        opened = [c for c in result.charges if c.charge_reason == "room_opened"]
        assert sorted(c.opened_event_id for c in opened) == sorted(
            room.opened_event_id for room in result.rooms
        )
        billed = sum(1 for a in result.audit if a.disposition == "billed")
        # a room a customer message opened counts that message among its messages (D32)
        by_message = sum(1 for a in result.audit if a.reason == "opened_by_customer_message")
        # (a platform session's room may hold several room_opened events, or none, D34)
        if not any(room.session_id for room in result.rooms):
            assert billed == len(result.rooms) - by_message + sum(
                room.message_count for room in result.rooms
            )
        for room in result.rooms:
            if room.ended_at is not None:
                assert room.ended_at >= room.opened_at
            assert (room.ended_at is None) == (room.end_reason is None)
    activity_days = {(c.opened_event_id, c.billing_date) for c in activity.charges}
    open_days = {(c.opened_event_id, c.billing_date) for c in open_.charges}
    assert activity_days <= open_days
