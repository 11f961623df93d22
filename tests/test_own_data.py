"""A Korean analyst's own file: the timestamps Excel writes, columns left out, rejected rows
that warn, invoices and teams of the warehouse's own, months closed once (DECISIONLOG D36-D40).
"""

from __future__ import annotations

import csv
import subprocess
import sys
from collections.abc import Iterator, Sequence
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pytest

from dbt_harness import (
    PROJECT_DIR,
    DbtBuildError,
    build_warehouse,
    connect_warehouse,
    run_dbt,
    run_dbt_cli,
)

# Days long past, so that the months are closed by the default rule today.
OCTOBER_OPENS = [
    ("o1", "2025-10-02T10:00:00+09:00"),
    ("o2", "2025-10-03T11:00:00+09:00"),
    ("o3", "2025-10-04T12:00:00+09:00"),
    # what the user's Excel export held: rejected before, silently
    ("o4", "2025-10-02 오전 10:00:00"),
    ("o5", "2025/10/05 4:20"),
    ("o6", "2025.10.31 22:00"),
]


def write_csv(path: Path, header: Sequence[str], rows: Sequence[Sequence[str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def opens(events: Sequence[tuple[str, str]], channel: str = "@mine") -> list[dict[str, str]]:
    """One room_opened per event, each by its own customer."""
    return [{"event_id": event_id, "occurred_at": occurred_at, "channel_id": channel,
             "customer_id": f"cu_{event_id}", "event_type": "room_opened",
             "sender_type": "customer"} for event_id, occurred_at in events]


@pytest.fixture(scope="session")
def october(tmp_path_factory: pytest.TempPathFactory) -> Iterator[duckdb.DuckDBPyConnection]:
    """The issue's October export, built with no invoices_path and no teams."""
    database = build_warehouse(opens(OCTOBER_OPENS), tmp_path_factory.mktemp("october"))
    connection = connect_warehouse(database)
    yield connection
    connection.close()


def test_the_korean_excel_timestamps_of_an_export_are_billed(
    october: duckdb.DuckDBPyConnection,
) -> None:
    """The issue's file: three rows in Excel's forms were rejected and October came out at 300
    KRW instead of 600 (D36)."""
    fees = october.execute(
        "select strftime(usage_month, '%Y-%m'), room_charges, fee_krw"
        " from marts.fct_monthly_fees").fetchall()
    rejected = october.execute("select count(*) from marts.rpt_rejected_rows").fetchone()
    opened = dict(october.execute(
        "select opened_event_id, opened_at_kst from marts.fct_chat_rooms").fetchall())
    assert fees == [("2025-10", 6, 600)]
    assert rejected == (0,)
    # the marts' _kst columns give the wall-clock time the export showed (D40)
    assert opened["o4"] == datetime(2025, 10, 2, 10, 0)
    assert opened["o5"] == datetime(2025, 10, 5, 4, 20)
    assert opened["o6"] == datetime(2025, 10, 31, 22, 0)


def test_rejected_rows_end_the_build_with_a_warning_naming_reasons_files_and_ids(
    tmp_path: Path,
) -> None:
    """A build that rejects rows says so where orchestrators look: WARN in dbt's summary, and
    the reasons, the first file and example event ids in its last lines (D39)."""
    events = opens([*OCTOBER_OPENS[:3], ("bad1", "2025-10-02 25:00"),
                    ("bad2", "10/02/2025 10:00")])
    events.append({**events[0], "event_id": "bad3", "event_type": "room_openned"})
    path = tmp_path / "events" / "export.csv"
    write_csv(path, list(events[0]), [list(event.values()) for event in events])
    result = run_dbt_cli(["build", "--exclude-resource-type", "unit_test"], tmp_path,
                         events_path=path, vars={"publish_marts": False})
    output = " ".join(result.stdout.split())
    assert "WARN=1" in output
    assert "Warning in test rejected_input_rows" in output
    assert "Got 3 results, configured to warn if != 0" in output
    assert ("Rejected input: 3 raw row(s) are not billed, and may lower a fee: "
            f"2 unparseable_occurred_at (first in {path}: bad1, bad2); "
            f"1 unknown_event_type (first in {path}: bad3)") in output
    with connect_warehouse(tmp_path / "warehouse.duckdb") as connection:
        by_month = connection.execute(
            "select channel_id, strftime(usage_month, '%Y-%m'), rejection_reason,"
            " rejected_rows from marts.rpt_rejected_rows").fetchall()
    # the unparseable times' month is read from the text where it starts with the year
    assert sorted(by_month, key=str) == [
        ("@mine", "2025-10", "unknown_event_type", 1),
        ("@mine", "2025-10", "unparseable_occurred_at", 1),
        ("@mine", None, "unparseable_occurred_at", 1),
    ]
    # `make fees` says it on a line of its own under the reconciliation
    fees = subprocess.run(
        [sys.executable, str(PROJECT_DIR / "scripts" / "show_fees.py"), "--database",
         str(tmp_path / "warehouse.duckdb")], capture_output=True, text=True, check=True)
    assert ("\nwarning: @mine 2025-10: 거부된 원본 행 3건이 이 달 예상 요금을 낮췄을 수 있습니다"
            " (unknown_event_type 1, unparseable_occurred_at 2; marts.rpt_rejected_rows)\n"
            in fees.stdout)


def test_fail_on_rejected_rows_turns_the_warning_into_an_error(tmp_path: Path) -> None:
    events = opens([OCTOBER_OPENS[0], ("bad", "yesterday")])
    with pytest.raises(DbtBuildError, match="rejected_input_rows: fail"):
        build_warehouse(events, tmp_path, vars={"fail_on_rejected_rows": True})


def test_an_exact_re_delivery_is_not_a_rejection_that_warns(tmp_path: Path) -> None:
    """The same event delivered twice is rejected as a duplicate_event_id but lowers no bill:
    no warning. Two different events under one id are warned about."""
    same = opens(OCTOBER_OPENS[:2])
    database = build_warehouse([*same, same[0]], tmp_path / "same")
    with connect_warehouse(database) as connection:
        assert connection.execute("select count(*) from marts.rpt_rejected_rows").fetchone() \
            == (0,)
        assert connection.execute(
            "select count(*) from marts.fct_chat_event_audit"
            " where disposition_reason = 'duplicate_event_id'").fetchone() == (1,)
    conflicting = [*same, {**same[0], "customer_id": "someone_else"}]
    database = build_warehouse(conflicting, tmp_path / "conflict")
    with connect_warehouse(database) as connection:
        assert connection.execute(
            "select rejection_reason, rejected_rows from marts.rpt_rejected_rows").fetchall() \
            == [("duplicate_event_id", 1)]


def test_a_file_with_only_the_required_columns_builds(tmp_path: Path) -> None:
    """event_id, occurred_at, channel_id, customer_id and event_type are all a file of room
    events needs (D37); the rest read as null."""
    path = write_csv(tmp_path / "events" / "minimal.csv",
                     ["event_id", "occurred_at", "channel_id", "customer_id", "event_type"],
                     [["m1", "2025-10-02 10:00", "@mine", "cu1", "room_opened"],
                      ["m2", "2025-10-02 11:00", "@mine", "cu1", "room_closed"]])
    database = build_warehouse(path, tmp_path / "build")
    with connect_warehouse(database) as connection:
        assert connection.execute(
            "select room_charges from marts.fct_monthly_fees").fetchall() == [(1,)]
        assert connection.execute(
            "select entry_point, ended_at is not null from marts.fct_chat_rooms").fetchall() \
            == [(None, True)]


def test_a_file_without_message_text_warns_that_end_commands_go_undetected(
    tmp_path: Path,
) -> None:
    header = ["event_id", "occurred_at", "channel_id", "customer_id", "event_type",
              "sender_type", "consultant_id"]
    path = write_csv(tmp_path / "events" / "no_text.csv", header,
                     [["t1", "2025-10-02 10:00", "@mine", "cu1", "room_opened", "customer", ""],
                      ["t2", "2025-10-02 10:01", "@mine", "cu1", "message", "consultant", "kim"]])
    result = run_dbt_cli(["build", "--exclude-resource-type", "unit_test"], tmp_path,
                         events_path=path, vars={"publish_marts": False})
    output = " ".join(result.stdout.split())
    assert (f"1 chat event file(s) have no message_text column ({path}): `!종료` cannot be "
            "detected in their messages") in output
    assert f"have no entry_point column ({path})" in output
    assert "have no consultant_id column" not in output


def test_messages_without_a_sender_type_column_stop_the_build(tmp_path: Path) -> None:
    header = ["event_id", "occurred_at", "channel_id", "customer_id", "event_type"]
    path = write_csv(tmp_path / "events" / "no_sender.csv", header,
                     [["s1", "2025-10-02 10:00", "@mine", "cu1", "room_opened"],
                      ["s2", "2025-10-02 10:01", "@mine", "cu1", "message"]])
    with pytest.raises(DbtBuildError) as failure:
        build_warehouse(path, tmp_path / "build")
    assert (f"The chat event file '{path}' has 1 message row(s) but no sender_type column"
            in str(failure.value))


def test_messages_with_an_empty_sender_type_open_no_room_and_the_build_says_so(
    tmp_path: Path,
) -> None:
    """D32: only a customer's message opens a room. A message whose sender_type is left empty
    (the column is there) is accepted and opens none, which may lower a fee below Kakao's: the
    build counts such messages and says what to do, and not for a message whose sender is
    known."""
    header = ["event_id", "occurred_at", "channel_id", "customer_id", "event_type",
              "sender_type", "message_text"]
    path = write_csv(tmp_path / "events" / "empty_sender.csv", header,
                     [["b1", "2025-10-02 10:00", "@mine", "cu1", "message", "", "문의드립니다"],
                      ["b2", "2025-10-02 10:05", "@mine", "cu1", "message", " ", "주문번호 1"],
                      ["b3", "2025-10-03 10:00", "@mine", "cu2", "message", "customer", "안녕"]])
    result = run_dbt_cli(["build", "--exclude-resource-type", "unit_test"], tmp_path,
                         events_path=path, vars={"publish_marts": False})
    output = " ".join(result.stdout.split())
    assert ("3 (3 accepted; 0 rejected). What became of each row: marts.fct_chat_event_audit."
            " 2 accepted message(s) have no sender_type: only a customer's message opens a room,"
            " so these open none") in output
    with connect_warehouse(tmp_path / "warehouse.duckdb") as connection:
        assert connection.execute("select customer_id, count(*) from marts.fct_room_charges"
                                  " group by customer_id").fetchall() == [("cu2", 1)]


INVOICE_HEADER = ["channel_id", "usage_month", "invoiced_room_charges", "invoiced_amount_krw",
                  "invoice_date"]


def test_invoices_and_teams_are_the_warehouses_own_inputs(
    october: duckdb.DuckDBPyConnection, tmp_path: Path,
) -> None:
    """Without invoices_path a warehouse of one's own data shows no sample channel; with it,
    the invoice lines as a spreadsheet writes them (a month as 2025-10, amounts with a
    thousands separator) are compared (D38)."""
    assert october.execute(
        "select channel_id, status from marts.rpt_invoice_reconciliation").fetchall() \
        == [("@mine", "missing_invoice")]
    events = opens(OCTOBER_OPENS[:3])
    invoices = write_csv(tmp_path / "invoices.csv", INVOICE_HEADER,
                         [["@mine", "2025-10", "3", "300", "2025-11-17"],
                          ["@other", "2025-10-01", "1,000", "100,000", "2025-11-17"]])
    teams = write_csv(tmp_path / "teams.csv", ["consultant_id", "team"], [["kim", "주문팀"]])
    database = build_warehouse(events, tmp_path / "own",
                               vars={"invoices_path": str(invoices),
                                     "consultant_teams_path": str(teams)})
    with connect_warehouse(database) as connection:
        assert connection.execute(
            "select channel_id, invoiced_room_charges, invoiced_amount_krw, status"
            " from marts.rpt_invoice_reconciliation order by 1").fetchall() == [
            ("@mine", 3, 300, "match"), ("@other", 1000, 100000, "missing_usage")]


def test_an_invoice_file_without_a_column_is_named(tmp_path: Path) -> None:
    invoices = write_csv(tmp_path / "invoices.csv", INVOICE_HEADER[:-1],
                         [["@mine", "2025-10", "3", "300"]])
    with pytest.raises(DbtBuildError) as failure:
        build_warehouse(opens(OCTOBER_OPENS[:1]), tmp_path / "build",
                        vars={"invoices_path": str(invoices)})
    assert (f"The invoice file '{invoices}' (var invoices_path) lacks column(s): invoice_date"
            in str(failure.value))


def test_a_build_says_once_which_months_it_closed(tmp_path: Path) -> None:
    events = write_csv(tmp_path / "events" / "day_1.csv", ["event_id", "occurred_at",
                       "channel_id", "customer_id", "event_type"],
                       [[event_id, at, "@mine", f"cu_{event_id}", "room_opened"]
                        for event_id, at in OCTOBER_OPENS])
    options = {"events_path": events, "vars": {"publish_marts": False}}
    first = run_dbt_cli(["build", "--exclude-resource-type", "unit_test"], tmp_path, **options)
    assert "Closed by this build: usage month(s) 2025-10 (1 channel)." in first.stdout
    second = run_dbt_cli(["build", "--exclude-resource-type", "unit_test"], tmp_path, **options)
    assert "Closed by this build" not in second.stdout


def test_close_months_false_closes_nothing_and_refuses_a_warehouse_with_closed_months(
    tmp_path: Path,
) -> None:
    events = opens(OCTOBER_OPENS[:2])
    database = build_warehouse(events, tmp_path / "try", vars={"close_months": False})
    with connect_warehouse(database) as connection:
        assert connection.execute(
            "select is_closed from marts.fct_monthly_fees").fetchall() == [(False,)]
    build_warehouse(events, tmp_path / "real")
    with pytest.raises(DbtBuildError, match="var close_months is false, but this warehouse "
                       "already has closed months"):
        run_dbt(["build", "--exclude-resource-type", "unit_test"], tmp_path / "real",
                events_path=tmp_path / "real" / "events" / "chat_events.csv",
                vars={"close_months": False})


def test_kst_columns_are_the_utc_instants_in_korean_wall_clock_time(
    october: duckdb.DuckDBPyConnection,
) -> None:
    audit = october.execute(
        "select occurred_at, occurred_at_kst from marts.fct_chat_event_audit"
        " where event_id = 'o3'").fetchone()
    # 2025-10-04T12:00:00+09:00
    assert audit == (datetime(2025, 10, 4, 3, 0, tzinfo=UTC), datetime(2025, 10, 4, 12, 0))
