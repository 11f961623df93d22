{#-
    "Today" for the reports that depend on it, as a Python date: var `billing_as_of_date`
    ('YYYY-MM-DD') when set, so that a build is reproducible; otherwise the run's start in
    `billing_time_zone` (billing_run_date). A set var is taken as both the calendar date and
    the billing day.
-#}
{% macro billing_as_of_date(billing_day=false) -%}
    {%- set as_of = var('billing_as_of_date', none) -%}
    {%- if as_of is not none and as_of | string | trim != '' -%}
        {%- set text = as_of | string | trim -%}
        {%- set parts = modules.re.match('^([0-9]{4})-(0[1-9]|1[0-2])-([0-9]{2})$', text) -%}
        {%- if parts -%}
            {%- set year, month = parts.group(1) | int, parts.group(2) | int -%}
            {%- set next_month = modules.datetime.date(year + month // 12, month % 12 + 1, 1) -%}
            {%- set days_in_month = (next_month - modules.datetime.date(year, month, 1)).days -%}
        {%- endif -%}
        {%- if not parts or not 1 <= parts.group(3) | int <= days_in_month -%}
            {{ exceptions.raise_compiler_error(
                "var 'billing_as_of_date' must be a date like 2026-11-26, got '" ~ text ~ "'"
            ) }}
        {%- endif -%}
        {{ return(modules.datetime.date.fromisoformat(text)) }}
    {%- endif -%}
    {{ return(billing_run_date(billing_day)) }}
{%- endmacro %}

{#-
    The run's start in `billing_time_zone`: its calendar date, or with `billing_day=true` its
    billing day (the calendar date `billing_day_start_hour` hours earlier, DECISIONLOG D9).
-#}
{% macro billing_run_date(billing_day=false) -%}
    {%- set zone = modules.pytz.timezone(kakao_var('billing_time_zone')) -%}
    {%- set local_start = run_started_at.astimezone(zone) -%}
    {%- if billing_day -%}
        {%- set local_start = local_start - modules.datetime.timedelta(
            hours=kakao_var('billing_day_start_hour') | int
        ) -%}
    {%- endif -%}
    {{ return(local_start.date()) }}
{%- endmacro %}
