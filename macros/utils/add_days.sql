{#-
    An instant plus a whole number of days, to the microsecond. dbt-spark's dateadd goes through
    unix seconds and drops the fraction of a second, so a room opened at 10:00:00.25 expired at
    10:00:00 thirty days later on Spark and at 10:00:00.25 on DuckDB; a day-time interval keeps
    it on both.
-#}
{% macro add_days(timestamp_expression, days) -%}
    {{ return(adapter.dispatch('add_days', 'kakao_consult_billing')(timestamp_expression, days)) }}
{%- endmacro %}

{% macro default__add_days(timestamp_expression, days) -%}
    {{ dbt.dateadd('day', days, timestamp_expression) }}
{%- endmacro %}

{% macro spark__add_days(timestamp_expression, days) -%}
    ({{ timestamp_expression }} + make_dt_interval({{ days }}, 0, 0, 0))
{%- endmacro %}
