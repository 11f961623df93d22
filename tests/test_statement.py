"""The monthly statement (scripts/statement.py) on the expected-output fixtures.

The fixtures are built once (as of 2026-05-13, so the reconciliation has a status), the
statement is written for May 2026 and opened in headless Chromium: the figures on the page are
those of the marts, the charts are drawn, nothing is fetched from the network. A screenshot is
saved to artifacts/statement.png (env KAKAO_ARTIFACTS_DIR) for CI. User errors print one line.
The page is in Korean unless --lang en; a small build of October 2026 with rejected rows checks
the language, the times in KST and the warning on rejected rows.
"""

from __future__ import annotations

import datetime as dt
import html
import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from dbt_harness import (
    FIXTURE_INPUTS,
    PROJECT_DIR,
    cli_environment,
    run_dbt_cli,
    write_events_csv,
)

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
                vars={**FIXTURE_INPUTS, "room_charge_policy": "activity",
                      "billing_as_of_date": AS_OF})
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
    Chromium is missing: `make test` installs it (scripts/system_packages.sh)."""
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
    statuses = {"match": "일치", "over_billed": "과다 청구", "under_billed": "과소 청구",
                "missing_invoice": "청구서 없음", "missing_usage": "이용 내역 없음"}
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
    assert text("usage-month") == "2026년 5월"
    assert text("room-charges") == f"{charges:,}"
    assert text("opened-charges") == f"{opened:,}"
    assert text("rollover-charges") == f"{rollover:,}"
    assert text("fee-krw") == f"{fee:,}"
    assert text("vat-krw") == f"{vat:,}"
    assert text("total-krw") == f"{total:,}"
    assert text("reconciliation-status") == statuses[status]
    assert browser.find_element(By.ID, "reconciliation-status").get_attribute(
        "data-status") == status
    assert text("pricing") == f"상담방 1개당 과금일(04:00-04:00 KST)마다 {unit_price}원"
    assert text("vat-rate") == "10%"
    assert text("charge-policy") == "activity"

    chart = browser.find_element(By.ID, "daily-charges-chart")
    assert chart.get_attribute("role") == "img"
    assert "2026년 5월 과금일별 과금" in browser.execute_script(
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
    result = run_statement(tmp_path, *args, "--lang", "en", "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    page = Path(result.stdout.strip()).read_text(encoding="utf-8")
    assert "per chat room per billing day (06:00-06:00 Asia/Tokyo)</span>" in page
    assert "Rollover: the room carried on past 06:00 Asia/Tokyo" in page
    assert "rolled over at 06:00" in page and "billing day (06:00-06:00 Asia/Tokyo)</text>" in page
    # (the footer's times are the clock's: 04:00 may be one of them)
    assert "04:00" not in page.split("<footer>")[0] and "KST" not in page
    # times too are shown in the billing time zone: b_expiry's room opened 10:00 KST = JST
    assert "Rooms opened this month: 1, at 2026-05-01 10:00 Asia/Tokyo." in page
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
                  dt.datetime(2026, 6, 1, tzinfo=dt.UTC), "en")
    assert ('<span id="pricing">120 KRW per chat room per billing day (04:00-04:00 KST)</span>'
            in page)
    changed = render(channel_month("@clinic", unit_price_krw=None),
                     dt.datetime(2026, 6, 1, tzinfo=dt.UTC), "en")
    assert ("per chat room per billing day (04:00-04:00 KST) at the rate card&#x27;s price of"
            " the day (it changed this month)</span>" in changed)
    header = changed.split("<header>")[1].split("</header>")[0]
    assert "KRW per chat room" not in header and "100" not in header
    korean = render(channel_month("@clinic", unit_price_krw=120),
                    dt.datetime(2026, 6, 1, tzinfo=dt.UTC))
    assert '<span id="pricing">상담방 1개당 과금일(04:00-04:00 KST)마다 120원</span>' in korean
    changed = render(channel_month("@clinic", unit_price_krw=None),
                     dt.datetime(2026, 6, 1, tzinfo=dt.UTC))
    assert "그날의 요금표 단가로 과금 (이 달 중 단가 변경)</span>" in changed


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
                  dt.datetime(2026, 6, 1, tzinfo=dt.UTC), "en")
    assert f'VAT = <span id="vat-rate">{stated}</span> of the' in page
    korean = render(channel_month("@clinic", fee_krw=fee_krw, vat_krw=vat_krw),
                    dt.datetime(2026, 6, 1, tzinfo=dt.UTC))
    stated = "부가세율" if stated == "the VAT rate" else stated
    assert f'부가세 = 공급가액의 <span id="vat-rate">{stated}</span>' in korean


def event(event_id: str, occurred_at: str, channel: str, event_type: str, sender: str,
          text: str | None = None, *, customer: str | None = "cu_1",
          consultant: str | None = None) -> dict[str, str | None]:
    return {"event_id": event_id, "occurred_at": occurred_at, "channel_id": channel,
            "customer_id": customer, "event_type": event_type, "sender_type": sender,
            "consultant_id": consultant, "entry_point": "consult_button"
            if event_type == "room_opened" else None, "message_text": text}


# October 2026. @shop_cs: one room, opened 2026-10-14 16:30 UTC = 2026-10-15 01:30 KST (the
# billing day of 10-14, which runs to 04:00 on the 15th), and two rejected rows of its own: one
# with a time no one can read, not even its month (so of no readable month), one without a
# customer in October.
# @clinic_cs: one room, and one rejected row of its own in September, which cannot affect
# October.
OCTOBER_EVENTS = [
    event("shop_open", "2026-10-14T16:30:00Z", "@shop_cs", "room_opened", "customer"),
    event("shop_reply", "2026-10-14T16:35:00Z", "@shop_cs", "message", "consultant", "네",
          consultant="kim"),
    event("shop_end", "2026-10-14T16:40:00Z", "@shop_cs", "message", "customer", "!종료"),
    event("shop_bad_time", "어제 오후 3시", "@shop_cs", "message", "customer", "안녕하세요"),
    event("shop_no_customer", "2026-10-21T10:00:00+09:00", "@shop_cs", "room_opened",
          "customer", customer=None),
    event("clinic_open", "2026-10-10T10:00:00+09:00", "@clinic_cs", "room_opened", "customer"),
    event("clinic_reply", "2026-10-10T10:05:00+09:00", "@clinic_cs", "message", "consultant",
          "예약 확인했습니다", consultant="lee"),
    event("clinic_end", "2026-10-10T10:10:00+09:00", "@clinic_cs", "message", "customer",
          "!종료"),
    event("clinic_typing", "2026-09-05T10:00:00+09:00", "@clinic_cs", "typing", "customer"),
]


@pytest.fixture(scope="session")
def october_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A warehouse of OCTOBER_EVENTS, built by `dbt build` in its own process."""
    work = tmp_path_factory.mktemp("statement_october")
    events = write_events_csv(OCTOBER_EVENTS, work / "events" / "october_events.csv")
    run_dbt_cli(BUILD, work, events_path=events, vars={"room_charge_policy": "activity"})
    return work


