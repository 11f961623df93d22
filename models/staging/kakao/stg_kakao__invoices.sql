-- Kakao's invoice lines, one per channel and usage month, from the CSV file named by var
-- invoices_path (DECISIONLOG D20, D38), typed. A usage month may be written as the month's first
-- day (2026-10-01) or as the month (2026-10); amounts may carry thousands separators (2,400),
-- as spreadsheets export them. A value that does not read as its type becomes null, which the
-- not_null tests then name.

with

source as (

    select * from {{ source('kakao', 'invoices') }}

),

trimmed as (

    select
        {{ trim_whitespace('channel_id') }} as channel_id,
        {{ trim_whitespace('usage_month') }} as usage_month,
        replace({{ trim_whitespace('invoiced_room_charges') }}, ',', '') as invoiced_room_charges,
        replace({{ trim_whitespace('invoiced_amount_krw') }}, ',', '') as invoiced_amount_krw,
        {{ trim_whitespace('invoice_date') }} as invoice_date

    from source

),

final as (

    select
        channel_id,
        try_cast(
            case when length(usage_month) = 7 then usage_month || '-01' else usage_month end
            as date
        ) as usage_month,
        try_cast(invoiced_room_charges as {{ dbt.type_bigint() }}) as invoiced_room_charges,
        try_cast(invoiced_amount_krw as {{ dbt.type_bigint() }}) as invoiced_amount_krw,
        try_cast(invoice_date as date) as invoice_date

    from trimmed

)

select * from final
