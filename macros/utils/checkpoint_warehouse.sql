{#-
    Run at the end of every dbt invocation (on-run-end), before the marts are published: writes
    the invocation's changes from DuckDB's write-ahead log into the warehouse file, once.

    The profile raises DuckDB's checkpoint_threshold (env KAKAO_DUCKDB_CHECKPOINT_THRESHOLD,
    default 1GB) so that a build does not checkpoint at commits in its middle: DuckDB's default
    is 16MB, its estimate of a commit's size counts every row inserted (even those already
    written to the file), and a day's build re-inserts about two million rows across the
    event-level tables; each of those checkpoints held up the model running on the other thread. Checkpointing here keeps that cost inside the run, where dbt reports
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
