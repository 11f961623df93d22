"""The finance reports on the expected-output fixtures, against hand-derived figures
(tests/fixtures/expected/*_activity.csv): cost allocation, avoidable charges, the invoice
reconciliation and the month-to-date projection, as of a fixed day (var billing_as_of_date).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from dbt_harness import (
    FIXTURE_INPUTS,
    DbtBuildError,
    build_warehouse,
    connect_warehouse,
    run_dbt,
)
from test_expected_fixtures import query_text, read_expected, show_difference

FIXTURE_EVENTS = Path(__file__).parent / "fixtures" / "events" / "*.csv"
AS_OF = "2026-05-13"


@pytest.fixture(scope="session")
def as_of_warehouse(
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[duckdb.DuckDBPyConnection]:
    """The fixtures built under the activity policy, "today" being Wednesday 2026-05-13."""
    database = build_warehouse(
        FIXTURE_EVENTS,
        tmp_path_factory.mktemp("finance_as_of"),
        vars={**FIXTURE_INPUTS, "room_charge_policy": "activity", "billing_as_of_date": AS_OF},
    )
    connection = connect_warehouse(database)
    yield connection
    connection.close()


def test_cost_by_consultant_matches_hand_derived_allocation(as_of_warehouse) -> None:
    actual = query_text(
        as_of_warehouse,
        """
        select channel_id, usage_month, allocation_target, consultant_id, team, charges,
               shared_charges, allocated_krw
        from marts.rpt_cost_by_consultant
        """,
    )
    expected = read_expected("cost_by_consultant_activity.csv")
    assert actual == expected, show_difference(actual, expected)


def test_avoidable_charges_match_hand_derived_categories(as_of_warehouse) -> None:
    actual = query_text(
        as_of_warehouse,
        """
        select channel_id, usage_month, category, last_activity_hour, rooms, charges, amount_krw
        from marts.rpt_avoidable_charges
        """,
    )
    expected = read_expected("avoidable_charges_activity.csv")
    assert actual == expected, show_difference(actual, expected)


def test_reconciliation_matches_hand_derived_statuses(as_of_warehouse) -> None:
    """The sample invoices name channels the fixtures do not have (missing_usage), and no
    fixture month has an invoice (missing_invoice, due only for the months closed by
    2026-05-13: through March)."""
    actual = query_text(
        as_of_warehouse,
        """
        select channel_id, usage_month, expected_room_charges, expected_amount_krw,
               invoiced_amount_krw, amount_variance_krw, status, is_invoice_due,
               is_invoice_date_in_window
        from marts.rpt_invoice_reconciliation
        """,
    )
    expected = read_expected("reconciliation_2026-05-13_activity.csv")
    assert actual == expected, show_difference(actual, expected)


def test_projection_matches_hand_derived_weekday_run_rate(as_of_warehouse) -> None:
    actual = query_text(
        as_of_warehouse,
        """
        select channel_id, elapsed_days, remaining_days, mtd_room_charges, mtd_fee_krw,
               projected_room_charges, projected_fee_krw
        from marts.rpt_month_to_date_projection
        where usage_month = '2026-05-01' and as_of_date = '2026-05-13' and days_in_month = 31
        """,
    )
    expected = read_expected("projection_2026-05-13_activity.csv")
    assert actual == expected, show_difference(actual, expected)


@pytest.mark.parametrize(
    "report", ["rpt_cost_by_consultant", "rpt_cost_by_team", "rpt_cost_by_entry_point"]
)
def test_allocated_costs_sum_to_the_monthly_fee(fixture_warehouse, report: str) -> None:
    """Under both policies, every cost report sums to fct_monthly_fees.fee_krw exactly."""
    _, connection = fixture_warehouse
    differences = connection.execute(
        f"""
        select *
        from (
            select channel_id, usage_month, sum(allocated_krw) as allocated_krw
            from marts.{report} group by all
        ) as allocated
        full outer join marts.fct_monthly_fees as fees using (channel_id, usage_month)
        where allocated.allocated_krw is distinct from fees.fee_krw
        """
    ).fetchall()
    assert differences == []


def test_superseded_room_is_avoidable_only_when_both_rooms_were_charged(fixture_warehouse) -> None:
    """b_superseded: the first room (opened 05-10) is superseded on 05-12. Under `activity` it
    was last charged on 05-10, so the new room's charge saves nothing; under `open` it is
    charged on 05-12 too (D10), and the new room's opening charge is avoidable."""
    policy, connection = fixture_warehouse
    actual = query_text(
        connection,
        "select billing_date from marts.fct_avoidable_charges"
        " where category = 'superseded' and channel_id = 'b_superseded'",
    )
    assert actual == ([("2026-05-12",)] if policy == "open" else [])


