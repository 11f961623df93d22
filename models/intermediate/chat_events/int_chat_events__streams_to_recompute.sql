-- The streams, (channel_id, customer_id), that this build recomputes in every incremental model
-- after validation: those with a raw row validated by this build (new, or sharing an event_id
-- with a new one), and those whose still-open room the data's clock has just reached (or, after
-- a clock step back, left). All streams on a first build or --full-refresh. On Spark the
-- models rewrite whole stream buckets (macro stream_incremental_config).
--
-- The event-level models (rooms assigned, the audit) recompute less (DECISIONLOG D27): only the
-- streams with validated rows (recomputes_events), and there only the events from the last
-- room_opened before the stream's earliest validated occurred_at (events_from_at and
-- events_from_event_id; null: the whole stream). Nothing before that room_opened changed, and
-- an event's room depends only on the events since its segment's room_opened, so the earlier
-- events keep their rooms; room_seq_offset is the number of room_opened events before it.
-- Of those, only the events from the stream's earliest validated occurred_at on
-- (rewrite_from_at) can differ from what the tables hold: an event's room depends only on the
-- events before it, so the events between the room_opened and the change are read, to place
-- the later ones, but not written again (null: every event read is written).
-- A clock-only stream changes its rooms' ends, never its events' rooms. On Spark, and on a
-- first build, the columns say "the whole stream".

{%- set previous_rooms = adapter.get_relation(
    database=target.database,
    schema=generate_schema_name('intermediate', none),
    identifier='int_chat_rooms__lifecycle',
) if execute else none %}
{%- set previous_events = adapter.get_relation(
    database=target.database,
    schema=generate_schema_name('intermediate', none),
    identifier='int_chat_events__assigned_to_rooms',
) if execute else none %}
{%- set recomputes_from_room_start = previous_events is not none
    and not flags.FULL_REFRESH and not rewrites_whole_stream_buckets() %}

with

validated as (

    select * from {{ ref('int_chat_events__validated') }}

),

changed as (

    select
        stream_id,
        channel_id,
        customer_id,
        min(occurred_at) as first_changed_at

    from validated
    where processed_by = '{{ invocation_id }}'
    group by stream_id, channel_id, customer_id

),

{% if recomputes_from_room_start %}

room_starts_before_change as (

    -- the room_opened events before the stream's earliest change, latest first
    select
        previous_events.stream_id,
        previous_events.occurred_at,
        previous_events.event_id,
        previous_events.room_seq,
        row_number() over (
            partition by previous_events.stream_id
            order by previous_events.occurred_at desc, previous_events.event_id desc
        ) as recency

    from {{ previous_events }} as previous_events
    inner join changed
        on previous_events.stream_id = changed.stream_id
    where
        previous_events.event_type = 'room_opened'
        and previous_events.occurred_at < changed.first_changed_at

),

recompute_from as (

    select
        stream_id,
        occurred_at as events_from_at,
        event_id as events_from_event_id,
        room_seq - 1 as room_seq_offset

    from room_starts_before_change
    where recency = 1

),

{% else %}

recompute_from as (

    -- no rows (a first build, a full refresh, Spark): the whole stream. The columns come from
    -- `changed` only to give them the same types as the branch above.
    select
        stream_id,
        first_changed_at as events_from_at,
        cast(null as {{ dbt.type_string() }}) as events_from_event_id,
        0 as room_seq_offset

    from changed
    where false

),

{% endif %}

{% if previous_rooms is not none and not flags.FULL_REFRESH %}

data_clock as (

    select max(occurred_at) as data_as_of

    from validated
    where rejection_reason is null

),

clock_affected as (

    select distinct
        rooms.stream_id,
        rooms.channel_id,
        rooms.customer_id

    from {{ previous_rooms }} as rooms
    cross join data_clock
    where
        (rooms.end_reason is null and rooms.expires_at <= data_clock.data_as_of)
        or (rooms.is_expired_by_data_clock and rooms.expires_at > data_clock.data_as_of)

),

{% else %}

clock_affected as (

    select
        stream_id,
        channel_id,
        customer_id

    from changed
    where false

),

{% endif %}

streams as (

    select
        stream_id,
        channel_id,
        customer_id,
        true as recomputes_events,
        first_changed_at

    from changed

    union all

    select
        stream_id,
        channel_id,
        customer_id,
        false as recomputes_events,
        null as first_changed_at

    from clock_affected
    where not exists (
        select 1
        from changed
        where changed.stream_id = clock_affected.stream_id
    )

),

final as (

    select
        streams.stream_id,
        streams.channel_id,
        streams.customer_id,
        streams.recomputes_events,
        recompute_from.events_from_at,
        recompute_from.events_from_event_id,
        coalesce(recompute_from.room_seq_offset, 0) as room_seq_offset,
        {% if recomputes_from_room_start -%}
        streams.first_changed_at
        {%- else -%}
        cast(null as {{ dbt.type_timestamp() }})
        {%- endif %} as rewrite_from_at,
        {{ stream_bucket('streams.stream_id') }} as stream_bucket

    from streams
    left join recompute_from
        on streams.stream_id = recompute_from.stream_id

)

select * from final
