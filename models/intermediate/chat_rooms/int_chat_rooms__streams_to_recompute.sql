-- The streams that fct_avoidable_charges recomputes whole (a room's category looks at the room
-- before it), and whose stream buckets the room-level models overwrite on Spark: those whose
-- events changed (int_chat_events__streams_to_recompute) and those with a room lifecycle wrote
-- since the last complete build started (the data's clock changed when it ended). Like the
-- events' list, it keeps a build's work until a complete build has done it
-- (docs/incremental.md).

-- depends_on: {{ ref('stg_build_log__builds') }}

with

events_changed as (

    select
        stream_id,
        channel_id,
        customer_id

    from {{ ref('int_chat_events__streams_to_recompute') }}

),

rooms_written as (

    select
        stream_id,
        channel_id,
        customer_id

    from {{ ref('int_chat_rooms__lifecycle') }}
    where computed_at > {{ last_complete_build_started_at() }}

),

streams as (

    select * from events_changed

    union

    select * from rooms_written

),

final as (

    select
        stream_id,
        channel_id,
        customer_id,
        {{ stream_bucket('stream_id') }} as stream_bucket

    from streams

)

select * from final
