"""A build bigger than DuckDB's memory limit spills to the temp directory and completes.

profiles.yml takes memory_limit and temp_directory from KAKAO_DUCKDB_MEMORY_LIMIT and
KAKAO_DUCKDB_TEMP_DIRECTORY. The temp directory is set once per database by the project's
dbt-duckdb plugin: set on every cursor (dbt-duckdb `settings`), DuckDB refuses the next model's
cursor ("Cannot switch temporary directory after the current one has been used") as soon as the
first model has spilled. Here 200,000 generated events are
built with a 100MB limit in a fresh dbt process, and the monthly fees must still equal the
hand-written baseline's.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from dbt_harness import PROJECT_DIR

sys.path.insert(0, str(PROJECT_DIR / "scripts"))
from baseline_billing import COLUMNS, run_baseline

pytestmark = pytest.mark.dbt

BIN = Path(sys.executable).parent


def test_a_build_over_the_memory_limit_spills_and_completes(tmp_path: Path) -> None:
    events = tmp_path / "events"
    subprocess.run([sys.executable, str(PROJECT_DIR / "scripts" / "generate_events.py"),
                    "--events", "200000", "--days", "3", "--out", str(events), "--quiet"],
                   check=True)
    glob = str(events / "*" / "*.parquet")
    database = tmp_path / "warehouse.duckdb"
    env = {**os.environ, "KAKAO_DUCKDB_PATH": str(database), "KAKAO_DBT_TARGET": "duckdb",
           "KAKAO_PROJECT_DIR": str(PROJECT_DIR), "KAKAO_PUBLISH_DIR": str(tmp_path / "pub"),
           "KAKAO_DUCKDB_MEMORY_LIMIT": "100MB",
           "KAKAO_DUCKDB_TEMP_DIRECTORY": str(tmp_path / "spill")}
    result = subprocess.run(
        [str(BIN / "dbt"), "build", "--project-dir", str(PROJECT_DIR), "--profiles-dir",
         str(PROJECT_DIR), "--target-path", str(tmp_path / "target"), "--log-path",
         str(tmp_path / "logs"), "--exclude-resource-type", "unit_test", "--vars",
         json.dumps({"chat_events_path": glob, "closed_through_month": "2000-01"})],
        env=env, cwd=tmp_path, capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stdout[-3000:] + result.stderr[-2000:]

    with duckdb.connect(str(database), read_only=True) as connection:
        connection.execute("set TimeZone = 'UTC'")
        built = connection.execute(
            f"select {', '.join(COLUMNS)} from marts.fct_monthly_fees"
            " order by channel_id, usage_month").fetchall()
    baseline = sorted(run_baseline(glob))
    assert built, "the generated events produced no monthly fees"
    assert [tuple(map(str, row)) for row in built] == [tuple(map(str, row)) for row in baseline]
