"""The newcomer's commands: `make run` (quiet: a line per stage, then the fees), `make try` (a
throwaway warehouse), `make build`'s vars, what `make run` and `make test` install, and the
system packages `make test` sets up."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import unicodedata
from pathlib import Path

import duckdb
import pytest

from dbt_harness import PROJECT_DIR

FIXTURES = PROJECT_DIR / "tests" / "fixtures" / "events"
BAD_ROWS = "tests/fixtures/events/boundaries_and_bad_rows.csv"
CLEAN_ROWS = "tests/fixtures/events/platform_sessions.csv"
STAGE_LINE = re.compile(r"^  (\d)/(\d) \S.* \.{3,} \S")
INSTALL_ALL = ("sudo apt-get install -y openjdk-17-jre-headless chromium chromium-driver"
               " fonts-nanum")


def width(line: str) -> int:
    """Columns a terminal gives the line (Hangul takes two)."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in line)


def make_environment(**overrides: str) -> dict[str, str]:
    """The environment of a `make` run from a terminal: none of the settings the harness puts
    in this process's environment, nor the outer make's (pytest may run under `make test`)."""
    environment = {key: value for key, value in os.environ.items()
                   if not key.startswith(("KAKAO_", "DBT_"))
                   and key not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")}
    return {**environment, **overrides}


def make(*args: str, cwd: Path = PROJECT_DIR, **environment: str,
         ) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["make", "--no-print-directory", *args], cwd=cwd,
                          env=make_environment(**environment), capture_output=True, text=True,
                          check=False)


def listing(folder: Path) -> dict[str, tuple[int, int]]:
    """Every file and folder under folder, with size and modification time."""
    if not folder.exists():
        return {}
    return {str(path.relative_to(folder)): (path.stat().st_size, path.stat().st_mtime_ns)
            for path in folder.rglob("*")}


def the_try_folder(tmp: Path) -> Path:
    folders = list(tmp.glob("kakao-try-*"))
    assert len(folders) == 1, folders
    return folders[0]


@pytest.mark.dbt
def test_make_run_prints_a_line_per_stage_and_the_fees_in_60_lines_of_100_columns(
    tmp_path: Path,
) -> None:
    """`make run` on the sample data, into a warehouse of its own (KAKAO_DUCKDB_PATH, dbt's
    target and logs through DBT_TARGET_PATH and DBT_LOG_PATH)."""
    result = make("run", KAKAO_DUCKDB_PATH=str(tmp_path / "warehouse.duckdb"),
                  KAKAO_DUCKDB_TEMP_DIRECTORY=str(tmp_path / "spill"),
                  DBT_TARGET_PATH=str(tmp_path / "target"), DBT_LOG_PATH=str(tmp_path / "logs"))
    assert result.returncode == 0, result.stdout + result.stderr
    lines = (result.stdout + result.stderr).splitlines()
    assert len(lines) <= 60, "\n".join(lines)
    assert max(width(line) for line in lines) <= 100, "\n".join(lines)

    stages = [STAGE_LINE.match(line) for line in lines]
    numbers = [(int(found[1]), int(found[2])) for found in stages if found]
    assert numbers == [(n, 7) for n in range(1, 8)], "\n".join(lines)
    output = "\n".join(lines)
    # dbt's own lines go to its log only
    assert "OK created" not in output and "START" not in output
    assert "OK created" in (tmp_path / "logs" / "dbt.log").read_text(encoding="utf-8")
    # the build's summary (the on-run-end hook's log lines) and the warn-severity data test
    assert "Raw rows validated by this build" in output
    assert "Rejected input:" in output
    assert re.search(r"^WARN test rejected_input_rows \(.*\): Got \d+ results", output, re.M)
    assert "Build finished in" in output
    # then the fee table
    assert "Monthly 상담톡 fees (KRW)" in output
    assert re.search(r"^channel_id +usage_month +room_charges +fee_krw", output, re.M)
    assert re.search(r"^@bank_cs +2026-10 +24 +2,400 ", output, re.M)
    # and the months whose expected fee the sample's rejected rows may have lowered (D39)
    assert re.search(r"^Warning: rejected input rows may have lowered the expected fee of \d+"
                     r" month\(s\)", output, re.M)


