"""Comparing two built warehouses table by table, as multisets of rows, leaving aside the
columns that differ between any two builds of the same rows."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import duckdb

from dbt_harness import connect_warehouse

# Columns a build fills with its own clock or invocation id: they differ between any two builds
# of the same rows, so the comparisons leave them out (in every table that has them).
BUILD_TIME_COLUMNS = frozenset({
    "loaded_at", "first_seen_at", "processed_by", "validated_at", "computed_at", "closed_at",
    "detected_at", "adjustment_id",
})
# Tables not compared, by the end of their name: a build's own work lists (the streams it
# recomputes). The build log (schema build_log) is not compared either: it records the builds.
UNCOMPARED_TABLE_SUFFIXES = ("streams_to_recompute",)
COMPARED_SCHEMAS = ("staging", "intermediate", "marts")

# Columns that say where a raw row came from (a file's name, the table's) and the ids made with
# it: the only columns in which a build from the table differs from one from the files.
SOURCE_COLUMNS = frozenset({
    "raw_row_id", "source_file", "source_file_signature", "source_loaded_at", "first_source_file",
})


def shorten(text: str, width: int = 240) -> str:
    text = " ".join(text.split())
    return text if len(text) <= width else text[: width - 3] + "..."


@contextmanager
def attached(**databases: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    """One connection with warehouse files attached read-only, each under its keyword; closed
    when done, so that the next build can open its file."""
    connection = connect_warehouse(None)
    try:
        for alias, path in databases.items():
            connection.execute(f"attach '{_sql_text(str(path))}' as {alias} (read_only)")
        yield connection
    finally:
        connection.close()


def _sql_text(text: str) -> str:
    return text.replace("'", "''")


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def compared_tables(connection: duckdb.DuckDBPyConnection, catalog: str,
                    ignored: frozenset[str] = frozenset()) -> dict[str, tuple[str, ...]]:
    """Per table of the compared schemas (schema.table), its columns other than the build-time
    ones (and the `ignored` ones), in their order; found in the database."""
    rows = connection.execute(
        "select tables.table_schema, tables.table_name, columns.column_name"
        " from information_schema.tables as tables"
        " inner join information_schema.columns as columns"
        " using (table_catalog, table_schema, table_name)"
        " where tables.table_catalog = ? and tables.table_type = 'BASE TABLE'"
        " and list_contains(?, tables.table_schema)"
        " order by tables.table_schema, tables.table_name, columns.ordinal_position",
        [catalog, list(COMPARED_SCHEMAS)],
    ).fetchall()
    tables: dict[str, list[str]] = {}
    for schema, table, column in rows:
        if table.endswith(UNCOMPARED_TABLE_SUFFIXES):
            continue
        columns = tables.setdefault(f"{schema}.{table}", [])
        if column not in BUILD_TIME_COLUMNS and column not in ignored:
            columns.append(column)
    return {table: tuple(columns) for table, columns in tables.items()}


def table_differences(reference: Path, built: Path, only: Sequence[str] = (),
                      detailed: int = 2, examples: int = 3, schemas: Sequence[str] = (),
                      ignored: frozenset[str] = frozenset()) -> list[str]:
    """How the compared tables of `built` differ from `reference`, as multisets of rows (build
    time columns and the `ignored` ones aside): one line per table, with a few rows only on one
    side for the first `detailed` tables; empty when they are equal. `only` limits the tables
    compared, `schemas` the schemas."""
    differences: list[str] = []
    with attached(reference=reference, built=built) as connection:
        expected = compared_tables(connection, "reference", ignored)
        actual = compared_tables(connection, "built", ignored)
        for table in sorted(expected.keys() | actual.keys()):
            if (only and table not in only) or (schemas and table.split(".")[0] not in schemas):
                continue
            if table not in actual or table not in expected:
                where = "reference" if table in expected else "rebuilt warehouse"
                differences.append(f"{table}: only in the {where}")
                continue
            if expected[table] != actual[table]:
                differences.append(f"{table}: columns {actual[table]} instead of {expected[table]}")
                continue
            extra = _rows_only_in(connection, "built", "reference", table, expected[table])
            missing = _rows_only_in(connection, "reference", "built", table, expected[table])
            if extra or missing:
                detail = ""
                if len(differences) < detailed:
                    detail = (_examples("only rebuilt", expected[table], extra, examples)
                              + _examples("only reference", expected[table], missing, examples))
                differences.append(f"{table}: {len(extra)} row(s) only in the rebuilt warehouse,"
                                   f" {len(missing)} only in the reference{detail}")
    return differences


def _rows_only_in(connection: duckdb.DuckDBPyConnection, first: str, second: str, table: str,
                  columns: tuple[str, ...]) -> list[tuple[Any, ...]]:
    selected = ", ".join(_quoted(column) for column in columns)
    relation = ".".join(_quoted(part) for part in table.split("."))
    return connection.execute(
        f"select {selected} from {first}.{relation} except all"
        f" select {selected} from {second}.{relation}"
    ).fetchall()


def _examples(title: str, columns: tuple[str, ...], rows: list[tuple[Any, ...]],
              examples: int) -> str:
    return "".join(
        f"\n      {title}: "
        + shorten(", ".join(f"{c}={v!r}" for c, v in zip(columns, row, strict=True)), 300)
        for row in sorted(rows, key=repr)[:examples]
    )


