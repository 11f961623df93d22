-- The streams, (channel_id, customer_id), that this build recomputes in every incremental model
-- after validation: those with a raw row validated by this build (new, or sharing an event_id
-- with a new one), and those whose still-open room the data's clock has just reached (or, after
-- a clock step back, left). All streams on a first build or --full-refresh. On Spark the
-- models rewrite whole stream buckets (macro stream_incremental_config).

{%- set previous_rooms = adapter.get_relation(
    database=target.database,
    schema=generate_schema_name('intermediate', none),
    identifier='int_chat_rooms__lifecycle',
) if execute else none %}

with

validated as (

    select * from {{ ref('int_chat_events__validated') }}

),

changed as (

    select distinct
        stream_id,
        channel_id,
        customer_id

    from validated
    where processed_by = '{{ invocation_id }}'

),

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
        customer_id

    from changed

    union

    select
        stream_id,
        channel_id,
        customer_id

    from clock_affected

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
