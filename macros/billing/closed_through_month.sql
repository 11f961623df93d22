{#-
    The last closed usage month, as a 'YYYY-MM-01' date text.
    A usage month closes once its invoice has been issued: after the invoice window's last day
    (var `invoice_window_end_day`, the 21st) of the following month, in `billing_time_zone`.
    Var `closed_through_month` ('YYYY-MM') sets it explicitly; var `billing_as_of_date`
    ('YYYY-MM-DD', default: the run's start date in `billing_time_zone`) sets "today".

    A closed month stays closed (DECISIONLOG D15), so neither var may close a month that the
    run's real date leaves open: `closed_through_month` only months that have ended, and
    `billing_as_of_date` only months whose invoice window has passed today.
-#}
{% macro closed_through_month() -%}
    {%- set explicit = var('closed_through_month', none) -%}
    {%- if explicit is not none and explicit | string | trim != '' -%}
        {%- set text = explicit | string | trim -%}
        {%- if not modules.re.match('^[0-9]{4}-(0[1-9]|1[0-2])$', text) -%}
            {{ exceptions.raise_compiler_error(
                "var 'closed_through_month' must look like 2026-09, got '" ~ text ~ "'"
            ) }}
        {%- endif -%}
        {%- set billing_today = billing_run_date(billing_day=true) -%}
        {%- set current_month = billing_today.strftime('%Y-%m') -%}
        {%- if text >= current_month -%}
            {{ exceptions.raise_compiler_error(
                "var 'closed_through_month' is " ~ text ~ ", but usage month " ~ current_month
                ~ " has not ended yet (today's billing day is "
                ~ billing_today ~ " in " ~ kakao_var('billing_time_zone')
                ~ "). A closed month stays closed (DECISIONLOG D15): close only months that have ended."
            ) }}
        {%- endif -%}
        {{ return(text ~ '-01') }}
    {%- endif -%}

    {%- set as_of = billing_as_of_date() -%}
    {%- set today = billing_run_date() -%}
    {%- set closed = last_month_closed_on(as_of) -%}
    {%- if closed > last_month_closed_on(today) -%}
        {#- the last day before the next month closes: the window's last day, this month or next -#}
        {%- set end_day = kakao_var('invoice_window_end_day') | int -%}
        {%- set month_index = today.year * 12 + today.month - 1 + (1 if today.day > end_day else 0) -%}
        {%- set latest = modules.datetime.date(month_index // 12, month_index % 12 + 1, end_day) -%}
        {{ exceptions.raise_compiler_error(
            "var 'billing_as_of_date' is " ~ as_of ~ ", which would close usage month "
            ~ closed[:7] ~ ", still open today (" ~ today ~ " in " ~ kakao_var('billing_time_zone')
            ~ ": its invoice window has not passed). A closed month stays closed (DECISIONLOG D15), "
            ~ "so an as-of date may not close a month early: use a date up to " ~ latest
            ~ ", or leave the var unset."
        ) }}
    {%- endif -%}
    {{ return(closed) }}
{%- endmacro %}

{#- The last usage month closed on `day` ('YYYY-MM-01'): the month before `day`'s closes once
    `day` is past the invoice window's last day. -#}
{% macro last_month_closed_on(day) -%}
    {%- set months_back = 1 if day.day > kakao_var('invoice_window_end_day') | int else 2 -%}
    {%- set month_index = day.year * 12 + (day.month - 1) - months_back -%}
    {{ return('%04d-%02d-01' | format(month_index // 12, month_index % 12 + 1)) }}
{%- endmacro %}

{#- The last usage month whose figures are frozen by this build: closed_through_month(), or,
    with var close_months false (a throwaway warehouse, `make try`), none ('0001-01-01').
    check_close_months stops such a build on a warehouse with closed months (DECISIONLOG D39). -#}
{% macro months_frozen_through() -%}
    {{ return(closed_through_month() if kakao_flag('close_months') else '0001-01-01') }}
{%- endmacro %}

{#- on-run-start: close_months false on a warehouse where months are closed would stop their
    adjustments; it is for a new, throwaway warehouse -#}
{% macro check_close_months() -%}
    {%- if not execute or kakao_flag('close_months') -%}
        {{ return('') }}
    {%- endif -%}
    {%- set fees = kakao_model_relation('fct_monthly_fees') -%}
    {%- set fees = adapter.get_relation(
        database=fees.database, schema=fees.schema, identifier=fees.identifier) -%}
    {%- if fees is not none
        and run_query("select count(*) from " ~ fees ~ " where is_closed").rows[0][0] > 0 -%}
        {{ exceptions.raise_compiler_error(
            "var close_months is false, but this warehouse already has closed months (" ~ fees
            ~ "). close_months: false is for a new, throwaway warehouse (make try); on this one "
            ~ "it would stop recording the adjustments of its closed months. Leave it unset."
        ) }}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}
