-- Conservation: every raw row of the source appears in the audit model exactly once, with a
-- disposition. The layers under it balance as wholes, at every build: as many validated rows
-- as raw rows, each with an id, and the rooms' table holds the accepted rows' ids, no other
-- (their counts and the sums of a hash of each id agree). Then the audit (a view over the
-- validated rows and their placement), grouped by row id, checks each row: its id once, one
-- disposition of the three, a reason and a conflict flag, and placed if accepted. In a build
-- that follows a checked one (last_checked_build_started_at, DECISIONLOG D45), each row of
-- those validated since it; every row otherwise. The audit's ids being unique, so are those of
-- the layers it joins. Returns a row when anything differs.

{%- set checked_until = last_checked_build_started_at() %}

with

raw_rows as (

    select count(*) as row_count from {{ source('kakao', 'chat_events') }}

),

validated as (

    select
        count(*) as row_count,
        count(raw_row_id) as with_row_id,
        count(case when rejection_reason is null then 1 end) as accepted_rows,
        coalesce(sum(case when rejection_reason is null then hash(raw_row_id) end), 0)
            as accepted_id_hashes

    from {{ ref('int_chat_events__validated') }}

),

placed as (

    select
        count(*) as row_count,
        coalesce(sum(hash(raw_row_id)), 0) as id_hashes

    from {{ ref('int_chat_events__assigned_to_rooms') }}

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
    {%- if checked_until %}
    where raw_row_id in (
        select raw_row_id from {{ ref('int_chat_events__validated') }}
        where validated_at > {{ checked_until }}
    )
    {%- endif %}
    group by raw_row_id

),

audited as (

    select
        coalesce(sum(row_count), 0) as row_count,
        count(*) as distinct_row_ids,
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
    validated.row_count as validated_row_count,
    validated.with_row_id as validated_with_row_id,
    validated.accepted_rows as validated_accepted_rows,
    placed.row_count as placed_row_count

from raw_rows
cross join validated
cross join placed
cross join audited
where
    raw_rows.row_count != validated.row_count
    or validated.with_row_id != validated.row_count
    or placed.row_count != validated.accepted_rows
    or placed.id_hashes != validated.accepted_id_hashes
    or audited.distinct_row_ids != audited.row_count
    or audited.with_disposition != audited.row_count
    or audited.with_reason != audited.row_count
    or audited.with_conflict_flag != audited.row_count
    or audited.accepted_rows_placed != audited.accepted_rows
