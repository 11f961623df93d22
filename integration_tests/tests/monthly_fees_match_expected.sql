-- The package's monthly fees built here equal the hand-derived ones of its expected-output
-- fixtures (tests/fixtures/expected/monthly_fees_activity.csv, a seed here), compared as text:
-- a row is returned for every fee missing or not expected.
with

built as (

    select
        channel_id,
        cast(usage_month as varchar) as usage_month,
        cast(room_charges as varchar) as room_charges,
        cast(opened_charges as varchar) as opened_charges,
        cast(rollover_charges as varchar) as rollover_charges,
        cast(unit_price_krw as varchar) as unit_price_krw,
        cast(fee_krw as varchar) as fee_krw,
        cast(vat_krw as varchar) as vat_krw,
        cast(total_krw as varchar) as total_krw,
        cast(billing_month as varchar) as billing_month,
        cast(invoice_window_start as varchar) as invoice_window_start,
        cast(invoice_window_end as varchar) as invoice_window_end
    from {{ ref('kakao_consult_billing', 'fct_monthly_fees') }}

),

expected as (

    select
        channel_id,
        usage_month,
        room_charges,
        opened_charges,
        rollover_charges,
        unit_price_krw,
        fee_krw,
        vat_krw,
        total_krw,
        billing_month,
        invoice_window_start,
        invoice_window_end
    from {{ ref('monthly_fees_activity') }}

)

-- every row of one side that the other lacks, after the kind of difference
{{ rows_differing('built', 'expected') }}
