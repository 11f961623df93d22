-- One row per calendar day, 2015-01-01 (var occurred_at_min's default) through 2035-12-31: the
-- time spine MetricFlow joins metrics to. End bound exclusive in dbt.date_spine, so 2036-01-01.

with

days as (

    {{ dbt.date_spine(
        datepart='day',
        start_date="cast('2015-01-01' as date)",
        end_date="cast('2036-01-01' as date)",
    ) }}

),

final as (

    select cast(date_day as date) as date_day

    from days

)

select * from final
