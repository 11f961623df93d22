"""The dealers' feed formats (docs/input-formats.md): a 상담톡 message webhook stored as JSON
lines and a dealer's room-event export give the same marts as the same events written in the
input contract's columns by hand (tests/fixtures/feeds), and a file of either that cannot be
read as its format stops the build with a message naming it."""

from __future__ import annotations

from pathlib import Path

import pytest

from dbt_harness import PROJECT_DIR, DbtBuildError, connect_warehouse, run_dbt

pytestmark = pytest.mark.dbt

FEEDS = PROJECT_DIR / "tests" / "fixtures" / "feeds"
DEALER_FEEDS = {
    "chat_events_path": "",
    "message_webhook_path": str(FEEDS / "message_webhook.jsonl"),
    "room_events_path": str(FEEDS / "room_events.csv"),
}
# Rows that name neither the file nor the raw row's hash, so the two builds can be compared.
COMPARED = {
    "marts.fct_chat_rooms": "*",
    "marts.fct_room_charges": "*",
    "marts.fct_monthly_fees": "* exclude (closed_at, computed_at)",
    "marts.fct_chat_event_audit": "* exclude (raw_row_id, source_file, occurred_at_text)",
    "marts.rpt_session_disagreements": "*",
}


def build(work: Path, events_path: Path | str, vars: dict[str, object]) -> Path:
    return run_dbt(["build", "--exclude-resource-type", "unit_test"], work,
                   events_path=events_path, vars={"closed_through_month": "2000-01", **vars})


def tables(database: Path) -> dict[str, list[str]]:
    with connect_warehouse(database) as connection:
        return {table: sorted(map(repr, connection.execute(
            f"select {columns} from {table}").fetchall())) for table, columns in COMPARED.items()}


def test_dealer_feeds_give_the_marts_of_the_same_events_in_the_contract(tmp_path: Path) -> None:
    feeds = build(tmp_path / "feeds", "", DEALER_FEEDS)
    contract = build(tmp_path / "contract", FEEDS / "equivalent_contract.csv", {})
    assert tables(feeds) == tables(contract)
    with connect_warehouse(feeds) as connection:
        rooms = connection.execute(
            "select customer_id, opened_event_id, entry_point, end_reason, session_id,"
            " message_count from marts.fct_chat_rooms order by opened_at").fetchall()
        audit = dict(connection.execute(
            "select event_id, disposition || '/' || disposition_reason"
            " from marts.fct_chat_event_audit").fetchall())
    # the session-start metadata opens the session's room, the messages follow it to !종료;
    # a message of another customer opens a room (D32); the export's rooms end as it says
    assert rooms == [
        ("Xj1bW5wlE5SR", "session-163755146", None, "end_command", "163755146", 3),
        ("Ab3kQ9xZ7pLm", "8100004", "customer_message", None, None, 1),
        ("cu_room1", "R100:0:2026-05-24 09:00:00", None, "consultant_ended", None, 0),
        ("cu_room2", "R101:0:2026-05-24 10:00:00", None, "customer_left", None, 0),
        ("cu_room3", "R102:0:2026-05-24 11:00:00", None, "manager_ended", None, 0),
    ]
    # nothing is lost: a time that is not epoch milliseconds, and a status the mapping does not
    # know, are rejected with their reason; a status change on the way is kept, unbilled
    assert audit["8100005"] == "rejected/unparseable_occurred_at"
    assert audit["R103:9:2026-05-25 12:00:00"] == "rejected/unknown_event_type"
    assert audit["R100:1:2026-05-24 09:01:00"] == "unbilled/room_status_event"
    assert len(audit) == 14


def test_a_room_export_without_its_columns_stops_the_build_naming_them(tmp_path: Path) -> None:
    export = tmp_path / "rooms.csv"
    export.write_text("room_id,status,customer_id,event_time\nR1,0,cu,2026-05-24 09:00:00\n",
                      encoding="utf-8")
    with pytest.raises(DbtBuildError) as stopped:
        build(tmp_path / "db", "", {"room_events_path": str(export)})
    assert f"The room-event export '{export}' lacks column(s): end_type, counselor_id" in str(
        stopped.value)


def test_a_room_export_that_names_no_channel_stops_the_build(tmp_path: Path) -> None:
    export = tmp_path / "rooms.csv"
    export.write_text("room_id,status,end_type,counselor_id,customer_id,event_time\n"
                      "R1,0,,,cu,2026-05-24 09:00:00\n", encoding="utf-8")
    with pytest.raises(DbtBuildError) as stopped:
        build(tmp_path / "db", "", {"room_events_path": str(export)})
    assert "set var room_events_channel_id" in str(stopped.value)
    # with the var, the same file builds
    database = build(tmp_path / "db", "", {"room_events_path": str(export),
                                           "room_events_channel_id": "@shop"})
    with connect_warehouse(database) as connection:
        assert connection.execute(
            "select channel_id, customer_id from marts.fct_chat_rooms").fetchall() == [
            ("@shop", "cu")]


def test_each_room_export_file_is_checked_as_the_contracts_csv_files_are(tmp_path: Path) -> None:
    """A second export without end_type beside a good one would be read with the column empty
    (the reader unites files by name): it stops the build, naming it. So does an export saved by
    Excel in CP949, with the advice the contract's files get."""
    good = (FEEDS / "room_events.csv").read_text(encoding="utf-8")
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "1.csv").write_text(good, encoding="utf-8")
    short = tmp_path / "a" / "2.csv"
    short.write_text("room_id,status,counselor_id,customer_id,event_time,sender_key\n"
                     "R9,0,,cu9,2026-05-24 09:00:00,s\n", encoding="utf-8")
    with pytest.raises(DbtBuildError) as stopped:
        build(tmp_path / "db", "", {"room_events_path": str(tmp_path / "a" / "*.csv")})
    assert f"The room-event export '{short}' lacks column(s): end_type." in str(stopped.value)

    (tmp_path / "b").mkdir()
    excel = tmp_path / "b" / "rooms.csv"
    excel.write_bytes(good.replace("cu_room1", "고객1").encode("cp949"))
    with pytest.raises(DbtBuildError) as stopped:
        build(tmp_path / "db2", "", {"room_events_path": str(excel)})
    assert f"The chat event file '{excel}' is not UTF-8: it reads as CP949" in str(stopped.value)
