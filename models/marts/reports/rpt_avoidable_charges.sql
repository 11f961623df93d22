-- Avoidable charges per channel and usage month, by category (DECISIONLOG D23):
-- quick_reentry, superseded, unanswered, and rollover by the local hour (0-23) of the room's
-- last activity before the 04:00 rollover (null hour for the other categories). Categories
-- overlap (an unanswered rollover is in both): add up within a category, not across.

with

avoidable as (

    select * from {{ ref('fct_avoidable_charges') }}

),

final as (

    select
        channel_id,
        usage_month,
        category,
        last_activity_hour,
        count(distinct room_id) as rooms,
        count(*) as charges,
        cast(sum(unit_price_krw) as {{ dbt.type_bigint() }}) as amount_krw

    from avoidable
    group by channel_id, usage_month, category, last_activity_hour

)

select * from final
