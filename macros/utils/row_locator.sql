{#-
    A column that finds a row of a table again within one statement, as cheaply as the engine
    allows. DuckDB: its `rowid`, so a statement that has picked a few rows out of a large table
    on narrow columns joins back to read their other columns without hashing the table's wide
    key. Elsewhere: the table's own unique key.
-#}
{% macro row_locator(alias, unique_key) -%}
    {{ return(adapter.dispatch('row_locator', 'kakao_consult_billing')(alias, unique_key)) }}
{%- endmacro %}

{% macro default__row_locator(alias, unique_key) -%}
    {{ alias }}.{{ unique_key }}
{%- endmacro %}

{% macro duckdb__row_locator(alias, unique_key) -%}
    {{ alias }}.rowid
{%- endmacro %}
