"""Benchmark the billing pipeline: full builds, a day's incremental build, a hand-written baseline.

For each size it generates events (scripts/generate_events.py, reused when already there) and
measures, on the same Parquet files:

  full        `dbt build` of seeds and models into a fresh DuckDB file: the models' time (from
              dbt's run results: the wall time from the first model's start to the end of the
              on-run-end hooks, which checkpoint the warehouse file; with 2 threads, models
              run side by side) and the whole process, with its peak resident memory;
  whole       the build as a scheduler runs it (docs/pipelines.md), into another fresh file:
              `dbt build` with the data tests and the publishing of the marts; its process
              time against the baseline is the whole build's ratio (start-up, tests and
              publishing included), and its notes split the time among models, data tests
              and hooks (summed over dbt's two threads);
  unit tests  the dbt unit tests, which development and CI run and the scheduled build leaves
              out: `dbt test --select test_type:unit` on the whole build's warehouse;
  baseline    the same rules as one hand-written DuckDB query (benchmarks/baseline.sql), whose
              monthly totals must equal fct_monthly_fees (the run stops if they do not);
  incremental a build on the first N arrival days (--history-days, 30 by default), then the
              next arrival days added one build each (--incremental-days, 4 by default): each
              day's build, and their mean, the cost of a day. One day alone is a poor
              measure: a day's time varies by a few seconds between runs, and about one build
              in four also reclaims the deleted rows the earlier days left (its checkpoint
              takes longer; the table notes which). For a history other than 30 days the data
              is generated at the same events per day, so the added days are the same size and
              the times are comparable. The last added day is built a second time, from a
              copy of the warehouse as it was before that day, as a scheduler runs it: with
              the data tests and the publishing (its process time against the whole full
              build's), after a build of the copy as it is that publishes its marts, as the
              day before's scheduled build did (a day's build carries the audit's unchanged
              days over from it);
  spark       with --spark, the same full build of the smallest size on the local Spark
              session;
  writing     the full build's tables at the grain of the raw rows, copied from memory into a fresh
              DuckDB file, one after the other: what storing them costs on its own (compression
              and disk), a floor under the models' time for as long as the project keeps them.

Prints a table and writes it to benchmarks/results.md with the machine's cores and memory.
Ratios to the baseline carry across machines; absolute seconds do not.

    python scripts/benchmark.py                       # 1M and 10M events
    python scripts/benchmark.py --sizes 1000000 --spark
    python scripts/benchmark.py --sizes 1000000 --history-days 30 90
    python scripts/benchmark.py --sizes 100000000 --memory-limit 8GB   # opt-in, long
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    import duckdb

PROJECT_DIR = Path(__file__).resolve().parent.parent
SCRIPTS = PROJECT_DIR / "scripts"
BIN = Path(sys.executable).parent

# Every month open (so the totals compare with the baseline), no future cut-off, and no
# Parquet publishing after the build (the baseline does not write its results either).
BENCH_VARS = {"closed_through_month": "2000-01", "occurred_at_max_future_days": 36500,
              "publish_marts": False}
# Print peak resident memory (KiB, Linux) of the command run by this wrapper, children included.
MEASURE = (
    "import resource, subprocess, sys, time\n"
    "start = time.perf_counter()\n"
    "code = subprocess.call(sys.argv[1:])\n"
    "elapsed = time.perf_counter() - start\n"
    "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
    "print(f'@@measure {code} {elapsed:.3f} {peak}', file=sys.stderr)\n"
    "sys.exit(code)\n"
)


@dataclass
class Measurement:
    label: str
    events: int
    seconds: float
    model_seconds: float | None = None
    peak_rss_mib: float | None = None
    notes: list[str] = field(default_factory=list)


def log(message: str) -> None:
    print(f"[{datetime.now(UTC):%H:%M:%S}] {message}", file=sys.stderr, flush=True)


def measured(command: list[str], env: dict[str, str], cwd: Path, log_file: Path
             ) -> tuple[float, float]:
    """Run a command; return (seconds, peak RSS in MiB). Raises with the log's tail on failure."""
    log_file.parent.mkdir(parents=True, exist_ok=True)
    with log_file.open("w") as handle:
        process = subprocess.run([sys.executable, "-c", MEASURE, *command], env=env, cwd=cwd,
                                 stdout=handle, stderr=subprocess.PIPE, text=True, check=False)
    marker = [line for line in process.stderr.splitlines() if line.startswith("@@measure")]
    if process.returncode != 0 or not marker:
        tail = "\n".join(log_file.read_text().splitlines()[-30:])
        raise SystemExit(f"{' '.join(command[:3])} failed (log: {log_file}):\n{tail}\n"
                         f"{process.stderr[-2000:]}")
    _, _, seconds, peak_kib = marker[-1].split()
    return float(seconds), int(peak_kib) / 1024


