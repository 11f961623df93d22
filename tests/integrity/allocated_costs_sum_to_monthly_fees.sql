-- Conservation: per channel and usage month, the fee attributed by each cost report (and by
-- fct_charge_allocations) equals fct_monthly_fees.fee_krw, plus the recorded adjustments for a
-- closed month that late events changed (DECISIONLOG D15, D22). Returns what does not balance.

with

fees as (

    select
        channel_id,
        usage_month,
        fee_krw

    from {{ ref('fct_monthly_fees') }}

),

adjustments as (

    select
        channel_id,
        usage_month,
        sum(fee_krw_delta) as fee_krw_delta

    from {{ ref('fct_fee_adjustments') }}
    group by channel_id, usage_month

),

allocated as (

    select
        'fct_charge_allocations' as model_name,
        channel_id,
        usage_month,
        sum(allocated_krw) as allocated_krw

    from {{ ref('fct_charge_allocations') }}
    group by channel_id, usage_month

    union all

    select
        'rpt_cost_by_consultant' as model_name,
        channel_id,
        usage_month,
        sum(allocated_krw) as allocated_krw

    from {{ ref('rpt_cost_by_consultant') }}
    group by channel_id, usage_month

    union all

    select
        'rpt_cost_by_team' as model_name,
        channel_id,
        usage_month,
        sum(allocated_krw) as allocated_krw

    from {{ ref('rpt_cost_by_team') }}
    group by channel_id, usage_month

    union all

    select
        'rpt_cost_by_entry_point' as model_name,
        channel_id,
        usage_month,
        sum(allocated_krw) as allocated_krw

    from {{ ref('rpt_cost_by_entry_point') }}
    group by channel_id, usage_month

),

model_names as (

    select distinct model_name

    from allocated

    union

    select 'fct_charge_allocations' as model_name

),

months as (

    select
        channel_id,
        usage_month

    from fees

    union

    select
        channel_id,
        usage_month

    from adjustments

    union

    select
        channel_id,
        usage_month

    from allocated

),

expected as (

    select
        model_names.model_name,
        months.channel_id,
        months.usage_month,
        coalesce(fees.fee_krw, 0) + coalesce(adjustments.fee_krw_delta, 0) as expected_fee_krw

    from model_names
    cross join months
    left join fees
        on months.channel_id = fees.channel_id and months.usage_month = fees.usage_month
    left join adjustments
        on months.channel_id = adjustments.channel_id and months.usage_month = adjustments.usage_month

),

compared as (

    select
        expected.model_name,
        expected.channel_id,
        expected.usage_month,
        expected.expected_fee_krw,
        coalesce(allocated.allocated_krw, 0) as allocated_krw

    from expected
    left join allocated
        on
            expected.model_name = allocated.model_name
            and expected.channel_id = allocated.channel_id
            and expected.usage_month = allocated.usage_month

)

select * from compared
where allocated_krw != expected_fee_krw
