{#- A project var, with a clear error when a user sets it to something unusable. -#}
{% macro kakao_var(name) -%}
    {%- set value = var(name) -%}
    {%- set allowed = {
        'room_charge_policy': ['activity', 'open'],
    } -%}
    {%- if name in allowed and value not in allowed[name] -%}
        {{ exceptions.raise_compiler_error(
            "var '" ~ name ~ "' is '" ~ value ~ "'; expected one of: " ~ allowed[name] | join(', ')
        ) }}
    {%- endif -%}
    {%- if name in ['billing_day_start_hour', 'room_expiry_days', 'invoice_window_start_day',
                    'invoice_window_end_day'] -%}
        {%- if value is not number or value != value | int -%}
            {{ exceptions.raise_compiler_error(
                "var '" ~ name ~ "' must be a whole number, got '" ~ value ~ "'"
            ) }}
        {%- endif -%}
    {%- endif -%}
    {{- return(value) -}}
{%- endmacro %}