def generate(events: int, days: int, out: Path) -> int:
    """Generate (or reuse) `events` events over `days` arrival days; return the event count."""
    manifest = out / "manifest.json"
    if manifest.exists():
        recorded = json.loads(manifest.read_text())
        if recorded.get("options", {}).get("events") == events and \
                recorded.get("options", {}).get("days") == days:
            log(f"reusing {out} ({recorded['total_events']:,} events)")
            return int(recorded["total_events"])
        shutil.rmtree(out)
    log(f"generating ~{events:,} events over {days} days into {out}")
    subprocess.run([sys.executable, str(SCRIPTS / "generate_events.py"), "--events", str(events),
                    "--days", str(days), "--out", str(out)], check=True)
    return int(json.loads(manifest.read_text())["total_events"])


def arrival_days(data: Path) -> list[Path]:
    return sorted(p for p in data.iterdir() if p.is_dir() and p.name.startswith("arrival_date="))


def landing_with(days: list[Path], landing: Path) -> Path:
    """A landing folder holding (hard links to) the given arrival days' files."""
    for day in days:
        target = landing / day.name
        if target.exists():
            continue
        target.mkdir(parents=True)
        for file in day.glob("*.parquet"):
            try:
                os.link(file, target / file.name)
            except OSError:
                shutil.copy2(file, target / file.name)
    return landing


def dbt_env(database: Path, memory_limit: str | None, work: Path) -> dict[str, str]:
    env = {**os.environ, "DBT_PROFILES_DIR": str(PROJECT_DIR),
           "KAKAO_PROJECT_DIR": str(PROJECT_DIR), "KAKAO_DUCKDB_PATH": str(database),
           "KAKAO_DUCKDB_TEMP_DIRECTORY": str(work / "spill"),
           "DBT_SEND_ANONYMOUS_USAGE_STATS": "false"}
    if memory_limit:
        env["KAKAO_DUCKDB_MEMORY_LIMIT"] = memory_limit
    return env


def run_dbt(args: list[str], work: Path, env: dict[str, str], label: str,
            all_vars: dict[str, object]) -> tuple[float, float, list[dict]]:
    """`dbt <args>` on the project, its output in work/<label>.log: process seconds, peak RSS
    MiB, and the run results."""
    target_path = work / f"target_{label}"
    command = [str(BIN / "dbt"), *args, "--project-dir", str(PROJECT_DIR),
               "--target-path", str(target_path), "--log-path", str(work / "logs"),
               "--vars", json.dumps(all_vars)]
    log(f"{label}: dbt {args[0]} ...")
    seconds, peak = measured(command, env, work, work / f"{label}.log")
    return seconds, peak, json.loads((target_path / "run_results.json").read_text())["results"]


def dbt_build(glob: str, work: Path, env: dict[str, str], label: str, events: int,
              extra_vars: dict[str, object] | None = None, target: str = "duckdb",
              whole: bool = False) -> Measurement:
    """`dbt build` of seeds and models (no tests) on `glob`; model time from run_results. With
    `whole`, the build as a scheduler runs it: data tests and publishing too; its time is the
    process's, and the notes split it by kind of node."""
    all_vars = {"chat_events_path": glob, **BENCH_VARS, **(extra_vars or {}),
                **({"publish_marts": True} if whole else {})}
    seconds, peak, results = run_dbt(
        ["build", "--target", target, *([] if whole else ["--exclude-resource-type", "test"]),
         "--exclude-resource-type", "unit_test"],
        work, {**env, "KAKAO_PUBLISH_DIR": str(work / "published")}, label, all_vars)
    model_seconds = model_wall_seconds([r for r in results if counts_as_model_time(r)])
    log(f"{label}: {seconds:.1f} s (models {model_seconds:.1f} s), peak {peak:,.0f} MiB")
    if not whole:
        return Measurement(label, events, seconds, model_seconds, peak)
    return Measurement(label, events, seconds, None, peak, [time_by_kind(results)])


