{{
    config(
        materialized='incremental',
        pre_hook="{{ delete_stream_rooms_to_recompute() }}",
        **stream_incremental_config(duckdb_strategy='delete+insert', unique_key='room_id')
    )
}}

-- One row per chat room with how it started and how and when it ended (DECISIONLOG D8, D32,
-- D33). entry_point: the room_opened's, or `customer_message` for a room a customer message
-- opened. The end is the first of:
--   * its ending event: `!종료` -> end_command; room_left -> its end_reason, or customer_left
--     without one; room_closed -> its end_reason, or closed without one;
--   * expiry at last customer activity + room_expiry_days, if that is at or before the next
--     room_opened of the customer or, with none, at or before the data's clock (the latest
--     accepted occurred_at);
--   * the next room_opened of the customer (superseded; a room a message opens starts only when
--     none is open).
-- Otherwise the room is still open (ended_at and end_reason null).
-- Incremental: rewrites the rooms of int_chat_events__streams_to_recompute from the room_opened
-- it names on (DECISIONLOG D27: the earlier rooms have a next room and none of their events
-- changed, so neither their events nor their ends can change), and the rooms whose end the
-- data's clock has changed since this table was written (a room still open whose expiry the
-- clock has reached, or, after the clock stepped back, one it had expired: their events' rooms
-- do not change; a room written again replaces its row by room_id); on Spark, whole stream
-- buckets. `computed_at` marks the rows each build wrote: the models after this one recompute
-- their streams (int_chat_rooms__streams_to_recompute).

{%- set expiry_days = kakao_var('room_expiry_days') | int %}

with

data_clock as (

    select max(occurred_at) as data_as_of

    from {{ ref('int_chat_events__validated') }}
    where rejection_reason is null

),

{% if is_incremental() %}

session_streams as (

    select distinct stream_id
    from {{ this }}
    where session_id is not null

),

clock_rooms as (

    -- rooms whose end the data's clock has changed: a stream's last room, open with its expiry
    -- reached, or expired by a clock that has since stepped back; not those of the streams to
    -- recompute, whose rooms are recomputed anyway
    select
        rooms.stream_id,
        -- a stream with the platform's sessions: from its start (a session may reach back)
        case when rooms.stream_id not in (select stream_id from session_streams) then rooms.opened_at end
            as opened_at,
        case when rooms.stream_id not in (select stream_id from session_streams) then rooms.opened_event_id end
            as opened_event_id,
        rooms.stream_bucket

    from {{ this }} as rooms
    cross join data_clock
    where
        (
            (rooms.end_reason is null and rooms.expires_at <= data_clock.data_as_of)
            or (rooms.is_expired_by_data_clock and rooms.expires_at > data_clock.data_as_of)
        )
        and rooms.stream_id not in (
            select streams.stream_id
            from {{ ref('int_chat_events__streams_to_recompute') }} as streams
        )

),

{% endif %}

events as (

    {{ events_to_recompute(
        ref('int_chat_events__assigned_to_rooms'),
        or_rooms='clock_rooms' if is_incremental() else none,
    ) }}

),

room_events as (

    select * from events
    where is_in_room

),

rooms as (

    select
        room_id,
        stream_id,
        channel_id,
        customer_id,
        opened_event_id,
        min(occurred_at) as opened_at,
        max(
            case
                when opens_room and event_type = 'room_opened' then entry_point
                when opens_room and event_type = 'message' and sender_type = 'customer'
                    then 'customer_message'
            end
        ) as entry_point,
        max(room_session_id) as session_id,
        max(case when is_activity then occurred_at end) as last_activity_at,
        max(case when is_customer_activity then occurred_at end) as last_customer_activity_at,
        max(case when is_room_end then occurred_at end) as end_event_at,
        max(
            case
                when is_room_end and event_type = 'room_left' then coalesce(end_reason, 'customer_left')
                when is_room_end and event_type = 'room_closed' then coalesce(end_reason, 'closed')
                when is_room_end then 'end_command'
            end
        ) as end_event_reason,
        count(case when event_type = 'message' then 1 end) as message_count,
        count(
            case when event_type = 'message' and sender_type = 'customer' then 1 end
        ) as customer_message_count,
        count(
            case when event_type = 'message' and sender_type = 'consultant' then 1 end
        ) as consultant_message_count,
        count(
            case when event_type = 'message' and sender_type = 'system' then 1 end
        ) as system_message_count

    from room_events
    group by room_id, stream_id, channel_id, customer_id, opened_event_id

),

with_next as (

    select
        rooms.*,
        lead(rooms.opened_at) over (
            partition by rooms.channel_id, rooms.customer_id
            order by rooms.opened_at, rooms.opened_event_id
        ) as next_room_opened_at,
        {{ add_days('last_customer_activity_at', expiry_days) }} as expires_at

    from rooms

),

ended as (

    select
        with_next.*,
        case
            when with_next.end_event_at is not null then with_next.end_event_at
            when with_next.expires_at <= coalesce(with_next.next_room_opened_at, data_clock.data_as_of)
                then with_next.expires_at
            when with_next.next_room_opened_at is not null then with_next.next_room_opened_at
        end as ended_at,
        case
            when with_next.end_event_at is not null then with_next.end_event_reason
            when with_next.expires_at <= coalesce(with_next.next_room_opened_at, data_clock.data_as_of)
                then 'expired'
            when with_next.next_room_opened_at is not null then 'superseded'
        end as end_reason,
        with_next.end_event_at is null
        and with_next.next_room_opened_at is null
        and with_next.expires_at <= data_clock.data_as_of as is_expired_by_data_clock

    from with_next
    cross join data_clock

),

final as (

    select
        room_id,
        stream_id,
        channel_id,
        customer_id,
        opened_event_id,
        opened_at,
        {{ billing_date('opened_at') }} as opened_billing_date,
        ended_at,
        end_reason,
        expires_at,
        is_expired_by_data_clock,
        entry_point,
        session_id,
        last_activity_at,
        last_customer_activity_at,
        message_count,
        customer_message_count,
        consultant_message_count,
        system_message_count,
        {{ build_started_at() }} as computed_at,
        {{ stream_bucket('stream_id') }} as stream_bucket

    from ended

)

select * from final
