"""Write the monthly 상담톡 statement: one self-contained HTML file per channel with usage in the
month (the invoice line, daily charges, opened vs rollover, avoidable charges, cost by team and
the reconciliation with Kakao's invoice), read from the marts of a built warehouse. The price,
VAT rate, billing day and room charge policy on the page are the warehouse's. A channel Kakao
invoiced for the month without usage has no file: the run names it on stderr.

The file needs no network to view: inline CSS, charts drawn here as inline SVG, no scripts, no
fonts or images fetched. It reads the warehouse file read-only; while a build holds that file,
it reads the marts the last successful build published as Parquet (KAKAO_PUBLISH_DIR) instead.

The page is in Korean (--lang ko, the default) or English (--lang en); times are shown in the
billing time zone (KST by default), dates and amounts as the marts have them. When input rows
the build rejected (marts.rpt_rejected_rows) may belong to the channel and month, the page says
so near the top.
"""

from __future__ import annotations

import argparse
import calendar
import datetime as dt
import difflib
import hashlib
import html
import math
import os
import re
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import duckdb

from build_status import KST, last_build_warning

DEFAULT_DATABASE = "warehouse/kakao_billing.duckdb"
DEFAULT_OUT_DIR = "warehouse/statements"
MARTS = (
    "fct_monthly_fees",
    "fct_room_charges",
    "rpt_avoidable_charges",
    "rpt_cost_by_team",
    "rpt_invoice_reconciliation",
    "rpt_billing_settings",
    "fct_chat_rooms",
)
# Optional: a warehouse built before it existed has none; the statement then cannot warn of
# rejected rows, and says so on stderr.
REJECTED_MART = "rpt_rejected_rows"
LANGUAGES = ("ko", "en")
MONTH_PATTERN = re.compile(r"(\d{4})-(\d{2})")

OPENED_COLOR = "#2f6fdb"
ROLLOVER_COLOR = "#f29f2e"
BAR_COLOR = "#5b7a99"

