-- The fee per channel and usage month as the charges say now: charges x unit price, VAT shown separately
-- (floor to whole KRW; DECISIONLOG D11), billed with the following month's bill whose invoice
-- is issued between the invoice window days of that month (D12).

{%- set vat_rate = kakao_var('vat_rate') %}
{%- set window_start = kakao_var('invoice_window_start_day') | int %}
{%- set window_end = kakao_var('invoice_window_end_day') | int %}

with

charges as (

    select * from {{ ref('int_room_charges__priced') }}

),

monthly as (

    select
        channel_id,
        usage_month,
        count(*) as room_charges,
        count(case when charge_reason = 'room_opened' then 1 end) as opened_charges,
        count(case when charge_reason = 'day_rollover' then 1 end) as rollover_charges,
        case
            when min(unit_price_krw) = max(unit_price_krw) then min(unit_price_krw)
        end as unit_price_krw,
        cast(sum(unit_price_krw) as {{ dbt.type_bigint() }}) as fee_krw

    from charges
    group by channel_id, usage_month

),

final as (

    select
        channel_id,
        usage_month,
        room_charges,
        opened_charges,
        rollover_charges,
        unit_price_krw,
        fee_krw,
        cast(floor(fee_krw * {{ vat_rate }}) as {{ dbt.type_bigint() }}) as vat_krw,
        fee_krw + cast(floor(fee_krw * {{ vat_rate }}) as {{ dbt.type_bigint() }}) as total_krw,
        cast({{ dbt.dateadd('month', 1, 'usage_month') }} as date) as billing_month,
        cast(
            {{ dbt.dateadd('day', window_start - 1, dbt.dateadd('month', 1, 'usage_month')) }}
            as date
        ) as invoice_window_start,
        cast(
            {{ dbt.dateadd('day', window_end - 1, dbt.dateadd('month', 1, 'usage_month')) }}
            as date
        ) as invoice_window_end

    from monthly

)

select * from final