def october_page(october_dir: Path, channel: str, *args: str) -> str:
    out = october_dir / "out" / "-".join([channel, *args])
    result = run_statement(october_dir, "--month", "2026-10", "--channel", channel,
                           "--out", str(out), *args)
    assert result.returncode == 0, result.stderr
    # the warehouse has marts.rpt_rejected_rows: no note that it lacks it
    assert "rpt_rejected_rows" not in result.stderr, result.stderr
    return Path(result.stdout.strip()).read_text(encoding="utf-8")


def element_text(page: str, element_id: str) -> str | None:
    """The text of the element with this id (its tags dropped, whitespace collapsed)."""
    match = re.search(rf'<(\w+)[^>]* id="{element_id}"[^>]*>(.*?)</\1>', page, re.S)
    if match is None:
        return None
    return " ".join(html.unescape(re.sub(r"<[^>]+>", "", match.group(2))).split())


def test_the_statement_is_in_korean_by_default(october_dir: Path) -> None:
    page = october_page(october_dir, "@shop_cs")
    assert '<html lang="ko">' in page
    for label in ("청구 내역", "이용월", "과금 건수", "단가 (원)", "공급가액 (원)", "부가세 (원)",
                  "합계 (원)", "청구월", "과금일별 과금", "줄일 수 있는 과금", "팀별 비용"):
        assert f">{label}<" in page, label
    assert element_text(page, "usage-month") == "2026년 10월"
    assert element_text(page, "billing-month") == "2026년 11월"
    assert element_text(page, "fee-krw") == "100" and element_text(page, "total-krw") == "110"
    assert "<title>상담톡 요금 명세서 @shop_cs 2026년 10월</title>" in page
    for english in ("Invoice line", "Fee (KRW)", "VAT (KRW)", "Total (KRW)", "Usage month",
                    "Charges per billing day", "Reconciliation"):
        assert english not in page, english


