{#-
    Staging parses the raw rows, and each file is parsed once (DECISIONLOG D18):
    int_chat_events__validated, the table that keeps every raw row, stores its file's signature
    (size and modification time, from kakao.chat_event_files) on every row, and an incremental
    build reads from staging only the files whose signature it has not stored: new files, and
    files that changed since (grew, or were written again).

    staging_config(): DuckDB: a view, read by validation for the files it loads. Spark: a table
        rebuilt on every run (the models after staging still process only new rows, see
        int_chat_events__validated).
    chat_events_load_filter(): the condition on staging's rows that validation loads (DuckDB;
        none on Spark).
    chat_event_files_to_load(): the files an incremental build loads, a list of names. Stops
        the build when a file that an earlier build loaded is no longer in the source.
    check_full_refresh_keeps_loaded_files(): the same stop for a --full-refresh over an existing
        validation table, unless var drop_missing_files is true (DuckDB; on Spark the data test
        loaded_rows_are_still_in_the_source reports it).
    build_started_at(): the run's start, to the microsecond, as a timestamp literal.
    require_columns(columns): stops an incremental build whose table lacks columns that this
        version of the project reads from it before the materialization runs (a warehouse built
        by an earlier version), naming them and the fix.
-#}
{% macro staging_config() -%}
    {{ return(adapter.dispatch('staging_config', 'kakao_consult_billing')()) }}
{%- endmacro %}

{% macro default__staging_config() -%}
    {{ return({'materialized': 'view'}) }}
{%- endmacro %}

{% macro spark__staging_config() -%}
    {{ return({'materialized': 'table', 'file_format': 'parquet'}) }}
{%- endmacro %}