# Every text on the page, per language. Values from the marts (ids, codes, figures) are not
# translated; {placeholders} are filled in by render().
TEXT: dict[str, dict[str, Any]] = {
    "en": {
        "title": "상담톡 statement {channel} {month}",
        "heading": "상담톡 monthly statement: {channel}, {month}",
        "intro": "KakaoTalk consultation talk, {pricing}. Charged under room_charge_policy"
                 " {policy_code}:\n{policy}. Usage month {month}, billed with the invoice for\n"
                 "{billing_month}.",
        "pricing": "{price} KRW per chat room per billing day ({span})",
        "pricing_changed": "charged per chat room per billing day ({span}) at the rate card's"
                           " price of the day (it changed this month)",
        "price_changed": "varies (price changed this month)",
        "policies": {
            "activity": "a room is charged for each billing day on which it was opened or"
                        " carried a message",
            "open": "a room is charged for each billing day from its opening through the day"
                    " it ended",
        },
        "closed": "closed (frozen at close)",
        "open": "open (follows the charges on each build)",
        "build_warning": "Warning: {warning}",
        "rejected_warning": "⚠ {rows} may affect this month's charges ({reasons}). Without"
                            " them the charges may be understated (or overstated, where a"
                            " rejected row ended a room). {files}{examples}Details:"
                            " marts.rpt_rejected_rows.",
        "rejected_rows": lambda n: f"{n:,} rejected input row{'' if n == 1 else 's'}",
        "rejected_reason": "{reason} {rows:,}",
        "rejected_files": "Files: {files}. ",
        "rejected_more_files": "{files} and {more:,} more",
        "rejected_examples": "Example event_id: {examples}. ",
        "invoice_heading": "Invoice line",
        "invoice_columns": ("Usage month", "Charges", "Unit price (KRW)", "Fee (KRW)",
                            "VAT (KRW)", "Total (KRW)", "Billing month", "Invoice window",
                            "Month"),
        "window": "{start} to\n {end}",
        "vat_rate_unknown": "the VAT rate",
        "invoice_note": 'Fee = charges x unit price; VAT = <span id="vat-rate">{vat_rate}</span>'
                        " of the\nfee, rounded down to the won, shown separately; total = fee +"
                        " VAT. The invoice is normally issued\nbetween the dates of the invoice"
                        " window.",
        "rooms_opened": "Rooms opened this month: {rooms:,}, the first at {first}, the last at"
                        " {last}.",
        "rooms_opened_one": "Rooms opened this month: 1, at {first}.",
        "no_rooms_opened": "No room was opened this month.",
        "reconciliation_heading": "Reconciliation with the invoice",
        "not_available": "not available",
        "statuses": {},
        "reconciliation": {
            "match": "The invoice matches the expected fee.",
            "over_billed": "The invoice is higher than the expected fee.",
            "under_billed": "The invoice is lower than the expected fee.",
            "missing_invoice": "No invoice line for this month yet.",
            "missing_usage": "An invoice line without expected charges.",
        },
        "reconciliation_columns": ("Expected charges", "Expected (KRW, before VAT)",
                                   "Invoiced charges", "Invoiced (KRW, before VAT)",
                                   "Variance (KRW)", "Invoice due", "Invoice date",
                                   "In window"),
        "due": ("yes", "not yet"),
        "in_window": {True: "yes", False: "no", None: "-"},
        "reconciliation_note": "Expected = this month's charges, including adjustments found"
                               " after it closed.\nInvoices come from the warehouse's"
                               " invoice file (var invoices_path).",
        "adjustment_note": "The charges below are as the events say now: {now}. The invoice"
                           " line above was frozen when the month closed, with {frozen}; the"
                           " difference is in marts.fct_fee_adjustments.",
        "daily_heading": "Charges per billing day",
        "daily_title": lambda month, days: (
            f"Charges per billing day in {month}: opened and rollover, "
            f"{days:,} day{'' if days == 1 else 's'} with charges"),
        "daily_axis": "billing day ({span})",
        "daily_bar": lambda date, charges, opened, rollover, amount: (
            f"{date}: {charges:,} charge{'' if charges == 1 else 's'} ({opened:,} opened, "
            f"{rollover:,} rollover), {amount:,} KRW"),
        "opened": "opened",
        "rollover": "rollover",
        "split_heading": "Opened vs rollover",
        "split_columns": ("Charge", "Charges", "Share"),
        "split_opened": "Opened: the room's first billing day",
        "split_rollover": "Rollover: a later billing day (past {start} {zone})",
        "split_title": "Opened {opened:,} and rollover {rollover:,} charges",
        "avoidable_heading": "Avoidable charges",
        "avoidable": {
            "quick_reentry": "Quick re-entry: a new room soon after the previous one ended",
            "superseded": "Superseded: a new room while the previous one, charged that day,"
                          " was open",
            "unanswered": "Unanswered: no consultant message that billing day",
            "rollover": "Rollover: the room carried on past {start} {zone}",
        },
        # the charts name a category by its code in English
        "avoidable_short": {},
        "avoidable_title": "Avoidable charges by category, KRW",
        "amount": "{amount:,} KRW",
        "avoidable_columns": ("Category", "Rooms", "Charges", "KRW (before VAT)"),
        "rollover_hour": "{hour:02d}:00 ({charges:,})",
        "rollover_hours": "Rollover charges by the hour ({zone}) of the room's last activity"
                          " before the billing day rolled over at {start}: {hours}.",
        "avoidable_note": "Categories overlap (a charge can be in several): add up within one,"
                          " not across.",
        "no_avoidable": "No avoidable charges this month.",
        "teams_heading": "Cost by team",
        "teams_title": "Cost by team, KRW before VAT",
        "teams_columns": ("Team", "Consultants", "Charges", "KRW (before VAT)"),
        "unanswered_team": "Unanswered (no consultant)",
        "unidentified_team": "Unidentified consultant",
        "no_team": "No team",
        "teams_note": "Each charge is split evenly among the consultants who wrote in the room"
                      " that billing day; the rows add up to the fee.",
        "no_teams": "No cost allocation for this month.",
        "sources": {"warehouse": "warehouse ({name})", "published copy": "published copy ({name})"},
        "footer": "Figures from marts {marts}, the billing day from rpt_billing_settings, read"
                  "\nfrom the {source}; invoice line computed {computed}. Statement generated\n"
                  "{generated}.",
        "and": " and ",
    },
    "ko": {
        "title": "상담톡 요금 명세서 {channel} {month}",
        "heading": "상담톡 월 요금 명세서: {channel}, {month}",
        "intro": "카카오톡 상담톡, {pricing}. 과금 정책(room_charge_policy)\n{policy_code}:"
                 " {policy}. 이용월 {month}, {billing_month}\n청구서로 청구됩니다.",
        "pricing": "상담방 1개당 과금일({span})마다 {price}원",
        "pricing_changed": "상담방 1개당 과금일({span})마다 그날의 요금표 단가로 과금"
                           " (이 달 중 단가 변경)",
        "price_changed": "변동 (이 달 중 단가 변경)",
        "policies": {
            "activity": "상담방이 열렸거나 메시지가 오간 과금일마다 과금됩니다",
            "open": "상담방이 열린 날부터 종료된 날까지 과금일마다 과금됩니다",
        },
        "closed": "마감 (마감 시점 기준으로 고정)",
        "open": "미마감 (빌드마다 과금 반영)",
        "build_warning": "경고: 이 웨어하우스의 마지막 빌드가 정상적으로 끝나지 않아 아래 수치가"
                         ' 불완전하거나 틀릴 수 있습니다. <span lang="en">{warning}</span>',
        "rejected_warning": "⚠ {rows}이 이 달 요금에 영향을 줄 수 있습니다 ({reasons})."
                            " 이 행들이 반영되지 않아 요금이 실제보다 적게(상담방을 종료하는"
                            " 행이었다면 많게) 계산되었을 수 있습니다. {files}{examples}"
                            "자세한 내용: marts.rpt_rejected_rows.",
        "rejected_rows": lambda n: f"거부된 원본 행 {n:,}건",
        "rejected_reason": "{reason} {rows:,}건",
        "rejected_files": "파일: {files}. ",
        "rejected_more_files": "{files} 외 {more:,}개",
        "rejected_examples": "예시 event_id: {examples}. ",
        "invoice_heading": "청구 내역",
        "invoice_columns": ("이용월", "과금 건수", "단가 (원)", "공급가액 (원)", "부가세 (원)",
                            "합계 (원)", "청구월", "청구서 발행 기간", "마감 여부"),
        "window": "{start} ~\n {end}",
        "vat_rate_unknown": "부가세율",
        "invoice_note": "공급가액 = 과금 건수 \u00d7 단가, 부가세 = 공급가액의"
                        ' <span id="vat-rate">{vat_rate}</span>\n(원 단위 미만 버림, 별도 표시),'
                        " 합계 = 공급가액 + 부가세. 청구서는 보통 청구서 발행 기간 안에\n"
                        "발행됩니다.",
        "rooms_opened": "이 달 개설된 상담방: {rooms:,}개, 처음 {first}, 마지막 {last}.",
        "rooms_opened_one": "이 달 개설된 상담방: 1개 ({first} 개설).",
        "no_rooms_opened": "이 달 개설된 상담방이 없습니다.",
        "reconciliation_heading": "카카오 청구서와 대사",
        "not_available": "확인 불가",
        "statuses": {
            "match": "일치",
            "over_billed": "과다 청구",
            "under_billed": "과소 청구",
            "missing_invoice": "청구서 없음",
            "missing_usage": "이용 내역 없음",
        },
        "reconciliation": {
            "match": "청구서 금액이 예상 요금과 일치합니다.",
            "over_billed": "청구서 금액이 예상 요금보다 많습니다.",
            "under_billed": "청구서 금액이 예상 요금보다 적습니다.",
            "missing_invoice": "이 달의 청구서 항목이 아직 없습니다.",
            "missing_usage": "예상 과금이 없는 청구서 항목입니다.",
        },
        "reconciliation_columns": ("예상 과금 건수", "예상 금액 (원, 부가세 별도)",
                                   "청구 건수", "청구 금액 (원, 부가세 별도)", "차이 (원)",
                                   "청구서 도래", "청구서 발행일", "기간 내 발행"),
        "due": ("예", "아직"),
        "in_window": {True: "예", False: "아니요", None: "-"},
        "reconciliation_note": "예상 = 이 달의 과금 (마감 후 발견된 조정 포함).\n"
                               "청구서 데이터: 웨어하우스의 청구서 파일 (var invoices_path).",
        "adjustment_note": "아래 과금은 현재 이벤트 기준입니다: {now}건. 위 청구 내역은 월"
                           " 마감 때 {frozen}건으로 고정되었으며, 차이는"
                           " marts.fct_fee_adjustments에 있습니다.",
        "daily_heading": "과금일별 과금",
        "daily_title": lambda month, days: (
            f"{month} 과금일별 과금: 신규 개설과 이월, 과금이 있는 날 {days:,}일"),
        "daily_axis": "과금일 ({span})",
        "daily_bar": lambda date, charges, opened, rollover, amount: (
            f"{date}: 과금 {charges:,}건 (신규 개설 {opened:,}건, 이월 {rollover:,}건),"
            f" {amount:,}원"),
        "opened": "신규 개설",
        "rollover": "이월",
        "split_heading": "신규 개설과 이월",
        "split_columns": ("과금 구분", "건수", "비율"),
        "split_opened": "신규 개설: 상담방의 첫 과금일",
        "split_rollover": "이월: 이후의 과금일 ({start} {zone} 경과)",
        "split_title": "신규 개설 {opened:,}건, 이월 {rollover:,}건",
        "avoidable_heading": "줄일 수 있는 과금",
        "avoidable": {
            "quick_reentry": "빠른 재진입: 이전 상담방이 끝난 직후 새 상담방 개설",
            "superseded": "대체: 그날 과금된 이전 상담방이 열려 있는 동안 새 상담방 개설",
            "unanswered": "미응답: 그 과금일에 상담원 메시지 없음",
            "rollover": "이월: 상담방이 {start} {zone}를 넘겨 이어짐",
        },
        "avoidable_short": {
            "quick_reentry": "빠른 재진입",
            "superseded": "대체",
            "unanswered": "미응답",
            "rollover": "이월",
        },
        "avoidable_title": "유형별 줄일 수 있는 과금 (원)",
        "amount": "{amount:,}원",
        "avoidable_columns": ("유형", "상담방", "과금 건수", "금액 (원, 부가세 별도)"),
        "rollover_hour": "{hour:02d}:00 ({charges:,}건)",
        "rollover_hours": "이월 과금을 과금일이 {start}에 넘어가기 전 상담방의 마지막 활동"
                          " 시각({zone})별로 보면:\n{hours}.",
        "avoidable_note": "유형은 겹칩니다 (한 과금이 여러 유형에 들 수 있음): 한 유형 안에서만"
                          " 더하고 유형끼리는 더하지 마세요.",
        "no_avoidable": "이 달에는 줄일 수 있는 과금이 없습니다.",
        "teams_heading": "팀별 비용",
        "teams_title": "팀별 비용 (원, 부가세 별도)",
        "teams_columns": ("팀", "상담원 수", "과금 건수", "금액 (원, 부가세 별도)"),
        "unanswered_team": "미응답 (상담원 없음)",
        "unidentified_team": "확인되지 않은 상담원",
        "no_team": "팀 없음",
        "teams_note": "과금 1건은 그 과금일에 상담방에서 메시지를 쓴 상담원들에게 똑같이"
                      " 나뉘며, 행을 모두 더하면 공급가액이 됩니다.",
        "no_teams": "이 달의 비용 배분이 없습니다.",
        "sources": {"warehouse": "웨어하우스 ({name})", "published copy": "게시된 사본 ({name})"},
        "footer": "수치 출처: marts {marts}, 과금일 기준: rpt_billing_settings.\n읽은 곳:"
                  " {source}. 청구 내역 계산 {computed}, 명세서 생성\n{generated}.",
        "and": ", ",
    },
}


