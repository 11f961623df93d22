"""Convert chat event CSV files into Parquet files that the Spark target reads.

Each CSV file matched by SOURCE becomes OUT_DIR/<file name>.parquet: every contract column as
text, exactly as the DuckDB target reads the CSV (header, comma, double-quote escaping, all
columns as strings, empty fields as null). Nothing is parsed or validated here; staging does
that on both engines. An existing output file is left alone unless --overwrite is given,
because the event files are append-only (an earlier build may have read it).

    python scripts/events_to_parquet.py 'data/sample/chat_events*.csv' warehouse/spark/events
    dbt build --target spark --vars '{chat_events_path: "warehouse/spark/events/*.parquet"}'
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import duckdb

# the build's own file check (udfs/kakao_udfs.py): the CSV reader reads no row of a file whose
# last lines have an extra field, without an error
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "udfs"))
from kakao_udfs import csv_field_count_error

REQUIRED_COLUMNS = ("event_id", "occurred_at", "channel_id", "customer_id", "event_type")
# kept when a file has them (DECISIONLOG D33, D34, D37)
OPTIONAL_COLUMNS = ("sender_type", "consultant_id", "entry_point", "message_text", "end_reason",
                    "session_id")
# the columns of a full file of the contract (what scripts/generate_events.py writes)
CONTRACT_COLUMNS = REQUIRED_COLUMNS + OPTIONAL_COLUMNS[:4]


def convert(source: str, out_dir: Path, *, overwrite: bool = False) -> list[Path]:
    """Write one Parquet file per CSV file matching `source`; return the files written."""
    connection = duckdb.connect()
    quoted = "'" + source.replace("'", "''") + "'"
    files = [row[0] for row in connection.execute(f"select file from glob({quoted}) order by file")
             .fetchall()]
    if not files:
        raise SystemExit(f"No CSV files match {source!r}")
    out_dir.mkdir(parents=True, exist_ok=True)
    written: list[Path] = []
    for number, file in enumerate(files, start=1):
        target = out_dir / (Path(file).name.removesuffix(".gz").removesuffix(".csv") + ".parquet")
        if target.exists() and not overwrite:
            print(f"[{number}/{len(files)}] {target} exists, kept (use --overwrite to replace)")
            continue
        field_counts = csv_field_count_error(file)
        if field_counts:
            raise SystemExit(f"{file} has lines with another number of fields than its header "
                             f"({field_counts}): put values with commas in double quotes")
        file_sql = "'" + file.replace("'", "''") + "'"
        relation = connection.sql(
            f"select * from read_csv({file_sql}, header = true, skip = 0, delim = ',', "
            "quote = '\"', escape = '\"', all_varchar = true)"
        )
        present = [n.lower() for n in relation.columns]
        missing = [c for c in REQUIRED_COLUMNS if c not in present]
        if missing:
            raise SystemExit(f"{file} lacks required column(s): {', '.join(missing)}")
        # as the DuckDB build stops on it (DECISIONLOG D37): who sent a message decides rooms
        if "sender_type" not in present:
            [(messages,)] = relation.filter("lower(trim(event_type)) = 'message'").aggregate(
                "count(*)").fetchall()
            if messages:
                raise SystemExit(f"{file} has {messages:,} message row(s) but no sender_type "
                                 "column: who sent a message decides whether it opens a room "
                                 "and keeps one open")
        columns = REQUIRED_COLUMNS + tuple(c for c in OPTIONAL_COLUMNS if c in present)
        relation.select(", ".join(f'"{c}"' for c in columns)).write_parquet(str(target))
        written.append(target)
        print(f"[{number}/{len(files)}] {file} -> {target}")
    return written


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("source", help="a CSV file or glob, e.g. 'landing/*.csv'")
    parser.add_argument("out_dir", type=Path, help="the directory for the Parquet files")
    parser.add_argument("--overwrite", action="store_true",
                        help="replace Parquet files that already exist")
    args = parser.parse_args(argv)
    convert(args.source, args.out_dir, overwrite=args.overwrite)
    return 0


if __name__ == "__main__":
    sys.exit(main())
