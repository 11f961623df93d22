-- One row per raw chat event row: ids trimmed, enums lower-cased, occurred_at parsed to an
-- instant, the `!종료` command detected, and a field-level rejection reason (DECISIONLOG D3-D5,
-- D7). Duplicate event ids are resolved downstream; message_text goes no further than here.
-- Plausible occurred_at: on or after var `occurred_at_min` (a date in billing_time_zone) and no
-- later than the run's start plus var `occurred_at_max_future_days` days.

{%- set earliest = kakao_var('occurred_at_min') %}
{%- set future_days = kakao_var('occurred_at_max_future_days') | int %}

with

source as (

    select * from {{ source('kakao', 'chat_events') }}

),

fingerprinted as (

    select
        *,
        {{ surrogate_key([
            'source_file', 'event_id', 'occurred_at', 'channel_id', 'customer_id', 'event_type',
            'sender_type', 'consultant_id', 'entry_point', 'message_text',
        ]) }} as raw_row_hash

    from source

),

identified as (

    select
        *,
        -- byte-identical rows of one file are indistinguishable; number them to keep each one
        raw_row_hash || '-' || cast(
            row_number() over (partition by raw_row_hash order by raw_row_hash) as {{ dbt.type_string() }}
        ) as raw_row_id

    from fingerprinted

),

normalized as (

    select
        raw_row_id,
        source_file,
        {{ trim_whitespace('event_id') }} as event_id,
        {{ trim_whitespace('occurred_at') }} as occurred_at_text,
        {{ trim_whitespace('channel_id') }} as channel_id,
        {{ trim_whitespace('customer_id') }} as customer_id,
        lower({{ trim_whitespace('event_type') }}) as event_type,
        lower({{ trim_whitespace('sender_type') }}) as sender_type,
        {{ trim_whitespace('consultant_id') }} as consultant_id,
        lower({{ trim_whitespace('entry_point') }}) as entry_point,
        coalesce({{ trim_whitespace('message_text') }} = '!종료', false) as is_end_command,
        message_text

    from identified

),

parsed as (

    select
        *,
        {{ parse_event_timestamp('occurred_at_text') }} as occurred_at,
        {{ surrogate_key([
            'event_id', 'occurred_at_text', 'channel_id', 'customer_id', 'event_type',
            'sender_type', 'consultant_id', 'entry_point', 'message_text',
        ]) }} as content_fingerprint

    from normalized

),

plausible as (

    select
        {{ parse_event_timestamp("'" ~ earliest ~ "T00:00:00'") }} as earliest_occurred_at,
        {{ dbt.dateadd(
            'day',
            future_days,
            parse_event_timestamp("'" ~ run_started_at.strftime('%Y-%m-%dT%H:%M:%SZ') ~ "'")
        ) }} as latest_occurred_at

),

final as (

    select
        parsed.raw_row_id,
        parsed.source_file,
        {{ surrogate_key(['parsed.channel_id', 'parsed.customer_id']) }} as stream_id,
        parsed.event_id,
        parsed.occurred_at_text,
        parsed.occurred_at,
        parsed.channel_id,
        parsed.customer_id,
        parsed.event_type,
        parsed.sender_type,
        parsed.consultant_id,
        parsed.entry_point,
        parsed.is_end_command,
        parsed.content_fingerprint,
        case
            when parsed.event_id is null then 'missing_event_id'
            when parsed.channel_id is null then 'missing_channel_id'
            when parsed.customer_id is null then 'missing_customer_id'
            when parsed.event_type is null then 'missing_event_type'
            when parsed.event_type not in ('room_opened', 'message', 'room_left', 'room_closed')
                then 'unknown_event_type'
            when parsed.occurred_at_text is null then 'missing_occurred_at'
            when parsed.occurred_at is null then 'unparseable_occurred_at'
            when parsed.occurred_at < plausible.earliest_occurred_at then 'occurred_at_too_early'
            when parsed.occurred_at > plausible.latest_occurred_at then 'occurred_at_in_future'
            when parsed.sender_type not in ('customer', 'consultant', 'system')
                then 'unknown_sender_type'
        end as rejection_reason

    from parsed
    cross join plausible

)

select * from final
