{{
    config(
        materialized='incremental',
        **stream_incremental_config(duckdb_strategy='delete+insert', unique_key='raw_row_id')
    )
}}

-- Every raw row once, with its final rejection reason: the field-level reason from staging, or
-- `duplicate_event_id` for all but one of the valid rows sharing an event_id. The kept row is the
-- one with the earliest occurred_at, then the smallest content fingerprint (DECISIONLOG D6), so
-- the choice never depends on file names, row order or arrival order. `event_id_conflict` flags
-- every row of an event_id whose rows do not all have the same content.
--
-- Incremental: a build looks at the raw rows it has not seen (from the staged rows loaded since
-- its previous run), the rows it rejected as in the future (re-checked: the run's clock has
-- moved), and every earlier row sharing an event_id with those, and rewrites exactly these rows
-- (`validated_at` = this build's start: int_chat_events__streams_to_recompute recomputes their
-- streams until a complete build has). There is no lookback window: a late row is compared with every
-- earlier row of its event_id, however old. Those rows are found by a join on event_id over two
-- columns of this table, so the build hashes a day's ids, not the table's, and reads the other
-- columns of the few rows it found (macro row_locator). On Spark the table is partitioned by
-- stream_bucket and a build overwrites whole buckets: the other rows of the buckets it touches
-- are carried over unchanged (their event_ids saw no new row).

{%- set validated_until = incremental_watermark('loaded_at') if is_incremental() else none %}
{%- set event_columns = [
    'raw_row_id', 'source_file', 'stream_id', 'event_id', 'occurred_at_text', 'occurred_at',
    'channel_id', 'customer_id', 'event_type', 'sender_type', 'consultant_id', 'entry_point',
    'is_end_command', 'end_reason', 'session_id', 'content_fingerprint',
] %}

with

staged as (

    select
        {{ event_columns | join(',\n        ') }},
        rejection_reason,
        loaded_at

    from {{ ref('stg_kakao__chat_events') }}
    {%- if validated_until is not none %}
    where loaded_at > {{ validated_until }}
    {%- endif %}

),

{% if is_incremental() %}

candidates as (

    -- the event_ids this build may change: of the new staged rows, and of the rows rejected as
    -- in the future
    select event_id from staged

    union all

    select event_id
    from {{ this }}
    where field_rejection_reason = 'occurred_at_in_future'

),

previous_rows as (

    -- the rows this table already holds for those event_ids (a row's id determines its
    -- event_id, so a staged row validated before is among them), found on two columns: the
    -- hash tables stay as small as a day, and only these rows' other columns are read later
    select
        previous.raw_row_id,
        previous.event_id,
        {{ row_locator('previous', 'raw_row_id') }} as row_locator
    from {{ this }} as previous
    where previous.event_id in (select candidates.event_id from candidates)

    union all

    -- a row without an event_id shares it with no other; only its own id can be seen before
    select
        previous.raw_row_id,
        previous.event_id,
        {{ row_locator('previous', 'raw_row_id') }} as row_locator
    from {{ this }} as previous
    where
        previous.event_id is null
        and previous.raw_row_id in (
            select staged.raw_row_id from staged where staged.event_id is null
        )

),

arrived as (

    select staged.*

    from staged
    where not exists (
        select 1
        from previous_rows
        where previous_rows.raw_row_id = staged.raw_row_id
    )

    union all

    select
        {{ event_columns | join(',\n        ') }},
        {{ chat_event_rejection_reason('previous') }} as rejection_reason,
        loaded_at

    from {{ this }} as previous
    where previous.field_rejection_reason = 'occurred_at_in_future'

),

touched_event_ids as (

    select distinct event_id

    from arrived
    where event_id is not null

),

earlier_rows as (

    -- the earlier rows of those event_ids
    select previous_rows.row_locator

    from previous_rows
    inner join touched_event_ids
        on previous_rows.event_id = touched_event_ids.event_id
    where previous_rows.raw_row_id not in (select arrived.raw_row_id from arrived)

),

events as (

    select * from arrived

    union all

    select
        {%- for column in event_columns %}
        previous.{{ column }},
        {%- endfor %}
        previous.field_rejection_reason as rejection_reason,
        previous.loaded_at

    from {{ this }} as previous
    inner join earlier_rows
        on {{ row_locator('previous', 'raw_row_id') }} = earlier_rows.row_locator

),

{% if rewrites_whole_stream_buckets() %}

carried_over as (

    select * from {{ this }}
    where
        stream_bucket in (select {{ stream_bucket('events.stream_id') }} from events)
        and raw_row_id not in (select events.raw_row_id from events)

),

{% endif %}

{% else %}

events as (

    select * from staged

),

{% endif %}

shared_event_ids as (

    -- the event_ids with more than one row: the only ones with a row to choose (a few in a
    -- thousand), so the window below sorts these rows, not all of them
    select event_id

    from events
    where event_id is not null
    group by event_id
    having count(*) > 1

),

ranked as (

    -- each shared event_id's rows, the valid ones first in the order of D6; and the smallest
    -- and largest content fingerprint among all its rows (they differ: a conflict)
    select
        *,
        row_number() over (
            partition by event_id
            order by rejection_reason is not null, occurred_at, content_fingerprint, raw_row_id
        ) as position_within_event_id,
        min(content_fingerprint) over (partition by event_id) as first_fingerprint,
        max(content_fingerprint) over (partition by event_id) as last_fingerprint

    from events
    where event_id in (select shared_event_ids.event_id from shared_event_ids)

    union all

    -- every other row is alone with its event_id (or has none): first, and no conflict
    select
        *,
        1 as position_within_event_id,
        content_fingerprint as first_fingerprint,
        content_fingerprint as last_fingerprint

    from events
    where event_id is null or event_id not in (select shared_event_ids.event_id from shared_event_ids)

),

final as (

    select
        ranked.raw_row_id,
        ranked.stream_id,
        ranked.source_file,
        ranked.event_id,
        ranked.occurred_at_text,
        ranked.occurred_at,
        ranked.channel_id,
        ranked.customer_id,
        ranked.event_type,
        ranked.sender_type,
        ranked.consultant_id,
        ranked.entry_point,
        ranked.is_end_command,
        ranked.end_reason,
        ranked.session_id,
        ranked.content_fingerprint,
        ranked.rejection_reason as field_rejection_reason,
        case
            when ranked.rejection_reason is not null then ranked.rejection_reason
            when ranked.position_within_event_id > 1 then 'duplicate_event_id'
        end as rejection_reason,
        coalesce(
            ranked.event_id is not null and ranked.first_fingerprint != ranked.last_fingerprint,
            false
        ) as event_id_conflict,
        ranked.loaded_at,
        {{ build_started_at() }} as validated_at,
        {{ stream_bucket('ranked.stream_id') }} as stream_bucket

    from ranked

)

select * from final
{% if is_incremental() and rewrites_whole_stream_buckets() %}
union all
select * from carried_over
{% endif %}
