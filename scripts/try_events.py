"""Try chat event files in a throwaway warehouse, before building the real one (`make try`).

    python scripts/try_events.py --events 'landing/*.csv' [--invoices invoices.csv]
                                 [--teams teams.csv]

Builds the project on the files in a new temporary folder (kakao-try-... under $TMPDIR): the
warehouse file, the published marts, dbt's target/ and logs/ are all there, and nothing under
warehouse/ is written. The build closes no usage month (var close_months false). It prints the
build's progress, the monthly fees, the rows the build rejected (marts.rpt_rejected_rows) and
the command that builds the real warehouse from the same files. The folder is left for a look
(`make fees KAKAO_DUCKDB_PATH=<folder>/warehouse.duckdb`, dbt's log); delete it when done.

Without --invoices (--teams) the try has no invoices (teams). The exit code is the build's: 0
when it succeeded (rows rejected or not), else nonzero.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import shlex
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path
from zoneinfo import ZoneInfo

import duckdb
from show_fees import fit_table, print_brief

PROJECT_DIR = Path(__file__).resolve().parent.parent
WIDTH = 100
EXAMPLES = 3

REJECTED_QUERY = """
    select rejection_reason, first_source_file, rejected_rows, example_event_ids
    from marts.rpt_rejected_rows
    order by rejection_reason, first_source_file nulls last, channel_id nulls last,
        usage_month nulls last
"""


def say(text: str = "") -> None:
    """Print a paragraph within WIDTH columns."""
    print(textwrap.fill(text, WIDTH, subsequent_indent="  ", break_on_hyphens=False)
          if text else "")


def try_environment(folder: Path) -> dict[str, str]:
    """The build's environment: every file it writes goes to the folder."""
    return {
        **os.environ,
        "DBT_PROFILES_DIR": str(PROJECT_DIR),
        "KAKAO_PROJECT_DIR": str(PROJECT_DIR),
        "KAKAO_DBT_TARGET": "duckdb",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
        "DBT_VERSION_CHECK": "false",
        "KAKAO_DUCKDB_PATH": str(folder / "warehouse.duckdb"),
        "KAKAO_PUBLISH_DIR": str(folder / "published"),
        "KAKAO_DUCKDB_TEMP_DIRECTORY": str(folder / "duckdb_spill"),
    }


def build_command(folder: Path, events: str, invoices: str | None,
                  teams: str | None) -> list[str]:
    """dbt build of the whole project but its unit tests (they do not read the files), with
    one progress line per stage."""
    build_vars = {
        "chat_events_path": events,
        "invoices_path": invoices or "",
        "consultant_teams_path": teams or "",
        "close_months": False,
    }
    return [sys.executable, str(PROJECT_DIR / "scripts" / "dbt_build.py"), "--progress", "build",
            "--project-dir", str(PROJECT_DIR), "--exclude-resource-type", "unit_test",
            "--target-path", str(folder / "target"), "--log-path", str(folder / "logs"),
            "--vars", json.dumps(build_vars)]


def run_build(command: list[str], environment: dict[str, str]) -> int:
    """The build's exit code; Ctrl-C stops it as it stops a build (the build says so)."""
    build = subprocess.Popen(command, env=environment)
    try:
        return build.wait()
    except KeyboardInterrupt:
        return build.wait()


def has_mart(connection: duckdb.DuckDBPyConnection, name: str) -> bool:
    return bool(connection.execute(
        "select count(*) from information_schema.tables where table_schema = 'marts'"
        " and table_name = ?", [name]).fetchone()[0])


def print_rejected(connection: duckdb.DuckDBPyConnection) -> None:
    """The rows the build rejected, by reason: how many, the first file, example event ids."""
    if not has_mart(connection, "rpt_rejected_rows"):
        say("Rejected rows: this warehouse has no marts.rpt_rejected_rows; what became of each"
            " raw row is in marts.fct_chat_event_audit.")
        return
    by_reason: dict[str, list[object]] = {}
    for reason, first_file, rows, examples in connection.execute(REJECTED_QUERY).fetchall():
        entry = by_reason.setdefault(reason, [0, first_file, []])
        entry[0] += rows
        if entry[1] is None or (first_file is not None and first_file < entry[1]):
            entry[1] = first_file
        for example in (examples or "").split(", "):
            if example and example not in entry[2] and len(entry[2]) < EXAMPLES:
                entry[2].append(example)
    if not by_reason:
        say("Rejected rows (marts.rpt_rejected_rows): no rows rejected.")
        return
    total = sum(int(entry[0]) for entry in by_reason.values())
    say(f"Rejected rows (marts.rpt_rejected_rows): {total:,} raw row{'s' if total != 1 else ''}"
        " not billed, which may make a fee too low")
    print()
    rows = sorted(((reason, int(count), first_file, ", ".join(examples))
                   for reason, (count, first_file, examples) in by_reason.items()),
                  key=lambda row: (-row[1], row[0]))
    table, _ = fit_table(["rejection_reason", "rows", "first_file", "example_event_ids"], rows,
                         WIDTH, keep_end=("first_file",))
    print(table)
    say("Fix them in the files and try again. By channel and month: marts.rpt_rejected_rows;"
        " each row: marts.fct_chat_event_audit (disposition = 'rejected').")