@pytest.mark.dbt
def test_progress_says_what_stopped_a_build_in_a_few_lines(tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, str(PROJECT_DIR / "scripts" / "dbt_build.py"), "--progress", "build",
         "--project-dir", str(PROJECT_DIR), "--target-path", str(tmp_path / "target"),
         "--log-path", str(tmp_path / "logs"),
         "--vars", f'{{chat_events_path: "{tmp_path / "missing" / "*.csv"}"}}'],
        cwd=tmp_path, capture_output=True, text=True, check=False,
        env=make_environment(DBT_PROFILES_DIR=str(PROJECT_DIR),
                             KAKAO_PROJECT_DIR=str(PROJECT_DIR),
                             KAKAO_DUCKDB_PATH=str(tmp_path / "warehouse.duckdb")))
    lines = result.stdout.splitlines()
    output = " ".join(line.strip() for line in lines)
    assert result.returncode == 2
    assert any(line.startswith("ERROR: ") for line in lines), result.stdout
    assert "No files match chat_events_path" in result.stdout
    # the project's message, not dbt's heading and call chain around it (they are in the log)
    assert "Compilation Error" not in result.stdout
    assert "called by macro" not in result.stdout
    assert "dbt could not run the build: see above" in output
    assert len(lines) <= 20 and max(width(line) for line in lines) <= 100, result.stdout
    assert "Traceback" not in result.stdout + result.stderr


@pytest.mark.dbt
def test_make_try_builds_in_a_temporary_folder_and_writes_nothing_under_warehouse(
    tmp_path: Path,
) -> None:
    warehouse = PROJECT_DIR / "warehouse"
    before = listing(warehouse)
    result = make("try", f"EVENTS={BAD_ROWS}", TMPDIR=str(tmp_path))
    assert listing(warehouse) == before
    output = result.stdout
    assert result.returncode == 0, output + result.stderr

    folder = the_try_folder(tmp_path)
    assert (folder / "warehouse.duckdb").exists()
    assert (folder / "logs" / "dbt.log").exists()
    assert (folder / "target").is_dir()
    with duckdb.connect(str(folder / "warehouse.duckdb"), read_only=True) as connection:
        closed = connection.execute(
            "select count(*) from marts.fct_monthly_fees where is_closed").fetchone()[0]
        fees = connection.execute("select count(*) from marts.fct_monthly_fees").fetchone()[0]
    assert (closed, fees > 0) == (0, True)

    assert "  7/7 " in output
    assert re.search(r"^channel_id +usage_month +room_charges", output, re.M)
    assert re.search(r"^Rejected rows \(marts\.rpt_rejected_rows\): \d+ raw rows", output, re.M)
    assert re.search(r"^unknown_event_type +1 +.*boundaries_and_bad_rows\.csv +rj_bad_type$",
                     output, re.M), output
    # into a warehouse of its own, not the sample's that `make run` built
    assert (f"\n  make build EVENTS={BAD_ROWS} "
            "KAKAO_DUCKDB_PATH=warehouse/ours/kakao_billing.duckdb\n") in output
    assert "stay frozen" in output
    assert f"\n  rm -rf {folder}\n" in output
    # every line fits 100 columns, but the commands to copy, whole whatever the folder's path
    commands = ("  make fees ", "  make build ", "  rm -rf ")
    assert max(width(line) for line in output.splitlines()
               if not line.startswith(commands)) <= 100, output


