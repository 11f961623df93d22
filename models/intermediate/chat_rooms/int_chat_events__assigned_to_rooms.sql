{{
    config(
        materialized='incremental',
        pre_hook="{{ delete_stream_events_to_recompute() }}",
        **stream_incremental_config()
    )
}}

-- depends_on: {{ ref('int_chat_events__streams_to_recompute') }}
-- Accepted events placed in chat rooms (DECISIONLOG D8, D32). Per (channel_id, customer_id), in
-- order of occurred_at then event_id:
--   * a room starts at each room_opened and, when no room is open, at a customer message other
--     than `!종료` (var customer_message_opens_room, default true; false: room_opened only);
--   * an event belongs to the room while occurred_at < (latest earlier customer activity of the
--     room: its first event or a customer message) + room_expiry_days (end exclusive);
--   * the first room_left, room_closed or `!종료` message ends the room and belongs to it;
--   * every later event of the segment, and any event before the first room, is outside.
-- With customer messages opening rooms, a room is open just before an event when the latest
-- earlier opening activity (room_opened, or a customer message other than `!종료`) comes after
-- the latest earlier end and less than room_expiry_days before the event: that activity is in a
-- room, and nothing has ended it since.
-- With the platform's session ids (D34): an event with a session_id is in that session's room,
-- an event without one in the room above is in the session of the events from that room's
-- opening to the next one's (the smallest session_id among them), if any;
-- derived_opened_event_id keeps the room the rules above give, for the disagreement report. A
-- session's room opens at its first event, which is activity whatever its type (a session the
-- feed shows only by its end is still billed).
-- Incremental: of the streams in int_chat_events__streams_to_recompute with validated rows,
-- reads the events from the room_opened it names on and rewrites those from the stream's
-- earliest change (rewrite_from_at) on: the earlier ones only place the later ones (the whole
-- stream on Spark; DECISIONLOG D27).

{%- set expiry_days = kakao_var('room_expiry_days') | int %}
{%- set message_opens_room = kakao_flag('customer_message_opens_room') %}

with

accepted as (

    select * from ({{ events_to_recompute(ref('int_chat_events__validated')) }}) as recomputed
    where rejection_reason is null

),

{% if is_incremental() %}

resumed as (

    select
        accepted.*,
        streams.rewrite_from_at

    from accepted
    left join {{ ref('int_chat_events__streams_to_recompute') }} as streams
        on accepted.stream_id = streams.stream_id

),

{% else %}

resumed as (

    select * from accepted

),

{% endif %}

flagged as (

    select
        *,
        coalesce(
            event_type = 'room_opened' or (event_type = 'message' and sender_type = 'customer'),
            false
        ) as is_customer_activity,
        coalesce(
            event_type = 'room_opened'
            or (event_type = 'message' and sender_type = 'customer' and not coalesce(is_end_command, false)),
            false
        ) as is_opening_activity,
        coalesce(
            event_type in ('room_left', 'room_closed') or (event_type = 'message' and is_end_command),
            false
        ) as is_room_end

    from resumed

),

{% if message_opens_room %}

with_previous as (

    -- of the opening activities and ends before the event, the latest one's kind, and the
    -- latest opening activity's time
    select
        *,
        {{ last_non_null(
            "case when is_opening_activity then 'opening' when is_room_end then 'end' end"
        ) }} over preceding_events as previous_marker,
        max(case when is_opening_activity then occurred_at end) over preceding_events
            as previous_opening_at

    from flagged
    window preceding_events as (
        partition by channel_id, customer_id
        order by occurred_at, event_id
        rows between unbounded preceding and 1 preceding
    )

),

starts as (

    select
        *,
        event_type = 'room_opened'
        or (
            is_opening_activity
            and not coalesce(
                previous_marker = 'opening'
                and occurred_at < {{ add_days('previous_opening_at', expiry_days) }},
                false
            )
        ) as opens_room

    from with_previous

),

