"""The conservation checks fail on each way a layer can go wrong. Data test
audit_accounts_for_every_raw_row (between the event-level layers) stands in for a uniqueness
test on each 10M-row table (DECISIONLOG D43), so each way a layer can lose, repeat or invent a
raw row is tried here on a built warehouse; and billed_events_fall_on_charges (between the
events and the charges, D14) on each way an event and its charge can part. The checks of the
event tables look, in a build, at the rows written since the last checked build (D45): tried
on rows inside and outside that window.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import duckdb
import pytest

from dbt_harness import (
    SAMPLE_EVENTS,
    DbtBuildError,
    build_warehouse,
    connect_warehouse,
    run_dbt,
    run_dbt_cli,
    write_events_csv,
)

LAYERS = "audit_accounts_for_every_raw_row"
CHARGED = "billed_events_fall_on_charges"
VALIDATED = "intermediate.int_chat_events__validated"
PLACED = "intermediate.int_chat_events__assigned_to_rooms"
FIRST_SEEN = "intermediate.int_chat_events__first_seen"
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


# The checks that look at the rows written since the last checked build (D45): the column that
# says when a build wrote a row, and the SQL that breaks a row the check checks, written {at}.
LATEST_ACCEPTED = f"(select max(raw_row_id) from {VALIDATED} where rejection_reason is null)"
RELATIONSHIP = ("relationships_since_last_check_int_chat_events__validated_raw_row_id__raw_row_id__"
                "ref_int_chat_events__first_seen___validated_at")
CHECKED_SINCE = {
    "unique_since_last_check_int_chat_events__first_seen_raw_row_id__first_seen_at": (
        "first_seen_at",
        f"insert into {FIRST_SEEN} select raw_row_id, event_id, {{at}} from {FIRST_SEEN}"
        f" where {first_row(FIRST_SEEN)}",
    ),
    RELATIONSHIP: (
        "validated_at",
        f"update {VALIDATED} set validated_at = {{at}} where raw_row_id = {LATEST_ACCEPTED};"
        f" delete from {FIRST_SEEN} where raw_row_id = {LATEST_ACCEPTED}",
    ),
    "unique_since_last_check_int_chat_events__validated_event_id__rejection_reason__validated_at":
    (
        "validated_at",
        f"update {VALIDATED} set validated_at = {{at}}, event_id = (select min(event_id)"
        f" from {VALIDATED} where rejection_reason is null) where raw_row_id = {LATEST_ACCEPTED}",
    ),
}
# the start of the sample's build, which ran every data test and passed them: a checked build
CHECKED_BUILD = "(select max(started_at) from build_log.builds)"


def failed_checks(error: DbtBuildError) -> set[str]:
    return set(re.findall(r"test\.kakao_consult_billing\.(\w+)(?:\.\w+)?: fail", str(error)))


def break_rows(database: Path, checks: list[str], at: str | None) -> None:
    """Break the rows the checks check, written `at` (None: when the checked build wrote them)."""
    with duckdb.connect(str(database)) as connection:
        for check in checks:
            column, sql = CHECKED_SINCE[check]
            connection.execute(sql.format(at=at or column))


def test_a_build_checks_the_rows_written_since_the_last_checked_build_and_dbt_test_all_rows(
    sample_warehouse: Path, tmp_path: Path
) -> None:
    """Rows broken as the checked build wrote them are outside the window: an ordinary build
    passes, `dbt test` finds each of them."""
    database = tmp_path / "warehouse.duckdb"
    shutil.copy(sample_warehouse, database)
    with connect_warehouse(database) as connection:
        assert connection.execute(
            "select count(*) from staging.stg_build_log__builds where is_complete"
            " and is_checked").fetchall() == [(1,)]
    break_rows(database, sorted(CHECKED_SINCE), at=None)
    run_dbt(["build", "--exclude-resource-type", "unit_test"], tmp_path,
            events_path=SAMPLE_EVENTS)
    with pytest.raises(DbtBuildError) as error:
        run_dbt(["test", "--select", *CHECKED_SINCE], tmp_path, events_path=SAMPLE_EVENTS)
    assert failed_checks(error.value) == set(CHECKED_SINCE)


@pytest.mark.parametrize("check", sorted(CHECKED_SINCE))
def test_a_build_fails_a_check_on_a_row_written_since_the_last_checked_build(
    check: str, sample_warehouse: Path, tmp_path: Path
) -> None:
    """A row broken as a later build would have written it is in the window, and stays in it
    until a build checks it: not the build whose check failed, nor a complete one that ran no
    data test."""
    database = tmp_path / "warehouse.duckdb"
    shutil.copy(sample_warehouse, database)
    break_rows(database, [check], at=f"{CHECKED_BUILD} + interval 1 second")
    build = ["build", "--exclude-resource-type", "unit_test"]
    with pytest.raises(DbtBuildError) as error:
        run_dbt(build, tmp_path, events_path=SAMPLE_EVENTS)
    assert check in failed_checks(error.value)
    if check == RELATIONSHIP:
        run_dbt([*build, "--exclude-resource-type", "test"], tmp_path, events_path=SAMPLE_EVENTS)
        with connect_warehouse(database) as connection:
            assert connection.execute(
                "select is_complete, failed_tests, is_checked from staging.stg_build_log__builds"
                " order by started_at desc limit 2").fetchall() == [(True, 0, False),
                                                                    (False, 1, False)]
        with pytest.raises(DbtBuildError) as error:
            run_dbt(build, tmp_path, events_path=SAMPLE_EVENTS)
        assert check in failed_checks(error.value)


def test_a_build_log_of_an_earlier_version_gets_the_checked_column_its_builds_not_checked(
    sample_warehouse: Path, tmp_path: Path
) -> None:
    database = tmp_path / "warehouse.duckdb"
    shutil.copy(sample_warehouse, database)
    with duckdb.connect(str(database)) as connection:
        connection.execute("alter table build_log.builds drop column is_checked")
    run_dbt(["build", "--select", "stg_build_log__builds"], tmp_path, events_path=SAMPLE_EVENTS)
    with connect_warehouse(database) as connection:
        assert connection.execute(
            "select is_complete, is_checked from staging.stg_build_log__builds"
            " order by started_at").fetchall() == [(True, False), (False, False)]
