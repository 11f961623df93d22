-- Conservation: per channel and usage month, the monthly fee table's figures plus the recorded
-- adjustments (closed months only) equal the charge rows they summarise; fee = charges x unit
-- price (where one price applied) and total = fee + VAT on every row. Returns what does not
-- balance.

with

charges as (

    select
        channel_id,
        usage_month,
        count(*) as charge_rows,
        sum(unit_price_krw) as charge_fee_krw

    from {{ ref('fct_room_charges') }}
    group by channel_id, usage_month

),

fees as (

    select * from {{ ref('fct_monthly_fees') }}

),

adjustments as (

    select
        channel_id,
        usage_month,
        sum(room_charges_delta) as room_charges_delta,
        sum(opened_charges_delta) as opened_charges_delta,
        sum(rollover_charges_delta) as rollover_charges_delta,
        sum(fee_krw_delta) as fee_krw_delta

    from {{ ref('fct_fee_adjustments') }}
    group by channel_id, usage_month

),

keys as (

    select
        channel_id,
        usage_month

    from charges

    union

    select
        channel_id,
        usage_month

    from fees

    union

    select
        channel_id,
        usage_month

    from adjustments

),

balanced as (

    select
        keys.channel_id,
        keys.usage_month,
        fees.room_charges,
        fees.unit_price_krw,
        fees.fee_krw,
        fees.vat_krw,
        fees.total_krw,
        coalesce(charges.charge_rows, 0) as charge_rows,
        coalesce(charges.charge_fee_krw, 0) as charge_fee_krw,
        coalesce(fees.room_charges, 0) + coalesce(adjustments.room_charges_delta, 0)
            as reported_charges,
        coalesce(fees.opened_charges, 0) + coalesce(fees.rollover_charges, 0)
        + coalesce(adjustments.opened_charges_delta, 0)
        + coalesce(adjustments.rollover_charges_delta, 0) as reported_opened_plus_rollover,
        coalesce(fees.fee_krw, 0) + coalesce(adjustments.fee_krw_delta, 0) as reported_fee_krw

    from keys
    left join charges
        on keys.channel_id = charges.channel_id and keys.usage_month = charges.usage_month
    left join fees
        on keys.channel_id = fees.channel_id and keys.usage_month = fees.usage_month
    left join adjustments
        on keys.channel_id = adjustments.channel_id and keys.usage_month = adjustments.usage_month

)

select * from balanced
where
    reported_charges != charge_rows
    or reported_opened_plus_rollover != charge_rows
    or reported_fee_krw != charge_fee_krw
    or (unit_price_krw is not null and fee_krw != room_charges * unit_price_krw)
    or total_krw != fee_krw + vat_krw
