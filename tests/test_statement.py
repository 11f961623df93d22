"""The monthly statement (scripts/statement.py) on the expected-output fixtures.

The fixtures are built once (as of 2026-05-13, so the reconciliation has a status), the
statement is written for May 2026 and opened in headless Chromium: the figures on the page are
those of the marts, the charts are drawn, nothing is fetched from the network. A screenshot is
saved to artifacts/statement.png (env KAKAO_ARTIFACTS_DIR) for CI. User errors print one line.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from dbt_harness import PROJECT_DIR, cli_environment, run_dbt_cli

sys.path.insert(0, str(PROJECT_DIR / "scripts"))
from statement import BillingDay, ChannelMonth, file_name, render

pytestmark = pytest.mark.dbt

SCRIPT = PROJECT_DIR / "scripts" / "statement.py"
FIXTURE_EVENTS = PROJECT_DIR / "tests" / "fixtures" / "events" / "*.csv"
BUILD = ["build", "--exclude-resource-type", "unit_test"]
AS_OF = "2026-05-13"
MONTH = "2026-05"
# Opened on 05-01, rolled over on 05-02 and 05-31: three days with charges, both kinds.
CHANNEL = "b_expiry"
ARTIFACTS = Path(os.environ.get("KAKAO_ARTIFACTS_DIR", PROJECT_DIR / "artifacts"))
CHROMIUM = os.environ.get("KAKAO_CHROMIUM", "/usr/bin/chromium")
CHROMEDRIVER = os.environ.get("KAKAO_CHROMEDRIVER", "/usr/bin/chromedriver")
HOLD_LOCK = (
    "import duckdb, sys; connection = duckdb.connect(sys.argv[1]); "
    "print('holding', flush=True); sys.stdin.read()"
)


@pytest.fixture(scope="module")
def work_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The fixtures built by `dbt build` in its own process (the file is closed after)."""
    work = tmp_path_factory.mktemp("statement")
    run_dbt_cli(BUILD, work, events_path=FIXTURE_EVENTS,
                vars={"room_charge_policy": "activity", "billing_as_of_date": AS_OF})
    return work


def run_statement(work: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        # no --published-dir and no KAKAO_PUBLISH_DIR: the copy next to the warehouse file
        [sys.executable, str(SCRIPT), "--database", str(work / "warehouse.duckdb"), *args],
        cwd=work, capture_output=True, text=True, check=False,
        env=cli_environment(work),
    )


def query(work: Path, sql: str, params: list[object]) -> list[tuple]:
    with duckdb.connect(str(work / "warehouse.duckdb"), read_only=True) as connection:
        return connection.execute(sql, params).fetchall()


def test_one_statement_per_channel_with_usage(work_dir: Path) -> None:
    out = work_dir / "all"
    result = run_statement(work_dir, "--month", MONTH, "--out", str(out))
    assert result.returncode == 0, result.stderr
    channels = [c for (c,) in query(
        work_dir, "select channel_id from marts.fct_monthly_fees where usage_month = ?"
        " and room_charges > 0 order by 1", [f"{MONTH}-01"])]
    assert len(channels) > 1
    written = result.stdout.split()
    assert written == [str(out / f"statement_{MONTH}_{channel}.html") for channel in channels]
    assert all(Path(path).is_file() for path in written)


@pytest.fixture(scope="module")
def statement_file(work_dir: Path) -> Path:
    result = run_statement(work_dir, "--month", MONTH, "--channel", CHANNEL,
                           "--out", str(work_dir / "one"))
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == [str(work_dir / "one" / f"statement_{MONTH}_{CHANNEL}.html")]
    return Path(result.stdout.strip())