def months_a_real_build_closes(connection: duckdb.DuckDBPyConnection) -> list[str]:
    """The usage months a real build today would close: those whose invoice window (in the
    billing month) has passed, in the billing time zone."""
    zone = "Asia/Seoul"
    if has_mart(connection, "rpt_billing_settings"):
        found = connection.execute("select setting_value from marts.rpt_billing_settings"
                                   " where setting_name = 'billing_time_zone'").fetchone()
        zone = found[0] if found and found[0] else zone
    today = dt.datetime.now(ZoneInfo(zone)).date()
    return [month for (month,) in connection.execute(
        "select distinct strftime(usage_month, '%Y-%m') from marts.fct_monthly_fees"
        " where invoice_window_end < ? order by 1", [today]).fetchall()]


# A warehouse of your own data gets a file of its own, not the sample's (README, "A warehouse of
# your own"): the one `make run` built has loaded the sample's files and closed its months.
SAMPLE_WAREHOUSE = "warehouse/kakao_billing.duckdb"
OWN_WAREHOUSE = "warehouse/ours/kakao_billing.duckdb"


def real_build_command(events: str, invoices: str | None, teams: str | None,
                       warehouse: str | None = None) -> str:
    """`make build` of the same files into the warehouse of KAKAO_DUCKDB_PATH as make set it,
    or, when that is the sample's, into a file of its own."""
    warehouse = warehouse or os.environ.get("KAKAO_DUCKDB_PATH") or SAMPLE_WAREHOUSE
    parts = ["make", "build", f"EVENTS={shlex.quote(events)}"]
    if invoices:
        parts.append(f"INVOICES={shlex.quote(invoices)}")
    if teams:
        parts.append(f"TEAMS={shlex.quote(teams)}")
    target = OWN_WAREHOUSE if warehouse == SAMPLE_WAREHOUSE else warehouse
    parts.append(f"KAKAO_DUCKDB_PATH={shlex.quote(target)}")
    return " ".join(parts)


def print_results(folder: Path, events: str, invoices: str | None, teams: str | None) -> None:
    database = folder / "warehouse.duckdb"
    with duckdb.connect(str(database), read_only=True) as connection:
        print()
        print_brief(connection, database, WIDTH, max_rows=24)
        print()
        print_rejected(connection)
        closes = months_a_real_build_closes(connection)
    print()
    print("To build your warehouse from these files (in a file of its own, not the sample's):")
    print(f"  {real_build_command(events, invoices, teams)}")
    months = ", ".join(closes[:6]) + (f" and {len(closes) - 6} more" if len(closes) > 6 else "")
    say("A real build closes every past usage month whose invoice window has passed"
        + (f" (here: {months})" if closes else "")
        + ", and a closed month's fees then stay frozen through every later build (a later"
        " change is recorded in marts.fct_fee_adjustments). This try closed none.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="make try", usage="make try EVENTS='<files>' [INVOICES=<csv>] [TEAMS=<csv>]",
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--events", required=True,
                        help="chat event files: a path or glob, CSV or Parquet")
    parser.add_argument("--invoices", help="Kakao's invoice lines (CSV)")
    parser.add_argument("--teams", help="the consultants' teams (CSV)")
    args = parser.parse_args(argv)

    folder = Path(tempfile.mkdtemp(prefix="kakao-try-"))
    code = run_build(build_command(folder, args.events, args.invoices, args.teams),
                     try_environment(folder))
    if code == 0:
        print_results(folder, args.events, args.invoices, args.teams)
    else:
        print()
        say("The try did not finish: what stopped it is above, and in dbt's log"
            f" ({folder / 'logs' / 'dbt.log'}). Fix the files, then run make try again.")
    print()
    say(f"This try's warehouse, published marts and dbt's log are in {folder}; nothing else was"
        " written. Delete the folder when done:")
    print(f"  rm -rf {shlex.quote(str(folder))}")
    return code


if __name__ == "__main__":
    sys.exit(main())
