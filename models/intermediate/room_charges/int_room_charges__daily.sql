{{
    config(
        materialized='incremental',
        pre_hook="{{ delete_rooms_to_recompute() }}",
        **stream_incremental_config()
    )
}}

-- depends_on: {{ ref('int_chat_rooms__streams_to_recompute') }}
-- depends_on: {{ ref('int_chat_events__streams_to_recompute') }}
-- depends_on: {{ ref('int_chat_rooms__lifecycle') }}
-- depends_on: {{ ref('stg_build_log__builds') }}
-- One row per charged (room, billing day) under var `room_charge_policy` (DECISIONLOG D1, D10):
--   activity: each billing day on which the room was opened or carried a message;
--   open:     each billing day from the opening day through the end day, both included
--             (end: ended_at, or the last activity for a room still open; the later of
--             the two for a session's room that ends before its last activity, D34).
-- The opening day's charge is `room_opened`; later days are `day_rollover`.

{%- set policy = kakao_var('room_charge_policy') %}

with

rooms as (

    select * from {{ ref('int_chat_rooms__lifecycle') }}
    where {{ in_rooms_to_recompute() }}

),

events as (

    select * from {{ ref('int_chat_events__assigned_to_rooms') }}
    where is_in_room and {{ in_rooms_to_recompute() }}

),

activity_days as (

    select distinct
        room_id,
        billing_date

    from events
    where is_activity

),

room_spans as (

    select
        room_id,
        opened_billing_date as first_billing_date,
        -- a platform session's room can end before its last activity (D34): through both
        {{ billing_date('greatest(coalesce(ended_at, last_activity_at), last_activity_at)') }}
            as last_billing_date

    from rooms

),

open_days as (

    select
        room_spans.room_id,
        day_series.billing_date

    from room_spans
    cross join {{ billing_day_series('room_spans.first_billing_date', 'room_spans.last_billing_date') }} as day_series

),

charged_days as (

    -- the other policy's branch is `where false`: the optimiser drops it without computing it
    select
        room_id,
        billing_date

    from activity_days
    where {{ (policy == 'activity') | lower }}

    union all

    select
        room_id,
        billing_date

    from open_days
    where {{ (policy == 'open') | lower }}

),

consultant_activity as (

    select
        room_id,
        billing_date,
        count(*) as consultant_message_count

    from events
    where event_type = 'message' and sender_type = 'consultant'
    group by room_id, billing_date

),

consultant_ids as (

    select distinct
        room_id,
        billing_date,
        consultant_id

    from events
    where event_type = 'message' and sender_type = 'consultant' and consultant_id is not null

),

consultant_lists as (

    select
        room_id,
        billing_date,
        {{ sorted_string_agg('consultant_id') }} as active_consultant_ids

    from consultant_ids
    group by room_id, billing_date

),

final as (

    select
        charged_days.room_id,
        rooms.stream_id,
        rooms.channel_id,
        rooms.customer_id,
        charged_days.billing_date,
        consultant_lists.active_consultant_ids,
        rooms.stream_bucket,
        case
            when charged_days.billing_date = rooms.opened_billing_date then 'room_opened'
            else 'day_rollover'
        end as charge_reason,
        coalesce(consultant_activity.consultant_message_count, 0) as consultant_message_count

    from charged_days
    inner join rooms
        on charged_days.room_id = rooms.room_id
    left join consultant_activity
        on
            charged_days.room_id = consultant_activity.room_id
            and charged_days.billing_date = consultant_activity.billing_date
    left join consultant_lists
        on
            charged_days.room_id = consultant_lists.room_id
            and charged_days.billing_date = consultant_lists.billing_date

)

select * from final
