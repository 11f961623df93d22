{#-
    The last closed usage month, as a 'YYYY-MM-01' date text.
    A usage month closes once its invoice has been issued: after the invoice window's last day
    (var `invoice_window_end_day`, the 21st) of the following month, in `billing_time_zone`.
    Var `closed_through_month` ('YYYY-MM') sets it explicitly; var `billing_as_of_date`
    ('YYYY-MM-DD', default: the run's start date in `billing_time_zone`) sets "today".
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
        {{ return(text ~ '-01') }}
    {%- endif -%}

    {%- set today = billing_as_of_date() -%}

    {#- The month before this one closes once today is past the window's last day. -#}
    {%- set months_back = 1 if today.day > kakao_var('invoice_window_end_day') | int else 2 -%}
    {%- set month_index = today.year * 12 + (today.month - 1) - months_back -%}
    {{ return('%04d-%02d-01' | format(month_index // 12, month_index % 12 + 1)) }}
{%- endmacro %}
