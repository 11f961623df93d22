{#-
    last_complete_build_started_at(): the start of the last complete build
    (stg_build_log__builds) as a timestamp literal, or 1900-01-01 when there is none. Rows
    validated, and rooms written, after it are the work the current build must finish
    (docs/incremental.md). A literal, read when the model runs (as incremental_watermark does),
    so that DuckDB skips the row groups written before it. A model that calls it declares
    `-- depends_on: {{ ref('stg_build_log__builds') }}`.

    last_checked_build_started_at(): in a `dbt build`, the start of the last build that was
    complete and checked (it ran every data test of the project, and none failed), as a
    timestamp literal. None when there is no such build, and in a `dbt test`: every row is
    checked then. The data tests of the 10M-row event tables check the rows written after it
    (DECISIONLOG D45): those of this build, and of any build since whose checks did not all
    run or pass.
-#}
{% macro last_complete_build_started_at() -%}
    {{ return(last_build_started_at('is_complete') or "cast('1900-01-01' as "
        ~ dbt.type_timestamp() ~ ")") }}
{%- endmacro %}

{% macro last_checked_build_started_at() -%}
    {%- set started = last_build_started_at('is_complete and is_checked') -%}
    {{ return(started if flags.WHICH == 'build' else none) }}
{%- endmacro %}

{#- the start of the last build of the log meeting `condition`, as a timestamp literal; none
    when there is none -#}
{% macro last_build_started_at(condition) -%}
    {%- set started = none -%}
    {%- set builds = ref('stg_build_log__builds') -%}
    {#- no such view when the model is compiled alone (a unit test, the linter) -#}
    {%- if execute and model.resource_type != 'unit_test' and load_relation(builds) is not none -%}
        {%- set started = run_query(
            "select cast(max(started_at) as " ~ dbt.type_string() ~ ") from " ~ builds
            ~ " where " ~ condition
        ).columns[0].values()[0] -%}
    {%- endif -%}
    {{ return(("cast('" ~ started ~ "' as " ~ dbt.type_timestamp() ~ ")") if started else none) }}
{%- endmacro %}
