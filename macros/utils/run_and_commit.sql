{#- Run SQL (one or more statements) on the hooks' connection and commit it, with anything run
    there before it: dbt leaves a transaction open on that connection once it has listed a
    schema, and rolls it back when the hooks end, which `dbt build` outlives (a later hook
    commits) but `dbt source freshness` does not. -#}
{% macro run_and_commit(sql) -%}
    {%- call statement('run_and_commit', auto_begin=true) -%}
        {{ sql }}
    {%- endcall -%}
    {%- do adapter.commit() -%}
{%- endmacro %}
