-- The fee per channel and usage month by the entry point of the room each charge belongs to
-- (how the customer came in: consult_button, talk_channel, web, app; null when the room's
-- room_opened carried none; customer_message for a room a customer message opened, D32).
-- allocated_krw sums to the month's fee.

with

allocations as (

    select * from {{ ref('fct_charge_allocations') }}

),

final as (

    select
        channel_id,
        usage_month,
        entry_point,
        count(distinct room_id) as rooms,
        count(distinct charge_id) as charges,
        count(distinct case when charge_reason = 'day_rollover' then charge_id end) as rollover_charges,
        count(distinct case when allocation_target = 'unanswered' then charge_id end) as unanswered_charges,
        cast(sum(allocated_krw) as {{ dbt.type_bigint() }}) as allocated_krw

    from allocations
    group by channel_id, usage_month, entry_point

)

select * from final
