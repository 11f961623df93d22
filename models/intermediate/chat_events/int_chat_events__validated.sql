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
-- The one table that stores the raw rows: staging is a view that parses them when read, and a
-- build reads there only the files whose signature (size, modification time) this table has not
-- stored (D18): new files, and files that changed. A file is parsed, hashed and written once.
--
-- Incremental: a build looks at the raw rows it has not seen (of the files it loads), the rows it
-- rejected as in the future (re-checked: the run's clock has moved), and every earlier row
-- sharing an event_id with those, and rewrites exactly these rows
-- (`validated_at` = this build's start: int_chat_events__streams_to_recompute recomputes their
-- streams until a complete build has). There is no lookback window: a late row is compared with every
-- earlier row of its event_id, however old. Those rows are found by a join on event_id over two
-- columns of this table, so the build hashes a day's ids, not the table's, and reads the other
-- columns of the few rows it found (macro row_locator). On Spark the table is partitioned by
-- stream_bucket and a build overwrites whole buckets: the other rows of the buckets it touches
-- are carried over unchanged (their event_ids saw no new row).

-- The file listing is read by macro chat_event_files_to_load, before the model's SQL runs:
-- depends_on: {{ source('kakao', 'chat_event_files') }}
{%- set load_filter = chat_events_load_filter() if is_incremental() else none %}
{%- if not is_incremental() %}{% do check_full_refresh_keeps_loaded_files() %}{% endif %}
{%- set event_columns = [
    'raw_row_id', 'source_file', 'stream_id', 'event_id', 'occurred_at_text', 'occurred_at',
    'channel_id', 'customer_id', 'event_type', 'sender_type', 'consultant_id', 'entry_point',
    'is_end_command', 'end_reason', 'session_id', 'content_fingerprint', 'source_file_signature',
    'source_loaded_at',
] %}
{#- the columns of a row this table holds, read again: its file's signature of now if restamped -#}
{%- set held_columns = [] %}
{%- for column in event_columns %}
{%- do held_columns.append(
    'coalesce(restamped.source_file_signature, previous.source_file_signature) as source_file_signature'
    if column == 'source_file_signature' else 'previous.' ~ column
) %}
{%- endfor %}

with

staged as (

    -- the raw rows of the files this build loads (D18): new files, and files that changed
    select
        {{ event_columns | join(',\n        ') }},
        rejection_reason,
        {{ build_started_at() }} as loaded_at

    from {{ ref('stg_kakao__chat_events') }}
    {%- if load_filter is not none %}
    where {{ load_filter }}
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
        previous.source_file_signature,
        {{ row_locator('previous', 'raw_row_id') }} as row_locator
    from {{ this }} as previous
    where previous.event_id in (select candidates.event_id from candidates)

    union all

    -- a row without an event_id shares it with no other; only its own id can be seen before
    select
        previous.raw_row_id,
        previous.event_id,
        previous.source_file_signature,
        {{ row_locator('previous', 'raw_row_id') }} as row_locator
    from {{ this }} as previous
    where
        previous.event_id is null
        and previous.raw_row_id in (
            select staged.raw_row_id from staged where staged.event_id is null
        )

),

restamped as (

    -- rows held under another signature of a file this build reads again (it grew, or was
    -- written again): they take the file's signature of now, so the file counts as loaded; a
    -- row the file no longer has keeps the old one (loaded_rows_are_still_in_the_source, D18)
    select
        staged.raw_row_id,
        staged.event_id,
        staged.source_file_signature

    from staged
    inner join previous_rows
        on staged.raw_row_id = previous_rows.raw_row_id
    where
        coalesce(previous_rows.source_file_signature, '')
        != coalesce(staged.source_file_signature, '')

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
        {%- for column in held_columns %}
        {{ column }},
        {%- endfor %}
        {{ chat_event_rejection_reason('previous') }} as rejection_reason,
        previous.loaded_at

    from {{ this }} as previous
    left join restamped
        on previous.raw_row_id = restamped.raw_row_id
    where previous.field_rejection_reason = 'occurred_at_in_future'

),

touched_event_ids as (

    select event_id from arrived where event_id is not null

    union

    select event_id from restamped where event_id is not null

),

earlier_rows as (

    -- the earlier rows of those event_ids, and the restamped rows (without an event_id too)
    select previous_rows.row_locator

    from previous_rows
    where
        previous_rows.raw_row_id not in (select arrived.raw_row_id from arrived)
        and (
            previous_rows.event_id in (select touched_event_ids.event_id from touched_event_ids)
            or previous_rows.raw_row_id in (select restamped.raw_row_id from restamped)
        )

),

events as (

    select * from arrived

    union all

    select
        {%- for column in held_columns %}
        {{ column }},
        {%- endfor %}
        previous.field_rejection_reason as rejection_reason,
        previous.loaded_at

    from {{ this }} as previous
    inner join earlier_rows
        on {{ row_locator('previous', 'raw_row_id') }} = earlier_rows.row_locator
    left join restamped
        on previous.raw_row_id = restamped.raw_row_id

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

{#- each event_id's rows, the valid ones first in the order of D6; and the smallest and largest
    content fingerprint among all its rows (they differ: a conflict) -#}
{%- set ranking_within_event_id -%}
row_number() over (
            partition by event_id
            order by rejection_reason is not null, occurred_at, content_fingerprint, raw_row_id
        ) as position_within_event_id,
        min(content_fingerprint) over (partition by event_id) as first_fingerprint,
        max(content_fingerprint) over (partition by event_id) as last_fingerprint
{%- endset %}

{% if computes_a_cte_once() %}

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

    -- each shared event_id's rows, ranked
    select
        *,
        {{ ranking_within_event_id }}

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

{% else %}

ranked as (

    -- Spark computes a CTE again at each reference, and `events` (of an incremental build) reads
    -- this table and the staged rows many times: one window over all rows reads it once, where
    -- the split above would read it three times (macro computes_a_cte_once)
    select
        *,
        {{ ranking_within_event_id }}

    from events

),

{% endif %}

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
        ranked.source_file_signature,
        ranked.source_loaded_at,
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