class StatementError(Exception):
    """A user error: printed as one line, exit code 1."""


# --- reading the marts ---------------------------------------------------------------------


def parse_month(text: str) -> dt.date:
    match = MONTH_PATTERN.fullmatch(text.strip())
    if not match or not 1 <= int(match.group(2)) <= 12:
        raise StatementError(f"--month must look like 2026-10 (YYYY-MM), got {text!r}")
    return dt.date(int(match.group(1)), int(match.group(2)), 1)


def lock_holder(error: Exception) -> str:
    holder = re.search(r"held in (.+?) \(PID (\d+)\)", str(error))
    return f"process {holder.group(2)} ({holder.group(1)})" if holder else "another process"


def open_warehouse(database: Path) -> duckdb.DuckDBPyConnection:
    """The warehouse, read-only; raises StatementError when missing, duckdb.IOException when
    another process (a build) holds it."""
    if not database.exists():
        raise StatementError(f"No warehouse at {database}; build it first with `make build`.")
    connection = duckdb.connect(str(database), read_only=True)
    connection.execute("set TimeZone = 'UTC'")
    return connection


def open_published(publish_dir: Path) -> duckdb.DuckDBPyConnection:
    """An in-memory database with views marts.<mart> over the Parquet files of the version
    publish_dir/current points to. The link is resolved once, so that every mart comes from
    the same build even if a build publishes a new version meanwhile (it keeps this one)."""
    version = (publish_dir / "current").resolve()
    missing = [mart for mart in MARTS if not (version / f"{mart}.parquet").is_file()]
    if missing:
        raise StatementError(
            f"No published {missing[0]} in {publish_dir}; run `make build`, which publishes "
            "the marts after each successful build."
        )
    connection = duckdb.connect(":memory:")
    connection.execute("set TimeZone = 'UTC'")
    connection.execute("create schema marts")
    optional = [REJECTED_MART] if (version / f"{REJECTED_MART}.parquet").is_file() else []
    for mart in [*MARTS, *optional]:
        path = str(version / f"{mart}.parquet").replace("'", "''")
        connection.execute(f"create view marts.{mart} as from read_parquet('{path}')")
    return connection


def connect(source: str, database: Path,
            publish_dir: Path) -> tuple[duckdb.DuckDBPyConnection, str]:
    """Open the marts; returns the connection and a description of where they come from."""
    if source == "published":
        return open_published(publish_dir), f"published copy ({publish_dir.name})"
    try:
        connection = open_warehouse(database)
    except duckdb.IOException as error:
        if "lock" not in str(error).lower():
            raise StatementError(f"Cannot open {database}: {first_line(error)}") from None
        if source == "warehouse":
            raise StatementError(
                f"The warehouse {database} is in use by {lock_holder(error)} (a build?); "
                "wait for it, or use --source published."
            ) from None
        print(
            f"note: the warehouse {database} is in use by {lock_holder(error)}; reading the "
            f"marts published by the last successful build from {publish_dir} instead.",
            file=sys.stderr,
        )
        return open_published(publish_dir), f"published copy ({publish_dir.name})"
    missing = [mart for mart in MARTS if not connection.execute(
        "select count(*) from information_schema.tables where table_schema = 'marts'"
        " and table_name = ?", [mart]).fetchone()[0]]
    if missing:
        connection.close()
        raise StatementError(
            f"The warehouse {database} has no marts.{missing[0]}; run `make build`."
        )
    return connection, f"warehouse ({database.name})"


def first_line(error: Exception) -> str:
    return str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__


def rows(connection: duckdb.DuckDBPyConnection, sql: str, params: Sequence[Any]) -> list[dict]:
    cursor = connection.execute(sql, list(params))
    names = [d[0] for d in cursor.description]
    return [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]


