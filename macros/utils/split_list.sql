{#-
    A lateral relation expression (for `cross join ... as alias`) yielding one row per item of
    a comma-separated text list (column `item_column`), for each row of the left side. A null
    list yields no row.
-#}
{% macro split_list(list_expression, item_column) -%}
    {{ return(adapter.dispatch('split_list', 'kakao_consult_billing')(list_expression, item_column)) }}
{%- endmacro %}

{% macro default__split_list(list_expression, item_column) -%}
    {{ exceptions.raise_compiler_error(
        "split_list has no implementation for adapter '" ~ adapter.type() ~ "'"
    ) }}
{%- endmacro %}

{% macro duckdb__split_list(list_expression, item_column) -%}
    lateral (select unnest(string_split({{ list_expression }}, ',')) as {{ item_column }})
{%- endmacro %}

{% macro spark__split_list(list_expression, item_column) -%}
    {#- split() takes a regular expression; a comma is literal in one -#}
    lateral (select explode(split({{ list_expression }}, ',')) as {{ item_column }})
{%- endmacro %}
