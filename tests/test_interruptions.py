"""Interrupted builds: whatever moment a scheduled `dbt build` is stopped at, the next ordinary
build leaves the warehouse as if nothing had happened.

Two arrival files split the sample data: day 1, then day 2 with late October events (October is
closed after day 1, so they become fee adjustments with the events that caused them) and the
second half of November. The reference is day 1, then day 1 + day 2, uninterrupted, then a
`--full-refresh` on the same files.

Fault injection: a warehouse built on day 1 is restored to one fixed path, `dbt build` on both
days starts in its own process (the venv's `dbt` executable, as a scheduler runs it) and gets
SIGKILL, SIGINT or SIGTERM when a chosen line of its output appears plus a random delay: inside
a model from staging to the marts, or inside an on-run-end hook. Then one ordinary `dbt build`
must give every table of the reference. The trials come
from a seeded random.Random: env KAKAO_INTERRUPTION_SEED picks another seed,
KAKAO_INTERRUPTION_TRIALS their number, KAKAO_INTERRUPTION_TRIAL runs one of them alone (a
failure prints its seed and trial). Smaller tests: a build that validates the day's rows but
stops before the marts (`--select`), one in which a mart fails, and the fee adjustments' late
events after a kill.
"""

from __future__ import annotations

import csv
import json
import os
import random
import re
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from contextlib import suppress
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import duckdb
import pytest

from dbt_harness import (
    EVENTS_TABLE,
    PROJECT_DIR,
    SAMPLE_EVENTS,
    cli_environment,
    copy_project,
    load_events_table,
)
from warehouse_compare import SOURCE_COLUMNS, attached, shorten, table_differences

pytestmark = pytest.mark.dbt

DBT = Path(sys.executable).parent / "dbt"
# October is closed after day 1: its late events in day 2 become fee adjustments.
VARS = {"closed_through_month": "2026-10"}
BUILD = ("build", "--exclude-resource-type", "unit_test")

SEED = int(os.environ.get("KAKAO_INTERRUPTION_SEED", "20261031"))
# What dbt 1.11 does with them: SIGKILL ends it at once. SIGTERM too (dbt installs no handler):
# no summary, exit -15, DuckDB's write-ahead log left for the next build to replay. SIGINT
# cancels the running queries (one may still commit), runs no further node and no on-run-end
# hook, and exits 2 ("Exited because of keyboard interrupt").
SIGNALS = (signal.SIGKILL, signal.SIGINT, signal.SIGTERM)
# A signalled dbt still running this long after the signal gets SIGKILL.
SIGKILL_AFTER_SECONDS = 30.0
# A build still running after this long is stopped and the test fails (a hang, not a result).
BUILD_TIMEOUT_SECONDS = 600.0
MAX_DELAY_SECONDS = 0.4


# --- the arrival files -------------------------------------------------------------------------

def _instant(text: str) -> datetime | None:
    try:
        return datetime.fromisoformat(text)
    except ValueError:
        return None