@dataclass(frozen=True)
class BillingDay:
    """The rules the page states, as the warehouse was built (marts.rpt_billing_settings): when
    a billing day starts (04:00 Asia/Seoul by default) and the room charge policy."""

    start_hour: int
    time_zone: str
    charge_policy: str

    @property
    def start(self) -> str:
        return f"{self.start_hour:02d}:00"

    @property
    def zone(self) -> str:
        return "KST" if self.time_zone == "Asia/Seoul" else self.time_zone

    @property
    def span(self) -> str:
        return f"{self.start}-{self.start} {self.zone}"

    def policy(self, lang: str = "en") -> str:
        """room_charge_policy in words (DECISIONLOG D1)."""
        return TEXT[lang]["policies"].get(self.charge_policy, self.charge_policy)

    def clock(self) -> tuple[dt.tzinfo, str]:
        """The zone the page shows times in, and its label: the billing time zone (KST)."""
        try:
            return ZoneInfo(self.time_zone), self.zone
        except (ZoneInfoNotFoundError, ValueError):
            return (KST, "KST") if self.time_zone == "Asia/Seoul" else (dt.UTC, "UTC")

    def local(self, timestamp: dt.datetime | None) -> str:
        """A timestamp from the warehouse (UTC; naive ones are UTC too) as wall-clock time in
        the billing time zone, labelled: 2026-06-01 04:30 KST."""
        if timestamp is None:
            return "-"
        zone, label = self.clock()
        if timestamp.tzinfo is None:
            timestamp = timestamp.replace(tzinfo=dt.UTC)
        return f"{timestamp.astimezone(zone):%Y-%m-%d %H:%M} {label}"


@dataclass(frozen=True)
class RejectedRows:
    """The rejected input rows (marts.rpt_rejected_rows) that may belong to a channel and
    month: of the channel or of no readable channel, in the month or in no readable month."""

    rows: int
    reasons: list[tuple[str, int]]
    files: list[str]
    examples: list[str]


@dataclass
class ChannelMonth:
    channel_id: str
    month: dt.date
    fees: dict
    daily: list[dict]
    avoidable: list[dict]
    rollover_hours: list[dict]
    teams: list[dict]
    reconciliation: dict | None
    source: str
    billing_day: BillingDay
    # the warehouse's last build did not finish cleanly (build_status.last_build_warning)
    build_warning: str | None = None
    # rooms opened in the month: rooms, first_opened_at, last_opened_at (UTC)
    rooms_opened: dict | None = None
    # rejected rows that may affect the month; None: none, or no marts.rpt_rejected_rows
    rejected: RejectedRows | None = None
    # whether marts.rpt_rejected_rows was there to read (the footer names it)
    rejected_checked: bool = False


def invoices_without_usage(connection: duckdb.DuckDBPyConnection, month: dt.date,
                           channel: str | None) -> str:
    """Kakao's invoice lines for the month with no usage behind them (no statement shows
    them, having no usage to show), as a sentence; '' if none."""
    lines = connection.execute(
        "select channel_id, invoiced_amount_krw from marts.rpt_invoice_reconciliation"
        " where usage_month = ? and status = 'missing_usage'"
        " and channel_id = coalesce(?, channel_id) order by channel_id", [month, channel]
    ).fetchall()
    if not lines:
        return ""
    listed = ", ".join(f"{c} ({krw(amount)} KRW before VAT)" for c, amount in lines)
    return (f"Kakao invoiced {month:%Y-%m} without usage for {listed}: status missing_usage in"
            " marts.rpt_invoice_reconciliation.")


def channels_with_usage(connection: duckdb.DuckDBPyConnection, month: dt.date,
                        channel: str | None, unused: str) -> list[str]:
    """The channels to write a statement for; `unused` (invoices_without_usage) is named when
    there are none."""
    found = [c for (c,) in connection.execute(
        "select channel_id from marts.fct_monthly_fees where usage_month = ?"
        " and room_charges > 0 order by channel_id", [month]).fetchall()]
    label = month.strftime("%Y-%m")
    if channel is None:
        if not found:
            raise StatementError(f"No channel has usage in {label} (marts.fct_monthly_fees)."
                                 + (f" {unused}" if unused else ""))
        return found
    if channel in found:
        return [channel]
    if unused:
        raise StatementError(f"Channel {channel!r} has no usage in {label}. {unused}")
    months = [m for (m,) in connection.execute(
        "select strftime(usage_month, '%Y-%m') from marts.fct_monthly_fees"
        " where channel_id = ? and room_charges > 0 order by 1", [channel]).fetchall()]
    if months:
        raise StatementError(f"Channel {channel!r} has no usage in {label}; it has usage in "
                             f"{', '.join(months)}.")
    known = [c for (c,) in connection.execute(
        "select distinct channel_id from marts.fct_monthly_fees where room_charges > 0"
        " order by 1").fetchall()]
    close = difflib.get_close_matches(channel, known, n=3)
    hint = f"; did you mean {' or '.join(repr(c) for c in close)}?" if close else "."
    raise StatementError(f"Unknown channel {channel!r}: it has no usage in any month{hint}")


def billing_day(connection: duckdb.DuckDBPyConnection) -> BillingDay:
    settings = dict(connection.execute(
        "select setting_name, setting_value from marts.rpt_billing_settings").fetchall())
    try:
        return BillingDay(int(settings["billing_day_start_hour"]), settings["billing_time_zone"],
                          settings["room_charge_policy"])
    except (KeyError, ValueError):
        raise StatementError(
            "marts.rpt_billing_settings lacks billing_day_start_hour, billing_time_zone or "
            "room_charge_policy; run `make build`.") from None


def has_rejected_rows_mart(connection: duckdb.DuckDBPyConnection) -> bool:
    return bool(connection.execute(
        "select count(*) from information_schema.tables where table_schema = 'marts'"
        " and table_name = ?", [REJECTED_MART]).fetchone()[0])


def rejected_rows(connection: duckdb.DuckDBPyConnection, channel: str,
                  month: dt.date) -> RejectedRows | None:
    """The rejected rows that may affect the channel's month (None when there are none): those
    of the channel or without a readable channel, of the month or without a readable month."""
    found = rows(connection, f"""
        select rejection_reason, sum(rejected_rows)::bigint as rejected_rows,
               list(distinct first_source_file order by first_source_file)
                   filter (where first_source_file is not null) as files,
               list(example_event_ids order by channel_id nulls last, usage_month nulls last)
                   filter (where example_event_ids is not null) as examples
        from marts.{REJECTED_MART}
        where (channel_id = ? or channel_id is null) and (usage_month = ? or usage_month is null)
        group by rejection_reason
        having sum(rejected_rows) > 0
        order by rejected_rows desc, rejection_reason""", [channel, month])
    if not found:
        return None
    files = sorted({file for row in found for file in row["files"] or []})
    examples: list[str] = []
    for row in found:
        for text in row["examples"] or []:
            for example in re.split(r"\s*,\s*", text.strip()):
                if example and example not in examples:
                    examples.append(example)
    return RejectedRows(sum(row["rejected_rows"] for row in found),
                        [(row["rejection_reason"], row["rejected_rows"]) for row in found],
                        files, examples)


