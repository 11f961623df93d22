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
-- Cost: two sorts of each stream's events (the second needs the first's room openings). On
-- DuckDB the sessions are grouped and joined back rather than sorted a third and fourth time
-- (10M events: about 20 s against 26 s with four sorts; benchmarks/results.md); on Spark, which
-- would compute the CTEs again for each join, they stay windows (macro computes_a_cte_once).

{%- set expiry_days = kakao_var('room_expiry_days') | int %}
{%- set message_opens_room = kakao_flag('customer_message_opens_room') %}
{%- set stream_order -%}
    partition by channel_id, customer_id
    order by occurred_at, event_id
{%- endset %}

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

placed_in_stream as (

    -- one sort of the stream: the event's position in it; the latest earlier customer activity
    -- (a room starts with customer activity, so for any event after a room's first, this is
    -- that room's); of the opening activities and ends before the event, the latest one's kind,
    -- and the latest opening activity's time (these two when customer messages open rooms)
    select
        *,
        row_number() over (
            {{ stream_order }}
        ) as stream_position,
        max(case when is_customer_activity then occurred_at end) over preceding_events
            as previous_customer_activity_at,
        {{ last_non_null(
            "case when is_opening_activity then 'opening' when is_room_end then 'end' end"
        ) }} over preceding_events as previous_marker,
        max(case when is_opening_activity then occurred_at end) over preceding_events
            as previous_opening_at

    from flagged
    window preceding_events as (
        {{ stream_order }}
        rows between unbounded preceding and 1 preceding
    )

),

{% if message_opens_room %}

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

    from placed_in_stream

),

{% else %}

starts as (

    select
        *,
        event_type = 'room_opened' as opens_room

    from placed_in_stream

),

{% endif %}

with_expiry as (

    select
        *,
        coalesce(
            not opens_room
            and occurred_at >= {{ add_days('previous_customer_activity_at', expiry_days) }},
            false
        ) as is_after_expiry

    from starts

),

segmented as (

    -- a second sort of the stream: the latest room opening up to the event (the start of its
    -- segment: the events from one opening to the next), and the latest end before it and
    -- expiry up to it, by position
    select
        *,
        max(case when opens_room then stream_position end) over through_current
            as segment_start_position,
        {{ last_non_null('case when opens_room then event_id end') }} over through_current
            as segment_opened_event_id,
        max(case when is_room_end then stream_position end) over before_current
            as previous_end_position,
        max(case when is_after_expiry then stream_position end) over through_current
            as latest_expiry_position

    from with_expiry
    window
        through_current as (
            {{ stream_order }}
            rows between unbounded preceding and current row
        ),
        before_current as (
            {{ stream_order }}
            rows between unbounded preceding and 1 preceding
        )

),

located as (

    -- in the segment's room while nothing has ended it: no end before the event and no expiry
    -- up to it, since the segment's opening
    select
        *,
        segment_start_position is not null
        and coalesce(previous_end_position < segment_start_position, true)
        and coalesce(latest_expiry_position < segment_start_position, true) as is_in_room

    from segmented

),

{% if computes_a_cte_once() %}

segment_sessions as (

    -- the smallest session_id among a segment's events (D34), grouped and joined back: cheaper
    -- than a window, which sorts the stream's rows a third time
    select
        channel_id,
        customer_id,
        segment_start_position,
        min(session_id) as segment_session_id

    from located
    where session_id is not null and segment_start_position is not null
    group by channel_id, customer_id, segment_start_position

),

with_sessions as (

    -- the platform's session (D34): the event's own session_id or, for an event without one in
    -- a room of the rules above, the smallest session_id among the events from that room's
    -- opening to the next one's
    select
        located.*,
        coalesce(
            located.session_id,
            case when located.is_in_room then segment_sessions.segment_session_id end
        ) as room_session_id

    from located
    left join segment_sessions
        on
            located.channel_id = segment_sessions.channel_id
            and located.customer_id = segment_sessions.customer_id
            and located.segment_start_position = segment_sessions.segment_start_position

),

session_starts as (

    select
        channel_id,
        customer_id,
        room_session_id,
        min(occurred_at) as first_occurred_at

    from with_sessions
    where room_session_id is not null
    group by channel_id, customer_id, room_session_id

),

session_openers as (

    -- each session's first event, in the order of the stream
    select
        with_sessions.channel_id,
        with_sessions.customer_id,
        with_sessions.room_session_id,
        min(with_sessions.event_id) as session_opened_event_id

    from with_sessions
    inner join session_starts
        on
            with_sessions.channel_id = session_starts.channel_id
            and with_sessions.customer_id = session_starts.customer_id
            and with_sessions.room_session_id = session_starts.room_session_id
            and with_sessions.occurred_at = session_starts.first_occurred_at
    group by with_sessions.channel_id, with_sessions.customer_id, with_sessions.room_session_id

),

placed as (

    select
        with_sessions.*,
        session_openers.session_opened_event_id

    from with_sessions
    left join session_openers
        on
            with_sessions.channel_id = session_openers.channel_id
            and with_sessions.customer_id = session_openers.customer_id
            and with_sessions.room_session_id = session_openers.room_session_id

),

{% else %}

with_sessions as (

    -- the platform's session (D34), as on DuckDB but by windows: Spark would compute the CTEs
    -- above again for each join (macro computes_a_cte_once)
    select
        *,
        coalesce(
            session_id,
            case
                when is_in_room then min(session_id) over (
                    partition by channel_id, customer_id, segment_start_position
                )
            end
        ) as room_session_id

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

{% endif %}

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
