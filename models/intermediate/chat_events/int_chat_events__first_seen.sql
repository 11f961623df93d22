{{
    config(
        materialized='incremental',
        unique_key='raw_row_id',
        incremental_strategy='append',
        full_refresh=false,
    )
}}

-- When each raw row was first seen by a build: the run's start time, kept from then on (also
-- through --full-refresh), so a fee adjustment can name the late events that caused it.

with

raw_rows as (

    select * from {{ ref('stg_kakao__chat_events') }}

),

final as (

    select
        raw_rows.raw_row_id,
        raw_rows.event_id,
        cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S") }}' as {{ dbt.type_timestamp() }})
            as first_seen_at

    from raw_rows
    {% if is_incremental() -%}
    where not exists (
        select 1 from {{ this }} as seen
        where seen.raw_row_id = raw_rows.raw_row_id
    )
    {%- endif %}

)

select * from final
