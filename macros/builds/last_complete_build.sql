{#-
    last_complete_build_started_at(): the start of the last complete build
    (stg_build_log__builds) as a timestamp literal, or 1900-01-01 when there is none. Rows
    validated, and rooms written, after it are the work the current build must finish
    (docs/incremental.md). A literal, read when the model runs (as incremental_watermark does),
    so that DuckDB skips the row groups written before it. A model that calls it declares
    `-- depends_on: {{ ref('stg_build_log__builds') }}`.
-#}
{% macro last_complete_build_started_at() -%}
    {%- set started = none -%}
    {%- set builds = ref('stg_build_log__builds') -%}
    {#- no such view when the model is compiled alone (a unit test, the linter) -#}
    {%- if execute and model.resource_type != 'unit_test' and load_relation(builds) is not none -%}
        {%- set started = run_query(
            "select cast(max(started_at) as " ~ dbt.type_string() ~ ") from " ~ builds
            ~ " where is_complete"
        ).columns[0].values()[0] -%}
    {%- endif -%}
    {{ return("cast('" ~ (started or '1900-01-01') ~ "' as " ~ dbt.type_timestamp() ~ ")") }}
{%- endmacro %}
