"""Run `dbt build` (or any dbt command) on the warehouse as a scheduler should: one at a time,
and with SIGTERM handled like Ctrl-C.

    python scripts/dbt_build.py build [dbt options...]

- Before dbt starts, it checks that no other process holds the warehouse file (DuckDB allows
  one writer) and, if one does, says which and exits with 1, without a traceback.
- A scheduler stops a job with SIGTERM (a timeout, a machine going down); plain `dbt` dies on it
  at once. Here SIGTERM, like SIGINT, makes dbt cancel the running queries and stop. Either way
  nothing is half-recorded: the build log keeps the build's work as unfinished, and the next
  ordinary build finishes it (docs/incremental.md).
- The exit code is dbt's: 0 success, 1 a model or test failed, 2 dbt could not run (or was
  interrupted).

`make build` runs it. Other engines than DuckDB skip the lock check.
"""

from __future__ import annotations

import os
import signal
import sys
from pathlib import Path

from check_warehouse_lock import DEFAULT_DATABASE, lock_problem

STOPPED_BY: list[str] = []


def stop_like_ctrl_c(signum: int, frame: object) -> None:
    """SIGTERM (and SIGINT) handler: the KeyboardInterrupt that Ctrl-C raises in the main
    thread, where dbt cancels its queries and stops."""
    STOPPED_BY.append(signal.Signals(signum).name)
    raise KeyboardInterrupt


def without_the_stop_traceback() -> None:
    """dbt reports any exception that ends a command with "Encountered an error:" and its
    traceback; for the KeyboardInterrupt of a stop this script asked for, that is forty lines
    of dbt's internals where one line says what happened (printed at the end)."""
    import dbt.cli.requires as requires

    fire_event = requires.fire_event

    def fire_unless_the_stop(event: object, *args: object, **kwargs: object) -> None:
        if STOPPED_BY and type(event).__name__ in ("MainEncounteredError", "MainStackTrace"):
            return
        fire_event(event, *args, **kwargs)

    requires.fire_event = fire_unless_the_stop


def main(argv: list[str]) -> int:
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    if os.environ.get("KAKAO_DBT_TARGET", "duckdb") == "duckdb":
        problem = lock_problem(Path(os.environ.get("KAKAO_DUCKDB_PATH", DEFAULT_DATABASE)))
        if problem:
            print(problem, file=sys.stderr)
            return 1
    for stop in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop, stop_like_ctrl_c)
    from dbt.cli.main import cli  # imported here: dbt takes a second to import

    without_the_stop_traceback()
    try:
        cli.main(args=argv, prog_name="dbt")  # exits as the dbt command does
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    else:
        code = 0
    if STOPPED_BY:
        print(f"The build was stopped ({STOPPED_BY[0]}). Its work is recorded as unfinished: "
              "the next `make build` finishes it.", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
