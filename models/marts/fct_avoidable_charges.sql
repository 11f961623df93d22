{{
    config(
        materialized='incremental',
        pre_hook="{{ delete_mart_streams_to_recompute() }}",
        **stream_incremental_config()
    )
}}

-- depends_on: {{ ref('int_chat_rooms__streams_to_recompute') }}
-- Charges a different habit would have avoided, one row per charge and category (DECISIONLOG
-- D23; a charge can fall in several):
--   quick_reentry  a room's opening charge, when the same customer's previous room ended by
--                  !종료, leaving or closing at most var quick_reentry_minutes before it opened
--                  (opened_at in [ended_at, ended_at + N minutes]) and the previous room was
--                  charged on that billing day too;
--   superseded     a room's opening charge, when it superseded the customer's previous room
--                  (opened while that room was open, D8) and the previous room was charged on
--                  that billing day too;
--   unanswered     a charge with no consultant message in the room that billing day;
--   rollover       a day_rollover charge (the room carried on past 04:00 KST), with the room's
--                  last activity before that billing day began and its local hour.
-- Incremental by whole streams: a build rewrites the streams in
-- int_chat_rooms__streams_to_recompute (D16), reading their rooms and charges from the marts
-- (which hold every room of a stream), since a room's category looks at the room before it.

{%- set reentry_minutes = kakao_var('quick_reentry_minutes') | int %}

-- (The aliases below are used by the stream filter on incremental builds, hence noqa.)

with

charges as (

    select * from {{ ref('fct_room_charges') }} as charges  -- noqa: AL05
    where {{ in_mart_streams_to_recompute('charges') }}

),

rooms as (

    select * from {{ ref('fct_chat_rooms') }} as rooms  -- noqa: AL05
    where {{ in_mart_streams_to_recompute('rooms') }}

),

billed_events as (

    -- the events the audit marks billed: room activity of accepted events (read here rather
    -- than from the audit, so that this model does not wait for it)
    select * from {{ ref('int_chat_events__assigned_to_rooms') }}
    where is_activity and {{ in_streams_to_recompute() }}

),

rooms_with_previous as (

    select
        room_id,
        opened_at,
        opened_billing_date,
        lag(room_id) over (
            partition by channel_id, customer_id order by opened_at, opened_event_id
        ) as previous_room_id,
        lag(ended_at) over (
            partition by channel_id, customer_id order by opened_at, opened_event_id
        ) as previous_room_ended_at,
        lag(end_reason) over (
            partition by channel_id, customer_id order by opened_at, opened_event_id
        ) as previous_room_end_reason

    from rooms

),

reentries as (

    select
        rooms_with_previous.*,
        case
            when rooms_with_previous.previous_room_end_reason = 'superseded' then 'superseded'
            when
                -- ended by an event (D33): `!종료`, leaving, closing
                rooms_with_previous.previous_room_end_reason not in ('superseded', 'expired')
                and rooms_with_previous.opened_at
                <= rooms_with_previous.previous_room_ended_at + interval {{ reentry_minutes }} minute
                then 'quick_reentry'
        end as category

    from rooms_with_previous
    -- the previous room was charged on the day this one opened: staying in it cost nothing more
    inner join charges as previous_room_charges
        on
            rooms_with_previous.previous_room_id = previous_room_charges.room_id
            and rooms_with_previous.opened_billing_date = previous_room_charges.billing_date

),

reentry_charges as (

    select
        charges.charge_id,
        reentries.category,
        reentries.previous_room_id,
        reentries.previous_room_ended_at

    from reentries
    inner join charges
        on
            reentries.room_id = charges.room_id
            and reentries.opened_billing_date = charges.billing_date
    where reentries.category is not null

),

daily_last_activity as (

    select
        room_id,
        billing_date,
        max(occurred_at) as last_activity_at

    from billed_events
    group by room_id, billing_date

),

rollover_charges as (

    select
        charges.charge_id,
        max(daily_last_activity.last_activity_at) as last_activity_before_rollover_at

    from charges
    inner join daily_last_activity
        on
            charges.room_id = daily_last_activity.room_id
            and charges.billing_date > daily_last_activity.billing_date
    where charges.charge_reason = 'day_rollover'
    group by charges.charge_id

),

categorised as (

    select
        charge_id,
        category

    from reentry_charges

    union all

    select
        charge_id,
        'unanswered' as category

    from charges
    where consultant_message_count = 0

    union all

    select
        charge_id,
        'rollover' as category

    from charges
    where charge_reason = 'day_rollover'

),

final as (

    select
        {{ surrogate_key(['categorised.charge_id', 'categorised.category']) }} as avoidable_charge_id,
        categorised.charge_id,
        charges.room_id,
        charges.channel_id,
        charges.customer_id,
        charges.billing_date,
        charges.usage_month,
        categorised.category,
        charges.unit_price_krw,
        reentry_charges.previous_room_id,
        reentry_charges.previous_room_ended_at,
        {{ to_local_time('reentry_charges.previous_room_ended_at') }} as previous_room_ended_at_kst,
        rollover_charges.last_activity_before_rollover_at,
        {{ to_local_time('rollover_charges.last_activity_before_rollover_at') }}
            as last_activity_before_rollover_at_kst,
        cast(
            extract(hour from {{ to_local_time('rollover_charges.last_activity_before_rollover_at') }})
            as integer
        ) as last_activity_hour,
        -- one row per charge is marked, so a charge's price can be counted once across categories
        row_number() over (
            partition by categorised.charge_id order by categorised.category
        ) = 1 as is_first_category_of_charge,
        charges.stream_bucket

    from categorised
    inner join charges
        on categorised.charge_id = charges.charge_id
    left join reentry_charges
        on
            categorised.charge_id = reentry_charges.charge_id
            and categorised.category = reentry_charges.category
    left join rollover_charges
        on
            categorised.charge_id = rollover_charges.charge_id
            and categorised.category = 'rollover'

)

select * from final
