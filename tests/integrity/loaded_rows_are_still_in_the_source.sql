-- Incremental builds assume the source only grows: files are added, never edited or removed.
-- Returns, per file, the raw rows an earlier build loaded that the source no longer has (a file
-- rewritten, truncated, deleted or renamed). Rebuild from the current files with
-- `dbt build --full-refresh`; closed months stay closed and differences become adjustments.

with

source_rows as (

    select raw_row_id from {{ ref('stg_kakao__chat_events') }}

),

loaded_rows as (

    select
        raw_row_id,
        source_file

    from {{ ref('int_chat_events__validated') }}

)

select
    loaded_rows.source_file,
    count(*) as rows_no_longer_in_source

from loaded_rows
left join source_rows
    on loaded_rows.raw_row_id = source_rows.raw_row_id
where source_rows.raw_row_id is null
group by loaded_rows.source_file
