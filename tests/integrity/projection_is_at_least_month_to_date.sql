-- The month-to-date projection never falls below what the elapsed days already cost, and is
-- missing only when no day has elapsed (DECISIONLOG D24).

select
    channel_id,
    elapsed_days,
    remaining_days,
    days_in_month,
    mtd_room_charges,
    mtd_fee_krw,
    projected_room_charges,
    projected_fee_krw

from {{ ref('rpt_month_to_date_projection') }}
where
    projected_fee_krw < mtd_fee_krw
    or projected_room_charges < mtd_room_charges
    or (projected_fee_krw is null and elapsed_days > 0)
    or elapsed_days + remaining_days != days_in_month
