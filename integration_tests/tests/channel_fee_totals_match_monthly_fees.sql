-- This project's own model adds up to the package's fees: the channels' totals equal the sums
-- of fct_monthly_fees; a row when they differ.
with

totals as (

    select
        sum(fee_krw) as fee_krw,
        sum(total_krw) as total_krw,
        sum(usage_months) as usage_months

    from {{ ref('channel_fee_totals') }}

),

monthly_fees as (

    select
        sum(fee_krw) as fee_krw,
        sum(total_krw) as total_krw,
        count(*) as usage_months

    from {{ ref('kakao_consult_billing', 'fct_monthly_fees') }}

)

select
    totals.fee_krw,
    totals.total_krw,
    totals.usage_months,
    monthly_fees.fee_krw as monthly_fee_krw,
    monthly_fees.total_krw as monthly_total_krw,
    monthly_fees.usage_months as monthly_usage_months

from totals
cross join monthly_fees
where
    totals.fee_krw != monthly_fees.fee_krw
    or totals.total_krw != monthly_fees.total_krw
    or totals.usage_months != monthly_fees.usage_months