def split_sample_events(landing: Path, aside: Path) -> tuple[Path, Path]:
    """Write day_1.csv into `landing` and day_2.csv into `aside`, each with the sample's header.

    Day 2 holds every 4th October row (in file order: late events for a month closed after day
    1) and November's later half (the rows from the median November instant on); day 1 the
    rest, the row with an unparseable time included.
    """
    with SAMPLE_EVENTS.open(encoding="utf-8", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    at, kind, text = (header.index(c) for c in ("occurred_at", "event_type", "message_text"))
    october = [number for number, row in enumerate(rows) if row[at].startswith("2026-10")]
    late_october = set(october[3::4])
    november = sorted(
        (instant, number) for number, row in enumerate(rows)
        if row[at].startswith("2026-11") and (instant := _instant(row[at])) is not None
    )
    day_two = late_october | {number for _, number in november[len(november) // 2:]}

    late_rows = [rows[number] for number in late_october]
    assert any(row[kind] == "room_opened" for row in late_rows), "no late room_opened"
    assert any(row[text].strip() == "!종료" for row in late_rows), "no late !종료"
    return (
        _write_csv(landing / "day_1.csv", header,
                   [row for number, row in enumerate(rows) if number not in day_two]),
        _write_csv(aside / "day_2.csv", header,
                   [row for number, row in enumerate(rows) if number in day_two]),
    )


def _write_csv(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)  # CRLF line ends, as in the sample
        writer.writerow(header)
        writer.writerows(rows)
    return path


# --- dbt in its own process --------------------------------------------------------------------

@dataclass(frozen=True)
class Workspace:
    """The one warehouse path every build of this module uses, with its own target dir (so
    dbt's partial parsing is reused: the profile, vars and files never change) and landing
    folder."""

    root: Path
    # True: the events are read from the warehouse table EVENTS_TABLE (var
    # chat_events_relation), loaded batch by batch, instead of the landing folder's files.
    table: bool = False

    @property
    def database(self) -> Path:
        return self.root / "warehouse.duckdb"

    @property
    def landing(self) -> Path:
        return self.root / "landing"

    def command(self, *args: str, project_dir: Path = PROJECT_DIR) -> list[str]:
        # Without --quiet, in JSON: each line names its event and node. No dbt.log (the
        # output is kept) and no target/*.json (nothing reads them); partial_parse.msgpack is
        # still written and reused (another project gets a target folder of its own).
        target = "target" if project_dir == PROJECT_DIR else f"target-{project_dir.name}"
        return [
            str(DBT), *args, "--project-dir", str(project_dir),
            "--target-path", str(self.root / target), "--log-path", str(self.root / "logs"),
            "--vars", json.dumps({"chat_events_path": "", "chat_events_relation": EVENTS_TABLE,
                                  **VARS} if self.table
                                 else {"chat_events_path": str(self.landing / "*.csv"), **VARS}),
            "--log-format", "json", "--log-level-file", "none", "--no-write-json",
            "--no-use-colors",
        ]

    def environment(self) -> dict[str, str]:
        return {**cli_environment(self.root), "PYTHONUNBUFFERED": "1"}

    def save(self, snapshot: Path) -> Path:
        """Copy the warehouse file and the published marts (no dbt process is running)."""
        assert not wal(self.database).exists(), "a finished build leaves no write-ahead log"
        snapshot.mkdir(parents=True)
        shutil.copyfile(self.database, snapshot / self.database.name)
        if (self.root / "published").exists():
            shutil.copytree(self.root / "published", snapshot / "published", symlinks=True)
        return snapshot

    def restore(self, snapshot: Path) -> None:
        """Put a saved warehouse back at the fixed path; a killed build's write-ahead log and
        published files go (the log belongs to the file being replaced)."""
        wal(self.database).unlink(missing_ok=True)
        shutil.copyfile(snapshot / self.database.name, self.database)
        shutil.rmtree(self.root / "published", ignore_errors=True)
        if (snapshot / "published").exists():
            shutil.copytree(snapshot / "published", self.root / "published", symlinks=True)


def wal(database: Path) -> Path:
    return Path(f"{database}.wal")


@dataclass(frozen=True)
class KillPoint:
    """A moment of the build: when dbt prints `event` for `node` (a model's START line, a
    hook's START or OK line)."""

    label: str
    event: str
    node: str

    def matches(self, line: dict[str, Any]) -> bool:
        return line["info"]["name"] == self.event and _node_name(line) == self.node


def inside(model: str) -> KillPoint:
    return KillPoint(f"START of {model}", "LogStartLine", model)


def _hook(number: int) -> str:
    return f"kakao_consult_billing-on-run-end-{number}"


# Where trials stop the build, in the order dbt reaches them; a trial picks one of each group.
# The on-run-end hooks do their work (the build log's end row, the checkpoint, publishing, the
# report) while dbt renders them, before it prints their START line: the moment inside the
# checkpoint is the START of hook 0, inside publishing the end of hook 1, inside the report the
# end of hook 2.
KILL_POINTS: tuple[tuple[KillPoint, ...], ...] = (
    (inside("stg_kakao__chat_events"),),
    (inside("int_chat_events__validated"), inside("int_chat_events__streams_to_recompute")),
    (inside("int_chat_events__assigned_to_rooms"), inside("fct_chat_event_audit")),
    (inside("int_chat_rooms__lifecycle"),),
    (inside("int_room_charges__daily"), inside("fct_room_charges"), inside("fct_chat_rooms")),
    (inside("fct_avoidable_charges"), inside("fct_charge_allocations")),
    (inside("fct_monthly_fees"), inside("fct_fee_adjustments")),
    (inside("rpt_invoice_reconciliation"), inside("rpt_cost_by_team")),
    (KillPoint("checkpoint hook (START of on-run-end.0)", "LogHookStartLine", _hook(0)),
     KillPoint("publish hook (OK of on-run-end.1)", "LogHookEndLine", _hook(1)),
     KillPoint("report hook (OK of on-run-end.2)", "LogHookEndLine", _hook(2))),
)


@dataclass(frozen=True)
class Kill:
    """Send `signal` `delay` seconds after the line of `point`."""

    point: KillPoint
    signal: signal.Signals
    delay: float

    def __str__(self) -> str:
        return f"{self.signal.name} {self.delay:.3f} s after the {self.point.label}"


def _node_info(line: dict[str, Any]) -> dict[str, Any]:
    return (line.get("data") or {}).get("node_info") or {}


def _node_name(line: dict[str, Any]) -> str | None:
    return _node_info(line).get("node_name")


@dataclass
class Build:
    """One dbt process: its exit code, its JSON log lines and other output, and the kill."""

    command: list[str]
    kill: Kill | None = None
    returncode: int | None = None
    lines: list[dict[str, Any]] = field(default_factory=list)
    other_output: list[str] = field(default_factory=list)
    seconds: float = 0.0
    kill_line_seen: bool = False
    signal_sent: bool = False
    escalated: bool = False

    @property
    def succeeded(self) -> bool:
        return self.returncode == 0

    @property
    def completed(self) -> bool:
        """dbt printed the end of a run it did not cut short: every node and hook ran."""
        return any(line["info"]["name"] == "EndOfRunSummary"
                   and not line["data"].get("keyboard_interrupt") for line in self.lines)

    @property
    def interrupted(self) -> bool:
        """The signal reached the build before it was done (a signal during dbt's exit, after
        its summary, changes only the exit code)."""
        return self.signal_sent and not self.completed

    def reparsed(self) -> list[str]:
        """Why dbt parsed the whole project again (empty: partial parsing was used)."""
        return [line["info"]["msg"] for line in self.lines
                if line["info"]["name"] == "UnableToPartialParse"]

    def status_of(self, node: str) -> str | None:
        """The result dbt printed for a model (None: it never finished)."""
        for line in self.lines:
            if line["info"]["name"] == "LogModelResult" and _node_name(line) == node:
                return str(_node_info(line).get("node_status"))
        return None

    def problems(self, limit: int = 8) -> str:
        """What failed, as dbt printed it (a test's FAIL line, a model's error), its summary
        line, and the last output that is not a log line (a traceback), shortened."""
        errors = [line["info"]["msg"] for line in self.lines if _is_error(line)]
        shown = [shorten(text) for text in errors[:limit]]
        if len(errors) > limit:
            shown.append(f"... and {len(errors) - limit} more")
        shown += [line["info"]["msg"] for line in self.lines
                  if line["info"]["name"] == "StatsLine"]
        shown += [shorten(text) for text in self.other_output[-3:]]
        return "\n".join(f"    {text}" for text in shown)

    def describe(self) -> str:
        return f"exit {self.returncode} after {self.seconds:.1f} s"


def _is_error(line: dict[str, Any]) -> bool:
    """An error line worth showing: not the repetitions of a test's FAIL line."""
    info = line["info"]
    return (info["level"] == "error" and bool(info["msg"].strip())
            and info["name"] != "RunResultFailure"
            and not re.match(r"\s*Got \d+ results?, configured to fail", info["msg"]))


class _Signaller:
    """Sends a build its kill after the line, and SIGKILL if it is still running long after."""

    def __init__(self, process: subprocess.Popen[str], build: Build) -> None:
        self.process = process
        self.build = build
        self.timers: list[threading.Timer] = []
        self._after(BUILD_TIMEOUT_SECONDS, self._end_everything)

    def observe(self, line: dict[str, Any]) -> None:
        kill = self.build.kill
        if kill is not None and not self.build.kill_line_seen and kill.point.matches(line):
            self.build.kill_line_seen = True
            self._after(kill.delay, self._send)

    def cancel(self) -> None:
        for timer in self.timers:
            timer.cancel()

    def _after(self, seconds: float, action: Callable[[], None]) -> None:
        timer = threading.Timer(seconds, action)
        timer.daemon = True
        self.timers.append(timer)
        timer.start()

    def _send(self) -> None:
        assert self.build.kill is not None
        if self.process.poll() is None:
            # to dbt's own process only, as a scheduler stops the job it started
            self.process.send_signal(self.build.kill.signal)
            self.build.signal_sent = True
            self._after(SIGKILL_AFTER_SECONDS, self._end_everything)

    def _end_everything(self) -> None:
        if self.process.poll() is None:
            self.build.escalated = True
            end_process_group(self.process)


def end_process_group(process: subprocess.Popen[str]) -> None:
    """SIGKILL what is left of a build's process group (dbt, its multiprocessing helpers)."""
    with suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, signal.SIGKILL)


def run_build(workspace: Workspace, *args: str, kill: Kill | None = None,
              launcher: bool = False, project_dir: Path = PROJECT_DIR) -> Build:
    """`dbt build` (not the unit tests) on the workspace's warehouse in a new process, killed as
    `kill` says; returns once the process (and its group) is gone. With `launcher`, through
    scripts/dbt_build.py, as `make build` runs it; with `project_dir`, of a copy of the
    project."""
    command = workspace.command(*BUILD, *args, project_dir=project_dir)
    if launcher:
        command[:1] = [sys.executable, str(PROJECT_DIR / "scripts" / "dbt_build.py")]
    build = Build(command, kill)
    started = time.monotonic()
    process = subprocess.Popen(
        build.command, cwd=workspace.root, env=workspace.environment(), text=True,
        encoding="utf-8", errors="replace", stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    signaller = _Signaller(process, build)
    try:
        assert process.stdout is not None
        for text in process.stdout:
            line = _json_line(text)
            if line is None:
                if text.strip():
                    build.other_output.append(text.rstrip())
                continue
            build.lines.append(line)
            signaller.observe(line)
        build.returncode = process.wait()
    finally:
        signaller.cancel()
        if process.poll() is None:
            end_process_group(process)
            process.wait()
        end_process_group(process)
        build.seconds = time.monotonic() - started
    assert not build.escalated or build.signal_sent, (
        f"dbt ran past {BUILD_TIMEOUT_SECONDS:.0f} s and was stopped:\n{build.problems()}")
    return build


def _json_line(text: str) -> dict[str, Any] | None:
    if not text.startswith("{"):
        return None
    try:
        line = json.loads(text)
    except ValueError:
        return None
    return line if isinstance(line, dict) and "info" in line else None


def require_success(build: Build, what: str) -> Build:
    assert build.succeeded, f"{what} failed ({build.describe()}):\n{build.problems()}"
    assert not build.reparsed(), f"{what}: {build.reparsed()}"
    return build


# --- the builds every test starts from ---------------------------------------------------------

@dataclass(frozen=True)
class BillingDays:
    """The fixed workspace (both days' files in its landing folder) and saved warehouses: day 1
    alone, day 1 then day 2 uninterrupted, and that after `--full-refresh` (the reference)."""

    workspace: Workspace
    day_one: Path
    uninterrupted: Path
    reference: Path

    def database(self, snapshot: Path) -> Path:
        return snapshot / self.workspace.database.name


@pytest.fixture(scope="session")
def billing_days(tmp_path_factory: pytest.TempPathFactory) -> BillingDays:
    """Build day 1, then day 1 + day 2, then a full refresh, in the one fixed workspace, saving
    each warehouse. Every file stays in the landing folder from then on: a later build sees the
    same files with the same signatures (size and modification time) as the reference did."""
    root = tmp_path_factory.mktemp("interruptions")
    workspace = Workspace(root / "workspace")
    split_sample_events(workspace.landing, root / "later")

    build = run_build(workspace)  # the first build parses the project: not checked
    assert build.succeeded, f"day 1 failed ({build.describe()}):\n{build.problems()}"
    day_one = workspace.save(root / "day_1")

    shutil.move(root / "later" / "day_2.csv", workspace.landing / "day_2.csv")
    require_success(run_build(workspace), "day 1 + day 2")
    uninterrupted = workspace.save(root / "uninterrupted")
    require_success(run_build(workspace, "--full-refresh"), "the full refresh")
    reference = workspace.save(root / "reference")
    return BillingDays(workspace, day_one, uninterrupted, reference)


def test_day_two_adjusts_closed_october_and_changes_november(billing_days: BillingDays) -> None:
    """The scenario reaches what interruptions can break: uninterrupted, day 2 records fee
    adjustments for the closed October that name their late events, and changes November's open
    fee; and that incremental build equals the full refresh (the trials' reference)."""
    days = billing_days
    late_events = ("select count(*) from {}.marts.fct_fee_adjustments"
                   " where reason = 'late_events' and caused_by_event_ids is not null")
    november_fee = ("select sum(fee_krw) from {}.marts.fct_monthly_fees"
                    " where usage_month = date '2026-11-01'")
    with attached(day_one=days.database(days.day_one),
                  day_two=days.database(days.uninterrupted)) as connection:
        assert connection.execute(late_events.format("day_one")).fetchone() == (0,)
        assert connection.execute(late_events.format("day_two")).fetchone()[0] >= 1
        assert (connection.execute(november_fee.format("day_one")).fetchone()
                != connection.execute(november_fee.format("day_two")).fetchone())
    assert table_differences(days.database(days.reference),
                             days.database(days.uninterrupted)) == []


# --- fault injection ---------------------------------------------------------------------------

@dataclass(frozen=True)
class Trial:
    number: int
    count: int
    kill: Kill

    def __str__(self) -> str:
        return f"trial {self.number}/{self.count} (seed {SEED}): {self.kill}"


def draw_trials(seed: int, count: int) -> list[Trial]:
    """`count` trials: the kill points shuffled (each group once per round, one of its points
    chosen), the three signals evenly in a shuffled order, delays in [0, MAX_DELAY_SECONDS]."""
    rng = random.Random(seed)
    groups: list[tuple[KillPoint, ...]] = []
    while len(groups) < count:
        round_ = list(KILL_POINTS)
        rng.shuffle(round_)
        groups.extend(round_)
    signals = list(SIGNALS) * -(-count // len(SIGNALS))
    rng.shuffle(signals)
    return [
        Trial(number, count, Kill(rng.choice(group), signals[number - 1],
                                  round(rng.uniform(0, MAX_DELAY_SECONDS), 3)))
        for number, group in enumerate(groups[:count], start=1)
    ]


def trials_to_run() -> list[Trial]:
    """One trial per kill point group (nine) unless KAKAO_INTERRUPTION_TRIALS says otherwise:
    each is two builds (the interrupted one, the ordinary one), some 18 s on two cores."""
    trials = draw_trials(SEED, int(os.environ.get("KAKAO_INTERRUPTION_TRIALS",
                                                  str(len(KILL_POINTS)))))
    chosen = os.environ.get("KAKAO_INTERRUPTION_TRIAL")
    return [trials[int(chosen) - 1]] if chosen else trials


def after_an_ordinary_build(days: BillingDays) -> list[str]:
    """Run one ordinary build on the workspace and compare it with the reference: the problems
    found (none: the warehouse was repaired). That a build with nothing new then changes nothing
    is tested in tests/test_incremental.py."""
    build = run_build(days.workspace)
    problems = [f"dbt parsed the whole project again: {reason}" for reason in build.reparsed()]
    if not build.succeeded:
        problems.append(f"the ordinary build failed ({build.describe()}):\n{build.problems()}")
    return problems + [
        f"after the ordinary build, {difference}"
        for difference in table_differences(days.database(days.reference),
                                            days.workspace.database)]


@dataclass(frozen=True)
class TrialOutcome:
    trial: Trial
    killed: Build
    problems: list[str]
    seconds: float

    def __str__(self) -> str:
        if not self.killed.kill_line_seen:
            what = "its line never appeared"
        elif self.killed.interrupted:
            what = "interrupted"
        else:
            what = "not interrupted (the build had finished)"
        if self.killed.escalated:
            what += f", still running {SIGKILL_AFTER_SECONDS:.0f} s after the signal: SIGKILLed"
        verdict = "FAILED" if self.problems else "repaired"
        return (f"{self.trial}: {what}, {self.killed.describe()}; {verdict}"
                f" (trial {self.seconds:.1f} s)")


def run_trial(days: BillingDays, trial: Trial) -> TrialOutcome:
    """Restore day 1, start the build on both days, kill it as the trial says, wait for the
    process to end, then run the ordinary builds and compare."""
    started = time.monotonic()
    days.workspace.restore(days.day_one)
    killed = run_build(days.workspace, kill=trial.kill)
    problems = [f"dbt parsed the whole project again: {reason}" for reason in killed.reparsed()]
    if not killed.kill_line_seen:
        problems.append(f"dbt never printed the line of the {trial.kill.point.label}: is"
                        " KILL_POINTS out of date?")
    else:
        problems += after_an_ordinary_build(days)
    outcome = TrialOutcome(trial, killed, problems, time.monotonic() - started)
    print(outcome, flush=True)
    return outcome


# The trials in two halves (every other one), so that two test workers share them.
@pytest.mark.parametrize("half", [1, 2])
def test_an_ordinary_build_repairs_any_interrupted_build(billing_days: BillingDays,
                                                         half: int) -> None:
    """Killed (SIGKILL), interrupted (SIGINT) or terminated (SIGTERM) anywhere from staging to
    the last on-run-end hook, a build on day 2 leaves a warehouse that one ordinary build turns
    into the reference, table for table."""
    run_trials(billing_days, trials_to_run()[half - 1::2])


def run_trials(days: BillingDays, trials: list[Trial]) -> None:
    """Run the trials; fail naming each one whose warehouse ordinary builds did not repair, or
    when fewer than half of them (of three or more) interrupted the build at all."""
    started = time.monotonic()
    outcomes = [run_trial(days, trial) for trial in trials]
    elapsed = time.monotonic() - started
    interrupted = sum(outcome.killed.interrupted for outcome in outcomes)
    print(f"{interrupted} of {len(trials)} trials interrupted the build; {elapsed:.0f} s in"
          f" all, {elapsed / len(trials):.1f} s per trial", flush=True)

    failed = [outcome for outcome in outcomes if outcome.problems]
    assert not failed, (
        f"{len(failed)} of {len(trials)} trials (seed {SEED}) left a warehouse that ordinary"
        " builds did not bring to the reference:\n"
        + "\n".join(f"{outcome}\n" + "\n".join(f"  {problem}" for problem in outcome.problems)
                    for outcome in failed))
    assert interrupted * 2 > len(trials) or len(trials) < 3, (
        f"only {interrupted} of {len(trials)} trials interrupted the build")


# --- the same from a warehouse table ------------------------------------------------------------

# When the loader loaded each day's rows into the table (its clock, UTC).
BATCH_LOADED_AT = ("2026-11-02 01:00:00+00", "2026-11-16 01:00:00+00")
# Where the table trials stop the build (groups of KILL_POINTS): the staging model, which reads
# the table after its high-water mark (SIGKILL), validation and the on-run-end hooks. The models
# after staging are the files' own, which the file trials cover.
TABLE_KILL_GROUPS = (0, 1, 8)
@pytest.fixture(scope="session")
def table_billing_days(tmp_path_factory: pytest.TempPathFactory) -> BillingDays:
    """billing_days from the table raw.chat_events (var chat_events_relation) instead of files:
    day 1's rows loaded and built; day 2's rows loaded a day later (the saved day-1 warehouse
    holds them, not yet built); built; then a --full-refresh (the reference)."""
    root = tmp_path_factory.mktemp("table_interruptions")
    workspace = Workspace(root / "workspace", table=True)
    workspace.root.mkdir(parents=True)
    day_one_rows, day_two_rows = split_sample_events(root / "arrivals", root / "arrivals")
    load_events_table(workspace.database, day_one_rows, BATCH_LOADED_AT[0])
    build = run_build(workspace)  # the first build parses the project: not checked
    assert build.succeeded, f"day 1 failed ({build.describe()}):\n{build.problems()}"
    load_events_table(workspace.database, day_two_rows, BATCH_LOADED_AT[1])
    day_one = workspace.save(root / "day_1")
    require_success(run_build(workspace), "day 1 + day 2")
    uninterrupted = workspace.save(root / "uninterrupted")
    require_success(run_build(workspace, "--full-refresh"), "the full refresh")
    reference = workspace.save(root / "reference")
    return BillingDays(workspace, day_one, uninterrupted, reference)


def test_a_table_loaded_in_two_batches_bills_as_two_deliveries_of_files(
    billing_days: BillingDays, table_billing_days: BillingDays,
) -> None:
    """The same rows, day 1 then day 2, from the table (read by load time) and from files: every
    mart is the same, the closed October's fee adjustments and the late events they name
    included; only the columns that name the source (and ids made with it) differ. The table's
    incremental build also equals its --full-refresh, table for table."""
    files, table = billing_days, table_billing_days
    assert table_differences(table.database(table.reference),
                             table.database(table.uninterrupted)) == []
    assert table_differences(files.database(files.uninterrupted),
                             table.database(table.uninterrupted),
                             schemas=["marts"], ignored=SOURCE_COLUMNS) == []
    with attached(from_table=table.database(table.uninterrupted)) as connection:
        adjustments = connection.execute(
            "select count(*) from from_table.marts.fct_fee_adjustments where reason = 'late_events'"
        ).fetchone()
    assert adjustments[0] >= 1, "day 2's late October rows made no fee adjustment"


def test_a_table_source_build_interrupted_anywhere_then_an_ordinary_build(
    table_billing_days: BillingDays,
) -> None:
    """Killed, interrupted or terminated in staging (which reads the table after its high-water
    mark), in validation or in an on-run-end hook, a build of
    the table's second batch leaves a warehouse that one ordinary build turns into the
    reference, table for table."""
    rng = random.Random(SEED)
    trials = [
        Trial(number, len(TABLE_KILL_GROUPS),
              Kill(rng.choice(KILL_POINTS[group]), SIGNALS[(number - 1) % len(SIGNALS)],
                   round(rng.uniform(0, MAX_DELAY_SECONDS), 3)))
        for number, group in enumerate(TABLE_KILL_GROUPS, start=1)
    ]
    run_trials(table_billing_days, trials)


def test_validation_alone_then_an_ordinary_build(billing_days: BillingDays) -> None:
    """`dbt build --select +int_chat_events__validated` on day 2 validates the day's rows and
    builds no mart; the next ordinary build must still bring every mart to the reference (the
    rows validated by the earlier invocation are work it has not done yet)."""
    days = billing_days
    days.workspace.restore(days.day_one)
    # Its data tests on the selected models may fail (some compare them with models it leaves
    # out, such as int_chat_events__first_seen): what matters is that validation committed.
    partial = run_build(days.workspace, "--select", "+int_chat_events__validated")
    assert partial.status_of("int_chat_events__validated") == "success", partial.problems()
    assert partial.status_of("fct_chat_event_audit") is None
    # the figures people read say the last build did not finish the work
    assert "did not run every model" in fees_warning(days.workspace)
    assert "did not run every model" in statement_warning(days.workspace, "2026-11")
    problems = after_an_ordinary_build(days)
    assert not problems, "after --select +int_chat_events__validated:\n" + "\n".join(problems)
    assert fees_warning(days.workspace) == ""


# A column a person added to a mart by hand (an annotation for a report, a half-applied
# migration): dbt's on_schema_change: fail stops that model's incremental build.
HAND_ADDED_COLUMN = "reviewed_by_finance"
FAILING_MART = "fct_room_charges"


def test_a_failed_mart_then_an_ordinary_build(billing_days: BillingDays) -> None:
    """A build on day 2 in which one stream-keyed mart fails, and the next ordinary build.

    The fault, as it happens in production: someone adds a column to marts.fct_room_charges by
    hand (a note for a report, half of a migration). The scheduled build loads and validates
    the day's rows, commits them, and stops at that mart (the project's on_schema_change: fail;
    its downstream models are skipped). The column is dropped again and the next ordinary build
    runs: it must bring every table to the reference, the charges of the streams day 2 changed
    included, rather than lose the work the failed build left undone."""
    days = billing_days
    days.workspace.restore(days.day_one)
    with duckdb.connect(str(days.workspace.database)) as connection:
        connection.execute(f"alter table marts.{FAILING_MART} add column {HAND_ADDED_COLUMN}"
                           " varchar")
    failed = run_build(days.workspace)
    assert failed.status_of(FAILING_MART) == "error", (
        f"{FAILING_MART} was expected to fail ({failed.describe()}):\n{failed.problems()}")
    assert failed.status_of("int_chat_events__validated") == "success"
    with duckdb.connect(str(days.workspace.database)) as connection:
        connection.execute(f"alter table marts.{FAILING_MART} drop column {HAND_ADDED_COLUMN}")
    problems = after_an_ordinary_build(days)
    assert not problems, f"after {FAILING_MART} failed:\n" + "\n".join(problems)


def test_fee_adjustments_keep_their_late_events_after_a_kill(billing_days: BillingDays) -> None:
    """A build on day 2 killed as fct_fee_adjustments starts: after one ordinary build, the
    adjustments for the closed October are those of the uninterrupted run (build-time columns
    aside): reason late_events, with the same caused_by_event_ids, not `recomputed` with no
    event because the late events were first seen by the killed build."""
    days = billing_days
    kill = Kill(inside("fct_fee_adjustments"), signal.SIGKILL, 0.0)
    for _attempt in range(3):
        days.workspace.restore(days.day_one)
        killed = run_build(days.workspace, kill=kill)
        if killed.interrupted and killed.status_of("fct_fee_adjustments") is None:
            break
    else:  # the model takes a tenth of a second; a busy machine may read its line too late
        pytest.fail(f"three times, the kill ({kill}) came after fct_fee_adjustments finished")
    repair = run_build(days.workspace)

    query = ("select channel_id, strftime(usage_month, '%Y-%m'), reason, caused_by_event_ids"
             " from {}.marts.fct_fee_adjustments order by all")
    with attached(uninterrupted=days.database(days.uninterrupted),
                  rebuilt=days.workspace.database) as connection:
        expected = connection.execute(query.format("uninterrupted")).fetchall()
        actual = connection.execute(query.format("rebuilt")).fetchall()
    assert [row[:3] for row in actual] == [row[:3] for row in expected], (
        f"adjustments after the kill and one ordinary build ({repair.describe()}):\n"
        + _rows(actual) + "\nuninterrupted run:\n" + _rows(expected))
    assert actual == expected, "the adjustments name other late events than the uninterrupted run"
    assert table_differences(days.database(days.uninterrupted), days.workspace.database,
                             only=["marts.fct_fee_adjustments"]) == []


def _rows(rows: list[tuple[Any, ...]]) -> str:
    return "\n".join(f"    {shorten(repr(row), 200)}" for row in rows) or "    (none)"



def test_make_build_stops_on_sigterm_as_on_ctrl_c(billing_days: BillingDays) -> None:
    """`make build` runs dbt through scripts/dbt_build.py, which takes a scheduler's SIGTERM as
    Ctrl-C: dbt cancels its queries and stops (plain dbt dies at once on SIGTERM), and says
    that the next build finishes its work. Until then, `make fees` warns that the last build did
    not finish; one ordinary build repairs the warehouse and the warning goes."""
    days = billing_days
    days.workspace.restore(days.day_one)
    stopped = run_build(days.workspace, kill=Kill(inside("int_chat_rooms__lifecycle"),
                                                  signal.SIGTERM, 0.0), launcher=True)
    assert stopped.interrupted, stopped.problems()
    assert stopped.returncode == 2, stopped.describe()
    assert any(line["info"]["name"] == "EndOfRunSummary" and line["data"].get("keyboard_interrupt")
               for line in stopped.lines), "dbt did not stop as on Ctrl-C"
    assert "The build was stopped (SIGTERM)" in "\n".join(stopped.other_output)
    # the stop is said in that one line, not with the traceback of dbt's KeyboardInterrupt
    assert not [line for line in stopped.lines if line["info"]["name"] == "MainStackTrace"]
    assert "did not finish" in fees_warning(days.workspace)
    problems = after_an_ordinary_build(days)
    assert not problems, "after SIGTERM:\n" + "\n".join(problems)
    assert fees_warning(days.workspace) == ""


def fees_warning(workspace: Workspace) -> str:
    """What `make fees` (scripts/show_fees.py) warns about the warehouse, '' if nothing."""
    shown = subprocess.run(
        [sys.executable, str(PROJECT_DIR / "scripts" / "show_fees.py"), "--database",
         str(workspace.database)], capture_output=True, text=True, check=True)
    return "\n".join(line for line in shown.stderr.splitlines() if line.startswith("warning:"))


def statement_warning(workspace: Workspace, month: str) -> str:
    """The warning on the monthly statements of `month` from the warehouse, '' if none."""
    out = workspace.root / "statements"
    subprocess.run(
        [sys.executable, str(PROJECT_DIR / "scripts" / "statement.py"), "--database",
         str(workspace.database), "--source", "warehouse", "--month", month, "--out", str(out)],
        capture_output=True, text=True, check=True)
    pages = [page.read_text(encoding="utf-8") for page in sorted(out.glob(f"*{month}*.html"))]
    assert pages, f"no statement for {month}"
    warnings = {match for page in pages
                for match in re.findall(r'<p id="build-warning"[^>]*>(.*?)</p>', page, re.S)}
    return "\n".join(sorted(warnings))


def test_two_interrupted_builds_in_a_row_then_an_ordinary_build(billing_days: BillingDays) -> None:
    """Killed in lifecycle, then interrupted again in the next build's room charges: the work
    of both waits for the one ordinary build that follows, which gives the reference."""
    days = billing_days
    days.workspace.restore(days.day_one)
    for kill in (Kill(inside("int_chat_rooms__lifecycle"), signal.SIGKILL, 0.05),
                 Kill(inside("fct_room_charges"), signal.SIGINT, 0.0)):
        killed = run_build(days.workspace, kill=kill)
        assert killed.kill_line_seen, killed.problems()
    problems = after_an_ordinary_build(days)
    assert not problems, "after two interrupted builds:\n" + "\n".join(problems)


def test_a_build_whose_data_tests_failed_then_an_ordinary_build(billing_days: BillingDays,
                                                                tmp_path: Path) -> None:
    """A build on day 2 whose data tests fail: a price row added twice to the rate card by hand
    (its unique test on effective_from fails), so dbt skips the models that read the rate card
    and every model after them, once validation has committed the day's rows. The rate card is
    put right and the next ordinary build must bring every table to the reference."""
    days = billing_days
    project = tmp_path / "project_with_a_doubled_price"
    copy_project(project)
    rate_card = project / "seeds" / "kakao_rate_card.csv"
    header, *prices = rate_card.read_text(encoding="utf-8").splitlines()
    rate_card.write_text("\n".join([header, *prices, prices[-1]]) + "\n", encoding="utf-8")

    days.workspace.restore(days.day_one)
    failed = run_build(days.workspace, project_dir=project)
    assert not failed.succeeded, failed.describe()
    assert failed.status_of("int_chat_events__validated") == "success", failed.problems()
    assert failed.status_of("int_room_charges__priced") is None, "priced was not skipped"
    problems = after_an_ordinary_build(days)
    assert not problems, "after a build whose tests failed:\n" + "\n".join(problems)