def unit_tests(glob: str, work: Path, env: dict[str, str]) -> Measurement:
    """The dbt unit tests on their own, as development and CI run them (`make test`); the
    scheduled build leaves them out. Their fixtures are their input, whatever the warehouse
    holds."""
    label = "unit tests"
    seconds, peak, results = run_dbt(["test", "--select", "test_type:unit"], work, env, label,
                                     {"chat_events_path": glob, **BENCH_VARS})
    unit = [r for r in results if r["unique_id"].startswith("unit_test.")]
    log(f"{label}: {seconds:.1f} s")
    return Measurement(label, 0, seconds, None, peak, [
        f"{len(unit)} unit tests, {sum(r['execution_time'] for r in unit):.1f} s summed "
        "over dbt's two threads; not in the scheduled build"])


def time_by_kind(results: list[dict]) -> str:
    """Execution seconds summed per kind of node (dbt runs two at a time), the largest first:
    'models 150.2 s, data tests 49.8 s (138), ...'."""
    kinds: dict[str, list[float]] = {}
    for result in results:
        unique_id = result["unique_id"]
        kind = ("models" if unique_id.startswith("model.")
                else "unit tests" if unique_id.startswith("unit_test.")
                else "data tests" if unique_id.startswith("test.")
                else "hooks" if unique_id.startswith("operation.")
                else "seeds" if unique_id.startswith("seed.") else "other")
        kinds.setdefault(kind, []).append(result["execution_time"])
    return ", ".join(f"{kind} {sum(times):.1f} s ({len(times)})" for kind, times in
                     sorted(kinds.items(), key=lambda item: -sum(item[1])))


def counts_as_model_time(result: dict) -> bool:
    """A model, or an on-run-end hook: the checkpoint that writes the models' changes into the
    warehouse file runs there (macros/utils/checkpoint_warehouse.sql), so it is part of the cost."""
    unique_id = result["unique_id"]
    return unique_id.startswith("model.") or (
        unique_id.startswith("operation.") and "-on-run-end-" in unique_id)


def model_wall_seconds(results: list[dict]) -> float:
    """Wall time from the first result's start to the last one's end (run_results timing)."""
    spans = [(datetime.fromisoformat(t["started_at"]), datetime.fromisoformat(t["completed_at"]))
             for r in results for t in r["timing"] if t["name"] == "execute"]
    if not spans:
        return sum(r["execution_time"] for r in results)
    return (max(end for _, end in spans) - min(start for start, _ in spans)).total_seconds()


# The tables at the grain of the raw rows (first seen, validated: one row per raw row; rooms
# assigned: one per accepted row). Staging is a view over the files (D18), and the audit one
# over two of these (D43).
EVENT_LEVEL_TABLES = [
    "intermediate.int_chat_events__first_seen",
    "intermediate.int_chat_events__validated",
    "intermediate.int_chat_events__assigned_to_rooms",
]


def write_floor(connection: duckdb.DuckDBPyConnection, out: Path
                ) -> list[tuple[str, int, float]]:
    """Copy each event-level table of the warehouse open on `connection` into a fresh DuckDB
    file `out`; return (table, rows, seconds to write and checkpoint it). Each table is first
    read into memory (not timed), so only storing it is timed."""
    for stale in (out, out.with_name(out.name + ".wal")):
        stale.unlink(missing_ok=True)
    connection.execute(f"attach '{out}' as write_floor")
    timings = []
    try:
        for table in EVENT_LEVEL_TABLES:
            connection.execute(f"create or replace temp table write_floor_source as "
                               f"select * from {table}")
            start = time.perf_counter()
            connection.execute("create table write_floor.copied as "
                               "select * from write_floor_source")
            connection.execute("checkpoint write_floor")
            seconds = time.perf_counter() - start
            rows = connection.execute("select count(*) from write_floor.copied").fetchone()[0]
            timings.append((table, int(rows), seconds))
            connection.execute("drop table write_floor.copied")
            connection.execute("drop table write_floor_source")
            connection.execute("checkpoint write_floor")
    finally:
        connection.execute("detach write_floor")
        for written in (out, out.with_name(out.name + ".wal")):
            written.unlink(missing_ok=True)
    return timings