def test_statement_is_self_contained(statement_file: Path) -> None:
    text = statement_file.read_text(encoding="utf-8")
    assert not re.search(r"https?:|//[\w.-]+\.\w", text), "the page names a network address"
    for tag in ("<script", "<link", "<img", "<iframe", "<object", "@import", "url("):
        assert tag not in text.lower(), tag
    assert text.count("<svg") >= 4 and 'role="img"' in text


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    """Headless Chromium through chromedriver, with its network log; fails (never skips) when
    Chromium is missing: CI installs it (.ci/run)."""
    missing = [path for path in (CHROMIUM, CHROMEDRIVER) if not os.access(path, os.X_OK)]
    if missing:
        pytest.fail(f"The statement's browser test needs {' and '.join(missing)}: install "
                    "them with `apt-get install chromium chromium-driver` (or set "
                    "KAKAO_CHROMIUM / KAKAO_CHROMEDRIVER).", pytrace=False)
    from selenium import webdriver
    from selenium.webdriver.chrome.service import Service

    options = webdriver.ChromeOptions()
    options.binary_location = CHROMIUM
    for argument in ("--headless=new", "--no-sandbox", "--disable-dev-shm-usage",
                     "--disable-gpu", "--window-size=1200,900",
                     # Any request that tried to leave the machine would fail, and be logged.
                     "--proxy-server=127.0.0.1:9", "--host-resolver-rules=MAP * ~NOTFOUND"):
        options.add_argument(argument)
    options.set_capability("goog:loggingPrefs", {"performance": "ALL"})
    driver = webdriver.Chrome(options=options, service=Service(CHROMEDRIVER))
    try:
        yield driver
    finally:
        driver.quit()


def test_statement_in_a_browser_shows_the_marts_figures_and_charts(
    work_dir: Path, statement_file: Path, browser
) -> None:
    from selenium.webdriver.common.by import By

    month = dt.date.fromisoformat(f"{MONTH}-01")
    [(charges, opened, rollover, fee, vat, total)] = query(
        work_dir, "select room_charges, opened_charges, rollover_charges, fee_krw, vat_krw,"
        " total_krw from marts.fct_monthly_fees where channel_id = ? and usage_month = ?",
        [CHANNEL, month])
    [(unit_price,)] = query(
        work_dir, "select unit_price_krw from marts.fct_monthly_fees"
        " where channel_id = ? and usage_month = ?", [CHANNEL, month])
    [(status,)] = query(
        work_dir, "select status from marts.rpt_invoice_reconciliation"
        " where channel_id = ? and usage_month = ?", [CHANNEL, month])
    [(charge_days,)] = query(
        work_dir, "select count(distinct billing_date) from marts.fct_room_charges"
        " where channel_id = ? and usage_month = ?", [CHANNEL, month])
    assert charge_days == 3 and opened and rollover

    url = statement_file.as_uri()
    browser.get(url)
    height = browser.execute_script("return document.documentElement.scrollHeight")
    browser.set_window_size(1200, height + 40)

    def text(element_id: str) -> str:
        return browser.find_element(By.ID, element_id).text.strip()

    assert text("channel-id") == CHANNEL
    assert text("usage-month") == MONTH
    assert text("room-charges") == f"{charges:,}"
    assert text("opened-charges") == f"{opened:,}"
    assert text("rollover-charges") == f"{rollover:,}"
    assert text("fee-krw") == f"{fee:,}"
    assert text("vat-krw") == f"{vat:,}"
    assert text("total-krw") == f"{total:,}"
    assert text("reconciliation-status") == status
    assert text("pricing") == f"{unit_price} KRW per chat room per billing day (04:00-04:00 KST)"
    assert text("vat-rate") == "10%"
    assert text("charge-policy") == "activity"

    chart = browser.find_element(By.ID, "daily-charges-chart")
    assert chart.get_attribute("role") == "img"
    assert "Charges per billing day" in browser.execute_script(
        "return arguments[0].querySelector('title').textContent", chart)
    assert chart.size["width"] > 100 and chart.size["height"] > 100
    bars = chart.find_elements(By.CSS_SELECTOR, "g.bar")
    assert len(bars) == charge_days
    assert sum(int(bar.get_attribute("data-charges")) for bar in bars) == charges
    segments = browser.execute_script(
        "return [...arguments[0].querySelectorAll('g.bar rect')].map(r => {"
        " const box = r.getBoundingClientRect();"
        " return [r.getAttribute('class'), box.width, box.height]; })", chart)
    assert len(segments) == charge_days  # b_expiry: one kind of charge per day
    assert all(width > 0 and height > 0 for _, width, height in segments), segments
    assert sorted(kind for kind, _, _ in segments) == ["opened"] * opened + ["rollover"] * rollover
    for chart_id in ("split-chart", "avoidable-chart", "team-chart"):
        other = browser.find_element(By.ID, chart_id)
        assert other.size["width"] > 0 and other.size["height"] > 0, chart_id

    requests = [
        json.loads(entry["message"])["message"]["params"]["request"]["url"]
        for entry in browser.get_log("performance")
        if json.loads(entry["message"])["message"]["method"] == "Network.requestWillBeSent"
    ]
    assert requests == [url]
    assert browser.execute_script("return performance.getEntriesByType('resource').length") == 0

    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    screenshot = ARTIFACTS / "statement.png"
    assert browser.save_screenshot(str(screenshot))
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"