@pytest.mark.dbt
def test_make_try_with_invoices_and_teams_and_no_rejected_rows(tmp_path: Path) -> None:
    invoices = tmp_path / "invoices.csv"
    invoices.write_text("channel_id,usage_month,invoiced_room_charges,invoiced_amount_krw,"
                        "invoice_date\np_session,2026-05-01,4,400,2026-06-17\n", encoding="utf-8")
    teams = tmp_path / "teams.csv"
    teams.write_text("consultant_id,team\nkim,orders\n", encoding="utf-8")
    result = make("try", f"EVENTS={CLEAN_ROWS}", f"INVOICES={invoices}", f"TEAMS={teams}",
                  TMPDIR=str(tmp_path))
    output = result.stdout
    assert result.returncode == 0, output + result.stderr
    assert "Rejected rows (marts.rpt_rejected_rows): no rows rejected." in output
    # the invoice line reached the build: the month reconciles
    assert "Kakao's invoices against these fees: 1 match." in output
    assert (f"  make build EVENTS={CLEAN_ROWS} INVOICES={invoices} TEAMS={teams} "
            "KAKAO_DUCKDB_PATH=warehouse/ours/kakao_billing.duckdb\n") in output


def test_make_try_without_events_says_how_to_use_it(tmp_path: Path) -> None:
    result = make("try", TMPDIR=str(tmp_path))
    assert result.returncode != 0
    assert "Usage: make try EVENTS=" in result.stdout
    assert not list(tmp_path.glob("kakao-try-*"))


@pytest.fixture
def makefile_copy(tmp_path: Path) -> Path:
    """The Makefile and what its stamps depend on, in a folder without .venv."""
    for name in ("Makefile", "pyproject.toml", "constraints.txt"):
        shutil.copy(PROJECT_DIR / name, tmp_path / name)
    return tmp_path


def dry_run(folder: Path, *args: str) -> list[str]:
    """The commands `make -n` prints, one per line (a recipe line continued with a backslash
    joined into one)."""
    result = make("-n", *args, cwd=folder)
    assert result.returncode == 0, result.stdout + result.stderr
    return re.sub(r"\\\n\s*", "", result.stdout).splitlines()


def test_make_run_installs_the_base_dependencies_and_make_test_the_dev_tools(
    makefile_copy: Path,
) -> None:
    run = [line for line in dry_run(makefile_copy, "run") if "pip install" in line]
    assert any(re.search(r"pip install .*-c constraints\.txt \.$", line) for line in run), run
    assert not any("[" in line for line in run), run

    test = [line for line in dry_run(makefile_copy, "test") if "pip install" in line]
    assert any('".[dev]"' in line for line in test), test
    # `make test` after `make run`: the base stamp is there, the dev tools' is not
    venv = makefile_copy / ".venv"
    (venv / "bin").mkdir(parents=True)
    (venv / ".installed-stamp").touch()
    after_run = [line for line in dry_run(makefile_copy, "test") if "pip install" in line]
    assert any('".[dev]"' in line for line in after_run), after_run
    assert not any(re.search(r"constraints\.txt \.$", line) for line in after_run), after_run
    assert not [line for line in dry_run(makefile_copy, "run") if "pip install" in line]


def test_make_build_passes_the_files_named_as_vars(makefile_copy: Path) -> None:
    (makefile_copy / ".venv").mkdir()
    (makefile_copy / ".venv" / ".installed-stamp").touch()
    [command] = dry_run(makefile_copy, "build", "EVENTS=landing/*.csv", "INVOICES=inv.csv",
                        "TEAMS=teams.csv")
    # the scheduled build: the data tests run, the unit tests are left to `make test`
    assert "scripts/dbt_build.py build --exclude-resource-type unit_test " in command
    assert command.endswith(
        """ --vars '{chat_events_path: "landing/*.csv", invoices_path: "inv.csv","""
        """ consultant_teams_path: "teams.csv"}'""")
    [sample] = dry_run(makefile_copy, "build")
    assert "--vars" not in sample


