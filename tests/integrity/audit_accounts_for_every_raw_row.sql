-- Conservation: every raw row of the source appears in the audit model exactly once, with a
-- disposition. Returns a row when the counts differ.

with

raw_rows as (

    select count(*) as row_count from {{ source('kakao', 'chat_events') }}

),

audited as (

    select
        count(*) as row_count,
        count(distinct raw_row_id) as distinct_row_ids,
        count(disposition) as with_disposition

    from {{ ref('fct_chat_event_audit') }}

)

select
    raw_rows.row_count as raw_row_count,
    audited.row_count as audited_row_count,
    audited.distinct_row_ids,
    audited.with_disposition

from raw_rows
cross join audited
where
    raw_rows.row_count != audited.row_count
    or audited.distinct_row_ids != audited.row_count
    or audited.with_disposition != audited.row_count
