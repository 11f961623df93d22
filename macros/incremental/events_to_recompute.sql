{#-
    int_chat_events__assigned_to_rooms and int_chat_rooms__lifecycle recompute the streams in
    int_chat_events__streams_to_recompute from the room open at each stream's earliest change
    (DECISIONLOG D27).

    events_to_recompute(relation, rewritten_only=false, or_rooms=none): the select of the rows
        to recompute from `relation` (with stream_id, occurred_at and event_id). DuckDB: the
        events of those streams from the room_opened named by events_from_at /
        events_from_event_id on (all of the stream where none is named) or, with
        rewritten_only, from rewrite_from_at on (what room assignment writes again); with
        or_rooms (a relation with stream_id, opened_at, opened_event_id and stream_bucket:
        lifecycle's rooms whose end the data's clock changed, each the last room of a stream
        not to recompute) also the events from those rooms' room_opened on. Spark: every row of
        the stream buckets holding those streams (or rooms). Every row on a full build.
    at_or_after_room_opened(occurred_at, event_id): whether an event (or a room, by its
        room_opened) comes at or after that room_opened (alias `streams`), in the order
        occurred_at, event_id; true where none is named.
    delete_stream_events_to_recompute(): pre-hook of int_chat_events__assigned_to_rooms: the
        events it writes again.
    delete_stream_rooms_to_recompute(): pre-hook of int_chat_rooms__lifecycle: the rooms from
        that room_opened on (rooms that no longer exist included).
-#}
{% macro events_to_recompute(relation, rewritten_only=false, or_rooms=none) -%}
    {%- set streams_to_recompute = ref('int_chat_events__streams_to_recompute') -%}
    {%- if not is_incremental() -%}
        select * from {{ relation }}
    {%- elif rewrites_whole_stream_buckets() -%}
        select * from {{ relation }}
        where
            stream_bucket in (select stream_bucket from {{ streams_to_recompute }})
            {%- if or_rooms %}
            or stream_bucket in (select stream_bucket from {{ or_rooms }})
            {%- endif %}
    {%- else -%}
        {%- set from_room_opened = at_or_after_room_opened('events.occurred_at', 'events.event_id') -%}
        {#- where each stream's recomputation starts; a room of or_rooms starts it at its own
            room_opened (a stream's last room: nothing after it), in the same hash join -#}
        {%- set starts -%}
            {%- if or_rooms -%}
            (
                select stream_id, events_from_at, events_from_event_id, rewrite_from_at
                from {{ streams_to_recompute }}
                union all
                select
                    stream_id,
                    opened_at,
                    opened_event_id,
                    cast(null as {{ dbt.type_timestamp() }})
                from {{ or_rooms }}
            )
            {%- else -%}
            {{ streams_to_recompute }}
            {%- endif -%}
        {%- endset -%}
        {#- a join, not a correlated exists: DuckDB runs this one as a hash join on stream_id -#}
        select events.*
        from {{ relation }} as events
        inner join {{ starts }} as streams
            on events.stream_id = streams.stream_id
        where
            {%- if rewritten_only %}
            events.occurred_at >= streams.rewrite_from_at
            or (streams.rewrite_from_at is null and {{ from_room_opened }})
            {%- else %}
            {{ from_room_opened }}
            {%- endif %}
    {%- endif -%}
{%- endmacro %}

{% macro at_or_after_room_opened(occurred_at, event_id) -%}
    (
        streams.events_from_at is null
        or {{ occurred_at }} > streams.events_from_at
        or (
            {{ occurred_at }} = streams.events_from_at
            and {{ event_id }} >= streams.events_from_event_id
        )
    )
{%- endmacro %}

{% macro delete_stream_events_to_recompute() -%}
    {%- if is_incremental() and not rewrites_whole_stream_buckets() -%}
        delete from {{ this }}
        where raw_row_id in (
            select rewritten.raw_row_id
            from ({{ events_to_recompute(this, rewritten_only=true) }}) as rewritten
        )
    {%- endif -%}
{%- endmacro %}

{% macro delete_stream_rooms_to_recompute() -%}
    {%- if is_incremental() and not rewrites_whole_stream_buckets() -%}
        delete from {{ this }} as rooms
        using {{ ref('int_chat_events__streams_to_recompute') }} as streams
        where
            rooms.stream_id = streams.stream_id
            and {{ at_or_after_room_opened('rooms.opened_at', 'rooms.opened_event_id') }}
    {%- endif -%}
{%- endmacro %}
