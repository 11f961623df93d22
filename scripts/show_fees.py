"""Print the monthly fee table, the invoice reconciliation and where every raw row went, from a
built warehouse."""

from __future__ import annotations

import argparse
import os
import sys
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
        end as is_invoice_date_in_window
    from marts.rpt_invoice_reconciliation
    order by usage_month, channel_id
"""

AUDIT_QUERY = """
    select disposition, disposition_reason, count(*) as raw_rows
    from marts.fct_chat_event_audit
    group by all
    order by disposition, raw_rows desc, disposition_reason
"""


def format_table(headers: list[str], rows: list[tuple[object, ...]]) -> str:
    """Render rows as an aligned text table; numbers right-aligned, nulls as '-'."""
    cells = [[("-" if v is None else f"{v:,}" if isinstance(v, int) else str(v)) for v in row]
             for row in rows]
    widths = [max([len(h)] + [len(r[i]) for r in cells]) for i, h in enumerate(headers)]
    numeric = [all(isinstance(row[i], int | type(None)) for row in rows) and bool(rows)
               for i in range(len(headers))]

    def line(values: list[str]) -> str:
        return "  ".join(v.rjust(w) if n else v.ljust(w)
                         for v, w, n in zip(values, widths, numeric, strict=True)).rstrip()

    rule = "  ".join("-" * w for w in widths)
    return "\n".join([line(headers), rule, *(line(r) for r in cells)])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--database",
        default=os.environ.get("KAKAO_DUCKDB_PATH", DEFAULT_DATABASE),
        help="DuckDB warehouse file (default: $KAKAO_DUCKDB_PATH or %(default)s)",
    )
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
        fees = connection.execute(FEES_QUERY)
        fee_headers = [d[0] for d in fees.description]
        fee_rows = fees.fetchall()
        adjustments = connection.execute(ADJUSTMENTS_QUERY)
        adjustment_headers = [d[0] for d in adjustments.description]
        adjustment_rows = adjustments.fetchall()
        reconciliation = connection.execute(RECONCILIATION_QUERY)
        reconciliation_headers = [d[0] for d in reconciliation.description]
        reconciliation_rows = reconciliation.fetchall()
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
