{#-
    Aggregate: the non-null values of a text column, sorted, joined by `delimiter` (a SQL
    literal). dbt's listagg ignores its ordering on Spark, hence this macro.
-#}
{% macro sorted_string_agg(expression, delimiter="','") -%}
    {{ return(adapter.dispatch('sorted_string_agg', 'kakao_consult_billing')(expression, delimiter)) }}
{%- endmacro %}

{% macro default__sorted_string_agg(expression, delimiter) -%}
    {{ dbt.listagg(expression, delimiter, 'order by ' ~ expression) }}
{%- endmacro %}

{% macro spark__sorted_string_agg(expression, delimiter) -%}
    array_join(array_sort(collect_list({{ expression }})), {{ delimiter }})
{%- endmacro %}
