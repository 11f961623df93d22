"""Exit 0 if the DuckDB warehouse file can be opened for writing; else say who holds it.

DuckDB allows one writing process per file, and a process that has the file open (even
read-only, e.g. a BI tool or a notebook) blocks a writer. `make build` runs this first, so a
second build fails at once with this message rather than with a stack trace from dbt.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path

# the probe the build's own connection makes (udfs/kakao_udfs.py), so that both say the same
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "udfs"))
from kakao_udfs import lock_holder

DEFAULT_DATABASE = "warehouse/kakao_billing.duckdb"


def lock_problem(database: Path) -> str | None:
    """None when the file is free (or does not exist yet); otherwise a readable explanation."""
    who = lock_holder(str(database))
    if who:
        return (
            f"The warehouse {database} is in use by {who}.\n"
            "DuckDB lets one process write a database file, and any process that has it open, "
            "even read-only (a BI tool, a notebook, another dbt build), blocks the writer.\n"
            "Close that connection, or wait for the other build to finish, then run again."
        )
    return None


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--database",
        default=os.environ.get("KAKAO_DUCKDB_PATH", DEFAULT_DATABASE),
        help="DuckDB warehouse file (default: $KAKAO_DUCKDB_PATH or %(default)s)",
    )
    problem = lock_problem(Path(parser.parse_args(argv).database))
    if problem:
        print(problem, file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
