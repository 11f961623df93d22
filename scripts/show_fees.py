"""Print the monthly fee table, the invoice reconciliation and where every raw row went, from a
built warehouse.

--brief (`make run`, `make try`): the fee table alone, fitted to --width columns (100), its
latest --max-rows rows, and where to see the rest.
"""

from __future__ import annotations

import argparse
import os
import sys
import textwrap
import unicodedata
from pathlib import Path

import duckdb

from build_status import last_build_warning

DEFAULT_DATABASE = "warehouse/kakao_billing.duckdb"
# The marts the queries below read.
MARTS = ["fct_monthly_fees", "fct_fee_adjustments", "rpt_invoice_reconciliation",
         "fct_chat_event_audit"]

FEES_QUERY = """
    select
        channel_id,
        strftime(usage_month, '%Y-%m') as usage_month,
        room_charges,
        opened_charges,
        rollover_charges,
        unit_price_krw,
        fee_krw,
        vat_krw,
        total_krw,
        strftime(billing_month, '%Y-%m') as billing_month,
        strftime(invoice_window_start, '%m-%d') || '..' || strftime(invoice_window_end, '%m-%d')
            as invoice_window,
        case when is_closed then 'closed' else 'open' end as status
    from marts.fct_monthly_fees
    order by usage_month, channel_id
"""

ADJUSTMENTS_QUERY = """
    select
        channel_id,
        strftime(usage_month, '%Y-%m') as usage_month,
        room_charges_delta,
        fee_krw_delta,
        vat_krw_delta,
        total_krw_delta,
        strftime(detected_at, '%Y-%m-%d %H:%M') as detected_at_utc,
        reason,
        caused_by_event_count
    from marts.fct_fee_adjustments
    order by detected_at, usage_month, channel_id
"""

RECONCILIATION_QUERY = """
    select
        channel_id,
        strftime(usage_month, '%Y-%m') as usage_month,
        expected_amount_krw,
        invoiced_amount_krw,
        amount_variance_krw,
        status,
        case when is_invoice_due then 'yes' else 'not yet' end as is_invoice_due,
        strftime(invoice_date, '%Y-%m-%d') as invoice_date,
        case
            when is_invoice_date_in_window then 'yes'
            when not is_invoice_date_in_window then 'no'
        end as is_invoice_date_in_window,
        rejected_rows
    from marts.rpt_invoice_reconciliation
    order by usage_month, channel_id
"""

# The months whose expected fee rejected input rows may have lowered (DECISIONLOG D39)
REJECTED_WARNINGS_QUERY = """
    select channel_id || ' ' || strftime(usage_month, '%Y-%m') || ': ' || warning
    from marts.rpt_invoice_reconciliation
    where rejected_rows > 0
    order by usage_month, channel_id
"""

# --brief: the reconciliation's rows by status, in this order
RECONCILIATION_COUNTS_QUERY = """
    select status, count(*), count(*) filter (where not is_invoice_due)
    from marts.rpt_invoice_reconciliation
    group by status
    order by list_position(
        ['match', 'over_billed', 'under_billed', 'missing_invoice', 'missing_usage'], status),
        status
"""

AUDIT_QUERY = """
    select disposition, disposition_reason, count(*) as raw_rows
    from marts.fct_chat_event_audit
    group by all
    order by disposition, raw_rows desc, disposition_reason
"""


# The fee table's columns --brief leaves out first, in this order, when the table is wider
# than --width: those the others imply (billing_month: the invoice window's month; the unit
# price: fee / charges), then the split of the charges. `make fees` shows them all.
BRIEF_COLUMNS_TO_DROP = ["billing_month", "unit_price_krw", "opened_charges", "rollover_charges",
                         "vat_krw", "invoice_window"]
BRIEF_WIDTH = 100
# fit_table shortens longer text values before it leaves out any column.
TEXT_COLUMNS = 24
BRIEF_ROWS = 24


def display_width(text: str) -> int:
    """Columns a terminal gives the text: Hangul and other wide characters take two."""
    return sum(2 if unicodedata.east_asian_width(c) in "WF" else 1 for c in text)


def cut(text: str, width: int, *, keep_end: bool = False) -> str:
    """The text, shortened with '...' to at most width columns (keep_end: its end, as of a
    file path)."""
    if display_width(text) <= width:
        return text
    if keep_end:
        while text and display_width("..." + text) > width:
            text = text[1:]
        return "..." + text
    while text and display_width(text + "...") > width:
        text = text[:-1]
    return text + "..."


