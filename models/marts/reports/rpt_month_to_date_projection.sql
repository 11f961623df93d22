-- The expected fee of the current usage month before its invoice, per channel (DECISIONLOG
-- D24). "Today" is the billing day of var billing_as_of_date, or else of the run's start.
-- Elapsed days are the month's billing days before today, [1st, today); the remaining days
-- are [today, last day], today included (its charges so far are not counted). Each remaining
-- day is projected at the channel's average over the elapsed days of the same weekday
-- (days without charges count as zero), or at the average over all elapsed days when that
-- weekday has not occurred yet. Projection = month to date + remaining days' projection, rounded
-- to whole charges and KRW; null on the month's first day (nothing elapsed yet).

{%- set as_of = billing_as_of_date(billing_day=true) %}
{%- set month_start = as_of.replace(day=1) %}
{%- set month_end = (month_start + modules.datetime.timedelta(days=32)).replace(day=1)
    - modules.datetime.timedelta(days=1) %}
{%- set previous_month_start = (month_start - modules.datetime.timedelta(days=1)).replace(day=1) %}

with

charges as (

    select * from {{ ref('fct_room_charges') }}
    where
        billing_date >= cast('{{ month_start }}' as date)
        and billing_date <= cast('{{ month_end }}' as date)

),

monthly_fees as (

    select * from {{ ref('fct_monthly_fees') }}
    where usage_month = cast('{{ previous_month_start }}' as date)

),

month_span as (

    select
        cast('{{ month_start }}' as date) as first_day,
        cast('{{ month_end }}' as date) as last_day

),

month_days as (

    select day_series.billing_date

    from month_span
    cross join {{ billing_day_series('month_span.first_day', 'month_span.last_day') }} as day_series

),

channels as (

    select distinct channel_id

    from charges
    where billing_date <= cast('{{ as_of }}' as date)

),

daily_charges as (

    select
        channel_id,
        billing_date,
        count(*) as room_charges,
        sum(unit_price_krw) as fee_krw

    from charges
    where billing_date < cast('{{ as_of }}' as date)
    group by channel_id, billing_date

),

channel_days as (

    select
        channels.channel_id,
        month_days.billing_date,
        {{ iso_weekday('month_days.billing_date') }} as iso_weekday,
        month_days.billing_date < cast('{{ as_of }}' as date) as is_elapsed,
        coalesce(daily_charges.room_charges, 0) as room_charges,
        coalesce(daily_charges.fee_krw, 0) as fee_krw

    from channels
    cross join month_days
    left join daily_charges
        on
            channels.channel_id = daily_charges.channel_id
            and month_days.billing_date = daily_charges.billing_date

),

weekday_rates as (

    select
        channel_id,
        iso_weekday,
        cast(sum(room_charges) as double) / count(*) as room_charges_per_day,
        cast(sum(fee_krw) as double) / count(*) as fee_krw_per_day

    from channel_days
    where is_elapsed
    group by channel_id, iso_weekday

),

elapsed as (

    select
        channel_id,
        count(*) as elapsed_days,
        sum(room_charges) as room_charges,
        sum(fee_krw) as fee_krw,
        cast(sum(room_charges) as double) / count(*) as room_charges_per_day,
        cast(sum(fee_krw) as double) / count(*) as fee_krw_per_day

    from channel_days
    where is_elapsed
    group by channel_id

),

remaining as (

    select
        channel_days.channel_id,
        count(*) as remaining_days,
        sum(coalesce(weekday_rates.room_charges_per_day, elapsed.room_charges_per_day))
            as room_charges,
        sum(coalesce(weekday_rates.fee_krw_per_day, elapsed.fee_krw_per_day)) as fee_krw

    from channel_days
    left join weekday_rates
        on
            channel_days.channel_id = weekday_rates.channel_id
            and channel_days.iso_weekday = weekday_rates.iso_weekday
    left join elapsed
        on channel_days.channel_id = elapsed.channel_id
    where not channel_days.is_elapsed
    group by channel_days.channel_id

),

final as (

    select
        channels.channel_id,
        cast('{{ month_start }}' as date) as usage_month,
        cast('{{ as_of }}' as date) as as_of_date,
        {{ month_end.day }} as days_in_month,
        cast(coalesce(elapsed.elapsed_days, 0) as integer) as elapsed_days,
        cast(remaining.remaining_days as integer) as remaining_days,
        cast(coalesce(elapsed.room_charges, 0) as {{ dbt.type_bigint() }}) as mtd_room_charges,
        cast(coalesce(elapsed.fee_krw, 0) as {{ dbt.type_bigint() }}) as mtd_fee_krw,
        cast(elapsed.room_charges + round(remaining.room_charges) as {{ dbt.type_bigint() }})
            as projected_room_charges,
        cast(elapsed.fee_krw + round(remaining.fee_krw) as {{ dbt.type_bigint() }}) as projected_fee_krw,
        monthly_fees.fee_krw as previous_month_fee_krw

    from channels
    inner join remaining
        on channels.channel_id = remaining.channel_id
    left join elapsed
        on channels.channel_id = elapsed.channel_id
    left join monthly_fees
        on channels.channel_id = monthly_fees.channel_id

)

select * from final