def test_times_on_the_statement_are_in_kst(october_dir: Path) -> None:
    """The warehouse keeps UTC: @shop_cs's room opened 2026-10-14 16:30 UTC, which is 01:30 on
    the 15th in Seoul; the page shows the Korean time, labelled KST, in both languages."""
    [(opened_at,)] = query(october_dir, "select opened_at at time zone 'UTC'"
                           " from marts.fct_chat_rooms where channel_id = ?", ["@shop_cs"])
    assert opened_at == dt.datetime(2026, 10, 14, 16, 30)
    page = october_page(october_dir, "@shop_cs")
    assert element_text(page, "rooms-opened") == (
        "이 달 개설된 상담방: 1개 (2026-10-15 01:30 KST 개설).")
    assert "2026-10-14 16:30" not in page and " UTC" not in page
    footer = re.search(r"<footer>(.*?)</footer>", page, re.S)
    assert footer is not None
    assert re.search(r"청구 내역 계산 \d{4}-\d\d-\d\d \d\d:\d\d KST, 명세서 생성\s+"
                     r"\d{4}-\d\d-\d\d \d\d:\d\d KST\.", footer.group(1)), footer.group(1)
    english = october_page(october_dir, "@shop_cs", "--lang", "en")
    assert element_text(english, "rooms-opened") == (
        "Rooms opened this month: 1, at 2026-10-15 01:30 KST.")


def test_lang_en_gives_the_english_statement(october_dir: Path) -> None:
    page = october_page(october_dir, "@shop_cs", "--lang", "en")
    assert '<html lang="en">' in page
    for label in ("Invoice line", "Usage month", "Charges", "Unit price (KRW)", "Fee (KRW)",
                  "VAT (KRW)", "Total (KRW)", "Billing month", "Charges per billing day",
                  "Avoidable charges", "Cost by team"):
        assert f">{label}<" in page, label
    assert element_text(page, "usage-month") == "2026-10"
    assert element_text(page, "billing-month") == "2026-11"
    assert element_text(page, "pricing") == (
        "100 KRW per chat room per billing day (04:00-04:00 KST)")
    assert element_text(page, "month-state") == "closed (frozen at close)"
    for korean in ("공급가액", "부가세", "합계", "2026년", "청구 내역"):
        assert korean not in page, korean


def test_rejected_rows_that_may_affect_the_month_are_a_warning_at_the_top(
    october_dir: Path
) -> None:
    """@shop_cs has two rejected rows that may be October's (one of October, one of no readable
    month): its page says so above the invoice line, in Korean or English. @clinic_cs's only
    rejected row is of September: no warning on its October page."""
    assert query(october_dir, "select channel_id, usage_month, rejection_reason, rejected_rows"
                 " from marts.rpt_rejected_rows order by all", []) == [
        ("@clinic_cs", dt.date(2026, 9, 1), "unknown_event_type", 1),
        ("@shop_cs", dt.date(2026, 10, 1), "missing_customer_id", 1),
        ("@shop_cs", None, "unparseable_occurred_at", 1),
    ]
    page = october_page(october_dir, "@shop_cs")
    warning = element_text(page, "rejected-rows-warning")
    assert warning is not None
    assert warning.startswith(
        "⚠ 거부된 원본 행 2건이 이 달 요금에 영향을 줄 수 있습니다"
        " (missing_customer_id 1건, unparseable_occurred_at 1건). 이 행들이 반영되지 않아"
        " 요금이 실제보다 적게"), warning
    assert "파일: " in warning and "october_events.csv" in warning
    assert "shop_bad_time" in warning and "shop_no_customer" in warning
    # near the top: between the header and the invoice line, styled as a warning
    assert (page.index("</header>") < page.index('id="rejected-rows-warning"')
            < page.index('<section id="invoice-line">'))
    assert '<p id="rejected-rows-warning" class="warning"' in page

    english = element_text(october_page(october_dir, "@shop_cs", "--lang", "en"),
                           "rejected-rows-warning")
    assert english is not None and english.startswith(
        "⚠ 2 rejected input rows may affect this month's charges (missing_customer_id 1,"
        " unparseable_occurred_at 1). Without them the charges may be understated"), english
    assert "Files: " in english and "october_events.csv" in english

    clinic = october_page(october_dir, "@clinic_cs")
    assert element_text(clinic, "fee-krw") == "100"
    assert 'id="rejected-rows-warning"' not in clinic and "⚠" not in clinic