{#-
    The rows of the source an incremental build loads, as a condition on them. Files: those of
    the files new or changed since (chat_event_files_to_load). A relation (var
    chat_events_relation): the rows loaded after the newest load time staging holds, its
    high-water mark; all of them when it holds none. Either way, rows staged from a source that
    is no longer there (a file gone, files when the relation is read, another relation) stop the
    build: dropping them takes a --full-refresh (D16).
-#}
{% macro chat_events_load_filter() -%}
    {{ return(adapter.dispatch('chat_events_load_filter', 'kakao_consult_billing')()) }}
{%- endmacro %}

{% macro spark__chat_events_load_filter() -%}
    {{ return(none) }}
{%- endmacro %}

{% macro default__chat_events_load_filter() -%}
    {%- if not execute -%}
        {{ return('true') }}
    {%- endif -%}
    {%- if not chat_events_relation() -%}
        {%- set files = chat_event_files_to_load() -%}
        {{ return('source_file in (' ~ sql_string_list(files) ~ ')' if files else 'false') }}
    {%- endif -%}
    {%- do require_columns(['source_file', 'source_file_signature', 'source_loaded_at']) -%}
    {%- set staged = run_query(
        "select source_file, cast(max(source_loaded_at) as " ~ dbt.type_string() ~ ") from "
        ~ this ~ " group by source_file order by source_file"
    ).rows -%}
    {%- set gone = staged | map(attribute=0) | reject('equalto', chat_events_relation()) | list -%}
    {%- if gone -%}
        {{ exceptions.raise_compiler_error(
            loaded_files_not_in_source(gone, 'are not in')
            ~ ". Reading chat_events_relation instead of what earlier builds read takes "
            ~ "`dbt build --full-refresh --vars '{chat_events_relation: ..., drop_missing_files: "
            ~ "true}'` (closed months keep their fees; changes become fee adjustments), or a new "
            ~ "warehouse."
        ) }}
    {%- endif -%}
    {%- set loaded_through = staged | map(attribute=1) | reject('none') | first -%}
    {{ return('true' if loaded_through is none
        else "source_loaded_at > cast('" ~ loaded_through ~ "' as " ~ dbt.type_timestamp() ~ ")") }}
{%- endmacro %}

{% macro chat_event_files_to_load() -%}
    {%- do require_columns(['source_file', 'source_file_signature', 'source_loaded_at']) -%}
    {#- a file read again gives the rows it still has its new signature, and a row it no longer
        has keeps the old one: a file is loaded when a row has its signature of now -#}
    {%- set compared = run_query(
        "with loaded as (select distinct source_file, source_file_signature from " ~ this ~ "), "
        ~ "files as (select source_file, source_file_signature from "
        ~ source('kakao', 'chat_event_files') ~ ") "
        ~ "select files.source_file, false as is_gone from files "
        ~ "where not exists (select 1 from loaded where loaded.source_file = files.source_file "
        ~ "and loaded.source_file_signature = files.source_file_signature) "
        ~ "union all "
        ~ "select distinct loaded.source_file, true as is_gone from loaded "
        ~ "where not exists (select 1 from files where files.source_file = loaded.source_file) "
        ~ "order by 1"
    ) -%}
    {%- set to_load = [] -%}
    {%- set gone = [] -%}
    {%- for row in compared.rows -%}
        {%- do (gone if row[1] else to_load).append(row[0]) -%}
    {%- endfor -%}
    {%- if gone -%}
        {{ exceptions.raise_compiler_error(
            loaded_files_not_in_source(gone, 'are no longer in')
            ~ ". The source must only grow (DECISIONLOG D16): run with the chat_events_path of "
            ~ "the earlier builds (for example the same glob), or restore the file(s); to rebuild "
            ~ "without them, run `dbt build --full-refresh --vars '{chat_events_path: ..., "
            ~ "drop_missing_files: true}'`. To start over with other data (after the sample, "
            ~ "say), build into a new warehouse file instead: KAKAO_DUCKDB_PATH=new.duckdb."
        ) }}
    {%- endif -%}
    {{ return(to_load) }}
{%- endmacro %}

{% macro check_full_refresh_keeps_loaded_files() -%}
    {{ return(adapter.dispatch('check_full_refresh_keeps_loaded_files', 'kakao_consult_billing')()) }}
{%- endmacro %}

{% macro default__check_full_refresh_keeps_loaded_files() -%}
    {#- not in a unit test: it compiles the model without a table of its own (this is none) -#}
    {%- if not execute or not flags.FULL_REFRESH or this is none or model.resource_type == 'unit_test'
        or kakao_flag('drop_missing_files') -%}
        {{ return('') }}
    {%- endif -%}
    {%- set loaded = load_relation(this) -%}
    {%- if loaded is none or 'source_file' not in (adapter.get_columns_in_relation(loaded)
        | map(attribute='name') | map('lower') | list) -%}
        {{ return('') }}
    {%- endif -%}
    {%- set gone = run_query(
        "select distinct loaded.source_file from " ~ loaded ~ " as loaded "
        ~ "where not exists (select 1 from " ~ source('kakao', 'chat_event_files') ~ " as files "
        ~ "where files.source_file = loaded.source_file) order by 1"
    ).columns[0].values() -%}
    {%- if gone -%}
        {{ exceptions.raise_compiler_error(
            loaded_files_not_in_source(gone, 'are not in')
            ~ ". This --full-refresh would drop their rows from every mart (and record the change "
            ~ "of a closed month as a fee adjustment). Run it with the chat_events_path of the "
            ~ "earlier builds, or, if the files were removed on purpose, add var "
            ~ "drop_missing_files: true (DECISIONLOG D16). To start over with other data "
            ~ "(after the sample, say), build into a new warehouse file instead: "
            ~ "KAKAO_DUCKDB_PATH=new.duckdb."
        ) }}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}

{#- "N chat event file(s) loaded by earlier builds <are not in> chat_events_path '...': a, b"
    (or "N source(s) ... chat_events_relation '...'" when the relation is read) -#}
{% macro loaded_files_not_in_source(files, verb) -%}
    {%- set read = ("chat_events_relation '" ~ chat_events_relation() if chat_events_relation()
        else "chat_events_path '" ~ kakao_var('chat_events_path')) ~ "'" -%}
    {{ return(files | length ~ (" chat event source(s)" if chat_events_relation()
        else " chat event file(s)") ~ " loaded by earlier builds " ~ verb ~ " " ~ read ~ ": "
        ~ files[:5] | join(', ') ~ (' ...' if files | length > 5 else '')) }}
{%- endmacro %}

{% macro spark__check_full_refresh_keeps_loaded_files() -%}
    {{ return('') }}
{%- endmacro %}

{% macro require_columns(columns) -%}
    {%- set existing = adapter.get_columns_in_relation(this) | map(attribute='name')
        | map('lower') | list -%}
    {%- set missing = columns | reject('in', existing) | list -%}
    {%- if missing -%}
        {{ exceptions.raise_compiler_error(
            this ~ " was built by an earlier version of this project: it has no column "
            ~ missing | join(', ') ~ ". Rebuild the warehouse with `dbt build --full-refresh` "
            ~ "(the fee adjustments of closed months and first-seen times are kept)."
        ) }}
    {%- endif -%}
{%- endmacro %}

{% macro build_started_at() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as {{ dbt.type_timestamp() }})
{%- endmacro %}

{% macro sql_string_list(values) -%}
    {%- for value in values -%}
        '{{ value | replace("'", "''") }}'{{ ', ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}

{#-
    The largest value of a timestamp column of this incremental model, as a timestamp literal
    (none when the table is empty), so a build can read only the staged rows loaded since:
    a literal lets the engine skip the older row groups.
-#}
{% macro incremental_watermark(column) -%}
    {%- if not execute -%}
        {{ return(none) }}
    {%- endif -%}
    {%- do require_columns([column]) -%}
    {%- set latest = run_query(
        "select cast(max(" ~ column ~ ") as " ~ dbt.type_string() ~ ") from " ~ this
    ).columns[0].values()[0] -%}
    {{ return(none if latest is none else "cast('" ~ latest ~ "' as " ~ dbt.type_timestamp() ~ ")") }}
{%- endmacro %}
