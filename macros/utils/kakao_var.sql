{#- A project var, with a clear error when a user sets it to something unusable. -#}
{% macro kakao_var(name) -%}
    {%- set value = var(name) -%}
    {%- if value is string and name == 'occurred_at_min' -%}{%- set value = value | trim -%}{%- endif -%}
    {%- set allowed = {
        'room_charge_policy': ['activity', 'open'],
    } -%}
    {%- if name in allowed and value not in allowed[name] -%}
        {{ exceptions.raise_compiler_error(
            "var '" ~ name ~ "' is '" ~ value ~ "'; expected one of: " ~ allowed[name] | join(', ')
        ) }}
    {%- endif -%}
    {%- if name == 'occurred_at_min' and not modules.re.match('^[0-9]{4}-[0-9]{2}-[0-9]{2}$', value | string) -%}
        {{ exceptions.raise_compiler_error(
            "var 'occurred_at_min' must be a date like 2015-01-01, got '" ~ value ~ "'"
        ) }}
    {%- endif -%}
    {%- if name in ['billing_day_start_hour', 'room_expiry_days', 'invoice_window_start_day',
                    'invoice_window_end_day', 'occurred_at_max_future_days', 'stream_buckets'] -%}
        {%- if value is not number or value != value | int -%}
            {{ exceptions.raise_compiler_error(
                "var '" ~ name ~ "' must be a whole number, got '" ~ value ~ "'"
            ) }}
        {%- endif -%}
    {%- endif -%}
    {%- if name == 'quick_reentry_minutes' -%}
        {%- if value is not number or value != value | int or value < 0 -%}
            {{ exceptions.raise_compiler_error(
                "var 'quick_reentry_minutes' must be a whole number of minutes, 0 or more, got '"
                ~ value ~ "'"
            ) }}
        {%- endif -%}
    {%- endif -%}
    {%- if name == 'invoice_match_tolerance_krw' and (value is not number or value < 0) -%}
        {{ exceptions.raise_compiler_error(
            "var 'invoice_match_tolerance_krw' must be an amount in KRW, 0 or more, got '" ~ value ~ "'"
        ) }}
    {%- endif -%}
    {%- if name == 'billing_time_zone' and value not in modules.pytz.all_timezones_set -%}
        {{ exceptions.raise_compiler_error(
            "var 'billing_time_zone' is '" ~ value ~ "', not a time zone name; expected an IANA "
            ~ "name such as Asia/Seoul"
        ) }}
    {%- endif -%}
    {%- if name == 'vat_rate' and (value is not number or value < 0 or value >= 1) -%}
        {{ exceptions.raise_compiler_error(
            "var 'vat_rate' must be a fraction from 0 up to (not including) 1, e.g. 0.1 for 10%, got '"
            ~ value ~ "'"
        ) }}
    {%- endif -%}
    {%- if name in ['invoice_window_start_day', 'invoice_window_end_day'] -%}
        {%- set start_day = var('invoice_window_start_day') -%}
        {%- set end_day = var('invoice_window_end_day') -%}
        {%- if not (start_day is number and end_day is number and 1 <= start_day <= end_day <= 28) -%}
            {{ exceptions.raise_compiler_error(
                "vars 'invoice_window_start_day' and 'invoice_window_end_day' must be days of the "
                ~ "month with 1 <= start <= end <= 28 (every month has them), got "
                ~ start_day ~ " and " ~ end_day
            ) }}
        {%- endif -%}
    {%- endif -%}
    {%- if name == 'stream_buckets' and not 1 <= value <= 65536 -%}
        {{ exceptions.raise_compiler_error(
            "var 'stream_buckets' must be between 1 and 65536, got '" ~ value ~ "'"
        ) }}
    {%- endif -%}
    {{- return(value) -}}
{%- endmacro %}

{#- A yes/no project var: true, 1 or yes / false, 0 or no, in any case (also given as text on the
    command line); anything else stops, rather than be read as one or the other. -#}
{% macro kakao_flag(name) -%}
    {%- set value = kakao_var(name) | string | lower | trim -%}
    {%- if value not in ['true', '1', 'yes', 'false', '0', 'no'] -%}
        {{ exceptions.raise_compiler_error(
            "var '" ~ name ~ "' must be true or false (or yes / no, 1 / 0), got '"
            ~ kakao_var(name) ~ "'"
        ) }}
    {%- endif -%}
    {{- return(value in ['true', '1', 'yes']) -}}
{%- endmacro %}

{#- on-run-start: every yes/no var read, so that a value that is neither stops the run before
    anything is written (publish_marts is otherwise read only after the build, and
    drop_missing_files only by a full refresh). -#}
{% macro check_flag_vars() -%}
    {%- if execute -%}
        {%- for name in ['publish_marts', 'drop_missing_files', 'pseudonymize_customer_ids',
                         'customer_message_opens_room', 'close_months',
                         'fail_on_rejected_rows'] -%}
            {%- do kakao_flag(name) -%}
        {%- endfor -%}
        {%- do check_close_months() -%}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}