def test_statement_reads_the_published_marts_while_a_build_holds_the_warehouse(
    work_dir: Path, statement_file: Path
) -> None:
    holder = subprocess.Popen(
        [sys.executable, "-c", HOLD_LOCK, str(work_dir / "warehouse.duckdb")],
        stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    try:
        assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
        out = work_dir / "locked"
        result = run_statement(work_dir, "--month", MONTH, "--channel", CHANNEL,
                               "--out", str(out))
        strict = run_statement(work_dir, "--month", MONTH, "--channel", CHANNEL,
                               "--out", str(out), "--source", "warehouse")
    finally:
        holder.communicate("")
    assert result.returncode == 0, result.stderr
    assert "is in use by process" in result.stderr and "published" in result.stderr
    published = Path(result.stdout.strip()).read_text(encoding="utf-8")
    original = statement_file.read_text(encoding="utf-8")

    def figures(page: str) -> list[str]:
        return re.findall(r'id="([\w-]+)"[^>]*>([^<]*)<', page)

    assert figures(published) == figures(original)
    assert strict.returncode == 1
    assert strict.stderr.count("\n") == 1 and "--source published" in strict.stderr


def test_the_billing_day_on_the_page_is_the_one_the_warehouse_was_built_with(
    work_dir: Path, tmp_path: Path
) -> None:
    """The page says when a billing day starts, and the room charge policy, as
    marts.rpt_billing_settings records them (a build under billing_day_start_hour 6 in
    Asia/Tokyo and policy open, simulated on a copy of the warehouse), never a fixed 04:00 KST;
    without the setting it stops with one line."""
    (tmp_path / "warehouse.duckdb").write_bytes((work_dir / "warehouse.duckdb").read_bytes())
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as connection:
        connection.execute("update marts.rpt_billing_settings set setting_value = case"
                           " setting_name when 'billing_day_start_hour' then '6'"
                           " when 'room_charge_policy' then 'open' else 'Asia/Tokyo' end"
                           " where setting_name in ('billing_day_start_hour',"
                           " 'billing_time_zone', 'room_charge_policy')")
    args = ["--month", MONTH, "--channel", CHANNEL, "--source", "warehouse"]
    result = run_statement(tmp_path, *args, "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    page = Path(result.stdout.strip()).read_text(encoding="utf-8")
    assert "per chat room per billing day (06:00-06:00 Asia/Tokyo)</span>" in page
    assert "Rollover: the room carried on past 06:00 Asia/Tokyo" in page
    assert "rolled over at 06:00" in page and "billing day (06:00-06:00 Asia/Tokyo)</text>" in page
    assert "04:00" not in page and "KST" not in page
    # the policy is the recorded one too
    assert ('under room_charge_policy <span id="charge-policy">open</span>:\na room is charged'
            " for each billing day from its opening through the day it ended." in page)

    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as connection:
        connection.execute("delete from marts.rpt_billing_settings"
                           " where setting_name = 'billing_day_start_hour'")
    missing = run_statement(tmp_path, *args, "--out", str(tmp_path / "missing"))
    assert missing.returncode == 1
    assert missing.stderr == (
        "statement.py: marts.rpt_billing_settings lacks billing_day_start_hour,"
        " billing_time_zone or room_charge_policy; run `make build`.\n")


def test_an_invoice_without_usage_in_the_month_is_noted(work_dir: Path, tmp_path: Path) -> None:
    """A channel Kakao invoiced for the month without usage has no statement (nothing to show
    but the invoice): the run says so on stderr, rather than leave it unseen."""
    (tmp_path / "warehouse.duckdb").write_bytes((work_dir / "warehouse.duckdb").read_bytes())
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as connection:
        connection.execute(
            "insert into marts.rpt_invoice_reconciliation by name select '@other' as channel_id,"
            f" date '{MONTH}-01' as usage_month, 500 as invoiced_amount_krw,"
            " 'missing_usage' as status")
    result = run_statement(tmp_path, "--month", MONTH, "--source", "warehouse",
                           "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert len(result.stdout.split()) > 1
    assert result.stderr == (
        f"note: Kakao invoiced {MONTH} without usage for @other (500 KRW before VAT): status"
        " missing_usage in marts.rpt_invoice_reconciliation. No statement shows them.\n")


def test_the_page_states_the_months_price_from_the_marts() -> None:
    """The price per room is the month's unit_price_krw (a rate card other than 100 KRW), and
    when the price changed within the month the page says so rather than name one price."""
    page = render(channel_month("@clinic", unit_price_krw=120),
                  dt.datetime(2026, 6, 1, tzinfo=dt.UTC))
    assert ('<span id="pricing">120 KRW per chat room per billing day (04:00-04:00 KST)</span>'
            in page)
    changed = render(channel_month("@clinic", unit_price_krw=None),
                     dt.datetime(2026, 6, 1, tzinfo=dt.UTC))
    assert ("per chat room per billing day (04:00-04:00 KST) at the rate card&#x27;s price of"
            " the day (it changed this month)</span>" in changed)
    header = changed.split("<header>")[1].split("</header>")[0]
    assert "KRW per chat room" not in header and "100" not in header


@pytest.mark.parametrize(
    ("fee_krw", "vat_krw", "stated"),
    [(1_200, 120, "10%"), (1_234, 123, "10%"), (1_000, 105, "10.5%"), (1_000, 0, "0%"),
     (0, 0, "the VAT rate")],
)
def test_the_vat_rate_on_the_page_is_the_one_the_months_figures_show(
    fee_krw: int, vat_krw: int, stated: str
) -> None:
    """var vat_rate is 10% by default, not always: the page states the rate that gives the
    month's VAT from its fee (rounded down to the won), not a fixed 10%."""
    page = render(channel_month("@clinic", fee_krw=fee_krw, vat_krw=vat_krw),
                  dt.datetime(2026, 6, 1, tzinfo=dt.UTC))
    assert f'VAT = <span id="vat-rate">{stated}</span> of the' in page


def channel_month(channel: str, *, unit_price_krw: int | None = 100, fee_krw: int = 120,
                  vat_krw: int = 12, team: str = "ops") -> ChannelMonth:
    """One month of one charge, for the tests of render() alone."""
    month = dt.date(2026, 5, 1)
    fees = {"room_charges": 1, "opened_charges": 1, "rollover_charges": 0,
            "unit_price_krw": unit_price_krw, "fee_krw": fee_krw, "vat_krw": vat_krw,
            "total_krw": fee_krw + vat_krw,
            "billing_month": dt.date(2026, 6, 1), "invoice_window_start": dt.date(2026, 6, 15),
            "invoice_window_end": dt.date(2026, 6, 21), "is_closed": False, "computed_at": None}
    daily = [{"billing_date": month, "opened": 1, "rollover": 0, "charges": 1, "amount_krw": 120}]
    teams = [{"allocation_target": "consultant", "team": team, "consultants": 1,
              "charges": 1, "allocated_krw": 120}]
    return ChannelMonth(channel, month, fees, daily, [], [], teams, None, "warehouse",
                        BillingDay(4, "Asia/Seoul", "activity"))


def test_the_fees_table_piped_into_head_ends_without_a_traceback(work_dir: Path) -> None:
    """`make fees | head` (scripts/show_fees.py): the reader closes the pipe early."""
    fees = subprocess.Popen(
        [sys.executable, str(PROJECT_DIR / "scripts" / "show_fees.py"), "--database",
         str(work_dir / "warehouse.duckdb")],
        cwd=work_dir, stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=cli_environment(work_dir),
    )
    assert fees.stdout is not None and fees.stderr is not None
    fees.stdout.close()  # before it writes: its first write finds the pipe closed
    assert fees.wait(timeout=60) == 1
    assert fees.stderr.read() == b""


def test_the_fees_table_of_a_warehouse_without_marts_says_to_build(tmp_path: Path) -> None:
    """A first build stopped by a bad event file leaves an empty warehouse file; `make fees`
    then says which mart is missing and what to run, not a traceback."""
    fees = [sys.executable, str(PROJECT_DIR / "scripts" / "show_fees.py"), "--database",
            str(tmp_path / "warehouse.duckdb")]
    environment = cli_environment(tmp_path)
    missing = subprocess.run(fees, capture_output=True, text=True, env=environment, check=False)
    assert (missing.returncode, missing.stderr) == (
        1, f"No warehouse at {tmp_path / 'warehouse.duckdb'}; build it first with `make run`.\n")
    duckdb.connect(str(tmp_path / "warehouse.duckdb")).close()
    empty = subprocess.run(fees, capture_output=True, text=True, env=environment, check=False)
    assert (empty.returncode, empty.stdout) == (1, "")
    assert empty.stderr == (f"The warehouse {tmp_path / 'warehouse.duckdb'} has no"
                            " marts.fct_monthly_fees; run `make run`.\n")


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--month", "2026-13"], "--month must look like 2026-10 (YYYY-MM), got '2026-13'"),
        (["--month", "May"], "--month must look like 2026-10 (YYYY-MM), got 'May'"),
        (["--month", "2026-5"], "--month must look like 2026-10 (YYYY-MM), got '2026-5'"),
        (["--month", "2030-01"], "No channel has usage in 2030-01 (marts.fct_monthly_fees)."),
        # an invoice line for a month without usage is on no statement: the message says so
        (["--month", "2026-09"],
         "No channel has usage in 2026-09 (marts.fct_monthly_fees). Kakao invoiced 2026-09"
         " without usage for @clinic (200 KRW before VAT): status missing_usage in"
         " marts.rpt_invoice_reconciliation."),
        (["--month", "2026-10", "--channel", "@bank_cs"],
         "Channel '@bank_cs' has no usage in 2026-10. Kakao invoiced 2026-10 without usage for"
         " @bank_cs (2,400 KRW before VAT): status missing_usage in"
         " marts.rpt_invoice_reconciliation."),
        (["--month", MONTH, "--channel", "nobody"],
         "Unknown channel 'nobody': it has no usage in any month."),
        (["--month", MONTH, "--channel", "b_expiri"],
         "Unknown channel 'b_expiri': it has no usage in any month; did you mean 'b_expiry'?"),
        (["--month", "2026-07", "--channel", CHANNEL],
         "Channel 'b_expiry' has no usage in 2026-07; it has usage in 2026-05, 2026-06."),
    ],
)
def test_user_errors_print_one_readable_line(work_dir: Path, args: list[str],
                                             message: str) -> None:
    result = run_statement(work_dir, *args, "--out", str(work_dir / "errors"))
    assert result.returncode == 1
    assert result.stderr == f"statement.py: {message}\n"
    assert result.stdout == ""


def test_missing_warehouse_marts_or_published_copy_say_to_build(tmp_path: Path) -> None:
    missing = run_statement(tmp_path, "--month", MONTH)
    assert missing.returncode == 1
    assert missing.stderr == (f"statement.py: No warehouse at {tmp_path / 'warehouse.duckdb'};"
                              " build it first with `make build`.\n")
    duckdb.connect(str(tmp_path / "warehouse.duckdb")).close()
    empty = run_statement(tmp_path, "--month", MONTH)
    assert empty.returncode == 1
    assert empty.stderr == (f"statement.py: The warehouse {tmp_path / 'warehouse.duckdb'} has no"
                            " marts.fct_monthly_fees; run `make build`.\n")
    unpublished = run_statement(tmp_path, "--month", MONTH, "--source", "published")
    assert unpublished.returncode == 1
    assert unpublished.stderr.startswith("statement.py: No published fct_monthly_fees in ")
    assert "run `make build`" in unpublished.stderr and unpublished.stderr.count("\n") == 1
    assert not (tmp_path / "warehouse" / "statements").exists()


def test_channel_ids_are_escaped_and_safe_as_file_names() -> None:
    channel = '<script>alert("x")</script>&\'/../x'
    month = dt.date(2026, 5, 1)
    page = render(channel_month(channel, team="<b>ops</b>"), dt.datetime(2026, 6, 1, tzinfo=dt.UTC))
    assert "<script" not in page and "<b>" not in page
    assert "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;&amp;&#x27;/../x" in page
    assert "&lt;b&gt;ops&lt;/b&gt;" in page
    name = file_name(channel, month)
    assert "/" not in name and not name.startswith(".")
    assert file_name("@bank_cs", month) == "statement_2026-05_@bank_cs.html"
    assert file_name("a/b", month) != file_name("a b", month)
