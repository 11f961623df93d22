{{
    config(
        materialized='incremental',
        unique_key='raw_row_id',
        incremental_strategy='append',
        full_refresh=false,
    )
}}

-- When each raw row was first seen by a build: the run's start time, kept from then on (also
-- through --full-refresh), so a fee adjustment can name the late events that caused it. An
-- incremental build reads only the raw rows validation loaded since its previous run.

{%- set seen_until = incremental_watermark('first_seen_at') if is_incremental() else none %}

with

raw_rows as (

    select * from {{ ref('int_chat_events__validated') }}
    {%- if seen_until is not none %}
    where loaded_at > {{ seen_until }}
    {%- endif %}

),

final as (

    select
        raw_rows.raw_row_id,
        raw_rows.event_id,
        {{ build_started_at() }} as first_seen_at

    from raw_rows
    {% if is_incremental() -%}
    where not exists (
        select 1 from {{ this }} as seen
        where seen.raw_row_id = raw_rows.raw_row_id
    )
    {%- endif %}

)

select * from final
