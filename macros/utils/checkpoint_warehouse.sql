{#-
    Run at the end of every dbt invocation (on-run-end), before the marts are published: writes
    the invocation's changes from DuckDB's write-ahead log into the warehouse file, once.

    The profile raises DuckDB's checkpoint_threshold (env KAKAO_DUCKDB_CHECKPOINT_THRESHOLD,
    default 1GB) so that a build does not checkpoint at commits in its middle: DuckDB's default
    is 16MB, its estimate of a commit's size counts every row inserted (even those already
    written to the file), and a day's build re-inserts about two million rows across the
    event-level tables; each of those checkpoints held up the model running on the other
    thread. Checkpointing here keeps that cost inside the run, where dbt reports it, rather than
    leaving it to the moment the process exits. FORCE waits for the checkpoint lock instead of
    failing while another connection is still finishing. A no-op when nothing changed; on other
    engines nothing runs.

    Deleted rows. An incremental build deletes the rows it rewrites; DuckDB keeps them as
    deletion marks until a checkpoint vacuums them, merging neighbouring row groups into fewer.
    A day's build leaves a part-filled row group in every table it appends to, so each
    checkpoint could merge, and rewrote much of every big table the day touched to reclaim a
    few thousand rows: at 10M events, 5 to 7 seconds of a 25-second day, the largest single
    step. The profile turns that off (max_vacuum_tasks 0). Once a table of at least one row
    group (122,880 rows) holds more deleted rows than vacuum_deleted_share (a quarter) of the
    rows it stores, this hook rewrites that table alone before the checkpoint: in one
    transaction, its rows are copied aside, deleted and inserted again, and the checkpoint
    drops the row groups left with no live row. Turning DuckDB's vacuum back on instead would
    vacuum every table the build changed, not only the bloated one: at 10M events a
    280,000-row mart over the line cost 22.7 s of checkpoint, the event-level tables' few
    deleted rows merged along with it. The table keeps its name, columns and documentation.
-#}
{% macro checkpoint_warehouse() -%}
    {{ return(adapter.dispatch('checkpoint_warehouse', 'kakao_consult_billing')()) }}
{%- endmacro %}

{% macro default__checkpoint_warehouse() -%}
    {{ return('') }}
{%- endmacro %}

{% macro duckdb__checkpoint_warehouse() -%}
    {%- if not execute -%}
        {{ return('force checkpoint') }}
    {%- endif -%}
    {%- set vacuum_deleted_share = 0.25 -%}
    {%- set tables = run_query(
        "select database_name, schema_name, table_name, estimated_size from duckdb_tables()"
        ~ " where database_name = current_database() and not temporary"
        ~ " and estimated_size >= 122880 order by schema_name, table_name"
    ).rows -%}
    {%- set bloated = [] -%}
    {%- set rewrites = [] -%}
    {%- if tables -%}
        {%- set counts = [] -%}
        {%- set relations = {} -%}
        {%- for database, schema, table, stored in tables -%}
            {%- set relation = api.Relation.create(
                database=database, schema=schema, identifier=table) -%}
            {%- do relations.update({schema ~ '.' ~ table: relation}) -%}
            {%- do counts.append("select '" ~ schema ~ "." ~ table ~ "' as name, " ~ stored
                ~ " as stored, count(*) as live from " ~ relation) -%}
        {%- endfor -%}
        {%- for name, stored, live in run_query(counts | join(' union all ')).rows -%}
            {%- if stored - live >= vacuum_deleted_share * stored -%}
                {%- do bloated.append(name ~ ' ' ~ ((stored - live) * 100 / stored) | round | int
                    ~ '% of ' ~ '{:,}'.format(stored | int)) -%}
                {%- set relation = relations[name] -%}
                {%- do rewrites.append(
                    'create temporary table kakao_rows_kept as select * from ' ~ relation ~ '; '
                    ~ 'delete from ' ~ relation ~ '; '
                    ~ 'insert into ' ~ relation ~ ' select * from kakao_rows_kept; '
                    ~ 'drop table kakao_rows_kept') -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
    {%- if bloated -%}
        {{ log("Checkpoint: reclaiming deleted rows (" ~ bloated | join(', ')
            ~ " stored rows deleted): rewriting those tables.", info=True) }}
        {{ return('begin transaction; ' ~ rewrites | join('; ') ~ '; commit; force checkpoint') }}
    {%- endif -%}
    {{ return('force checkpoint') }}
{%- endmacro %}