def format_table(headers: list[str], rows: list[tuple[object, ...]]) -> str:
    """Render rows as an aligned text table; numbers right-aligned, nulls as '-'."""
    cells = [[("-" if v is None else f"{v:,}" if isinstance(v, int) else str(v)) for v in row]
             for row in rows]
    widths = [max([display_width(h)] + [display_width(r[i]) for r in cells])
              for i, h in enumerate(headers)]
    numeric = [all(isinstance(row[i], int | type(None)) for row in rows) and bool(rows)
               for i in range(len(headers))]

    def pad(value: str, width: int, right: bool) -> str:
        fill = " " * (width - display_width(value))
        return fill + value if right else value + fill

    def line(values: list[str]) -> str:
        return "  ".join(pad(v, w, n)
                         for v, w, n in zip(values, widths, numeric, strict=True)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in cells)])


def table_width(table: str) -> int:
    return max(display_width(line) for line in table.splitlines())


def fit_table(headers: list[str], rows: list[tuple[object, ...]], width: int,
              drop: list[str] = (), keep_end: tuple[str, ...] = ()) -> tuple[str, list[str]]:
    """format_table within width columns: shortens text values longer than TEXT_COLUMNS
    ('...'; from the start in the keep_end columns, such as file paths), then leaves out the
    columns in `drop`, in order, then shortens the widest text column further, until it fits.
    Returns the table and the columns left out."""
    headers, rows = list(headers), [tuple(row) for row in rows]

    def overflow() -> int:
        return table_width(format_table(headers, rows)) - width

    def shorten(limit: int) -> bool:
        """Cut the widest text column's values to what fits (not below limit); False when
        there is nothing left to cut."""
        nonlocal rows
        text = [i for i in range(len(headers)) if any(isinstance(row[i], str) for row in rows)]
        if not text:
            return False
        widest = max(text, key=lambda i: max(display_width(str(row[i])) for row in rows))
        longest = max(display_width(str(row[widest])) for row in rows)
        target = max(limit, longest - overflow())
        if target >= longest:
            return False
        keep = headers[widest] in keep_end
        rows = [(*row[:widest],
                 cut(row[widest], target, keep_end=keep) if isinstance(row[widest], str)
                 else row[widest],
                 *row[widest + 1:]) for row in rows]
        return True

    while overflow() > 0 and shorten(TEXT_COLUMNS):
        pass
    dropped: list[str] = []
    for column in drop:
        if overflow() <= 0:
            break
        if column in headers:
            index = headers.index(column)
            headers.pop(index)
            rows = [row[:index] + row[index + 1:] for row in rows]
            dropped.append(column)
    while overflow() > 0 and shorten(8):
        pass
    return format_table(headers, rows), dropped


