-- Conservation: per channel and usage month, the monthly fee table's charges and fee equal the
-- charge rows they summarise, fee = charges x unit price (where one price applied), and
-- total = fee + VAT. Returns the months that do not balance.

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

)

select
    fees.room_charges,
    charges.charge_rows,
    fees.fee_krw,
    charges.charge_fee_krw,
    coalesce(fees.channel_id, charges.channel_id) as channel_id,
    coalesce(fees.usage_month, charges.usage_month) as usage_month

from fees
full outer join charges
    on
        fees.channel_id = charges.channel_id
        and fees.usage_month = charges.usage_month
where
    fees.room_charges is null
    or charges.charge_rows is null
    or fees.room_charges != charges.charge_rows
    or fees.room_charges != fees.opened_charges + fees.rollover_charges
    or fees.fee_krw != charges.charge_fee_krw
    or (fees.unit_price_krw is not null and fees.fee_krw != fees.room_charges * fees.unit_price_krw)
    or fees.total_krw != fees.fee_krw + fees.vat_krw
