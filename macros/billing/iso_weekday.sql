{#- The ISO weekday of a date: 1 = Monday ... 7 = Sunday. -#}
{% macro iso_weekday(date_expression) -%}
    {{ return(adapter.dispatch('iso_weekday', 'kakao_consult_billing')(date_expression)) }}
{%- endmacro %}

{% macro default__iso_weekday(date_expression) -%}
    {{ exceptions.raise_compiler_error(
        "iso_weekday has no implementation for adapter '" ~ adapter.type() ~ "'"
    ) }}
{%- endmacro %}

{% macro duckdb__iso_weekday(date_expression) -%}
    cast(isodow({{ date_expression }}) as integer)
{%- endmacro %}

{% macro spark__iso_weekday(date_expression) -%}
    {#- weekday(): 0 = Monday ... 6 = Sunday -#}
    cast(weekday({{ date_expression }}) + 1 as int)
{%- endmacro %}
