"""Write the monthly 상담톡 statement: one self-contained HTML file per channel with usage in the
month (the invoice line, daily charges, opened vs rollover, avoidable charges, cost by team and
the reconciliation with Kakao's invoice), read from the marts of a built warehouse. The price,
VAT rate, billing day and room charge policy on the page are the warehouse's. A channel Kakao
invoiced for the month without usage has no file: the run names it on stderr.

The file needs no network to view: inline CSS, charts drawn here as inline SVG, no scripts, no
fonts or images fetched. It reads the warehouse file read-only; while a build holds that file,
it reads the marts the last successful build published as Parquet (KAKAO_PUBLISH_DIR) instead.
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

import duckdb

from build_status import last_build_warning

DEFAULT_DATABASE = "warehouse/kakao_billing.duckdb"
DEFAULT_OUT_DIR = "warehouse/statements"
MARTS = (
    "fct_monthly_fees",
    "fct_room_charges",
    "rpt_avoidable_charges",
    "rpt_cost_by_team",
    "rpt_invoice_reconciliation",
    "rpt_billing_settings",
)
MONTH_PATTERN = re.compile(r"(\d{4})-(\d{2})")

OPENED_COLOR = "#2f6fdb"
ROLLOVER_COLOR = "#f29f2e"
BAR_COLOR = "#5b7a99"

AVOIDABLE_LABELS = {
    "quick_reentry": "Quick re-entry: a new room soon after the previous one ended",
    "superseded": "Superseded: a new room while the previous one, charged that day, was open",
    "unanswered": "Unanswered: no consultant message that billing day",
    "rollover": "Rollover: the room carried on past {start} {zone}",
}
RECONCILIATION_LABELS = {
    "match": "The invoice matches the expected fee.",
    "over_billed": "The invoice is higher than the expected fee.",
    "under_billed": "The invoice is lower than the expected fee.",
    "missing_invoice": "No invoice line for this month yet.",
    "missing_usage": "An invoice line without expected charges.",
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
    for mart in MARTS:
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

    @property
    def policy(self) -> str:
        """room_charge_policy in words (DECISIONLOG D1)."""
        return {
            "activity": "a room is charged for each billing day on which it was opened or"
                        " carried a message",
            "open": "a room is charged for each billing day from its opening through the day"
                    " it ended",
        }.get(self.charge_policy, self.charge_policy)


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


def load(connection: duckdb.DuckDBPyConnection, channel: str, month: dt.date,
         source: str, day: BillingDay, build_warning: str | None = None) -> ChannelMonth:
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
    return ChannelMonth(channel, month, fees, daily, avoidable, rollover_hours, teams,
                        reconciliation[0] if reconciliation else None, source, day,
                        build_warning)


# --- rendering -----------------------------------------------------------------------------


def plural(number: int, noun: str) -> str:
    return f"{number:,} {noun}{'' if number == 1 else 's'}"


def vat_rate_text(fee: int | None, vat: int | None) -> str:
    """The VAT rate the month's fee and VAT show (var vat_rate when the month was computed), as
    the shortest percentage that gives that VAT rounded down to the won; 'the VAT rate' when
    there is no fee to tell it by."""
    if not fee or vat is None:
        return "the VAT rate"
    for decimals in range(4):
        rate = round(Decimal(vat) * 100 / fee, decimals)
        if math.floor(fee * rate / 100) == vat:
            return f"{rate.normalize():f}%"
    return f"{Decimal(vat) * 100 / fee:.4f}%"


def avoidable_label(category: str, day: BillingDay) -> str:
    label = AVOIDABLE_LABELS.get(category, category)
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


def nice_step(maximum: int, ticks: int = 4) -> int:
    """A round step (1, 2, 5 x 10^n) so that about `ticks` gridlines cover 0..maximum."""
    raw = max(maximum / ticks, 1)
    magnitude = 10 ** (len(str(int(raw))) - 1)
    for factor in (1, 2, 5, 10):
        if factor * magnitude >= raw:
            return factor * magnitude
    return 10 * magnitude


def daily_chart(data: ChannelMonth) -> str:
    """Charges per billing day, opened (bottom) and rollover (top) stacked; one g.bar per day
    with charges."""
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

    label = (f"Charges per billing day in {data.month:%Y-%m}: opened and rollover, "
             f"{plural(len(data.daily), 'day')} with charges")
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
                 f' text-anchor="middle">billing day ({e(data.billing_day.span)})</text>')
    for row in data.daily:
        day = row["billing_date"]
        x = left + slot * (day.day - 1) + (slot - bar_w) / 2
        title = (f"{ymd(day)}: {plural(row['charges'], 'charge')} ({row['opened']:,} opened, "
                 f"{row['rollover']:,} rollover), {row['amount_krw']:,} KRW")
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


def split_bar(opened: int, rollover: int) -> str:
    total = opened + rollover or 1
    width, height = 560, 26
    opened_w = width * opened / total
    label = f"Opened {opened:,} and rollover {rollover:,} charges"
    return (
        f'<svg id="split-chart" class="chart" role="img" viewBox="0 0 {width} {height}"'
        f' width="{width}" height="{height}" aria-labelledby="split-chart-title">'
        f'<title id="split-chart-title">{e(label)}</title>'
        f'<rect class="opened" x="0" y="0" width="{opened_w:.1f}" height="{height}"'
        f' fill="{OPENED_COLOR}"/>'
        f'<rect class="rollover" x="{opened_w:.1f}" y="0" width="{width - opened_w:.1f}"'
        f' height="{height}" fill="{ROLLOVER_COLOR}"/></svg>'
    )


def team_label(row: dict) -> str:
    if row["allocation_target"] == "unanswered":
        return "Unanswered (no consultant)"
    if row["allocation_target"] == "unidentified_consultant":
        return "Unidentified consultant"
    return row["team"] if row["team"] is not None else "No team"


def percent(part: int, whole: int) -> str:
    return f"{100 * part / whole:.0f}%" if whole else "-"


CSS = """
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Apple SD Gothic Neo", "Malgun Gothic",
  "Noto Sans KR", "Noto Sans CJK KR", "Nanum Gothic", "Segoe UI", Roboto, sans-serif;
  color: #1d2733; background: #fff; margin: 0; padding: 32px; line-height: 1.45; }
