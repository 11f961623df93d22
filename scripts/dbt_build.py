"""Run `dbt build` (or any dbt command) on the warehouse as a scheduler should: one at a time,
and with SIGTERM handled like Ctrl-C.

    python scripts/dbt_build.py [--progress] build [dbt options...]

- Before dbt starts, it checks that no other process holds the warehouse file (DuckDB allows
  one writer) and, if one does, says which and exits with 1, without a traceback.
- A scheduler stops a job with SIGTERM (a timeout, a machine going down); plain `dbt` dies on it
  at once. Here SIGTERM, like SIGINT, makes dbt cancel the running queries and stop. Either way
  nothing is half-recorded: the build log keeps the build's work as unfinished, and the next
  ordinary build finishes it (docs/incremental.md).
- The exit code is dbt's: 0 success, 1 a model or test failed, 2 dbt could not run (or was
  interrupted).
- --progress: instead of dbt's line per model and test, one line per stage of the build (reading
  the input files, staging, validating, marts, reports, data tests, publishing), then what the
  build has to say (rows rejected by reason, months closed, where the marts were published), the
  data tests that warned and every error; at most 100 columns wide. dbt's full log is still
  written to logs/dbt.log (--log-path). `make run` and `make try` use it.

`make build` runs it without --progress (dbt's own output). Other engines than DuckDB skip the
lock check.
"""

from __future__ import annotations

import os
import signal
import sys
import textwrap
import threading
import time
import unicodedata
from pathlib import Path
from typing import Any

from check_warehouse_lock import DEFAULT_DATABASE, lock_problem

STOPPED_BY: list[str] = []

# Terminal width the --progress output keeps to.
WIDTH = 100

# The stages of a build, in the order --progress reports them. A model belongs to a stage by
# its folder under models/; seeds are staged with the raw rows; data (and unit) tests make a
# stage of their own (dbt runs each right after the model it checks, so they finish last).
STAGES: list[tuple[str, str]] = [
    ("start", "reading the input files, checking the settings"),
    ("staging", "staging: raw rows typed; rate card, invoices, teams"),
    ("intermediate", "validating each row; rooms and daily charges"),
    ("marts", "marts: monthly fees, rooms, charges, row audit"),
    ("reports", "reports: invoices vs. fees, rejected rows, costs"),
    ("tests", "data tests"),
    ("end", "recording the build, publishing the marts"),
]
# Where the dots after a stage's label end.
LABEL_COLUMN = 62
# At most this many lines of one error's message (the rest is in the log).
ERROR_LINES = 12
# At most this many errors are printed (the rest are in the log).
ERRORS_SHOWN = 5
# How dbt frames an error that the project's on-run-start hooks raise on purpose (a bad input
# file, a missing setting): "Compilation Error in operation <project>-on-run-start-1
# (./dbt_project.yml)" above the message, the macros' call chain below it.
HOOK_ERROR_HEADING = "Compilation Error in operation "
MACRO_TRACE = ("> in macro ", "> called by ")


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


