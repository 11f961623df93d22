-- Kakao's invoice lines (var invoices_path) against the expected fee, per channel and usage
-- month (DECISIONLOG D20, D21). Expected = fct_monthly_fees plus, for a closed month, the
-- adjustments recorded since it closed (what the charges say now). Variance = invoiced -
-- expected. Status, first that applies:
--   missing_invoice  no invoice line (is_invoice_due says whether one should exist yet);
--   missing_usage    an invoice line with charges or an amount, but no expected charge;
--   over_billed      amount variance > var invoice_match_tolerance_krw;
--   under_billed     amount variance < -invoice_match_tolerance_krw;
--   match            otherwise (|amount variance| <= tolerance, both ends included).
-- Invoice window: [15th, 21st] of the billing month, both days included (vars
-- invoice_window_start_day, invoice_window_end_day). rejected_rows and warning: the rejected
-- input rows that may affect the month (rpt_rejected_rows; D39), each an event not billed.

{%- set tolerance = kakao_var('invoice_match_tolerance_krw') %}
{%- set window_start = kakao_var('invoice_window_start_day') | int %}
{%- set window_end = kakao_var('invoice_window_end_day') | int %}
{%- set closed_through = closed_through_month() %}

with

monthly_fees as (

    select * from {{ ref('fct_monthly_fees') }}

),

fee_adjustments as (

    select * from {{ ref('fct_fee_adjustments') }}

),

invoices as (

    select * from {{ ref('stg_kakao__invoices') }}

),

rejected as (

    select * from {{ ref('rpt_rejected_rows') }}

),

adjustments as (

    select
        channel_id,
        usage_month,
        sum(room_charges_delta) as room_charges_delta,
        sum(fee_krw_delta) as fee_krw_delta

    from fee_adjustments
    group by channel_id, usage_month

),

keys as (

    select
        channel_id,
        usage_month

    from monthly_fees

    union

    select
        channel_id,
        usage_month

    from adjustments

    union

    select
        channel_id,
        usage_month

    from invoices

),

-- rows of the channel or of no readable channel, in the month or of no readable month
rejected_by_reason as (

    select
        keys.channel_id,
        keys.usage_month,
        rejected.rejection_reason,
        sum(rejected.rejected_rows) as rejected_rows

    from keys
    inner join rejected
        on
            (keys.channel_id = rejected.channel_id or rejected.channel_id is null)
            and (keys.usage_month = rejected.usage_month or rejected.usage_month is null)
    group by keys.channel_id, keys.usage_month, rejected.rejection_reason

),

rejected_by_month as (

    select
        channel_id,
        usage_month,
        sum(rejected_rows) as rejected_rows,
        {{ sorted_string_agg(
            "rejection_reason || ' ' || cast(rejected_rows as " ~ dbt.type_string() ~ ")", "', '"
        ) }} as rejection_reasons

    from rejected_by_reason
    group by channel_id, usage_month

),

compared as (

    select
        keys.channel_id,
        keys.usage_month,
        cast(
            coalesce(monthly_fees.room_charges, 0) + coalesce(adjustments.room_charges_delta, 0)
            as {{ dbt.type_bigint() }}
        ) as expected_room_charges,
        cast(
            coalesce(monthly_fees.fee_krw, 0) + coalesce(adjustments.fee_krw_delta, 0)
            as {{ dbt.type_bigint() }}
        ) as expected_amount_krw,
        cast(coalesce(adjustments.fee_krw_delta, 0) as {{ dbt.type_bigint() }})
            as adjustments_amount_krw,
        cast(invoices.invoiced_room_charges as {{ dbt.type_bigint() }}) as invoiced_room_charges,
        cast(invoices.invoiced_amount_krw as {{ dbt.type_bigint() }}) as invoiced_amount_krw,
        invoices.invoice_date,
        invoices.channel_id is not null as has_invoice,
        cast(coalesce(rejected_by_month.rejected_rows, 0) as {{ dbt.type_bigint() }}) as rejected_rows,
        rejected_by_month.rejection_reasons

    from keys
    left join monthly_fees
        on keys.channel_id = monthly_fees.channel_id and keys.usage_month = monthly_fees.usage_month
    left join adjustments
        on keys.channel_id = adjustments.channel_id and keys.usage_month = adjustments.usage_month
    left join invoices
        on keys.channel_id = invoices.channel_id and keys.usage_month = invoices.usage_month
    left join rejected_by_month
        on
            keys.channel_id = rejected_by_month.channel_id
            and keys.usage_month = rejected_by_month.usage_month

),

variances as (

    select
        *,
        invoiced_room_charges - expected_room_charges as room_charges_variance,
        invoiced_amount_krw - expected_amount_krw as amount_variance_krw

    from compared
    -- a month with nothing expected (its charges all went away) and nothing invoiced
    where has_invoice or expected_room_charges != 0 or expected_amount_krw != 0

),

dated as (

    select
        *,
        cast({{ dbt.dateadd('month', 1, 'usage_month') }} as date) as billing_month,
        cast(
            {{ dbt.dateadd('day', window_start - 1, dbt.dateadd('month', 1, 'usage_month')) }}
            as date
        ) as invoice_window_start,
        cast(
            {{ dbt.dateadd('day', window_end - 1, dbt.dateadd('month', 1, 'usage_month')) }}
            as date
        ) as invoice_window_end

    from variances

),

final as (

    select
        channel_id,
        usage_month,
        billing_month,
        expected_room_charges,
        expected_amount_krw,
        adjustments_amount_krw,
        invoiced_room_charges,
        invoiced_amount_krw,
        room_charges_variance,
        amount_variance_krw,
        case
            when expected_amount_krw != 0
                then round(cast(amount_variance_krw as double) / expected_amount_krw, 4)
        end as amount_variance_ratio,
        case
            when not has_invoice then 'missing_invoice'
            when
                expected_room_charges = 0
                and (invoiced_room_charges != 0 or abs(invoiced_amount_krw) > {{ tolerance }})
                then 'missing_usage'
            when amount_variance_krw > {{ tolerance }} then 'over_billed'
            when amount_variance_krw < -{{ tolerance }} then 'under_billed'
            else 'match'
        end as status,
        rejected_rows,
        case
            when rejected_rows > 0
                then
                    '거부된 원본 행 ' || cast(rejected_rows as {{ dbt.type_string() }})
                    || '건이 이 달 예상 요금을 낮췄을 수 있습니다 (' || rejection_reasons
                    || '; marts.rpt_rejected_rows)'
        end as warning,
        usage_month <= cast('{{ closed_through }}' as date) as is_invoice_due,
        invoice_date,
        invoice_window_start,
        invoice_window_end,
        case
            when has_invoice
                then invoice_date >= invoice_window_start and invoice_date <= invoice_window_end
        end as is_invoice_date_in_window

    from dated

)

select * from final