def test_make_statement_passes_the_language(makefile_copy: Path) -> None:
    (makefile_copy / ".venv").mkdir()
    (makefile_copy / ".venv" / ".installed-stamp").touch()
    english = " ".join(dry_run(makefile_copy, "statement", "MONTH=2026-10", "STATEMENT_LANG=en"))
    assert english.rstrip().endswith("--lang 'en'")
    korean = " ".join(dry_run(makefile_copy, "statement", "MONTH=2026-10"))
    assert "scripts/statement.py" in korean
    assert "--lang" not in korean


@pytest.fixture
def bare_path(tmp_path: Path) -> Path:
    """A PATH folder with grep and fake Chromium, chromedriver, fc-list (a Korean font) and
    apt-get (which writes its arguments to apt-get.log), and no java."""
    folder = tmp_path / "bin"
    folder.mkdir()
    (folder / "grep").symlink_to(shutil.which("grep"))
    fakes = {
        "chromium": "exit 0",
        "chromedriver": "exit 0",
        "fc-list": "echo '/fonts/NanumGothic.ttf: NanumGothic,나눔고딕:style=Regular'",
        "apt-get": f'echo "$@" >> {tmp_path / "apt-get.log"}',
    }
    for name, body in fakes.items():
        (folder / name).write_text(f"#!/bin/sh\n{body}\n", encoding="utf-8")
        (folder / name).chmod(0o755)
    return folder


def system_packages(path: Path, uid: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["/bin/sh", str(PROJECT_DIR / "scripts" / "system_packages.sh")],
                          env={"PATH": str(path), "KAKAO_SYSTEM_PACKAGES_UID": uid},
                          capture_output=True, text=True, check=False)


def test_system_packages_not_as_root_stop_with_the_one_command(bare_path: Path) -> None:
    result = system_packages(bare_path, "1000")
    assert result.returncode == 1
    assert "missing: openjdk-17-jre-headless." in result.stdout
    assert result.stdout.splitlines()[-1] == f"  {INSTALL_ALL}"
    assert not (bare_path.parent / "apt-get.log").exists()


def test_system_packages_as_root_install_what_is_missing(bare_path: Path) -> None:
    result = system_packages(bare_path, "0")
    assert result.returncode == 0, result.stdout + result.stderr
    log = (bare_path.parent / "apt-get.log").read_text(encoding="utf-8").splitlines()
    assert log == ["update -qq", "install -y -qq openjdk-17-jre-headless"]


def test_system_packages_say_nothing_when_all_are_there(bare_path: Path) -> None:
    (bare_path / "java").write_text(
        '#!/bin/sh\necho \'openjdk version "17.0.16" 2025-07-15\' >&2\n', encoding="utf-8")
    (bare_path / "java").chmod(0o755)
    result = system_packages(bare_path, "1000")
    assert (result.returncode, result.stdout, result.stderr) == (0, "", "")


def test_the_brief_fee_table_fits_its_width_by_leaving_out_columns_then_shortening() -> None:
    sys.path.insert(0, str(PROJECT_DIR / "scripts"))
    from show_fees import fit_table

    headers = ["channel_id", "usage_month", "room_charges", "opened_charges",
               "rollover_charges", "unit_price_krw", "fee_krw", "vat_krw", "total_krw",
               "billing_month", "invoice_window", "status"]
    rows = [("@" + "상담" * 30, "2026-10", 24, 21, 3, 100, 2400, 240, 2640, "2026-11",
             "11-15..11-21", "closed")]
    # a long channel id is shortened, the columns are left out in order, then the channel id
    # is shortened further
    drop = ["billing_month", "unit_price_krw", "opened_charges", "rollover_charges"]
    table, dropped = fit_table(headers, rows, 100, drop)
    assert dropped == drop
    lines = table.splitlines()
    assert max(width(line) for line in lines) <= 100
    assert re.match(r"@(상담)+\.\.\. +2026-10 +24 +2,400 +240 +2,640 +11-15\.\.11-21 +closed$",
                    lines[2]), lines[2]
    assert width(lines[2].split("  ")[0]) < 24