def load(connection: duckdb.DuckDBPyConnection, channel: str, month: dt.date,
         source: str, day: BillingDay, build_warning: str | None = None,
         check_rejected: bool = False) -> ChannelMonth:
    key = [channel, month]
    fees = rows(connection, "from marts.fct_monthly_fees where channel_id = ? and usage_month = ?",
                key)[0]
    daily = rows(connection, """
        select billing_date,
               count(*) filter (where charge_reason = 'room_opened') as opened,
               count(*) filter (where charge_reason = 'day_rollover') as rollover,
               count(*) as charges,
               sum(unit_price_krw) as amount_krw
        from marts.fct_room_charges
        where channel_id = ? and usage_month = ?
        group by billing_date order by billing_date""", key)
    avoidable = rows(connection, """
        select category, sum(rooms) as rooms, sum(charges) as charges,
               sum(amount_krw) as amount_krw
        from marts.rpt_avoidable_charges
        where channel_id = ? and usage_month = ?
        group by category
        order by amount_krw desc, category""", key)
    rollover_hours = rows(connection, """
        select last_activity_hour, charges, amount_krw
        from marts.rpt_avoidable_charges
        where channel_id = ? and usage_month = ? and category = 'rollover'
        order by last_activity_hour""", key)
    teams = rows(connection, """
        select allocation_target, team, consultants, charges, allocated_krw
        from marts.rpt_cost_by_team
        where channel_id = ? and usage_month = ?
        order by allocated_krw desc, allocation_target, team""", key)
    reconciliation = rows(connection, """
        from marts.rpt_invoice_reconciliation where channel_id = ? and usage_month = ?""", key)
    [rooms_opened] = rows(connection, """
        select count(*) as rooms, min(opened_at) as first_opened_at,
               max(opened_at) as last_opened_at
        from marts.fct_chat_rooms
        where channel_id = ? and opened_billing_date between ? and last_day(?)""",
        [*key, month])
    return ChannelMonth(channel, month, fees, daily, avoidable, rollover_hours, teams,
                        reconciliation[0] if reconciliation else None, source, day,
                        build_warning, rooms_opened,
                        rejected_rows(connection, channel, month) if check_rejected else None,
                        check_rejected)


# --- rendering -----------------------------------------------------------------------------


def month_text(month: dt.date, lang: str = "en") -> str:
    """A month as the page writes it: 2026-10, or 2026년 10월 in Korean."""
    return f"{month.year}년 {month.month}월" if lang == "ko" else f"{month:%Y-%m}"


def vat_rate_text(fee: int | None, vat: int | None, lang: str = "en") -> str:
    """The VAT rate the month's fee and VAT show (var vat_rate when the month was computed), as
    the shortest percentage that gives that VAT rounded down to the won; 'the VAT rate' when
    there is no fee to tell it by."""
    if not fee or vat is None:
        return TEXT[lang]["vat_rate_unknown"]
    for decimals in range(4):
        rate = round(Decimal(vat) * 100 / fee, decimals)
        if math.floor(fee * rate / 100) == vat:
            return f"{rate.normalize():f}%"
    return f"{Decimal(vat) * 100 / fee:.4f}%"


def avoidable_label(category: str, day: BillingDay, lang: str = "en") -> str:
    label = TEXT[lang]["avoidable"].get(category, category)
    return label.format(start=day.start, zone=day.zone) if category == "rollover" else label


def e(value: object) -> str:
    """Any value, escaped for HTML text and attributes."""
    return html.escape("" if value is None else str(value), quote=True)


