{#-
    "Today" for the reports that depend on it, as a Python date: var `billing_as_of_date`
    ('YYYY-MM-DD') when set, so that a build is reproducible; otherwise the run's start in
    `billing_time_zone`: its calendar date, or with `billing_day=true` its billing day (the
    calendar date `billing_day_start_hour` hours earlier, DECISIONLOG D9). A set var is taken
    as both.
-#}
{% macro billing_as_of_date(billing_day=false) -%}
    {%- set as_of = var('billing_as_of_date', none) -%}
    {%- if as_of is not none and as_of | string | trim != '' -%}
        {%- set text = as_of | string | trim -%}
        {%- if not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', text) -%}
            {{ exceptions.raise_compiler_error(
                "var 'billing_as_of_date' must look like 2026-11-26, got '" ~ text ~ "'"
            ) }}
        {%- endif -%}
        {{ return(modules.datetime.date.fromisoformat(text)) }}
    {%- endif -%}
    {%- set zone = modules.pytz.timezone(kakao_var('billing_time_zone')) -%}
    {%- set local_start = run_started_at.astimezone(zone) -%}
    {%- if billing_day -%}
        {%- set local_start = local_start - modules.datetime.timedelta(
            hours=kakao_var('billing_day_start_hour') | int
        ) -%}
    {%- endif -%}
    {{ return(local_start.date()) }}
{%- endmacro %}
