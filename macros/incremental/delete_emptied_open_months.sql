{#-
    Post-hook of fct_monthly_fees. An incremental build writes a zero row for an open month
    whose charges have all gone (late events moved them), so that it replaces the month's old
    row; a full build has no row for such a month. DuckDB then deletes those zero rows, so both
    builds agree. On Spark the row stays (a Parquet table cannot delete rows): a month that
    lost all its charges shows 0 charges and 0 KRW.
-#}
{% macro delete_emptied_open_months() -%}
    {{ return(adapter.dispatch('delete_emptied_open_months', 'kakao_consult_billing')()) }}
{%- endmacro %}

{% macro default__delete_emptied_open_months() -%}
    delete from {{ this }} where not is_closed and room_charges = 0
{%- endmacro %}

{% macro spark__delete_emptied_open_months() -%}
    select 1
{%- endmacro %}