@pytest.mark.parametrize(
    ("model", "bad_vars", "message"),
    [
        ("fct_avoidable_charges", {"quick_reentry_minutes": -5},
         "var 'quick_reentry_minutes' must be a whole number of minutes, 0 or more, got '-5'"),
        ("fct_avoidable_charges", {"quick_reentry_minutes": "ten"},
         "var 'quick_reentry_minutes' must be a whole number of minutes, 0 or more, got 'ten'"),
        ("rpt_invoice_reconciliation", {"invoice_match_tolerance_krw": -100},
         "var 'invoice_match_tolerance_krw' must be an amount in KRW, 0 or more, got '-100'"),
        ("rpt_month_to_date_projection", {"billing_as_of_date": "13/05/2026"},
         "var 'billing_as_of_date' must be a date like 2026-11-26, got '13/05/2026'"),
        ("rpt_month_to_date_projection", {"billing_as_of_date": "2026-02-30"},
         "var 'billing_as_of_date' must be a date like 2026-11-26, got '2026-02-30'"),
        ("stg_kakao__chat_events", {"billing_time_zone": "Asia/Seol"},
         "var 'billing_time_zone' is 'Asia/Seol', not a time zone name"),
        ("int_monthly_fees__computed", {"vat_rate": "ten percent"},
         "var 'vat_rate' must be a fraction from 0 up to (not including) 1, e.g. 0.1 for 10%"),
        ("int_monthly_fees__computed", {"vat_rate": 10},
         "var 'vat_rate' must be a fraction from 0 up to (not including) 1, e.g. 0.1 for 10%"),
        ("fct_chat_event_audit", {"pseudonymize_customer_ids": "ture"},
         "var 'pseudonymize_customer_ids' must be true or false (or yes / no, 1 / 0), got 'ture'"),
        ("int_monthly_fees__computed", {"invoice_window_end_day": 35},
         "1 <= start <= end <= 28 (every month has them), got 15 and 35"),
    ],
)
def test_bad_report_vars_stop_the_build_with_a_readable_message(
    tmp_path: Path, model: str, bad_vars: dict[str, object], message: str
) -> None:
    with pytest.raises(DbtBuildError) as failure:
        run_dbt(["compile", "--select", model], tmp_path, events_path=FIXTURE_EVENTS,
                vars=bad_vars)
    assert message in str(failure.value)


@pytest.mark.parametrize("name", ["publish_marts", "drop_missing_files"])
def test_a_yes_no_var_that_is_neither_stops_before_anything_is_written(
    tmp_path: Path, name: str
) -> None:
    """publish_marts was read only after the build had written the warehouse (and then stopped
    it as if interrupted), drop_missing_files only by a full refresh: both are checked first."""
    with pytest.raises(DbtBuildError) as failure:
        run_dbt(["run", "--select", "stg_kakao__chat_events"], tmp_path,
                events_path=FIXTURE_EVENTS, vars={name: "maybe"})
    assert f"var '{name}' must be true or false (or yes / no, 1 / 0), got 'maybe'" in str(
        failure.value)
    with connect_warehouse(tmp_path / "warehouse.duckdb") as connection:
        assert connection.execute(
            "select count(*) from information_schema.tables where table_schema = 'staging'"
        ).fetchone() == (0,)