def display_width(text: str) -> int:
    """Columns a terminal gives the text: Hangul and other wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def wrap(text: str, width: int = WIDTH, indent: str = "  ") -> list[str]:
    """The text's lines (its own line breaks and leading spaces kept) broken at spaces to fit
    the width, continued with an indent; a word longer than a line (a long path) is cut."""
    lines: list[str] = []
    for paragraph in text.splitlines() or [""]:
        lead = paragraph[: len(paragraph) - len(paragraph.lstrip())].replace("\t", "    ")
        line = lead
        for word in paragraph.split():
            candidate = f"{line} {word}" if line.strip() else line + word
            if display_width(candidate) <= width:
                line = candidate
                continue
            if line.strip():
                lines.append(line)
            line = lead + indent + word
            while display_width(line) > width:
                cut = width
                while display_width(line[:cut]) > width:
                    cut -= 1
                lines.append(line[:cut])
                line = lead + indent + line[cut:]
        lines.append(line.rstrip())
    return lines


def project_message(error: str) -> str:
    """The message of an error that stopped dbt; for one the project's on-run-start hooks
    raised (a bad input file, a missing setting), without dbt's heading and the macros' call
    chain around it: the message says what is wrong and what to do, and dbt's log keeps the
    rest."""
    lines = error.strip().splitlines()
    if not lines or not lines[0].startswith(HOOK_ERROR_HEADING) or "on-run-start" not in lines[0]:
        return error.strip()
    kept = [line for line in lines[1:] if not line.strip().startswith(MACRO_TRACE)]
    return textwrap.dedent("\n".join(kept)).strip()


def stage_of(resource_type: str, path: str) -> str | None:
    """The stage a node belongs to, from its type and its path under models/ (None: a node
    --progress does not count, e.g. an exposure)."""
    if resource_type == "seed":
        return "staging"
    if resource_type in ("test", "unit_test"):
        return "tests"
    if resource_type != "model":
        return None
    folder = path.replace("\\", "/").removeprefix("models/")
    if folder.startswith("staging/"):
        return "staging"
    if folder.startswith("intermediate/"):
        return "intermediate"
    if folder.startswith(("marts/reports/", "semantic/")):
        return "reports"
    return "marts"


def count_phrase(counts: dict[str, int], *, tests: bool) -> str:
    """'done', or what went wrong: '3 passed, 1 warned' (tests), '1 error, 4 skipped'."""
    passed = counts.get("pass", 0) + counts.get("success", 0)
    problems = [(counts.get(status, 0), word) for status, word in (
        ("warn", "warned"), ("fail", "failed"), ("error", "error"), ("skipped", "skipped"))]
    problems = [(n, word) for n, word in problems if n]
    if tests:
        return ", ".join([f"{passed:,} passed", *(f"{n:,} {word}" for n, word in problems)])
    if not problems:
        return "done"
    return ", ".join(f"{n:,} {word}{'s' if word == 'error' and n > 1 else ''}"
                     for n, word in problems)


class Progress:
    """dbt's events (a dbtRunner callback; called from dbt's threads) as one line per stage,
    then the build's messages, warnings and errors (finish)."""

    def __init__(self, stream: Any = None) -> None:
        self.stream = stream if stream is not None else sys.stdout
        self.lock = threading.Lock()
        self.started = time.monotonic()
        # selected node counts per stage, once dbt has selected the nodes (None: not known)
        self.expected: dict[str, int] | None = None
        self.finished: dict[str, set[str]] = {key: set() for key, _ in STAGES}
        self.statuses: dict[str, dict[str, int]] = {key: {} for key, _ in STAGES}
        self.unit_tests = False  # unit tests ran (or will)
        self.selected_unit_tests = False  # dbt's selection has them
        self.hooks_done = {"start": False, "end": False}
        self.hook_errors = {"start": 0, "end": 0}
        self.node_started = False
        self.current = 0  # index in STAGES of the first stage not yet reported
        self.open_line = False  # a stage's label is printed, its outcome not yet
        self.open_width = 0
        self.line_opened_at = self.started
        self.messages: list[str] = []
        self.warnings: list[list[str]] = []
        self.errors: list[list[str]] = []
        self.stats: dict[str, int] = {}
        self.interrupted = False
        self.closed = False  # stdout went away (`make run | head`): print nothing more

    # -- output ---------------------------------------------------------------------------
    def write(self, text: str) -> None:
        if self.closed:
            return
        try:
            self.stream.write(text)
            self.stream.flush()
        except (BrokenPipeError, ValueError, OSError):
            self.closed = True

    def print_lines(self, lines: list[str]) -> None:
        self.close_open_line("")
        self.write("".join(f"{line}\n" for line in lines))

    def close_open_line(self, outcome: str) -> None:
        """End the open stage line with the outcome and the time since it was opened (the
        time left out when the line would be wider than WIDTH)."""
        if not self.open_line:
            return
        room = WIDTH - self.open_width - 1
        if outcome:
            timed = f"{outcome}  {time.monotonic() - self.line_opened_at:.1f} s"
            outcome = timed if display_width(timed) <= room else outcome[:room]
        self.write(f" {outcome}\n" if outcome else "\n")
        self.open_line = False

    # -- stages -----------------------------------------------------------------------------
    def shown_stages(self) -> list[str]:
        """The stages this build has: all but those none of whose nodes were selected."""
        return [key for key, _ in STAGES
                if key in ("start", "end") or self.expected is None or self.expected.get(key)]

    def label(self, key: str) -> str:
        text = dict(STAGES)[key]
        if key == "tests" and self.unit_tests:
            text = "data tests and unit tests"
        shown = self.shown_stages()
        number = f"  {shown.index(key) + 1}/{len(shown)} {text} "
        return number + "." * max(3, LABEL_COLUMN - display_width(number))

    def is_complete(self, key: str) -> bool:
        if key == "start":
            return self.hooks_done["start"] or self.node_started or self.hooks_done["end"]
        if key == "end":
            return self.hooks_done["end"]
        if self.expected is None:
            return self.hooks_done["end"]
        return len(self.finished[key]) >= self.expected.get(key, 0)

    def outcome(self, key: str) -> str:
        if key in ("start", "end"):
            errors = self.hook_errors[key]
            phrase = f"{errors} error{'s' if errors > 1 else ''}" if errors else "done"
        elif not self.finished[key] and self.expected is None:
            phrase = "done"
        else:
            phrase = count_phrase(self.statuses[key], tests=key == "tests")
        return phrase

    def advance(self) -> None:
        """Report every stage that is complete, in order, and open the next one's line."""
        shown = self.shown_stages()
        while self.current < len(STAGES):
            key = STAGES[self.current][0]
            if key not in shown:
                self.current += 1
                continue
            if not self.open_line:
                label = self.label(key)
                self.write(label)
                self.open_width = display_width(label)
                self.open_line = True
                self.line_opened_at = time.monotonic()
            if not self.is_complete(key):
                return
            self.close_open_line(self.outcome(key))
            self.current += 1

    # -- dbt's events -------------------------------------------------------------------------
    def selected(self, nodes: list[Any]) -> None:
        """The nodes dbt selected for the command, before any of them runs."""
        with self.lock:
            expected: dict[str, int] = {}
            for node in nodes:
                stage = stage_of(str(node.resource_type), str(getattr(node, "path", "")))
                if stage:
                    expected[stage] = expected.get(stage, 0) + 1
                if str(node.resource_type) == "unit_test":
                    self.unit_tests = self.selected_unit_tests = True
            self.expected = expected

    def __call__(self, event: Any) -> None:
        try:
            with self.lock:
                self.handle(event)
        except Exception as error:  # a bug here must not break the build
            self.messages.append(f"(progress display: {type(error).__name__}: {error})")

    def handle(self, event: Any) -> None:
        name = event.info.name
        data = event.data
        if name in ("JinjaLogInfo", "JinjaLogWarning"):
            prefix = "warning: " if name == "JinjaLogWarning" else ""
            self.messages.append(prefix + data.msg.strip())
        elif name == "NodeStart":
            if stage_of(data.node_info.resource_type, data.node_info.node_path):
                self.node_started = True
                self.advance()
        elif name == "NodeFinished":
            node = data.node_info
            stage = stage_of(node.resource_type, node.node_path)
            if stage:
                self.node_started = True
                if node.unique_id not in self.finished[stage]:
                    # dbt build runs a model's unit tests with it, outside its selection: they
                    # are counted, but the stage is complete when its selected nodes are
                    if node.resource_type != "unit_test" or self.selected_unit_tests:
                        self.finished[stage].add(node.unique_id)
                    self.unit_tests |= node.resource_type == "unit_test"
                    status = data.run_result.status or node.node_status
                    counts = self.statuses[stage]
                    counts[status] = counts.get(status, 0) + 1
                self.advance()
        elif name in ("LogHookStartLine", "LogHookEndLine"):
            which = "start" if "on-run-start" in data.statement else "end"
            if name == "LogHookEndLine":
                if data.status not in ("success", "skipped"):
                    self.hook_errors[which] += 1
                if data.index >= data.total:
                    self.hooks_done[which] = True
            elif which == "end":
                self.hooks_done["start"] = True
            self.advance()
        elif name == "RunResultWarning":
            self.warnings.append([f"WARN {data.resource_type} {data.node_name} ({data.path})"])
        elif name == "RunResultWarningMessage" and self.warnings:
            self.warnings[-1].append(data.msg)
        elif name in ("RunResultFailure", "RunResultError", "RunResultErrorNoMessage"):
            if event.info.level == "debug":
                return  # a node skipped because of an error upstream: that error is shown
            if name == "RunResultFailure":
                self.errors.append(
                    [f"ERROR in {data.resource_type} {data.node_name} ({data.path})"])
            else:
                text = data.msg if name == "RunResultError" else f"Status: {data.status}"
                if self.errors and len(self.errors[-1]) == 1 and self.errors[-1][0].startswith(
                        "ERROR in "):
                    # the message of the failure just named, under its name
                    self.errors[-1].append(textwrap.indent(text.strip("\n"), "  "))
                else:
                    self.errors.append([f"ERROR: {text.strip()}"])
        elif name == "MainEncounteredError":
            self.errors.append([f"ERROR: {project_message(data.exc)}"])
        elif name == "EndOfRunSummary" and data.keyboard_interrupt:
            self.interrupted = True
        elif name == "StatsLine":
            self.stats = dict(data.stats)

    # -- the end --------------------------------------------------------------------------------
    def finish(self, code: int, log_file: str) -> None:
        """After dbt returned: close the stage lines, then the messages, warnings, errors and
        one line with the outcome."""
        with self.lock:
            stopped = bool(STOPPED_BY) or self.interrupted
            self.close_open_line("stopped" if stopped else "not run")
            out: list[str] = []
            for kind in (self.messages, [": ".join(warning) for warning in self.warnings]):
                if kind:
                    out.append("")
                    for text in kind:
                        out.extend(wrap(text))
            if self.errors:
                out.append("")
                for error in self.errors[:ERRORS_SHOWN]:
                    lines = wrap("\n".join(error))
                    if len(lines) > ERROR_LINES:
                        lines = [*lines[:ERROR_LINES], f"  ... (the rest: {log_file})"]
                    out.extend(lines)
                if len(self.errors) > ERRORS_SHOWN:
                    out.append(f"... and {len(self.errors) - ERRORS_SHOWN} more: {log_file}")
            elapsed = time.monotonic() - self.started
            warned = self.stats.get("warn", 0)
            warn_text = f", {warned} warning{'s' if warned != 1 else ''}" if warned else ""
            if stopped:
                last = f"The build was stopped after {elapsed:.0f} s. dbt's log: {log_file}"
            elif code == 0:
                last = f"Build finished in {elapsed:.0f} s{warn_text}. dbt's log: {log_file}"
            elif code == 1:
                errors = self.stats.get("error", 0)
                skipped = self.stats.get("skip", 0)
                counted = f"{errors} error{'s' if errors != 1 else ''}" + (
                    f", {skipped} skipped" if skipped else "")
                last = (f"The build failed ({counted}{warn_text}): see above, and dbt's log:"
                        f" {log_file}")
            else:
                last = f"dbt could not run the build: see above, and dbt's log: {log_file}"
            self.print_lines([*out, "", *wrap(last)])


