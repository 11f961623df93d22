"""Property test: the dbt marts agree with the plain-Python reference on generated batches.

Each example builds the whole dbt project on a generated batch of raw rows (see
tests/strategies.py) and compares rooms, charges, monthly fees and the audit trail with
``compute_billing``. Examples: env KAKAO_HYPOTHESIS_EXAMPLES (default 8).
"""

from __future__ import annotations

import os
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from datetime import UTC, date, datetime
from decimal import Decimal
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings

import dbt_harness
from reference_billing import BillingResult, compute_billing, normalise_id
from strategies import event_batches

Row = Mapping[str, str | None]
Record = tuple[Any, ...]

MAX_EXAMPLES = int(os.environ.get("KAKAO_HYPOTHESIS_EXAMPLES", "8"))

PROPERTY_SETTINGS = settings(
    max_examples=MAX_EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    derandomize=bool(os.environ.get("CI")),
    print_blob=True,
)

ROOM_COLUMNS = (
    "channel_id",
    "customer_id",
    "opened_event_id",
    "opened_at",
    "ended_at",
    "end_reason",
    "entry_point",
    "session_id",
    "message_count",
    "customer_message_count",
    "consultant_message_count",
    "system_message_count",
    "charged_days",
)
CHARGE_COLUMNS = (
    "channel_id",
    "customer_id",
    "opened_event_id",
    "billing_date",
    "usage_month",
    "charge_reason",
    "unit_price_krw",
    "active_consultant_ids",
)
MONTHLY_COLUMNS = (
    "channel_id",
    "usage_month",
    "room_charges",
    "opened_charges",
    "rollover_charges",
    "unit_price_krw",
    "fee_krw",
    "vat_krw",
    "total_krw",
    "billing_month",
    "invoice_window_start",
    "invoice_window_end",
)
AUDIT_COLUMNS = ("event_id", "disposition", "disposition_reason", "event_id_conflict")

ROOMS_SQL = f"select {', '.join(ROOM_COLUMNS)} from marts.fct_chat_rooms"
CHARGES_SQL = f"""
    select {", ".join("c." + column for column in CHARGE_COLUMNS if column != "opened_event_id")},
        r.opened_event_id
    from marts.fct_room_charges as c
    left join marts.fct_chat_rooms as r on r.room_id = c.room_id
"""
MONTHLY_SQL = f"select {', '.join(MONTHLY_COLUMNS)} from marts.fct_monthly_fees"
AUDIT_SQL = f"select {', '.join(AUDIT_COLUMNS)} from marts.fct_chat_event_audit"


def _value(value: object) -> object:
    """Put a value from either side into one comparable form."""
    if isinstance(value, bool):
        return value
    if isinstance(value, Decimal) and value == value.to_integral_value():
        return int(value)
    if isinstance(value, datetime):
        if value.tzinfo is None:
            return ("naive", value.isoformat())
        return value.astimezone(UTC)
    if isinstance(value, str) and value == "":
        return None
    return value


def _record(values: Iterable[object]) -> Record:
    return tuple(_value(v) for v in values)


def _sort_key(record: Record) -> tuple[tuple[int, str], ...]:
    return tuple((0, "") if v is None else (1, repr(v)) for v in record)


def _show(value: object) -> str:
    if isinstance(value, datetime):
        return value.isoformat()
    if isinstance(value, date):
        return value.isoformat()
    return repr(value)


def _format_records(columns: Sequence[str], records: Counter[Record]) -> list[str]:
    lines = []
    for record in sorted(records, key=_sort_key):
        fields = ", ".join(f"{c}={_show(v)}" for c, v in zip(columns, record, strict=True))
        count = records[record]
        lines.append(f"    {fields}" + (f"  (x{count})" if count > 1 else ""))
    return lines