def krw(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def count(value: int | None) -> str:
    return "-" if value is None else f"{value:,}"


def ymd(value: dt.date | None) -> str:
    return "-" if value is None else value.strftime("%Y-%m-%d")


def rejected_warning(rejected: RejectedRows, lang: str) -> str:
    """The warning line on rejected rows that may affect the month, as escaped HTML text."""
    text = TEXT[lang]
    reasons = ", ".join(text["rejected_reason"].format(reason=reason, rows=rows)
                        for reason, rows in rejected.reasons)
    files = ""
    if rejected.files:
        shown = ", ".join(rejected.files[:3])
        if len(rejected.files) > 3:
            shown = text["rejected_more_files"].format(files=shown,
                                                       more=len(rejected.files) - 3)
        files = text["rejected_files"].format(files=shown)
    examples = (text["rejected_examples"].format(examples=", ".join(rejected.examples[:5]))
                if rejected.examples else "")
    return e(text["rejected_warning"].format(rows=text["rejected_rows"](rejected.rows),
                                             reasons=reasons, files=files, examples=examples))


def nice_step(maximum: int, ticks: int = 4) -> int:
    """A round step (1, 2, 5 x 10^n) so that about `ticks` gridlines cover 0..maximum."""
    raw = max(maximum / ticks, 1)
    magnitude = 10 ** (len(str(int(raw))) - 1)
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= raw:
            return factor * magnitude
    return 10 * magnitude


def daily_chart(data: ChannelMonth, lang: str = "en") -> str:
    """Charges per billing day, opened (bottom) and rollover (top) stacked; one g.bar per day
    with charges."""
    text = TEXT[lang]
    days = calendar.monthrange(data.month.year, data.month.month)[1]
    width, height = 760, 260
    left, right, top, bottom = 44, 12, 14, 34
    plot_w, plot_h = width - left - right, height - top - bottom
    peak = max((d["charges"] for d in data.daily), default=0)
    step = nice_step(peak)
    y_max = max(step * -(-peak // step), step)
    slot = plot_w / days
    bar_w = slot * 0.7

    def y(value: float) -> float:
        return top + plot_h - plot_h * value / y_max

    label = text["daily_title"](month_text(data.month, lang), len(data.daily))
    parts = [
        f'<svg id="daily-charges-chart" class="chart" role="img" viewBox="0 0 {width} {height}"'
        f' width="{width}" height="{height}" aria-labelledby="daily-charges-title">',
        f'<title id="daily-charges-title">{e(label)}</title>',
    ]
    for tick in range(0, y_max + 1, step):
        parts.append(f'<line class="grid" x1="{left}" x2="{width - right}" y1="{y(tick):.1f}"'
                     f' y2="{y(tick):.1f}"/>')
        parts.append(f'<text class="axis" x="{left - 6}" y="{y(tick) + 4:.1f}"'
                     f' text-anchor="end">{tick:,}</text>')
    for day in range(1, days + 1):
        x = left + slot * (day - 1) + slot / 2
        parts.append(f'<text class="axis" x="{x:.1f}" y="{height - bottom + 14}"'
                     f' text-anchor="middle">{day}</text>')
    parts.append(f'<text class="axis" x="{left + plot_w / 2:.1f}" y="{height - 4}"'
                 f' text-anchor="middle">'
                 f'{e(text["daily_axis"].format(span=data.billing_day.span))}</text>')
    for row in data.daily:
        day = row["billing_date"]
        x = left + slot * (day.day - 1) + (slot - bar_w) / 2
        title = text["daily_bar"](ymd(day), row["charges"], row["opened"], row["rollover"],
                                  row["amount_krw"])
        parts.append(f'<g class="bar" data-date="{e(ymd(day))}" data-charges="{row["charges"]}">'
                     f'<title>{e(title)}</title>')
        base = 0
        for kind, value, color in (("opened", row["opened"], OPENED_COLOR),
                                   ("rollover", row["rollover"], ROLLOVER_COLOR)):
            if value:
                parts.append(f'<rect class="{kind}" x="{x:.1f}" y="{y(base + value):.1f}"'
                             f' width="{bar_w:.1f}" height="{y(base) - y(base + value):.1f}"'
                             f' fill="{color}"/>')
                base += value
        parts.append("</g>")
    parts.append(f'<line class="baseline" x1="{left}" x2="{width - right}" y1="{y(0):.1f}"'
                 f' y2="{y(0):.1f}"/>')
    parts.append("</svg>")
    return "".join(parts)


def hbar_chart(chart_id: str, title: str, items: list[tuple[str, int, str]]) -> str:
    """A small horizontal bar chart: (label, value, value text) per bar."""
    width, bar_h, gap, label_w, value_w = 560, 20, 8, 210, 90
    height = max(len(items), 1) * (bar_h + gap) + gap
    peak = max((value for _, value, _ in items), default=0) or 1
    plot_w = width - label_w - value_w
    parts = [
        f'<svg id="{e(chart_id)}" class="chart hbar" role="img" viewBox="0 0 {width} {height}"'
        f' width="{width}" height="{height}" aria-labelledby="{e(chart_id)}-title">',
        f'<title id="{e(chart_id)}-title">{e(title)}</title>',
    ]
    for index, (label, value, text) in enumerate(items):
        y = gap + index * (bar_h + gap)
        bar = max(plot_w * value / peak, 1 if value else 0)
        parts.append(f'<g class="bar"><title>{e(label)}: {e(text)}</title>'
                     f'<text class="label" x="{label_w - 8}" y="{y + bar_h * 0.72:.1f}"'
                     f' text-anchor="end">{e(label)}</text>'
                     f'<rect x="{label_w}" y="{y}" width="{bar:.1f}" height="{bar_h}"'
                     f' fill="{BAR_COLOR}"/>'
                     f'<text class="value" x="{label_w + bar + 6:.1f}"'
                     f' y="{y + bar_h * 0.72:.1f}">{e(text)}</text></g>')
    parts.append("</svg>")
    return "".join(parts)


def split_bar(opened: int, rollover: int, lang: str = "en") -> str:
    total = opened + rollover or 1
    width, height = 560, 26
    opened_w = width * opened / total
    label = TEXT[lang]["split_title"].format(opened=opened, rollover=rollover)
    return (
        f'<svg id="split-chart" class="chart" role="img" viewBox="0 0 {width} {height}"'
        f' width="{width}" height="{height}" aria-labelledby="split-chart-title">'
        f'<title id="split-chart-title">{e(label)}</title>'
        f'<rect class="opened" x="0" y="0" width="{opened_w:.1f}" height="{height}"'
        f' fill="{OPENED_COLOR}"/>'
        f'<rect class="rollover" x="{opened_w:.1f}" y="0" width="{width - opened_w:.1f}"'
        f' height="{height}" fill="{ROLLOVER_COLOR}"/></svg>'
    )


def team_label(row: dict, lang: str = "en") -> str:
    if row["allocation_target"] == "unanswered":
        return TEXT[lang]["unanswered_team"]
    if row["allocation_target"] == "unidentified_consultant":
        return TEXT[lang]["unidentified_team"]
    return row["team"] if row["team"] is not None else TEXT[lang]["no_team"]


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Apple SD Gothic Neo", "Malgun Gothic",
  "Noto Sans KR", "Noto Sans CJK KR", "Nanum Gothic", "Segoe UI", Roboto, sans-serif;
  color: #1d2733; background: #fff; margin: 0; padding: 32px; line-height: 1.45; }
main { max-width: 1000px; margin: 0 auto; }
/* Korean wraps between words, not inside them */
:lang(ko) { word-break: keep-all; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 8px; border-bottom: 1px solid #d8dee6; padding-bottom: 4px; }
.sub { color: #5a6675; margin: 0 0 16px; }
table { border-collapse: collapse; margin: 8px 0; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #d8dee6; padding: 6px 10px; text-align: left; vertical-align: top; }
th { background: #f3f6f9; font-weight: 600; }
td.num, th.num { text-align: right; }
td.num, td.date, #invoice-window, #billing-month, table.invoice td:first-child {
  white-space: nowrap; }
table.invoice td.total { font-weight: 700; }
.status { display: inline-block; padding: 2px 10px; border-radius: 12px; font-weight: 600;
  background: #e8edf3; }
.status.match { background: #dff3e4; color: #1c6b34; }
.status.over_billed, .status.under_billed { background: #fde7e4; color: #9b2c1f; }
.status.missing_invoice, .status.missing_usage { background: #fff3d6; color: #7a5200; }
.chart { display: block; max-width: 100%; height: auto; margin: 8px 0; }
.chart .grid { stroke: #e3e8ee; stroke-width: 1; }
.chart .baseline { stroke: #8a96a3; stroke-width: 1; }
.chart text { font-size: 11px; fill: #5a6675; font-family: inherit; }
.chart text.label { fill: #1d2733; font-size: 12px; }
.chart text.value { fill: #1d2733; font-size: 12px; }
.legend { display: flex; gap: 16px; color: #5a6675; font-size: 13px; }
.swatch { display: inline-block; width: 12px; height: 12px; margin-right: 6px;
  vertical-align: -1px; }
.note { color: #5a6675; font-size: 13px; }
.warning { border: 1px solid #c0392b; background: #fdecea; color: #8e2418; padding: 8px 12px; }
#rejected-rows-warning { font-weight: 600; border-left-width: 6px; }
footer { margin-top: 40px; color: #5a6675; font-size: 12px; }
@media print { body { padding: 0; } h2 { break-after: avoid; } }
"""


def source_text(source: str, lang: str) -> str:
    """Where the marts were read, as load() was told ('warehouse (x.duckdb)' or 'published copy
    (published)'), in the page's language."""
    match = re.fullmatch(r"(warehouse|published copy) \((.*)\)", source)
    if not match:
        return source
    return TEXT[lang]["sources"][match.group(1)].format(name=match.group(2))


def render(data: ChannelMonth, generated_at: dt.datetime, lang: str = "ko") -> str:
    """The statement as one HTML document in `lang` (ko or en); every value from the marts is
    escaped."""
    text = TEXT[lang]
    f = data.fees
    month = month_text(data.month, lang)
    billing_month = month_text(f["billing_month"], lang)
    opened, rollover = f["opened_charges"] or 0, f["rollover_charges"] or 0
    daily_total = sum(d["charges"] for d in data.daily)
    day = data.billing_day
    vat_rate = vat_rate_text(f["fee_krw"], f["vat_krw"], lang)
    if f["unit_price_krw"] is not None:
        unit_price = krw(f["unit_price_krw"])
        pricing = text["pricing"].format(price=unit_price, span=day.span)
    else:
        unit_price = text["price_changed"]
        pricing = text["pricing_changed"].format(span=day.span)
    state = text["closed"] if f["is_closed"] else text["open"]
    body: list[str] = []

    intro = text["intro"].format(
        pricing=f'<span id="pricing">{e(pricing)}</span>',
        policy_code=f'<span id="charge-policy">{e(day.charge_policy)}</span>',
        policy=e(day.policy(lang)), month=e(month), billing_month=e(billing_month))
    body.append(f"""
<header>
<h1>{text["heading"].format(channel=f'<span id="channel-id">{e(data.channel_id)}</span>',
                            month=f'<span id="usage-month">{e(month)}</span>')}</h1>
<p class="sub">{intro}</p>
</header>""")
    if data.rejected is not None and data.rejected.rows > 0:
        body.append('\n<p id="rejected-rows-warning" class="warning" role="alert">'
                    f"{rejected_warning(data.rejected, lang)}</p>")
    if data.build_warning:
        warning = text["build_warning"].format(warning=e(data.build_warning))
        body.append(f"""
<p id="build-warning" class="warning">{warning}</p>""")
    columns = text["invoice_columns"]
    numeric = (False, True, True, True, True, True, False, False, False)
    header = "".join(f'<th class="num">{e(c)}</th>' if n else f"<th>{e(c)}</th>"
                     for c, n in zip(columns, numeric, strict=True))
    window = text["window"].format(start=e(ymd(f["invoice_window_start"])),
                                   end=e(ymd(f["invoice_window_end"])))
    rooms = data.rooms_opened
    if rooms is None:
        rooms_note = ""
    elif rooms["rooms"] == 1:
        opened_at = day.local(rooms["first_opened_at"])
        rooms_note = ('\n<p class="note" id="rooms-opened">'
                      + e(text["rooms_opened_one"].format(first=opened_at)) + "</p>")
    elif rooms["rooms"]:
        rooms_note = (
            '\n<p class="note" id="rooms-opened">'
            + e(text["rooms_opened"].format(rooms=rooms["rooms"],
                                            first=day.local(rooms["first_opened_at"]),
                                            last=day.local(rooms["last_opened_at"])))
            + "</p>")
    else:
        rooms_note = f'\n<p class="note" id="rooms-opened">{e(text["no_rooms_opened"])}</p>'
    body.append(f"""
<section id="invoice-line">
<h2>{e(text["invoice_heading"])}</h2>
<table class="invoice">
<thead><tr>{header}</tr></thead>
<tbody><tr>
<td>{e(month)}</td>
<td class="num" id="room-charges"
 data-value="{e(f['room_charges'])}">{count(f['room_charges'])}</td>
<td class="num" id="unit-price-krw" data-value="{e(f['unit_price_krw'])}">{e(unit_price)}</td>
<td class="num" id="fee-krw" data-value="{e(f['fee_krw'])}">{krw(f['fee_krw'])}</td>
<td class="num" id="vat-krw" data-value="{e(f['vat_krw'])}">{krw(f['vat_krw'])}</td>
<td class="num total" id="total-krw" data-value="{e(f['total_krw'])}">{krw(f['total_krw'])}</td>
<td id="billing-month">{e(billing_month)}</td>
<td id="invoice-window">{window}</td>
<td id="month-state">{e(state)}</td>
</tr></tbody></table>
<p class="note">{text["invoice_note"].format(vat_rate=e(vat_rate))}</p>{rooms_note}
</section>""")

    recon = data.reconciliation
    heading = e(text["reconciliation_heading"])
    if recon is None:
        body.append(f'<section id="reconciliation"><h2>{heading}</h2>'
                    f'<p><span id="reconciliation-status" class="status">'
                    f'{e(text["not_available"])}</span></p></section>')
    else:
        due = text["due"][0] if recon["is_invoice_due"] else text["due"][1]
        in_window = text["in_window"][recon["is_invoice_date_in_window"]]
        explanation = text["reconciliation"].get(recon["status"], "")
        status = text["statuses"].get(recon["status"], recon["status"])
        header = "".join(f'<th class="num">{e(c)}</th>' if n else f"<th>{e(c)}</th>"
                         for c, n in zip(text["reconciliation_columns"],
                                         (True, True, True, True, True, False, False, False),
                                         strict=True))
        body.append(f"""
<section id="reconciliation">
<h2>{heading}</h2>
<p><span id="reconciliation-status" class="status {e(recon['status'])}"
 data-status="{e(recon['status'])}">{e(status)}</span>
{e(explanation)}</p>
<table>
<thead><tr>{header}</tr></thead>
<tbody><tr>
<td class="num">{count(recon['expected_room_charges'])}</td>
<td class="num" id="expected-amount-krw">{krw(recon['expected_amount_krw'])}</td>
<td class="num">{count(recon['invoiced_room_charges'])}</td>
<td class="num" id="invoiced-amount-krw">{krw(recon['invoiced_amount_krw'])}</td>
<td class="num" id="amount-variance-krw">{krw(recon['amount_variance_krw'])}</td>
<td>{e(due)}</td><td class="date">{e(ymd(recon['invoice_date']))}</td><td>{e(in_window)}</td>
</tr></tbody></table>
<p class="note">{e(text["reconciliation_note"])}</p>
</section>""")

    adjustment_note = ""
    if daily_total != f["room_charges"]:
        note = text["adjustment_note"].format(now=f"{daily_total:,}",
                                              frozen=count(f["room_charges"]))
        adjustment_note = f'<p class="note" id="adjustment-note">{e(note)}</p>'
    split_columns = "".join(f'<th class="num">{e(c)}</th>' if index else f"<th>{e(c)}</th>"
                            for index, c in enumerate(text["split_columns"]))
    split_rollover = text["split_rollover"].format(start=day.start, zone=day.zone)
    body.append(f"""
<section id="daily">
<h2>{e(text["daily_heading"])}</h2>
{adjustment_note}
{daily_chart(data, lang)}
<div class="legend"><span><span class="swatch" style="background:{OPENED_COLOR}"></span>{
e(text["opened"])}
</span><span><span class="swatch" style="background:{ROLLOVER_COLOR}"></span>{
e(text["rollover"])}</span></div>
</section>
<section id="split">
<h2>{e(text["split_heading"])}</h2>
<table>
<thead><tr>{split_columns}</tr></thead>
<tbody>
<tr><td>{e(text["split_opened"])}</td>
<td class="num" id="opened-charges">{count(opened)}</td>
<td class="num">{percent(opened, opened + rollover)}</td></tr>
<tr><td>{e(split_rollover)}</td>
<td class="num" id="rollover-charges">{count(rollover)}</td>
<td class="num">{percent(rollover, opened + rollover)}</td></tr>
</tbody></table>
{split_bar(opened, rollover, lang)}
</section>""")

    if data.avoidable:
        items = [(text["avoidable_short"].get(row["category"], row["category"]),
                  row["amount_krw"], text["amount"].format(amount=row["amount_krw"]))
                 for row in data.avoidable]
        table = "".join(
            f'<tr><td>{e(avoidable_label(row["category"], day, lang))}</td>'
            f'<td class="num">{count(row["rooms"])}</td><td class="num">{count(row["charges"])}'
            f'</td><td class="num">{krw(row["amount_krw"])}</td></tr>'
            for row in data.avoidable)
        hours = ", ".join(text["rollover_hour"].format(hour=row["last_activity_hour"],
                                                       charges=row["charges"])
                          for row in data.rollover_hours if row["last_activity_hour"] is not None)
        hours_text = text["rollover_hours"].format(zone=day.zone, start=day.start, hours=hours)
        hours_note = f'<p class="note">{e(hours_text)}</p>' if hours else ""
        columns = "".join(f'<th class="num">{e(c)}</th>' if index else f"<th>{e(c)}</th>"
                          for index, c in enumerate(text["avoidable_columns"]))
        avoidable = (
            f"{hbar_chart('avoidable-chart', text['avoidable_title'], items)}"
            f"<table><thead><tr>{columns}</tr></thead>"
            f"<tbody>{table}</tbody></table>{hours_note}"
            f'<p class="note">{e(text["avoidable_note"])}</p>')
    else:
        avoidable = f'<p id="no-avoidable">{e(text["no_avoidable"])}</p>'
    body.append(f'<section id="avoidable"><h2>{e(text["avoidable_heading"])}</h2>{avoidable}'
                "</section>")

    if data.teams:
        items = [(team_label(row, lang), row["allocated_krw"],
                  text["amount"].format(amount=row["allocated_krw"])) for row in data.teams]
        table = "".join(
            f"<tr><td>{e(team_label(row, lang))}</td><td class='num'>{count(row['consultants'])}"
            f"</td><td class='num'>{count(row['charges'])}</td>"
            f"<td class='num'>{krw(row['allocated_krw'])}</td></tr>" for row in data.teams)
        columns = "".join(f'<th class="num">{e(c)}</th>' if index else f"<th>{e(c)}</th>"
                          for index, c in enumerate(text["teams_columns"]))
        teams = (
            f"{hbar_chart('team-chart', text['teams_title'], items)}"
            f"<table><thead><tr>{columns}</tr></thead>"
            f"<tbody>{table}</tbody></table>"
            f'<p class="note">{e(text["teams_note"])}</p>')
    else:
        teams = f"<p>{e(text['no_teams'])}</p>"
    body.append(f'<section id="cost-by-team"><h2>{e(text["teams_heading"])}</h2>{teams}'
                "</section>")

    marts = ["fct_monthly_fees", "fct_room_charges", "fct_chat_rooms", "rpt_avoidable_charges",
             "rpt_cost_by_team", "rpt_invoice_reconciliation"]
    if data.rejected_checked:
        marts.append(REJECTED_MART)
    footer = text["footer"].format(
        marts=", ".join(marts[:-1]) + text["and"] + marts[-1],
        source=source_text(data.source, lang), computed=day.local(f["computed_at"]),
        generated=day.local(generated_at))
    body.append(f"""
<footer>{e(footer)}
</footer>""")

    title = text["title"].format(channel=data.channel_id, month=month)
    return (
        f'<!DOCTYPE html>\n<html lang="{e(lang)}">\n<head>\n<meta charset="utf-8">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        f"<title>{e(title)}</title>\n<style>{CSS}</style>\n</head>\n"
        f"<body>\n<main>{''.join(body)}\n</main>\n</body>\n</html>\n"
    )


def file_name(channel: str, month: dt.date) -> str:
    """statement_<month>_<channel>.html; characters unsafe in a file name become '_', and then
    a short hash of the id keeps two such channels apart."""
    safe = re.sub(r"[^\w@.-]+", "_", channel).strip("._") or "channel"
    if safe != channel:
        safe += "-" + hashlib.sha256(channel.encode("utf-8")).hexdigest()[:8]
    return f"statement_{month:%Y-%m}_{safe}.html"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--month", required=True, help="usage month, YYYY-MM")
    parser.add_argument("--channel", help="one channel id (default: every channel with usage)")
    parser.add_argument("--out", default=DEFAULT_OUT_DIR,
                        help="folder for the HTML files (default: %(default)s)")
    parser.add_argument(
        "--database", default=os.environ.get("KAKAO_DUCKDB_PATH", DEFAULT_DATABASE),
        help="DuckDB warehouse file (default: $KAKAO_DUCKDB_PATH or %(default)s)")
    parser.add_argument(
        "--published-dir", default=os.environ.get("KAKAO_PUBLISH_DIR") or None,
        help="the marts published by the last build (default: $KAKAO_PUBLISH_DIR, or folder "
             "'published' next to the warehouse file)")
    parser.add_argument(
        "--source", choices=["auto", "warehouse", "published"], default="auto",
        help="auto (default): the warehouse, or the published copy while a build holds it")
    parser.add_argument(
        "--lang", choices=LANGUAGES, default="ko",
        help="the page's language: ko (Korean, default) or en (English)")
    args = parser.parse_args(argv)
    try:
        month = parse_month(args.month)
        published_dir = (Path(args.published_dir) if args.published_dir
                         else Path(args.database).parent / "published")
        connection, source = connect(args.source, Path(args.database), published_dir)
        with connection:
            try:
                unused = invoices_without_usage(connection, month, args.channel)
                channels = channels_with_usage(connection, month, args.channel, unused)
                day = billing_day(connection)
                # the published copy is a complete build's; the warehouse says how its last went
                warning = (None if source.startswith("published")
                           else last_build_warning(connection))
                check_rejected = has_rejected_rows_mart(connection)
                statements = [load(connection, channel, month, source, day, warning,
                                   check_rejected)
                              for channel in channels]
            except duckdb.Error as error:
                raise StatementError(f"Cannot read the marts ({first_line(error)}); run "
                                     "`make build` to rebuild them.") from None
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        generated_at = dt.datetime.now(dt.UTC)
        for data in statements:
            path = out / file_name(data.channel_id, month)
            path.write_text(render(data, generated_at, args.lang), encoding="utf-8")
            print(path)
        if not check_rejected:
            print(f"note: the {source} has no marts.{REJECTED_MART} (built by an earlier version"
                  " of the project), so the statements cannot warn of rejected input rows;"
                  " `make build` adds it.", file=sys.stderr)
        if unused:
            print(f"note: {unused} No statement shows them.", file=sys.stderr)
        if warning and statements:
            print(f"warning: {warning} The statements say so too.", file=sys.stderr)
    except StatementError as error:
        print(f"statement.py: {error}", file=sys.stderr)
        return 1
    except duckdb.Error as error:
        print(f"statement.py: {first_line(error)}", file=sys.stderr)
        return 1
    except OSError as error:
        print(f"statement.py: cannot write the statement: {error}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
