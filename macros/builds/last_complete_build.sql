{#-
    last_complete_build_started_at(): a scalar subquery, the start of the last complete build
    (stg_build_log__builds), or 1900-01-01 when there is none. Rows validated, and rooms written,
    after it are the work the current build must finish (docs/incremental.md). A model that
    calls it declares `-- depends_on: {{ ref('stg_build_log__builds') }}`.
-#}
{% macro last_complete_build_started_at() -%}
    (
        select coalesce(max(started_at), cast('1900-01-01' as {{ dbt.type_timestamp() }}))
        from {{ ref('stg_build_log__builds') }}
        where is_complete
    )
{%- endmacro %}
