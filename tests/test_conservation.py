"""The conservation checks fail on each way a layer can go wrong. Data test
audit_accounts_for_every_raw_row (between the event-level layers) stands in for a uniqueness
test on each 10M-row table (DECISIONLOG D43), so each way a layer can lose, repeat or invent a
raw row is tried here on a built warehouse; and billed_events_fall_on_charges (between the
events and the charges, D14) on each way an event and its charge can part.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import duckdb
import pytest

from dbt_harness import (
    SAMPLE_EVENTS,
    DbtBuildError,
    build_warehouse,
    run_dbt,
    run_dbt_cli,
    write_events_csv,
)

LAYERS = "audit_accounts_for_every_raw_row"
CHARGED = "billed_events_fall_on_charges"
VALIDATED = "intermediate.int_chat_events__validated"
PLACED = "intermediate.int_chat_events__assigned_to_rooms"
CHARGES = "marts.fct_room_charges"
FIRST_CHARGE = f"charge_id = (select min(charge_id) from {CHARGES})"


def first_row(table: str) -> str:
    return f"raw_row_id = (select min(raw_row_id) from {table})"


# How a layer can go wrong, as the SQL that does it to a built warehouse, and the check that
# must fail.
CORRUPTIONS = {
    "a validated row repeated":
        (LAYERS, f"insert into {VALIDATED} select * from {VALIDATED} where {first_row(VALIDATED)}"),
    "a validated row lost": (LAYERS, f"delete from {VALIDATED} where {first_row(VALIDATED)}"),
    "an accepted row not placed": (LAYERS, f"delete from {PLACED} where {first_row(PLACED)}"),
    "a placed row repeated":
        (LAYERS, f"insert into {PLACED} select * from {PLACED} where {first_row(PLACED)}"),
    "a placed row of no raw row":
        (LAYERS, f"update {PLACED} set raw_row_id = 'not-a-raw-row' where {first_row(PLACED)}"),
    "a rejected row without its reason": (
        LAYERS,
        f"update {VALIDATED} set rejection_reason = null"
        f" where raw_row_id = (select min(raw_row_id) from {VALIDATED}"
        f" where rejection_reason is not null)",
    ),
    "a billed event's charge lost": (CHARGED, f"delete from {CHARGES} where {FIRST_CHARGE}"),
    "a charge under another key":
        (CHARGED, f"update {CHARGES} set charge_id = 'another-key' where {FIRST_CHARGE}"),
    "a charge whose events are gone": (
        CHARGED,
        f"delete from {PLACED} where (room_id, billing_date) in"
        f" (select room_id, billing_date from {CHARGES} where {FIRST_CHARGE})",
    ),
}


@pytest.fixture(scope="session")
def sample_warehouse(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return build_warehouse(SAMPLE_EVENTS, tmp_path_factory.mktemp("conservation"))


def run_the_check(built: Path, work_dir: Path, corruption: str | None) -> None:
    """Copy the built warehouse into work_dir, break it, and run the check that must catch it
    there (both checks on an unbroken copy)."""
    database = work_dir / "warehouse.duckdb"
    shutil.copy(built, database)
    if corruption:
        with duckdb.connect(str(database)) as connection:
            connection.execute(CORRUPTIONS[corruption][1])
    checks = [CORRUPTIONS[corruption][0]] if corruption else [LAYERS, CHARGED]
    run_dbt(["test", "--select", *checks], work_dir, events_path=SAMPLE_EVENTS)


def test_the_checks_pass_on_an_ordinary_build(sample_warehouse: Path, tmp_path: Path) -> None:
    run_the_check(sample_warehouse, tmp_path, None)


@pytest.mark.parametrize("corruption", sorted(CORRUPTIONS))
def test_a_conservation_check_fails_when_a_row_is_lost_repeated_or_invented(
    corruption: str, sample_warehouse: Path, tmp_path: Path
) -> None:
    with pytest.raises(DbtBuildError, match=f"{CORRUPTIONS[corruption][0]}: fail"):
        run_the_check(sample_warehouse, tmp_path, corruption)


def test_the_builds_anomaly_line_counts_the_audits_outside_room_anomalies(tmp_path: Path) -> None:
    """The build's last lines count the consultant and system messages sent while no room was
    open from room assignment, not from the audit view (D43); the count is the audit's."""
    def message(event_id: str, sender_type: str, hour: int) -> dict[str, str | None]:
        return {"event_id": event_id, "occurred_at": f"2026-10-05T{hour:02d}:00:00+09:00",
                "channel_id": "@shop", "customer_id": "c1", "event_type": "message",
                "sender_type": sender_type, "consultant_id": "agent" if sender_type ==
                "consultant" else None, "message_text": "hello"}

    events = write_events_csv([
        message("e1", "consultant", 9), message("e2", "system", 10),  # no room open yet
        message("e3", "customer", 11), message("e4", "consultant", 12),  # in the room e3 opens
    ], tmp_path / "events" / "chat_events.csv")
    result = run_dbt_cli(["build", "--exclude-resource-type", "unit_test"], tmp_path,
                         events_path=events)
    with duckdb.connect(str(tmp_path / "warehouse.duckdb"), read_only=True) as connection:
        reasons = dict(connection.execute(
            "select event_id, disposition_reason from marts.fct_chat_event_audit").fetchall())
    assert reasons == {"e1": "outside_room_anomaly", "e2": "outside_room_anomaly",
                       "e3": "opened_by_customer_message", "e4": "room_activity"}
    assert "Anomalies: 2 consultant or system message(s)" in result.stdout