def diff_records(
    name: str, columns: Sequence[str], dbt_records: Iterable[Record], ref_records: Iterable[Record]
) -> list[str]:
    """Readable difference between two multisets of records; empty when they agree."""
    dbt_counts = Counter(dbt_records)
    ref_counts = Counter(ref_records)
    only_dbt = dbt_counts - ref_counts
    only_ref = ref_counts - dbt_counts
    if not only_dbt and not only_ref:
        return []
    lines = [f"{name}: dbt and the reference differ"]
    if only_dbt:
        lines.append("  only in dbt:")
        lines.extend(_format_records(columns, only_dbt))
    if only_ref:
        lines.append("  only in reference:")
        lines.extend(_format_records(columns, only_ref))
    return lines


def reference_records(rows: Sequence[Row], result: BillingResult) -> dict[str, list[Record]]:
    """The reference result as records in the column order of the queries."""
    return {
        "rooms": [_record(getattr(room, c) for c in ROOM_COLUMNS) for room in result.rooms],
        "charges": [
            _record(getattr(charge, c) for c in CHARGE_COLUMNS) for charge in result.charges
        ],
        "monthly": [_record(getattr(fee, c) for c in MONTHLY_COLUMNS) for fee in result.monthly],
        "audit": [
            _record(
                (
                    normalise_id(rows[a.row_index].get("event_id")),
                    a.disposition,
                    a.reason,
                    a.event_id_conflict,
                )
            )
            for a in result.audit
        ],
    }


def dbt_records(database: Path) -> dict[str, list[Record]]:
    """The marts of a built warehouse as records in the reference's column order."""
    with dbt_harness.connect_warehouse(database) as connection:
        connection.execute("set TimeZone = 'UTC'")

        def fetch(sql: str) -> list[Record]:
            return [_record(row) for row in connection.execute(sql).fetchall()]

        charges = []
        for row in fetch(CHARGES_SQL):
            # The query puts opened_event_id last; move it to its place in CHARGE_COLUMNS.
            *values, opened_event_id = row
            values.insert(CHARGE_COLUMNS.index("opened_event_id"), opened_event_id)
            charges.append(tuple(values))
        return {
            "rooms": fetch(ROOMS_SQL),
            "charges": charges,
            "monthly": fetch(MONTHLY_SQL),
            "audit": fetch(AUDIT_SQL),
        }


def format_batch(rows: Sequence[Row]) -> list[str]:
    """The input batch, one row per line, for reproducing a failure."""
    lines = ["input rows:"]
    for index, row in enumerate(rows):
        lines.append(f"  [{index}] " + repr({k: v for k, v in row.items() if v is not None}))
    return lines


def compare(
    rows: Sequence[Row], database: Path, policy: str, run_started_at: datetime | None = None
) -> list[str]:
    """All differences between the warehouse and the reference, as readable lines."""
    result = compute_billing(rows, policy=policy, run_started_at=run_started_at)
    expected = reference_records(rows, result)
    actual = dbt_records(database)
    columns = {
        "rooms": ROOM_COLUMNS,
        "charges": CHARGE_COLUMNS,
        "monthly": MONTHLY_COLUMNS,
        "audit": AUDIT_COLUMNS,
    }
    problems: list[str] = []
    for name, names in columns.items():
        problems += diff_records(f"{policy}: {name}", names, actual[name], expected[name])
    return problems


@pytest.mark.dbt
@pytest.mark.parametrize("policy", ["activity", "open"])
@PROPERTY_SETTINGS
@given(rows=event_batches())
def test_dbt_matches_reference(
    policy: str, rows: list[dict[str, str | None]], tmp_path_factory: pytest.TempPathFactory
) -> None:
    work_dir = tmp_path_factory.mktemp(f"property_{policy}")
    run_started_at = datetime.now(UTC)
    database = dbt_harness.build_warehouse(rows, work_dir, vars={"room_charge_policy": policy})
    problems = compare(rows, database, policy, run_started_at)
    assert not problems, "\n".join([*problems, *format_batch(rows)])