{% else %}

starts as (

    select
        *,
        event_type = 'room_opened' as opens_room

    from flagged

),

{% endif %}

segmented as (

    -- the room's number in the stream, and the latest earlier customer activity of the stream,
    -- in one pass over it: a room starts with customer activity, so for any event after a
    -- room's first, the latest earlier activity of the stream is that room's
    select
        *,
        sum(case when opens_room then 1 else 0 end) over (
            partition by channel_id, customer_id
            order by occurred_at, event_id
            rows between unbounded preceding and current row
        ) as room_seq,
        max(case when is_customer_activity then occurred_at end) over (
            partition by channel_id, customer_id
            order by occurred_at, event_id
            rows between unbounded preceding and 1 preceding
        ) as previous_customer_activity_at

    from starts

),

with_expiry as (

    select
        *,
        coalesce(
            not opens_room
            and occurred_at >= {{ add_days('previous_customer_activity_at', expiry_days) }},
            false
        ) as is_after_expiry

    from segmented

),

located as (

    select
        *,
        room_seq > 0
        and coalesce(sum(case when is_room_end then 1 else 0 end) over (
            partition by channel_id, customer_id, room_seq
            order by occurred_at, event_id
            rows between unbounded preceding and 1 preceding
        ), 0) = 0
        and sum(case when is_after_expiry then 1 else 0 end) over (
            partition by channel_id, customer_id, room_seq
            order by occurred_at, event_id
            rows between unbounded preceding and current row
        ) = 0 as is_in_room,
        max(case when opens_room then event_id end) over (
            partition by channel_id, customer_id, room_seq
        ) as segment_opened_event_id,
        min(session_id) over (partition by channel_id, customer_id, room_seq) as segment_session_id

    from with_expiry

),

with_sessions as (

    -- the platform's session (D34): the event's own session_id or, for an event without one in
    -- a room of the rules above, the smallest session_id among the events from that room's
    -- opening to the next one's
    select
        *,
        coalesce(session_id, case when is_in_room then segment_session_id end) as room_session_id

    from located

),

placed as (

    select
        *,
        case
            when room_session_id is not null then first_value(event_id) over (
                partition by channel_id, customer_id, room_session_id
                order by occurred_at, event_id
            )
        end as session_opened_event_id

    from with_sessions

),

final as (

    select
        raw_row_id,
        stream_id,
        event_id,
        occurred_at,
        {{ billing_date('occurred_at') }} as billing_date,
        channel_id,
        customer_id,
        event_type,
        sender_type,
        consultant_id,
        entry_point,
        is_end_command,
        end_reason,
        session_id,
        room_session_id,
        case
            when room_session_id is not null
                then {{ surrogate_key(['channel_id', 'customer_id', 'session_opened_event_id']) }}
            when is_in_room
                then {{ surrogate_key(['channel_id', 'customer_id', 'segment_opened_event_id']) }}
        end as room_id,
        coalesce(
            session_opened_event_id, case when is_in_room then segment_opened_event_id end
        ) as opened_event_id,
        case when is_in_room then segment_opened_event_id end as derived_opened_event_id,
        coalesce(event_id = session_opened_event_id, opens_room) as opens_room,
        room_session_id is not null or is_in_room as is_in_room,
        (room_session_id is not null or is_in_room) and is_customer_activity as is_customer_activity,
        (room_session_id is not null or is_in_room) and is_room_end as is_room_end,
        (room_session_id is not null or is_in_room)
        and (
            event_type in ('room_opened', 'message')
            -- a session's first event opens its room, whatever its type (D34)
            or coalesce(event_id = session_opened_event_id, false)
        ) as is_activity,
        {{ stream_bucket('stream_id') }} as stream_bucket

    from placed
    {%- if is_incremental() and not rewrites_whole_stream_buckets() %}
    where rewrite_from_at is null or occurred_at >= rewrite_from_at
    {%- endif %}

)

select * from final
