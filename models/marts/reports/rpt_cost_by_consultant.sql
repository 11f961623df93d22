-- The fee per channel and usage month attributed to consultants (DECISIONLOG D22): one row per
-- consultant, plus one for `unanswered` and one for `unidentified_consultant` charges.
-- allocated_krw sums to the month's fee (data test allocated_costs_sum_to_monthly_fees).

with

allocations as (

    select * from {{ ref('fct_charge_allocations') }}

),

final as (

    select
        channel_id,
        usage_month,
        allocation_target,
        consultant_id,
        team,
        count(*) as charges,
        count(case when consultant_count > 1 then 1 end) as shared_charges,
        cast(sum(allocated_krw) as {{ dbt.type_bigint() }}) as allocated_krw

    from allocations
    group by channel_id, usage_month, allocation_target, consultant_id, team

)

select * from final