main { max-width: 1000px; margin: 0 auto; }
h1 { font-size: 24px; margin: 0 0 4px; }
h2 { font-size: 18px; margin: 32px 0 8px; border-bottom: 1px solid #d8dee6; padding-bottom: 4px; }
.sub { color: #5a6675; margin: 0 0 16px; }
table { border-collapse: collapse; margin: 8px 0; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid #d8dee6; padding: 6px 10px; text-align: left; vertical-align: top; }
th { background: #f3f6f9; font-weight: 600; }
td.num, th.num { text-align: right; }
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
footer { margin-top: 40px; color: #5a6675; font-size: 12px; }
@media print { body { padding: 0; } h2 { break-after: avoid; } }
"""


def render(data: ChannelMonth, generated_at: dt.datetime) -> str:
    """The statement as one HTML document; every value from the marts is escaped."""
    f = data.fees
    month = f"{data.month:%Y-%m}"
    opened, rollover = f["opened_charges"] or 0, f["rollover_charges"] or 0
    daily_total = sum(d["charges"] for d in data.daily)
    day = data.billing_day
    vat_rate = vat_rate_text(f["fee_krw"], f["vat_krw"])
    if f["unit_price_krw"] is not None:
        unit_price = krw(f["unit_price_krw"])
        pricing = f"{unit_price} KRW per chat room per billing day ({day.span})"
    else:
        unit_price = "varies (price changed this month)"
        pricing = (f"charged per chat room per billing day ({day.span}) at the rate card's price"
                   " of the day (it changed this month)")
    state = ("closed (frozen at close)" if f["is_closed"]
             else "open (follows the charges on each build)")
    body: list[str] = []

    body.append(f"""
<header>
<h1>상담톡 monthly statement: <span id="channel-id">{e(data.channel_id)}</span>,
<span id="usage-month">{e(month)}</span></h1>
<p class="sub">KakaoTalk consultation talk, <span id="pricing">{e(pricing)}</span>.
Charged under room_charge_policy <span id="charge-policy">{e(day.charge_policy)}</span>:
{e(day.policy)}. Usage month {e(month)}, billed with the invoice for
{e(f"{f['billing_month']:%Y-%m}")}.</p>
</header>""")
    if data.build_warning:
        body.append(f"""
<p id="build-warning" class="warning">Warning: {e(data.build_warning)}</p>""")
    body.append(f"""
<section id="invoice-line">
<h2>Invoice line</h2>
<table class="invoice">
<thead><tr><th>Usage month</th><th class="num">Charges</th><th class="num">Unit price (KRW)</th>
<th class="num">Fee (KRW)</th><th class="num">VAT (KRW)</th><th class="num">Total (KRW)</th>
<th>Billing month</th><th>Invoice window</th><th>Month</th></tr></thead>
<tbody><tr>
<td>{e(month)}</td>
<td class="num" id="room-charges"
 data-value="{e(f['room_charges'])}">{count(f['room_charges'])}</td>
<td class="num" id="unit-price-krw" data-value="{e(f['unit_price_krw'])}">{e(unit_price)}</td>
<td class="num" id="fee-krw" data-value="{e(f['fee_krw'])}">{krw(f['fee_krw'])}</td>
<td class="num" id="vat-krw" data-value="{e(f['vat_krw'])}">{krw(f['vat_krw'])}</td>
<td class="num total" id="total-krw" data-value="{e(f['total_krw'])}">{krw(f['total_krw'])}</td>
<td id="billing-month">{e(f"{f['billing_month']:%Y-%m}")}</td>
<td id="invoice-window">{e(ymd(f['invoice_window_start']))} to
 {e(ymd(f['invoice_window_end']))}</td>
<td id="month-state">{e(state)}</td>
</tr></tbody></table>
<p class="note">Fee = charges x unit price; VAT = <span id="vat-rate">{e(vat_rate)}</span> of the
fee, rounded down to the won, shown separately; total = fee + VAT. The invoice is normally issued
between the dates of the invoice window.</p>
</section>""")

    recon = data.reconciliation
    if recon is None:
        body.append('<section id="reconciliation"><h2>Reconciliation with the invoice</h2>'
                    '<p><span id="reconciliation-status" class="status">not available</span>'
                    "</p></section>")
    else:
        due = "yes" if recon["is_invoice_due"] else "not yet"
        in_window = {True: "yes", False: "no", None: "-"}[recon["is_invoice_date_in_window"]]
        explanation = RECONCILIATION_LABELS.get(recon["status"], "")
        body.append(f"""
<section id="reconciliation">
<h2>Reconciliation with the invoice</h2>
<p><span id="reconciliation-status" class="status {e(recon['status'])}">{e(recon['status'])}</span>
{e(explanation)}</p>
<table>
<thead><tr><th class="num">Expected charges</th><th class="num">Expected (KRW, before VAT)</th>
<th class="num">Invoiced charges</th><th class="num">Invoiced (KRW, before VAT)</th>
<th class="num">Variance (KRW)</th><th>Invoice due</th><th>Invoice date</th>
<th>In window</th></tr></thead>
<tbody><tr>
<td class="num">{count(recon['expected_room_charges'])}</td>
<td class="num" id="expected-amount-krw">{krw(recon['expected_amount_krw'])}</td>
<td class="num">{count(recon['invoiced_room_charges'])}</td>
<td class="num" id="invoiced-amount-krw">{krw(recon['invoiced_amount_krw'])}</td>
<td class="num" id="amount-variance-krw">{krw(recon['amount_variance_krw'])}</td>
<td>{e(due)}</td><td>{e(ymd(recon['invoice_date']))}</td><td>{e(in_window)}</td>
</tr></tbody></table>
<p class="note">Expected = this month's charges, including adjustments found after it closed.
Invoices come from seeds/kakao_invoices.csv.</p>
</section>""")

    adjustment_note = ""
    if daily_total != f["room_charges"]:
        adjustment_note = (
            f'<p class="note" id="adjustment-note">The charges below are as the events say now: '
            f"{daily_total:,}. The invoice line above was frozen when the month closed, with "
            f"{count(f['room_charges'])}; the difference is in marts.fct_fee_adjustments.</p>")
    body.append(f"""
<section id="daily">
<h2>Charges per billing day</h2>
{adjustment_note}
{daily_chart(data)}
<div class="legend"><span><span class="swatch" style="background:{OPENED_COLOR}"></span>opened
</span><span><span class="swatch" style="background:{ROLLOVER_COLOR}"></span>rollover</span></div>
</section>
<section id="split">
<h2>Opened vs rollover</h2>
<table>
<thead><tr><th>Charge</th><th class="num">Charges</th><th class="num">Share</th></tr></thead>
<tbody>
<tr><td>Opened: the room's first billing day</td>
<td class="num" id="opened-charges">{count(opened)}</td>
<td class="num">{percent(opened, opened + rollover)}</td></tr>
<tr><td>Rollover: a later billing day (past {e(day.start)} {e(day.zone)})</td>
<td class="num" id="rollover-charges">{count(rollover)}</td>
<td class="num">{percent(rollover, opened + rollover)}</td></tr>
</tbody></table>
{split_bar(opened, rollover)}
</section>""")

    if data.avoidable:
        items = [(row["category"], row["amount_krw"], f"{row['amount_krw']:,} KRW")
                 for row in data.avoidable]
        table = "".join(
            f'<tr><td>{e(avoidable_label(row["category"], day))}</td>'
            f'<td class="num">{count(row["rooms"])}</td><td class="num">{count(row["charges"])}'
            f'</td><td class="num">{krw(row["amount_krw"])}</td></tr>'
            for row in data.avoidable)
        hours = ", ".join(f"{row['last_activity_hour']:02d}:00 ({row['charges']:,})"
                          for row in data.rollover_hours if row["last_activity_hour"] is not None)
        hours_note = (f'<p class="note">Rollover charges by the hour ({e(day.zone)}) of the'
                      f" room's last activity before the billing day rolled over at"
                      f" {e(day.start)}: {e(hours)}.</p>"
                      if hours else "")
        avoidable = (
            f"{hbar_chart('avoidable-chart', 'Avoidable charges by category, KRW', items)}"
            f'<table><thead><tr><th>Category</th><th class="num">Rooms</th>'
            f'<th class="num">Charges</th><th class="num">KRW (before VAT)</th></tr></thead>'
            f"<tbody>{table}</tbody></table>{hours_note}"
            '<p class="note">Categories overlap (a charge can be in several): add up within one,'
            " not across.</p>")
    else:
        avoidable = '<p id="no-avoidable">No avoidable charges this month.</p>'
    body.append(f'<section id="avoidable"><h2>Avoidable charges</h2>{avoidable}</section>')

    if data.teams:
        items = [(team_label(row), row["allocated_krw"], f"{row['allocated_krw']:,} KRW")
                 for row in data.teams]
        table = "".join(
            f"<tr><td>{e(team_label(row))}</td><td class='num'>{count(row['consultants'])}</td>"
            f"<td class='num'>{count(row['charges'])}</td>"
            f"<td class='num'>{krw(row['allocated_krw'])}</td></tr>" for row in data.teams)
        teams = (
            f"{hbar_chart('team-chart', 'Cost by team, KRW before VAT', items)}"
            f'<table><thead><tr><th>Team</th><th class="num">Consultants</th>'
            f'<th class="num">Charges</th><th class="num">KRW (before VAT)</th></tr></thead>'
            f"<tbody>{table}</tbody></table>"
            '<p class="note">Each charge is split evenly among the consultants who wrote in the'
            " room that billing day; the rows add up to the fee.</p>")
    else:
        teams = "<p>No cost allocation for this month.</p>"
    body.append(f'<section id="cost-by-team"><h2>Cost by team</h2>{teams}</section>')

    computed = f["computed_at"]
    computed_text = f"{computed:%Y-%m-%d %H:%M} UTC" if computed is not None else "-"
    body.append(f"""
<footer>Figures from marts fct_monthly_fees, fct_room_charges, rpt_avoidable_charges,
rpt_cost_by_team and rpt_invoice_reconciliation, the billing day from rpt_billing_settings, read
from the {e(data.source)}; invoice line computed {e(computed_text)}. Statement generated
{e(f"{generated_at:%Y-%m-%d %H:%M}")} UTC.
</footer>""")

    title = f"상담톡 statement {data.channel_id} {month}"
    return (
        '<!DOCTYPE html>\n<html lang="ko">\n<head>\n<meta charset="utf-8">\n'
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
                statements = [load(connection, channel, month, source, day, warning)
                              for channel in channels]
            except duckdb.Error as error:
                raise StatementError(f"Cannot read the marts ({first_line(error)}); run "
                                     "`make build` to rebuild them.") from None
        out = Path(args.out)
        out.mkdir(parents=True, exist_ok=True)
        generated_at = dt.datetime.now(dt.UTC)
        for data in statements:
            path = out / file_name(data.channel_id, month)
            path.write_text(render(data, generated_at), encoding="utf-8")
            print(path)
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
