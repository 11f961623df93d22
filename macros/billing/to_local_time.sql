{#-
    The wall-clock time in the billing time zone (var `billing_time_zone`) of an instant, as a
    timestamp without time zone. The only place where local time is computed.
-#}
{% macro to_local_time(timestamp_expression) -%}
    {{ return(adapter.dispatch('to_local_time', 'kakao_consult_billing')(timestamp_expression)) }}
{%- endmacro %}

{% macro default__to_local_time(timestamp_expression) -%}
    {{ exceptions.raise_compiler_error(
        "to_local_time has no implementation for adapter '" ~ adapter.type() ~ "'; add "
        ~ adapter.type() ~ "__to_local_time in macros/billing/to_local_time.sql"
    ) }}
{%- endmacro %}

{% macro duckdb__to_local_time(timestamp_expression) -%}
    timezone('{{ kakao_var("billing_time_zone") }}', {{ timestamp_expression }})
{%- endmacro %}

{% macro spark__to_local_time(timestamp_expression) -%}
    from_utc_timestamp({{ timestamp_expression }}, '{{ kakao_var("billing_time_zone") }}')
{%- endmacro %}
