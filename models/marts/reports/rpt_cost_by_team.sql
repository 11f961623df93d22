-- The fee per channel and usage month attributed to teams (var consultant_teams_path; DECISIONLOG
-- D22): one row per team, one for consultants without a team (team null), and one each for
-- `unanswered` and `unidentified_consultant` charges. A charge shared by two consultants of a
-- team counts once in `charges`. allocated_krw sums to the month's fee.

with

allocations as (

    select * from {{ ref('fct_charge_allocations') }}

),

final as (

    select
        channel_id,
        usage_month,
        allocation_target,
        team,
        count(distinct consultant_id) as consultants,
        count(distinct charge_id) as charges,
        cast(sum(allocated_krw) as {{ dbt.type_bigint() }}) as allocated_krw

    from allocations
    group by channel_id, usage_month, allocation_target, team

)

select * from final
