{#-
    Whether the engine computes a CTE once however many times the query reads it. DuckDB does
    (a CTE read more than once is materialized); Spark inlines the CTE at each reference and
    computes it again, so a model that would read an expensive CTE twice (a grouped subquery
    joined back to its rows) uses a window over it instead on Spark, where the rows are already
    partitioned by stream and a window over a finer partition costs a local sort.
-#}
{% macro computes_a_cte_once() -%}
    {{ return(adapter.dispatch('computes_a_cte_once', 'kakao_consult_billing')()) }}
{%- endmacro %}

{% macro default__computes_a_cte_once() -%}
    {{ return(true) }}
{%- endmacro %}

{% macro spark__computes_a_cte_once() -%}
    {{ return(false) }}
{%- endmacro %}
