{#-
    The billing day of an instant: the calendar date of its local time (var `billing_time_zone`)
    minus `billing_day_start_hour` hours. With the defaults a billing day runs
    [04:00, 04:00) Asia/Seoul: 03:59:59 KST belongs to the previous day, 04:00:00 to the new one.
-#}
{% macro billing_date(timestamp_expression) -%}
    {%- set start_hour = kakao_var('billing_day_start_hour') | int -%}
    {%- if start_hour < 0 or start_hour > 23 -%}
        {{ exceptions.raise_compiler_error(
            "var 'billing_day_start_hour' must be between 0 and 23, got " ~ start_hour
        ) }}
    {%- endif -%}
    cast({{ dbt.dateadd('hour', -start_hour, to_local_time(timestamp_expression)) }} as date)
{%- endmacro %}
