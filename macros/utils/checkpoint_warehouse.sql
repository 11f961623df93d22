{#-
    Run at the end of every dbt invocation (on-run-end), before the marts are published: writes
    the invocation's changes from DuckDB's write-ahead log into the warehouse file, once.

    The profile raises DuckDB's checkpoint_threshold (env KAKAO_DUCKDB_CHECKPOINT_THRESHOLD,
    default 1GB) so that a build does not checkpoint at every commit that takes the log past
    DuckDB's default 16MB: a day's build deletes and re-inserts about a million rows across the
    event-level tables, and each checkpoint in the middle of the build held up the model running
    on the other thread. Checkpointing here keeps that cost inside the run, where dbt reports
    it, rather than leaving it to the moment the process exits. FORCE waits for the checkpoint
    lock instead of failing while another connection is still finishing. A no-op when nothing
    changed; on other engines nothing runs.
-#}
{% macro checkpoint_warehouse() -%}
    {{ return(adapter.dispatch('checkpoint_warehouse', 'kakao_consult_billing')()) }}
{%- endmacro %}

{% macro default__checkpoint_warehouse() -%}
    {{ return('') }}
{%- endmacro %}

{% macro duckdb__checkpoint_warehouse() -%}
    {{ return('force checkpoint') }}
{%- endmacro %}