def storing_tables(database: Path, work: Path, events: int, memory_limit: str | None
                   ) -> Measurement:
    import duckdb

    log("writing: the event-level tables, from memory into a fresh file ...")
    with duckdb.connect() as connection:
        connection.execute("set enable_progress_bar = false")
        connection.execute(f"set temp_directory = '{work / 'spill'}'")
        if memory_limit:
            connection.execute(f"set memory_limit = '{memory_limit}'")
        connection.execute(f"attach '{database}' as built (read_only)")
        connection.execute("use built")
        timings = write_floor(connection, work / "write_floor.duckdb")
    total = sum(seconds for _, _, seconds in timings)
    log(f"writing: {total:.1f} s")
    return Measurement("writing the event-level tables", events, total, total, None,
                       ["; ".join(f"{table.split('.')[-1]} {seconds:.1f} s"
                                  for table, _, seconds in timings)])


def monthly_fees(database: Path) -> list[tuple]:
    import duckdb

    with duckdb.connect(str(database), read_only=True) as connection:
        connection.execute("set TimeZone = 'UTC'")
        return connection.execute(
            "select channel_id, usage_month, room_charges, opened_charges, rollover_charges, "
            "fee_krw from marts.fct_monthly_fees order by channel_id, usage_month").fetchall()


def baseline(glob: str, events: int, work: Path) -> tuple[Measurement, list[tuple]]:
    log("baseline: hand-written query ...")
    command = [sys.executable, str(SCRIPTS / "baseline_billing.py"), glob, "--json",
               str(work / "baseline.json")]
    seconds, peak = measured(command, dict(os.environ), work, work / "baseline.log")
    rows = [tuple(row) for row in json.loads((work / "baseline.json").read_text())["rows"]]
    log(f"baseline: {seconds:.1f} s, peak {peak:,.0f} MiB")
    return Measurement("baseline query", events, seconds, None, peak), rows


def same_totals(dbt_rows: list[tuple], baseline_rows: list[tuple]) -> bool:
    def key(rows: list[tuple]) -> list[tuple]:
        return sorted((str(r[0]), str(r[1])[:10], *(int(v) for v in r[2:])) for r in rows)
    return key(dbt_rows) == key(baseline_rows)


def machine() -> str:
    memory_kib = next(int(line.split()[1]) for line in Path("/proc/meminfo").read_text()
                      .splitlines() if line.startswith("MemTotal"))
    return (f"{os.cpu_count()} cores, {memory_kib / 1024 / 1024:.1f} GiB memory, "
            f"{platform.system()} {platform.machine()}, Python {platform.python_version()}")


def run_size(events: int, args: argparse.Namespace) -> list[Measurement]:
    data = args.data_dir / f"events_{events}"
    total = generate(events, args.days + args.incremental_days, data)
    work = args.work_dir / f"size_{events}"
    shutil.rmtree(work, ignore_errors=True)
    work.mkdir(parents=True)
    glob = str(data / "*" / "*.parquet")
    measurements: list[Measurement] = []

    full = dbt_build(glob, work, dbt_env(work / "full.duckdb", args.memory_limit, work),
                     "full build", total)
    measurements.append(full)
    base, base_rows = baseline(glob, total, work)
    measurements.append(base)
    if not same_totals(monthly_fees(work / "full.duckdb"), base_rows):
        raise SystemExit("The baseline's monthly totals differ from fct_monthly_fees: "
                         f"compare {work / 'baseline.json'} with {work / 'full.duckdb'}")
    base.notes.append("monthly totals equal fct_monthly_fees")
    measurements.append(storing_tables(work / "full.duckdb", work, total, args.memory_limit))
    full.notes.append(f"{total / full.seconds:,.0f} events/s end to end; "
                      f"models {full.model_seconds / base.seconds:.2f}x baseline")
    whole = None
    if not args.skip_whole:
        whole_env = dbt_env(work / "whole.duckdb", args.memory_limit, work)
        whole = dbt_build(glob, work, whole_env, "whole build", total, whole=True)
        whole.notes.insert(0, f"the whole build {whole.seconds / base.seconds:.2f}x baseline")
        measurements.append(whole)
        measurements.append(unit_tests(glob, work, whole_env))

    for history_days in ([] if args.skip_incremental else args.history_days):
        history_data = data
        if history_days != args.days:
            # the same events per day as the main data set, over the history and added days
            generated_days = history_days + args.incremental_days
            history_data = args.data_dir / f"events_{events}_days_{generated_days}"
            generate(round(events * generated_days / (args.days + args.incremental_days)),
                     generated_days, history_data)
        measurements += incremental(history_data, history_days, work, args, full, whole)
    mean_days = [m for m in measurements if m.label.startswith("incremental: mean day")]
    for longer in mean_days[1:]:
        longer.notes.append(f"{longer.model_seconds / mean_days[0].model_seconds:.2f}x the "
                            f"{mean_days[0].label.removeprefix('incremental: ')}")

    if args.spark and events == min(args.sizes):
        spark_work = work / "spark"
        env = {**dbt_env(work / "unused.duckdb", None, work),
               "KAKAO_SPARK_DIR": str(spark_work)}
        spark_work.mkdir(parents=True, exist_ok=True)
        measurements.append(dbt_build(glob, spark_work, env, "full build (Spark)", total,
                                      target="spark"))
    return measurements


