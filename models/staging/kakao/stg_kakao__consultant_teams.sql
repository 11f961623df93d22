-- The team of each consultant, from the CSV file named by var consultant_teams_path (DECISIONLOG
-- D22, D38), for rpt_cost_by_team. Optional: with none, costs are allocated with no team.

with

source as (

    select * from {{ source('kakao', 'consultant_teams') }}

),

final as (

    select
        {{ trim_whitespace('consultant_id') }} as consultant_id,
        {{ trim_whitespace('team') }} as team

    from source

)

select * from final
