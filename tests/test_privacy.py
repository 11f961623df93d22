"""Privacy: message text never leaves staging, and customer ids can be pseudonymised in the marts
without changing any billing result.

One event set (generated here, with a marker string in message texts) is built four times:
plainly, twice with one pseudonym key, and once with another; a fifth build without the key
must fail.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import duckdb
import pytest

from dbt_harness import DbtBuildError, build_warehouse, connect_warehouse, write_events_csv

MARKER = "PRIVATE-MESSAGE-MARKER-3f9c1a"
KEY_VARIABLE = "KAKAO_PSEUDONYM_KEY"
PSEUDONYMISED: dict[str, object] = {"pseudonymize_customer_ids": True}
KEY_A = "test-key-a-7b41c2"
KEY_B = "test-key-b-e90d55"
BUILDS = ("plain", "key_a", "key_a_again", "key_b")
MARTS_WITH_CUSTOMERS = ("fct_chat_event_audit", "fct_chat_rooms", "fct_room_charges")

Row = tuple[Any, ...]


def event(
    event_id: str,
    occurred_at: str,
    channel_id: str,
    customer_id: str,
    event_type: str,
    sender_type: str = "customer",
    consultant_id: str = "",
    message_text: str = "",
) -> dict[str, str | None]:
    return {
        "event_id": event_id,
        "occurred_at": occurred_at,
        "channel_id": channel_id,
        "customer_id": customer_id,
        "event_type": event_type,
        "sender_type": sender_type,
        "consultant_id": consultant_id,
        "entry_point": "consult_button" if event_type == "room_opened" else "",
        "message_text": message_text,
    }


def privacy_events() -> list[dict[str, str | None]]:
    """Rooms across two channels and two months, every end reason, outside-room events,
    duplicates and rejections; the marker appears only in message texts."""
    arin, minjun, seoyeon, emoji = "cust-아린-0001", "cust-민준-0002", "cust-서연-0003", "cust-😊"
    expiring = "cust-만료-0005"
    duplicate_open = event("e_open", "2026-04-10T10:00:00+09:00", "p_shop", emoji, "room_opened")
    return [
        event("a_open", "2026-04-01T10:00:00+09:00", "p_bank", arin, "room_opened"),
        event("a_m1", "2026-04-01T10:01:00+09:00", "p_bank", arin, "message",
              message_text=f"문의: {MARKER} 입니다"),
        event("a_m2", "2026-04-01T10:02:00+09:00", "p_bank", arin, "message", "consultant",
              "kim", f"답변드립니다 {MARKER}"),
        event("a_m3", "2026-04-02T09:00:00+09:00", "p_bank", arin, "message",
              message_text=MARKER),
        event("a_end", "2026-04-02T09:01:00+09:00", "p_bank", arin, "message",
              message_text="  !종료  "),
        event("a_after", "2026-04-02T09:30:00+09:00", "p_bank", arin, "message",
              message_text=f"끝난 뒤에 {MARKER}"),
        event("a_open2", "2026-04-05T10:00:00+09:00", "p_bank", arin, "room_opened"),
        event("a_left", "2026-04-05T10:10:00+09:00", "p_bank", arin, "room_left"),
        event("b_open", "2026-04-30T23:00:00+09:00", "p_bank", minjun, "room_opened"),
        event("b_m1", "2026-05-01T05:00:00+09:00", "p_bank", minjun, "message",
              message_text=f"{MARKER}\n{MARKER}"),
        event("b_close", "2026-05-01T06:00:00+09:00", "p_bank", minjun, "room_closed",
              "system"),
        event("c_pre", "2026-04-03T10:00:00+09:00", "p_bank", f"  {seoyeon}  ", "message",
              message_text=MARKER),
        event("c_open", "2026-04-03T10:05:00+09:00", "p_bank", seoyeon, "room_opened"),
        event("c_open_again", "2026-04-04T10:00:00+09:00", "p_bank", f"\t{seoyeon}",
              "room_opened"),
        event("c_m", "2026-04-04T10:01:00+09:00", "p_bank", seoyeon, "message", "consultant",
              "lee", f"상담원 {MARKER}"),
        event("d_open", "2026-04-01T11:00:00+09:00", "p_shop", arin, "room_opened"),
        event("d_m", "2026-04-01T11:05:00+09:00", "p_shop", arin, "message",
              message_text=f"다른 채널 {MARKER}"),
        duplicate_open,
        dict(duplicate_open),
        event("e_m", "2026-04-10T10:01:00+09:00", "p_shop", emoji, "message",
              message_text=MARKER),
        event("e_m", "2026-04-10T10:02:00+09:00", "p_shop", emoji, "message",
              message_text="같은 id, 다른 내용"),
        event("f_open", "2026-03-01T10:00:00+09:00", "p_shop", expiring, "room_opened"),
        event("f_m", "2026-03-01T10:05:00+09:00", "p_shop", expiring, "message",
              message_text=MARKER),
        event("r_bad_sender", "2026-04-10T10:03:00+09:00", "p_shop", emoji, "message", "robot",
              message_text=MARKER),
        event("r_no_customer", "2026-04-10T10:04:00+09:00", "p_shop", "", "message",
              message_text=MARKER),
        event("r_bad_time", "not-a-time", "p_bank", minjun, "message", message_text=MARKER),
    ]


@pytest.fixture(scope="session")
def events_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """One events file shared by every build, so source_file is the same in all of them."""
    directory = tmp_path_factory.mktemp("privacy_events")
    return write_events_csv(privacy_events(), directory / "chat_events.csv")


def build_with_key(events: Path, work_dir: Path, key: str | None) -> Path:
    """Build plainly (key None) or pseudonymised with `key` in the environment."""
    with pytest.MonkeyPatch.context() as monkeypatch:
        if key is None:
            monkeypatch.delenv(KEY_VARIABLE, raising=False)
            return build_warehouse(events, work_dir)
        monkeypatch.setenv(KEY_VARIABLE, key)
        return build_warehouse(events, work_dir, vars=PSEUDONYMISED)


@pytest.fixture(scope="session")
def warehouses(
    events_path: Path, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[dict[str, duckdb.DuckDBPyConnection]]:
    keys: dict[str, str | None] = {
        "plain": None, "key_a": KEY_A, "key_a_again": KEY_A, "key_b": KEY_B
    }
    connections = {
        name: connect_warehouse(
            build_with_key(events_path, tmp_path_factory.mktemp(f"privacy_{name}"), key)
        )
        for name, key in keys.items()
    }
    yield connections
    for connection in connections.values():
        connection.close()


def fetch(connection: duckdb.DuckDBPyConnection, sql: str) -> list[Row]:
    return connection.execute(sql).fetchall()


def fetch_one(connection: duckdb.DuckDBPyConnection, sql: str, marker_params: int) -> int:
    row = connection.execute(sql, [MARKER] * marker_params).fetchone()
    assert row is not None
    return int(row[0])


# 9. message_text never leaves staging


def test_message_text_column_exists_only_in_the_source_view(
    warehouses: Mapping[str, duckdb.DuckDBPyConnection],
) -> None:
    plain = warehouses["plain"]
    with_message_text = fetch(
        plain,
        "select table_schema, table_name from information_schema.columns"
        " where lower(column_name) = 'message_text'",
    )
    assert with_message_text == [("kakao", "chat_events")]
    relations = set(fetch(plain, "select table_schema, table_name from information_schema.tables"))
    assert ("staging", "stg_kakao__chat_events") in relations
    assert {("marts", name) for name in MARTS_WITH_CUSTOMERS} <= relations
    assert any(schema == "intermediate" for schema, _ in relations)


def test_message_text_content_never_reaches_staging_intermediate_or_marts(
    warehouses: Mapping[str, duckdb.DuckDBPyConnection],
) -> None:
    plain = warehouses["plain"]
    source_hits = fetch(
        plain, f"select count(*) from kakao.chat_events where contains(message_text, '{MARKER}')"
    )
    marked = sum(MARKER in (row["message_text"] or "") for row in privacy_events())
    assert source_hits == [(marked,)]
    columns = fetch(
        plain,
        "select table_schema, table_name, column_name from information_schema.columns"
        " where table_schema in ('staging', 'intermediate', 'marts') order by all",
    )
    by_relation: dict[tuple[str, str], list[str]] = {}
    for schema, table, column in columns:
        by_relation.setdefault((schema, table), []).append(column)
    assert {table for schema, table in by_relation if schema == "marts"} >= set(
        MARTS_WITH_CUSTOMERS
    )
    leaks: dict[str, int] = {}
    scanned_rows = 0
    for (schema, table), names in by_relation.items():
        relation = f'"{schema}"."{table}"'
        matches = " or ".join(f"contains(cast(\"{name}\" as varchar), ?)" for name in names)
        hits = fetch_one(plain, f"select count(*) from {relation} where {matches}", len(names))
        scanned_rows += fetch_one(plain, f"select count(*) from {relation}", 0)
        if hits:
            leaks[relation] = hits
    assert leaks == {}
    assert scanned_rows > 100


# 10. Pseudonymised customer ids (var pseudonymize_customer_ids, env KAKAO_PSEUDONYM_KEY)


def customers_by_row(connection: duckdb.DuckDBPyConnection) -> dict[tuple[str, ...], Any]:
    """customer_id of every mart row that has one, keyed by columns pseudonymisation keeps."""
    keyed: dict[tuple[str, ...], Any] = {}
    queries = {
        "audit": "select source_file, event_id, occurred_at_text, disposition_reason,"
        " customer_id from marts.fct_chat_event_audit",
        "rooms": "select channel_id, opened_event_id, customer_id from marts.fct_chat_rooms",
        "charges": "select c.channel_id, r.opened_event_id, cast(c.billing_date as varchar),"
        " c.customer_id from marts.fct_room_charges as c"
        " join marts.fct_chat_rooms as r on c.room_id = r.room_id",
    }
    for table, sql in queries.items():
        rows = fetch(connection, sql)
        keys = Counter((table, *row[:-1]) for row in rows)
        assert max(keys.values()) == 1, f"{table}: key not unique"
        keyed.update({(table, *row[:-1]): row[-1] for row in rows})
    return keyed


def pseudonym_pairs(
    plain: duckdb.DuckDBPyConnection, pseudonymised: duckdb.DuckDBPyConnection
) -> set[tuple[Any, Any]]:
    """(raw customer_id, its pseudonym) over every mart row of the two builds."""
    raw = customers_by_row(plain)
    hashed = customers_by_row(pseudonymised)
    assert raw.keys() == hashed.keys()
    return {(raw[key], hashed[key]) for key in raw}


def customer_values(connection: duckdb.DuckDBPyConnection) -> set[str]:
    """Every non-null customer_id in every marts relation with that column."""
    tables = fetch(
        connection,
        "select table_name from information_schema.columns"
        " where table_schema = 'marts' and column_name = 'customer_id'",
    )
    assert {table for (table,) in tables} >= set(MARTS_WITH_CUSTOMERS)
    values: set[str] = set()
    for (table,) in tables:
        values |= {
            value
            for (value,) in fetch(connection, f'select distinct customer_id from marts."{table}"')
            if value is not None
        }
    return values


def test_pseudonymised_customer_ids_replace_raw_ids_in_every_mart(
    warehouses: Mapping[str, duckdb.DuckDBPyConnection],
) -> None:
    plain = warehouses["plain"]
    raw_ids = customer_values(plain) | {
        value
        for (value,) in fetch(plain, "select distinct customer_id from kakao.chat_events")
        if value is not None
    }
    assert "cust-😊" in raw_ids
    lengths: set[int] = set()
    for name in ("key_a", "key_b"):
        hashed = customer_values(warehouses[name])
        assert hashed.isdisjoint(raw_ids), f"{name}: raw ids left: {hashed & raw_ids}"
        lengths |= {len(value) for value in hashed}
        pairs = pseudonym_pairs(plain, warehouses[name])
        assert {raw for raw, hashed_id in pairs if hashed_id is None} == {None}
        assert all(raw != hashed_id for raw, hashed_id in pairs if raw is not None)
        raw_per_pseudonym = Counter(hashed_id for _, hashed_id in pairs)
        pseudonyms_per_raw = Counter(raw for raw, _ in pairs)
        assert max(pseudonyms_per_raw.values()) == 1, f"{name}: one id, several pseudonyms"
        assert max(raw_per_pseudonym.values()) == 1, f"{name}: several ids, one pseudonym"
        assert len(pairs) == 6  # five customers and the missing one
    assert len(lengths) == 1


def test_pseudonyms_are_stable_per_key_and_differ_between_keys(
    warehouses: Mapping[str, duckdb.DuckDBPyConnection],
) -> None:
    plain = warehouses["plain"]
    key_a = dict(pseudonym_pairs(plain, warehouses["key_a"]))
    key_a_again = dict(pseudonym_pairs(plain, warehouses["key_a_again"]))
    key_b = dict(pseudonym_pairs(plain, warehouses["key_b"]))
    assert key_a == key_a_again
    assert key_a.keys() == key_b.keys()
    assert all(key_a[raw] != key_b[raw] for raw in key_a if raw is not None)


BILLING_QUERIES = {
    "monthly fees": "select * exclude (closed_at, computed_at) from marts.fct_monthly_fees",
    "charges and rooms per channel": "select channel_id,"
    " (select count(*) from marts.fct_room_charges as c where c.channel_id = r.channel_id),"
    " count(*) from marts.fct_chat_rooms as r group by channel_id",
    "charges": "select c.channel_id, r.opened_event_id, c.billing_date, c.usage_month,"
    " c.charge_reason, c.unit_price_krw, c.active_consultant_ids, c.consultant_message_count"
    " from marts.fct_room_charges as c join marts.fct_chat_rooms as r on c.room_id = r.room_id",
    "rooms": "select channel_id, opened_event_id, opened_at, ended_at, end_reason, entry_point,"
    " message_count, customer_message_count, charged_days, fee_krw from marts.fct_chat_rooms",
    "audit": "select source_file, event_id, occurred_at, billing_date, disposition,"
    " disposition_reason from marts.fct_chat_event_audit",
}


@pytest.mark.parametrize("result", BILLING_QUERIES)
def test_pseudonymisation_leaves_billing_results_identical(
    result: str, warehouses: Mapping[str, duckdb.DuckDBPyConnection]
) -> None:
    sql = BILLING_QUERIES[result]
    expected = Counter(fetch(warehouses["plain"], sql))
    assert len(expected) >= 2
    for name in ("key_a", "key_b"):
        assert Counter(fetch(warehouses[name], sql)) == expected, f"{result} differ in {name}"


def test_pseudonymisation_without_key_fails_naming_the_variable(
    events_path: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(KEY_VARIABLE, raising=False)
    with pytest.raises(DbtBuildError) as failure:
        build_warehouse(events_path, tmp_path / "no_key", vars=PSEUDONYMISED)
    assert KEY_VARIABLE in str(failure.value)


def test_a_build_under_another_key_stops_until_a_full_refresh(
    events_path: Path, tmp_path: Path
) -> None:
    """D29: the marts find a customer's rows by its pseudonym under the current key; under
    another key they would find none, and keep rows under both. The build stops, naming the
    variable, and the warehouse keeps its pseudonyms."""
    database = build_with_key(events_path, tmp_path / "db", KEY_A)
    with connect_warehouse(database) as connection:
        before = customer_values(connection)
        check = fetch(connection, "select billing_settings ->> 'pseudonym_key_check'"
                      " from staging.stg_build_log__builds")
        shown = dict(fetch(connection, "select * from marts.rpt_billing_settings"))
    assert len(check) == 1 and KEY_A not in check[0][0]
    # the marts say the ids are pseudonymised; the check value is bookkeeping, not shown
    assert shown["pseudonymize_customer_ids"] == "true" and "pseudonym_key_check" not in shown
    with pytest.raises(DbtBuildError) as failure:
        build_with_key(events_path, tmp_path / "db", KEY_B)
    assert f"{KEY_VARIABLE} is not the key the warehouse's pseudonyms were made with" in str(
        failure.value)
    with connect_warehouse(database) as connection:
        assert customer_values(connection) == before
    build_with_key(events_path, tmp_path / "db", KEY_A)


# 8. Every raw row is accounted for, in every build


@pytest.mark.parametrize("build", BUILDS)
def test_audit_balances_raw_rows_in_every_build(
    build: str, warehouses: Mapping[str, duckdb.DuckDBPyConnection]
) -> None:
    connection = warehouses[build]
    raw_rows = fetch(connection, "select count(*) from kakao.chat_events")[0][0]
    by_disposition = dict(
        fetch(connection, "select disposition, count(*) from marts.fct_chat_event_audit group by 1")
    )
    assert raw_rows == len(privacy_events())
    assert set(by_disposition) == {"billed", "unbilled", "rejected"}
    assert sum(by_disposition.values()) == raw_rows