def incremental(data: Path, history_days: int, work: Path, args: argparse.Namespace,
                full: Measurement, whole: Measurement | None = None) -> list[Measurement]:
    """Build `history_days` arrival days, then add the next days one incremental build each.
    With `whole` (the whole full build), the last day is built again from a copy of the
    warehouse before it, with tests and publishing: what a scheduled day costs."""
    days = arrival_days(data)
    added = args.incremental_days
    if len(days) < history_days + added:
        raise SystemExit(f"{data} has {len(days)} arrival days; {history_days + added} needed")

    def events_in(day_folders: list[Path]) -> int:
        import duckdb

        files = [str(f) for day in day_folders for f in day.glob("*.parquet")]
        return duckdb.sql(f"select count(*) from read_parquet({files!r})").fetchall()[0][0]

    # history: the first `history_days` arrival days; then the next ones (full days' deliveries,
    # not the thin tail of late rows after the generated period)
    landing = landing_with(days[:history_days], work / f"landing_{history_days}")
    landing_glob = str(landing / "*" / "*.parquet")
    database = work / f"incremental_{history_days}.duckdb"
    env = dbt_env(database, args.memory_limit, work)
    history = dbt_build(landing_glob, work, env, f"history {history_days} days",
                        events_in(days[:history_days]))
    one_days = []
    before_last_day = work / f"incremental_{history_days}_before_last_day.duckdb"
    for number, day in enumerate(days[history_days:history_days + added], start=1):
        if number == added and whole is not None:
            shutil.copy2(database, before_last_day)
            # as a scheduler runs it, the day's build follows one that published the marts:
            # it writes again only the audit's days that changed (D44)
            dbt_build(landing_glob, work, dbt_env(before_last_day, args.memory_limit, work),
                      f"whole build before day {added}, publishing", 0, whole=True)
        landing_with([day], landing)
        label = f"incremental +1 day on {history_days} (day {number})"
        one_day = dbt_build(landing_glob, work, env, label, events_in([day]))
        one_day.notes.append(f"models {one_day.model_seconds / full.model_seconds:.1%} "
                             "of the full build's")
        if reclaimed_deleted_rows(work / f"{label}.log"):
            one_day.notes.append("its checkpoint reclaimed deleted rows")
        one_days.append(one_day)
    measurements = [history, *one_days, mean_day(one_days, history_days, full)]
    if whole is not None:
        whole_day = dbt_build(landing_glob, work,
                              dbt_env(before_last_day, args.memory_limit, work),
                              f"whole build +1 day on {history_days} (day {added})",
                              one_days[-1].events, whole=True)
        whole_day.notes.insert(0, f"{whole_day.seconds / whole.seconds:.1%} of the whole full "
                                  "build's process time; the same day as above, with the "
                                  "tests and publishing")
        before_last_day.unlink()
        measurements.append(whole_day)
    return measurements


def reclaimed_deleted_rows(build_log: Path) -> bool:
    """Whether the build's end checkpoint reclaimed deleted rows (checkpoint_warehouse logs it)."""
    return "Checkpoint: reclaiming deleted rows" in build_log.read_text()


