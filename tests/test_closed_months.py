"""Closed months stay closed: late events in a closed month become adjustments; open months
follow the charges; --full-refresh neither loses adjustments nor reopens a month."""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
import pytest

from dbt_harness import (
    DbtBuildError,
    build_warehouse,
    connect_warehouse,
    run_dbt,
    write_events_csv,
)

FIXTURE_EVENTS = Path(__file__).parent / "fixtures" / "events" / "*.csv"


def room(event_id: str, opened_at: str, customer: str) -> list[dict[str, str | None]]:
    """A one-day room on channel `cm`: opened, one message, ended with !종료."""
    base = {"channel_id": "cm", "customer_id": customer, "sender_type": "customer"}
    return [
        {**base, "event_id": event_id, "occurred_at": opened_at, "event_type": "room_opened"},
        {**base, "event_id": f"{event_id}_bye", "event_type": "message", "message_text": "!종료",
         "occurred_at": opened_at.replace(":00:00", ":05:00")},
    ]


def fees(connection: duckdb.DuckDBPyConnection) -> dict[str, tuple[object, ...]]:
    rows = connection.execute(
        "select strftime(usage_month, '%Y-%m'), room_charges, fee_krw, vat_krw, is_closed,"
        " closed_at from marts.fct_monthly_fees where channel_id = 'cm'"
    ).fetchall()
    return {row[0]: row[1:] for row in rows}


def adjustments(connection: duckdb.DuckDBPyConnection) -> list[tuple[object, ...]]:
    return connection.execute(
        "select strftime(usage_month, '%Y-%m'), room_charges_delta, fee_krw_delta, vat_krw_delta,"
        " total_krw_delta, reason, caused_by_event_ids from marts.fct_fee_adjustments"
        " order by detected_at, usage_month"
    ).fetchall()


def charges_per_month(connection: duckdb.DuckDBPyConnection) -> dict[str, int]:
    return dict(connection.execute(
        "select strftime(usage_month, '%Y-%m'), count(*) from marts.fct_room_charges group by 1"
    ).fetchall())


@pytest.fixture
def landing(tmp_path: Path) -> Path:
    """A landing folder with April and May 2026 activity; more files arrive in the tests."""
    folder = tmp_path / "landing"
    write_events_csv(
        room("apr_1", "2026-04-10T10:00:00+09:00", "a")
        + room("may_1", "2026-05-10T10:00:00+09:00", "b"),
        folder / "day_1.csv",
    )
    return folder


def test_late_event_in_closed_month_becomes_an_adjustment(landing: Path, tmp_path: Path) -> None:
    work = tmp_path / "build"
    closed = {"closed_through_month": "2026-04"}
    with connect_warehouse(build_warehouse(landing / "*.csv", work, vars=closed)) as connection:
        at_close = fees(connection)
        assert at_close["2026-04"][:4] == (1, 100, 10, True)
        assert at_close["2026-05"][:4] == (1, 100, 10, False)
        assert adjustments(connection) == []

    # A late file: another April room (closed month) and another May room (open month).
    write_events_csv(
        room("apr_late", "2026-04-20T10:00:00+09:00", "c")
        + room("may_late", "2026-05-20T10:00:00+09:00", "d"),
        landing / "day_2_late.csv",
    )
    with connect_warehouse(build_warehouse(landing / "*.csv", work, vars=closed)) as connection:
        after = fees(connection)
        assert after["2026-04"] == at_close["2026-04"], "a closed month's figures moved"
        assert after["2026-05"][:4] == (2, 200, 20, False), "the open month did not update"
        assert adjustments(connection) == [
            ("2026-04", 1, 100, 10, 110, "late_events", "apr_late,apr_late_bye"),
        ]
        assert charges_per_month(connection) == {"2026-04": 2, "2026-05": 2}

    # Nothing new: nothing changes, no new adjustment.
    with connect_warehouse(build_warehouse(landing / "*.csv", work, vars=closed)) as connection:
        assert fees(connection)["2026-04"] == at_close["2026-04"]
        assert len(adjustments(connection)) == 1


