-- Conservation: every raw row of the source appears in the audit model exactly once, with a
-- disposition. One pass over the audit (a view over the validated rows and their placement)
-- checks what column tests would check in one pass each: the row ids are present and unique,
-- and every row has a disposition of the three, a reason and a conflict flag. The counts of
-- the layers under it balance too: every accepted row is placed (the rooms' table holds one
-- row per accepted row, none other). The audit's ids being unique, so are those of the layers
-- it joins. Returns a row when anything differs.

with

raw_rows as (

    select count(*) as row_count from {{ source('kakao', 'chat_events') }}

),

placed as (

    select count(*) as row_count from {{ ref('int_chat_events__assigned_to_rooms') }}

),

per_row_id as (

    -- grouped by row id, not count(distinct): a grouped aggregate spills to disk under a memory
    -- limit, a distinct count of 100M ids does not
    select
        raw_row_id,
        count(*) as row_count,
        count(case when disposition in ('billed', 'unbilled', 'rejected') then 1 end)
            as with_disposition,
        count(disposition_reason) as with_reason,
        count(event_id_conflict) as with_conflict_flag,
        count(case when disposition != 'rejected' then 1 end) as accepted_rows,
        count(case when disposition != 'rejected' and billing_date is not null then 1 end)
            as accepted_rows_placed

    from {{ ref('fct_chat_event_audit') }}
    group by raw_row_id

),

audited as (

    select
        coalesce(sum(row_count), 0) as row_count,
        coalesce(sum(case when raw_row_id is not null then row_count end), 0) as with_row_id,
        count(raw_row_id) as distinct_row_ids,
        coalesce(sum(with_disposition), 0) as with_disposition,
        coalesce(sum(with_reason), 0) as with_reason,
        coalesce(sum(with_conflict_flag), 0) as with_conflict_flag,
        coalesce(sum(accepted_rows), 0) as accepted_rows,
        coalesce(sum(accepted_rows_placed), 0) as accepted_rows_placed

    from per_row_id

)

select
    audited.*,
    raw_rows.row_count as raw_row_count,
    placed.row_count as placed_row_count

from raw_rows
cross join placed
cross join audited
where
    raw_rows.row_count != audited.row_count
    or audited.with_row_id != audited.row_count
    or audited.distinct_row_ids != audited.row_count
    or audited.with_disposition != audited.row_count
    or audited.with_reason != audited.row_count
    or audited.with_conflict_flag != audited.row_count
    or audited.accepted_rows_placed != audited.accepted_rows
    or placed.row_count != audited.accepted_rows