def mean_day(one_days: list[Measurement], history_days: int, full: Measurement) -> Measurement:
    """The mean of the added days: the cost of a day, compared with the full build."""
    count = len(one_days)
    mean = Measurement(
        f"incremental: mean day on {history_days}",
        round(sum(d.events for d in one_days) / count),
        sum(d.seconds for d in one_days) / count,
        sum(d.model_seconds or 0.0 for d in one_days) / count,
        max(d.peak_rss_mib or 0.0 for d in one_days),
    )
    mean.notes.append(f"models {mean.model_seconds / full.model_seconds:.1%} of the full "
                      f"build's; mean of {count} days: "
                      + ", ".join(f"{d.model_seconds:.1f}" for d in one_days) + " s")
    return mean


def table(measurements: list[Measurement], baseline_seconds: dict[int, float]) -> str:
    lines = ["| run | events | process s | models s | x baseline | peak RSS MiB | notes |",
             "|---|---:|---:|---:|---:|---:|---|"]
    for m in measurements:
        timed = m.model_seconds if m.model_seconds is not None else m.seconds
        ratio = timed / baseline_seconds[m.events] if m.events in baseline_seconds else None
        lines.append(
            f"| {m.label} | {f'{m.events:,}' if m.events else ''} | {m.seconds:.1f} | "
            f"{'' if m.model_seconds is None else f'{m.model_seconds:.1f}'} | "
            f"{'' if ratio is None else f'{ratio:.2f}'} | "
            f"{'' if m.peak_rss_mib is None else f'{m.peak_rss_mib:,.0f}'} | "
            f"{'; '.join(m.notes)} |")
    return "\n".join(lines)


def measuring_options(argv: list[str] | None) -> list[str]:
    """The command line as the results file states it: without where files went
    (--results, --data-dir, --work-dir), which name this machine's folders, not the run."""
    options, skip = [], False
    for argument in argv if argv is not None else sys.argv[1:]:
        if skip:
            skip = False
        elif argument in ("--results", "--data-dir", "--work-dir"):
            skip = True
        elif not argument.startswith(("--results=", "--data-dir=", "--work-dir=")):
            options.append(argument)
    return options


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[1_000_000, 10_000_000],
                        help="approximate event counts (default: 1M and 10M)")
    parser.add_argument("--days", type=int, default=30,
                        help="days of history; one more arrival day is the incremental day")
    parser.add_argument("--data-dir", type=Path, default=PROJECT_DIR / "benchmarks" / "data")
    parser.add_argument("--work-dir", type=Path, default=PROJECT_DIR / "benchmarks" / "work")
    parser.add_argument("--memory-limit", help="DuckDB memory_limit for the dbt builds, e.g. 8GB")
    parser.add_argument("--spark", action="store_true",
                        help="also build the smallest size on local Spark")
    parser.add_argument("--history-days", type=int, nargs="+", default=None,
                        help="days of history for the incremental measurement (default: "
                             "--days); e.g. 30 90 to see whether a day's cost grows")
    parser.add_argument("--incremental-days", type=int, default=4,
                        help="arrival days added after the history, one build each; their "
                             "mean is the cost of a day (default: 4)")
    parser.add_argument("--skip-incremental", action="store_true")
    parser.add_argument("--skip-whole", action="store_true",
                        help="leave out the whole build (with tests and publishing)")
    parser.add_argument("--results", type=Path,
                        default=PROJECT_DIR / "benchmarks" / "results.md")
    args = parser.parse_args(argv)
    args.history_days = args.history_days or [args.days]
    if args.incremental_days < 1:
        parser.error("--incremental-days must be at least 1")
    # dbt runs in the work directory: relative paths would not find the data from there
    args.data_dir, args.work_dir = args.data_dir.resolve(), args.work_dir.resolve()

    measurements: list[Measurement] = []
    for events in args.sizes:
        measurements += run_size(events, args)
    baseline_seconds = {m.events: m.seconds for m in measurements if m.label == "baseline query"}
    rendered = table(measurements, baseline_seconds)
    print(rendered)
    header = (f"# Benchmark results\n\nMachine: {machine()}. Run {datetime.now(UTC):%Y-%m-%d} "
              f"with `python scripts/benchmark.py {' '.join(measuring_options(argv))}`.\n\n")
    args.results.parent.mkdir(parents=True, exist_ok=True)
    previous = args.results.read_text() if args.results.exists() else ""
    notes = previous.split("\n## Notes", 1)[1] if "\n## Notes" in previous else "\n"
    args.results.write_text(header + rendered + "\n\n## Notes" + notes)
    log(f"written {args.results}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
