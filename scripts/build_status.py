"""Whether the last build of a warehouse finished, from its build log (build_log.builds).

`make fees` and the monthly statement read the warehouse file; when its last build was
interrupted, failed, ran only part of the project, or had failing data tests, the figures they
show may be incomplete or wrong, and they say so with `last_build_warning`.
"""

from __future__ import annotations

import datetime as dt

import duckdb

KST = dt.timezone(dt.timedelta(hours=9), "KST")

LAST_BUILD_QUERY = """
    with
    starts as (
        select invocation_id, command, started_at from build_log.builds where finished_at is null
    ),
    ends as (
        select invocation_id, is_complete, failed_tests from build_log.builds
        where finished_at is not null
    )
    select starts.command, starts.started_at, ends.invocation_id is not null as has_ended,
        coalesce(ends.is_complete, false), coalesce(ends.failed_tests, 0)
    from starts
    left join ends on starts.invocation_id = ends.invocation_id
    order by starts.started_at desc
    limit 1
"""


def kst(timestamp: dt.datetime) -> str:
    """A naive UTC timestamp from the build log as KST wall-clock time."""
    return timestamp.replace(tzinfo=dt.UTC).astimezone(KST).strftime("%Y-%m-%d %H:%M KST")


def last_build_warning(connection: duckdb.DuckDBPyConnection) -> str | None:
    """A warning naming the warehouse's last build when it did not finish cleanly, else None
    (also for a warehouse without a build log: built by an earlier version of the project)."""
    has_log = connection.execute(
        "select count(*) from information_schema.tables"
        " where table_schema = 'build_log' and table_name = 'builds'").fetchone()
    if not has_log or not has_log[0]:
        return None
    last = connection.execute(LAST_BUILD_QUERY).fetchone()
    if last is None:
        return None
    command, started_at, has_ended, is_complete, failed_tests = last
    build = f"the last build of this warehouse (`{command}`, started {kst(started_at)})"
    if not has_ended:
        return (f"{build} did not finish: it was interrupted, or is still running. These"
                " figures may lack the rows it loaded. The next `make build` (with the same"
                " EVENTS, if you set them) finishes its work.")
    if not is_complete:
        return (f"{build} did not run every model (one failed, it stopped before its models, or"
                " it was run with --select). These figures may lack the rows it loaded. Its log"
                " (logs/dbt.log) says what stopped it; once that is fixed, run `make build` again"
                " (with the same EVENTS, if you set them) to finish its work.")
    if failed_tests:
        return (f"{failed_tests} data test{'s' if failed_tests > 1 else ''} failed in {build}. "
                "Read its log (logs/dbt.log) before trusting these figures.")
    return None
