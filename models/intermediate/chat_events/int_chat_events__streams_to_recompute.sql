-- The streams, (channel_id, customer_id), whose events this build recomputes: those with a raw
-- row validated since the last complete build started (build log; docs/incremental.md). That
-- is this build's new rows and the earlier rows it validated again, and also the rows of
-- builds that did not complete (killed, failed, or run with --select): they stay here until a
-- complete build has recomputed them everywhere. Every stream on a first build or
-- --full-refresh (every row is validated again).
--
-- Where the recomputation starts (DECISIONLOG D27): a room_opened starts a room whatever came
-- before it, an event's room depends only on the events since, and nothing before the stream's
-- earliest changed row changed, so the event-level models read the stream's events from the
-- last accepted room_opened before that row (events_from_at, events_from_event_id; null: the
-- whole stream, also when its rooms were all opened by customer messages, D32), and write again
-- only the events from the earliest change on (rewrite_from_at). On Spark, whole stream
-- buckets (stream_bucket).

-- depends_on: {{ ref('stg_build_log__builds') }}

with

validated as (

    select * from {{ ref('int_chat_events__validated') }}

),

changed as (

    select
        stream_id,
        channel_id,
        customer_id,
        min(occurred_at) as rewrite_from_at

    from validated
    where validated_at > {{ last_complete_build_started_at() }}
    group by stream_id, channel_id, customer_id

),

room_starts_before_change as (

    -- the stream's accepted room_opened events before its earliest change, latest first
    select
        validated.stream_id,
        validated.occurred_at,
        validated.event_id,
        row_number() over (
            partition by validated.stream_id
            order by validated.occurred_at desc, validated.event_id desc
        ) as recency

    from validated
    inner join changed
        on validated.stream_id = changed.stream_id
    where
        validated.event_type = 'room_opened'
        and validated.rejection_reason is null
        and validated.occurred_at < changed.rewrite_from_at
        -- a --full-refresh, and Spark, recompute whole streams: no cut to find
        and {{ (not flags.FULL_REFRESH and not rewrites_whole_stream_buckets()) | lower }}

),

session_streams as (

    -- streams with the platform's session ids (D34): a session may reach back before any cut,
    -- and a late event can move earlier events into its session, so they are recomputed and
    -- written again whole
    select distinct validated.stream_id

    from validated
    inner join changed
        on validated.stream_id = changed.stream_id
    where validated.session_id is not null and validated.rejection_reason is null

),

recompute_from as (

    select
        stream_id,
        occurred_at as events_from_at,
        event_id as events_from_event_id

    from room_starts_before_change
    where recency = 1

),

final as (

    select
        changed.stream_id,
        changed.channel_id,
        changed.customer_id,
        case when session_streams.stream_id is null then recompute_from.events_from_at end
            as events_from_at,
        case when session_streams.stream_id is null then recompute_from.events_from_event_id end
            as events_from_event_id,
        case when session_streams.stream_id is null then changed.rewrite_from_at end
            as rewrite_from_at,
        {{ stream_bucket('changed.stream_id') }} as stream_bucket

    from changed
    left join recompute_from
        on changed.stream_id = recompute_from.stream_id
    left join session_streams
        on changed.stream_id = session_streams.stream_id

)

select * from final