def option_value(argv: list[str], name: str) -> str | None:
    """The value of a dbt option given as `--name value` or `--name=value`."""
    for index, arg in enumerate(argv):
        if arg == name and index + 1 < len(argv):
            return argv[index + 1]
        if arg.startswith(name + "="):
            return arg.split("=", 1)[1]
    return None


def events_of(argv: list[str]) -> str:
    """The chat events a build reads, from its --vars (else the project's default)."""
    text = option_value(argv, "--vars")
    if text:
        try:
            import yaml

            value = (yaml.safe_load(text) or {}).get("chat_events_path")
        except Exception:
            value = None
        if value:
            return str(value)
    return "the sample's events (data/sample)"


def record_selected_nodes(progress: Progress) -> None:
    """Tell progress which nodes dbt selected, once it has (so that a stage is known to be
    complete when its last node finishes). Without it (another dbt version), the stages are
    reported as the build ends."""
    try:
        from dbt.task.runnable import GraphRunnableTask
    except ImportError:
        return
    initialize = GraphRunnableTask._runtime_initialize

    def initialize_and_record(task: Any) -> None:
        initialize(task)
        progress.selected(list(getattr(task, "_flattened_nodes", None) or []))

    GraphRunnableTask._runtime_initialize = initialize_and_record


def main(argv: list[str]) -> int:
    progress_mode = bool(argv) and argv[0] == "--progress"
    if progress_mode:
        argv = argv[1:]
    if not argv or argv[0] in ("-h", "--help"):
        print(__doc__.strip())
        return 0 if argv else 2
    database = os.environ.get("KAKAO_DUCKDB_PATH", DEFAULT_DATABASE)
    if os.environ.get("KAKAO_DBT_TARGET", "duckdb") == "duckdb":
        problem = lock_problem(Path(database))
        if problem:
            print(problem, file=sys.stderr)
            return 1
    for stop in (signal.SIGTERM, signal.SIGINT):
        signal.signal(stop, stop_like_ctrl_c)

    progress: Progress | None = None
    obj: dict[str, Any] = {}
    if progress_mode:
        progress = Progress()
        log_path = option_value(argv, "--log-path") or os.environ.get("DBT_LOG_PATH") or "logs"
        log_file = str(Path(log_path) / "dbt.log")
        what = (f"Building {database} from {events_of(argv)}" if argv[0] == "build"
                else f"dbt {argv[0]} on {database}")
        progress.print_lines(wrap(what))
        # nothing of dbt's on the terminal; the file log stays at debug level
        if option_value(argv, "--log-level") is None:
            argv = [*argv, "--log-level", "none"]
        if option_value(argv, "--log-level-file") is None:
            argv = [*argv, "--log-level-file", "debug"]
        obj = {"callbacks": [progress]}

    from dbt.cli.main import cli  # imported here: dbt takes a second to import

    without_the_stop_traceback()
    if progress is not None:
        record_selected_nodes(progress)
    try:
        # exits as the dbt command does
        cli.main(args=argv, prog_name="dbt", obj=obj or None)
    except SystemExit as exit_:
        code = exit_.code if isinstance(exit_.code, int) else 1
    else:
        code = 0
    if progress is not None:
        progress.finish(code, log_file)
    if STOPPED_BY:
        print(f"The build was stopped ({STOPPED_BY[0]}). Its work is recorded as unfinished: "
              "the next `make build` finishes it.", file=sys.stderr)
    return code


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