def test_the_rejected_rows_warning_names_the_reasons_files_and_examples() -> None:
    """The page shows what it is given: a count, the reasons, at most three files and the
    example ids (render() alone)."""
    from statement import RejectedRows

    data = channel_month("@clinic")
    data.rejected = RejectedRows(
        5, [("missing_channel_id", 4), ("unparseable_occurred_at", 1)],
        ["a.csv", "b.csv", "c.csv", "d.csv"], ["e1", "e2"])
    page = render(data, dt.datetime(2026, 6, 1, tzinfo=dt.UTC))
    assert element_text(page, "rejected-rows-warning") == (
        "⚠ 거부된 원본 행 5건이 이 달 요금에 영향을 줄 수 있습니다 (missing_channel_id 4건,"
        " unparseable_occurred_at 1건). 이 행들이 반영되지 않아 요금이 실제보다 적게(상담방을"
        " 종료하는 행이었다면 많게) 계산되었을 수 있습니다. 파일: a.csv, b.csv, c.csv 외 1개."
        " 예시 event_id: e1, e2. 자세한 내용: marts.rpt_rejected_rows.")
    english = render(data, dt.datetime(2026, 6, 1, tzinfo=dt.UTC), "en")
    assert element_text(english, "rejected-rows-warning") == (
        "⚠ 5 rejected input rows may affect this month's charges (missing_channel_id 4,"
        " unparseable_occurred_at 1). Without them the charges may be understated (or"
        " overstated, where a rejected row ended a room). Files: a.csv, b.csv, c.csv and 1"
        " more. Example event_id: e1, e2. Details: marts.rpt_rejected_rows.")
    data.rejected = None
    assert 'id="rejected-rows-warning"' not in render(data, dt.datetime(2026, 6, 1, tzinfo=dt.UTC))


def test_a_warehouse_without_the_rejected_rows_mart_says_so_and_goes_on(
    october_dir: Path, tmp_path: Path
) -> None:
    """A warehouse built before marts.rpt_rejected_rows existed: one line on stderr, and the
    statement without the warning."""
    (tmp_path / "warehouse.duckdb").write_bytes((october_dir / "warehouse.duckdb").read_bytes())
    with duckdb.connect(str(tmp_path / "warehouse.duckdb")) as connection:
        kind = connection.execute(
            "select table_type from information_schema.tables where table_schema = 'marts'"
            " and table_name = 'rpt_rejected_rows'").fetchone()[0]
        connection.execute("drop view marts.rpt_rejected_rows" if kind == "VIEW"
                           else "drop table marts.rpt_rejected_rows")
    result = run_statement(tmp_path, "--month", "2026-10", "--channel", "@shop_cs",
                           "--source", "warehouse", "--out", str(tmp_path / "out"))
    assert result.returncode == 0, result.stderr
    assert result.stderr.count("\n") == 1
    assert result.stderr.startswith("note: the warehouse (warehouse.duckdb) has no"
                                    " marts.rpt_rejected_rows"), result.stderr
    page = Path(result.stdout.strip()).read_text(encoding="utf-8")
    assert 'id="rejected-rows-warning"' not in page
    assert element_text(page, "fee-krw") == "100"


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