def print_brief(connection: duckdb.DuckDBPyConnection, database: Path, width: int,
                max_rows: int) -> None:
    """The fee table within width columns, its latest max_rows rows, and where the rest is."""
    fees = connection.execute(FEES_QUERY)
    headers = [d[0] for d in fees.description]
    rows = fees.fetchall()
    adjustments = connection.execute("select count(*) from marts.fct_fee_adjustments").fetchone()
    default = Path(os.environ.get("KAKAO_DUCKDB_PATH", DEFAULT_DATABASE))
    make_fees = "make fees" if database.resolve() == default.resolve() else (
        f"make fees KAKAO_DUCKDB_PATH={database}")
    print("Monthly 상담톡 fees (KRW), marts.fct_monthly_fees\n")
    notes: list[str] = []
    if not rows:
        print("(no charges)")
    else:
        shown = rows[-max_rows:]
        table, dropped = fit_table(headers, shown, width, BRIEF_COLUMNS_TO_DROP)
        print(table)
        if len(shown) < len(rows):
            notes.append(f"(the latest {len(shown)} of {len(rows)} rows)")
        if dropped:
            notes.append(f"Left out to fit {width} columns: {', '.join(dropped)}.")
    statuses = connection.execute(RECONCILIATION_COUNTS_QUERY).fetchall()
    warned = connection.execute(REJECTED_WARNINGS_QUERY).fetchall()
    if warned:
        notes.append(f"Warning: rejected input rows may have lowered the expected fee of"
                     f" {len(warned)} month(s) (columns rejected_rows and warning of"
                     " marts.rpt_invoice_reconciliation).")
    if statuses:
        counted = ", ".join(
            f"{count:,} {status}" + (f" ({not_due:,} not due yet)" if not_due else "")
            for status, count, not_due in statuses)
        notes.append(f"Kakao's invoices against these fees: {counted}.")
    if adjustments and adjustments[0]:
        notes.append(f"{adjustments[0]:,} adjustment(s) to closed months:"
                     " marts.fct_fee_adjustments.")
    for note in notes:
        print(textwrap.fill(note, width, subsequent_indent="  ", break_on_hyphens=False))
    more = "Every column, Kakao's invoices against these fees and what became of each raw row:"
    # the command whole, on a line of its own when the line would be too wide
    print(f"{more} {make_fees}" if display_width(f"{more} {make_fees}") <= width
          else f"{more}\n  {make_fees}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--database",
        default=os.environ.get("KAKAO_DUCKDB_PATH", DEFAULT_DATABASE),
        help="DuckDB warehouse file (default: $KAKAO_DUCKDB_PATH or %(default)s)",
    )
    parser.add_argument("--brief", action="store_true",
                        help="only the fee table, fitted to --width, and where the rest is")
    parser.add_argument("--width", type=int, default=BRIEF_WIDTH,
                        help="--brief: the widest line, in columns (default %(default)s)")
    parser.add_argument("--max-rows", type=int, default=BRIEF_ROWS,
                        help="--brief: show the latest this many rows (default %(default)s)")
    args = parser.parse_args(argv)
    database = Path(args.database)
    if not database.exists():
        print(f"No warehouse at {database}; build it first with `make run`.", file=sys.stderr)
        return 1
    try:
        connection = duckdb.connect(str(database), read_only=True)
    except duckdb.IOException as error:
        print(f"Cannot open {database}: {error}", file=sys.stderr)
        return 1
    with connection:
        # as statement.py checks: information_schema.tables lists tables and views
        built = {name for (name,) in connection.execute(
            "select table_name from information_schema.tables where table_schema = 'marts'"
        ).fetchall()}
        missing = [mart for mart in MARTS if mart not in built]
        if missing:
            # e.g. a first build that stopped on a bad event file left an empty warehouse file
            print(f"The warehouse {database} has no marts.{missing[0]}; run `make run`.",
                  file=sys.stderr)
            return 1
        warning = last_build_warning(connection)
        if args.brief:
            if warning:
                print(f"warning: {warning}\n", file=sys.stderr)
            print_brief(connection, database, args.width, args.max_rows)
            return 0
        fees = connection.execute(FEES_QUERY)
        fee_headers = [d[0] for d in fees.description]
        fee_rows = fees.fetchall()
        adjustments = connection.execute(ADJUSTMENTS_QUERY)
        adjustment_headers = [d[0] for d in adjustments.description]
        adjustment_rows = adjustments.fetchall()
        reconciliation = connection.execute(RECONCILIATION_QUERY)
        reconciliation_headers = [d[0] for d in reconciliation.description]
        reconciliation_rows = reconciliation.fetchall()
        rejected_warnings = [row[0] for row in
                             connection.execute(REJECTED_WARNINGS_QUERY).fetchall()]
        audit = connection.execute(AUDIT_QUERY)
        audit_headers = [d[0] for d in audit.description]
        audit_rows = audit.fetchall()

    if warning:
        print(f"warning: {warning}\n", file=sys.stderr)
    print(f"Monthly 상담톡 fees (KRW), marts.fct_monthly_fees in {database}\n")
    print(format_table(fee_headers, fee_rows) if fee_rows else "(no charges)")
    if adjustment_rows:
        print("\nAdjustments to closed months (marts.fct_fee_adjustments)\n")
        print(format_table(adjustment_headers, adjustment_rows))
    print("\nKakao's invoices against the expected fee, before VAT"
          " (marts.rpt_invoice_reconciliation)\n")
    print(format_table(reconciliation_headers, reconciliation_rows)
          if reconciliation_rows else "(no months)")
    for line in rejected_warnings:
        # a line of its own per month, not a footnote: the expected fee may be too low
        print(f"warning: {line}")
    print("\nEvery raw event row, by disposition (marts.fct_chat_event_audit)\n")
    print(format_table(audit_headers, audit_rows) if audit_rows else "(no rows)")
    if warning:
        # said again at the end, where a long table leaves the reader
        print(f"\nwarning: {warning}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    try:
        code = main()
        sys.stdout.flush()
        sys.exit(code)
    except BrokenPipeError:
        # The reader stopped early (`make fees | head`): nothing more to say, and no traceback.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(1)
