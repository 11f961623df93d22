{{ config(severity='warn') }}

-- fct_charge_allocations splits active_consultant_ids on commas (DECISIONLOG D22): a consultant
-- id that contains a comma would be split into ids nobody has. Lists any allocated id that is
-- not the consultant_id of an accepted event.

with

allocations as (

    select * from {{ ref('fct_charge_allocations') }}
    where allocation_target = 'consultant'

),

events as (

    select * from {{ ref('int_chat_events__validated') }}
    where rejection_reason is null and consultant_id is not null

),

known_ids as (

    select distinct consultant_id

    from events

)

select distinct allocations.consultant_id

from allocations
left join known_ids
    on allocations.consultant_id = known_ids.consultant_id
where known_ids.consultant_id is null
