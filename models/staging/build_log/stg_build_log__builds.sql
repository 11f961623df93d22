-- One row per build of the warehouse: its start, and its end when it has one (a build killed on
-- the way has none). The last complete build is where the next build's work starts from
-- (docs/incremental.md).

with

log_rows as (

    select * from {{ source('build_log', 'builds') }}

),

starts as (

    select
        invocation_id,
        command,
        is_full_refresh,
        started_at,
        billing_settings

    from log_rows
    where finished_at is null

),

ends as (

    select
        invocation_id,
        finished_at,
        is_complete,
        failed_tests,
        is_checked

    from log_rows
    where finished_at is not null

),

final as (

    select
        starts.invocation_id,
        starts.command,
        starts.is_full_refresh,
        starts.started_at,
        ends.finished_at,
        ends.failed_tests,
        starts.billing_settings,
        coalesce(ends.is_complete, false) as is_complete,
        coalesce(ends.is_checked, false) as is_checked

    from starts
    left join ends
        on starts.invocation_id = ends.invocation_id

)

select * from final