def test_an_event_delivered_again_unchanged_is_not_named_as_a_late_event(
    landing: Path, tmp_path: Path,
) -> None:
    """A late file with a new April room, and three files that deliver April's first room again,
    unchanged: the adjustment names only the new room's events. Which copy of a re-delivered
    event is billed is a tie broken by the raw row's id (D6), which three copies make likely to
    fall on a later one; the event was known when April's figures were recorded either way."""
    work = tmp_path / "build"
    closed = {"closed_through_month": "2026-04"}
    build_warehouse(landing / "*.csv", work, vars=closed)
    write_events_csv(room("apr_late", "2026-04-20T10:00:00+09:00", "c"), landing / "late.csv")
    for copy in ("again_1", "again_2", "again_3"):
        write_events_csv(room("apr_1", "2026-04-10T10:00:00+09:00", "a"),
                         landing / f"{copy}.csv")
    with connect_warehouse(build_warehouse(landing / "*.csv", work, vars=closed)) as connection:
        assert adjustments(connection) == [
            ("2026-04", 1, 100, 10, 110, "late_events", "apr_late,apr_late_bye"),
        ]
        billed_copies = connection.execute(
            "select source_file from marts.fct_chat_event_audit"
            " where event_id = 'apr_1' and disposition = 'billed'").fetchall()
    assert len(billed_copies) == 1


def test_full_refresh_keeps_closed_months_and_adjustments(landing: Path, tmp_path: Path) -> None:
    work = tmp_path / "build"
    closed = {"closed_through_month": "2026-04"}
    build_warehouse(landing / "*.csv", work, vars=closed)
    write_events_csv(room("apr_late", "2026-04-20T10:00:00+09:00", "c"), landing / "late.csv")
    build_warehouse(landing / "*.csv", work, vars=closed)
    with connect_warehouse(work / "warehouse.duckdb") as connection:
        before = (fees(connection), adjustments(connection))

    database = run_dbt(
        ["build", "--full-refresh", "--exclude-resource-type", "unit_test"],
        work,
        events_path=landing / "*.csv",
        vars=closed,
    )
    with connect_warehouse(database) as connection:
        assert fees(connection)["2026-04"] == before[0]["2026-04"]
        assert adjustments(connection) == before[1]
        assert charges_per_month(connection) == {"2026-04": 2, "2026-05": 1}

    # Moving the close horizon back does not reopen a closed month either.
    with connect_warehouse(
        build_warehouse(landing / "*.csv", work, vars={"closed_through_month": "2026-03"})
    ) as connection:
        assert fees(connection)["2026-04"] == before[0]["2026-04"]


@pytest.mark.parametrize(
    ("as_of", "april_closed"),
    [("2026-05-21", False), ("2026-05-22", True), ("2026-06-01", True)],
)
def test_month_closes_after_the_21st_of_the_following_month(
    landing: Path, tmp_path: Path, as_of: str, april_closed: bool
) -> None:
    database = build_warehouse(landing / "*.csv", tmp_path / "build",
                               vars={"billing_as_of_date": as_of})
    with connect_warehouse(database) as connection:
        closed = {month: row[3] for month, row in fees(connection).items()}
    assert closed == {"2026-04": april_closed, "2026-05": as_of >= "2026-06-22"}


def _seoul_now() -> datetime:
    return datetime.now(ZoneInfo("Asia/Seoul"))


@pytest.mark.parametrize(
    ("bad_vars", "message"),
    [
        # 35 days from today always passes one more invoice window than today does
        ({"billing_as_of_date": f"{(_seoul_now() + timedelta(days=35)).date()}"},
         "so an as-of date may not close a month early: use a date up to"),
        # the current usage month (billing days start at 04:00) has not ended
        ({"closed_through_month": f"{(_seoul_now() - timedelta(hours=4)):%Y-%m}"},
         "has not ended yet"),
    ],
)
def test_a_var_cannot_close_a_month_that_is_still_open_today(
    tmp_path: Path, bad_vars: dict[str, object], message: str
) -> None:
    """D15: a closed month stays closed, so a what-if date or a close horizon that reaches a
    month still open today would freeze it for good; the build refuses before writing."""
    with pytest.raises(DbtBuildError) as failure:
        run_dbt(["compile", "--select", "fct_monthly_fees"], tmp_path,
                events_path=FIXTURE_EVENTS, vars=bad_vars)
    assert message in str(failure.value)
    assert "A closed month stays closed (DECISIONLOG D15)" in str(failure.value)
