-- An analyst's own model on the package's public marts, as a project that installs
-- kakao_consult_billing would add one: each channel's expected fees over the usage months built
-- so far, and how many of those months are closed (invoiced, frozen). The package's models are
-- ref()'d by package and name.
with

monthly_fees as (

    select * from {{ ref('kakao_consult_billing', 'fct_monthly_fees') }}

),

by_channel as (

    select
        channel_id,
        min(usage_month) as first_usage_month,
        max(usage_month) as last_usage_month,
        count(*) as usage_months,
        sum(case when is_closed then 1 else 0 end) as closed_months,
        sum(room_charges) as room_charges,
        sum(fee_krw) as fee_krw,
        sum(vat_krw) as vat_krw,
        sum(total_krw) as total_krw

    from monthly_fees
    group by channel_id

)

-- DuckDB sums integers as 128-bit integers: back to bigint
select
    channel_id,
    first_usage_month,
    last_usage_month,
    usage_months,
    cast(closed_months as bigint) as closed_months,
    cast(room_charges as bigint) as room_charges,
    cast(fee_krw as bigint) as fee_krw,
    cast(vat_krw as bigint) as vat_krw,
    cast(total_krw as bigint) as total_krw

from by_channel
