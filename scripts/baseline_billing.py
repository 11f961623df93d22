"""Run the hand-written baseline query (benchmarks/baseline.sql) on Parquet event files.

The query computes the monthly room charges of `marts.fct_monthly_fees` (open months, policy
`activity`, the project's default vars) in one DuckDB statement, straight from the raw files:
a reference point for how long the dbt build takes on the same data.

    python scripts/baseline_billing.py 'landing/events/*.parquet'

prints one row per channel and usage month, then the elapsed seconds.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from pathlib import Path

import duckdb

BASELINE_SQL = Path(__file__).resolve().parent.parent / "benchmarks" / "baseline.sql"
COLUMNS = (
    "channel_id",
    "usage_month",
    "room_charges",
    "opened_charges",
    "rollover_charges",
    "fee_krw",
)


def baseline_sql(events_glob: str) -> str:
    """The baseline query with `{events_glob}` replaced by the quoted-safe path or glob."""
    template = BASELINE_SQL.read_text(encoding="utf-8")
    return template.replace("{events_glob}", events_glob.replace("'", "''"))


def run_baseline(
    events_glob: str, connection: duckdb.DuckDBPyConnection | None = None
) -> list[tuple]:
    """Run the baseline on the Parquet files matching `events_glob`; return its rows.

    Uses `connection` when given (its session time zone is set to UTC), else a fresh in-memory
    database.
    """
    own = connection is None
    con = duckdb.connect(":memory:") if own else connection
    try:
        con.execute("set TimeZone = 'UTC'")
        return con.execute(baseline_sql(events_glob)).fetchall()
    finally:
        if own:
            con.close()


def format_table(rows: list[tuple]) -> str:
    """The rows as a plain text table under the column names."""
    cells = [list(COLUMNS)] + [[str(value) for value in row] for row in rows]
    widths = [max(len(line[i]) for line in cells) for i in range(len(COLUMNS))]
    lines = []
    for number, line in enumerate(cells):
        lines.append(
            "  ".join(
                value.ljust(width) if i < 2 else value.rjust(width)
                for i, (value, width) in enumerate(zip(line, widths, strict=True))
            ).rstrip()
        )
        if number == 0:
            lines.append("  ".join("-" * width for width in widths))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("events_glob", help="a Parquet file or glob, e.g. 'landing/*.parquet'")
    parser.add_argument("--json", type=Path, help="also write the rows and seconds to this file")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    rows = run_baseline(args.events_glob)
    elapsed = time.perf_counter() - started
    print(format_table(rows))
    print(f"\n{len(rows)} rows in {elapsed:.3f} s")
    if args.json:
        args.json.write_text(json.dumps({"seconds": elapsed, "rows": rows}, default=str))
    return 0


if __name__ == "__main__":
    sys.exit(main())
