{#-
    Run at the start of every dbt invocation (on-run-start). On DuckDB, (re)creates the view
    kakao.chat_events over the file(s) named by var `chat_events_path`, so the source is a real
    relation (unit-test fixtures and other engines then work the same way). Every contract column
    is exposed as text, plus `source_file`; parsing and validation happen in staging.

    Fails early, with a message a person can act on, when no file matches the path, the
    extension is not CSV or Parquet, or a contract column is missing.
-#}
{% macro register_chat_events() -%}
    {{ return(adapter.dispatch('register_chat_events', 'kakao_consult_billing')()) }}
{%- endmacro %}

{% macro default__register_chat_events() -%}
    {#- Other engines: kakao.chat_events is a table managed outside this project. -#}
    select 1
{%- endmacro %}

{% macro chat_event_contract_columns() -%}
    {{ return([
        'event_id', 'occurred_at', 'channel_id', 'customer_id', 'event_type',
        'sender_type', 'consultant_id', 'entry_point', 'message_text',
    ]) }}
{%- endmacro %}

{% macro duckdb__register_chat_events() -%}
    {%- if not execute -%}
        {{ return('select 1') }}
    {%- endif -%}
    {%- set path = kakao_var('chat_events_path') | string | trim -%}
    {%- set quoted_path = "'" ~ path | replace("'", "''") ~ "'" -%}
    {%- set lowered = path | lower -%}

    {%- if lowered.endswith('.parquet') -%}
        {%- set reader = "read_parquet(" ~ quoted_path
            ~ ", filename = '__source_file', union_by_name = true)" -%}
    {%- elif lowered.endswith('.csv') or lowered.endswith('.csv.gz') -%}
        {%- set reader = "read_csv(" ~ quoted_path
            ~ ", header = true, delim = ',', quote = '\"', escape = '\"', all_varchar = true"
            ~ ", filename = '__source_file', union_by_name = true)" -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "chat_events_path '" ~ path ~ "' must end in .csv, .csv.gz or .parquet "
            ~ "(a single file or a glob such as landing/events/*.parquet)"
        ) }}
    {%- endif -%}

    {%- set matched = run_query("select count(*) from glob(" ~ quoted_path ~ ")").columns[0].values()[0] -%}
    {%- if matched == 0 -%}
        {{ exceptions.raise_compiler_error(
            "No chat event files match chat_events_path '" ~ path ~ "' (relative paths are "
            ~ "relative to the directory dbt runs in). Set it with "
            ~ "--vars '{chat_events_path: \"path/to/events/*.csv\"}'"
        ) }}
    {%- endif -%}

    {%- set described = run_query("describe select * from " ~ reader) -%}
    {%- set found = described.columns[0].values() | map('lower') | list -%}
    {%- set missing = [] -%}
    {%- for column in chat_event_contract_columns() -%}
        {%- if column not in found -%}
            {%- do missing.append(column) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if missing -%}
        {{ exceptions.raise_compiler_error(
            "The chat event file(s) '" ~ path ~ "' lack required column(s): "
            ~ missing | join(', ') ~ ". Found: " ~ found | reject('equalto', '__source_file')
            | join(', ') ~ ". Every file needs the header: "
            ~ chat_event_contract_columns() | join(',')
        ) }}
    {%- endif -%}

    create schema if not exists kakao;
    create or replace view kakao.chat_events as
    select
        {%- for column in chat_event_contract_columns() %}
        cast("{{ column }}" as varchar) as {{ column }},
        {%- endfor %}
        __source_file as source_file
    from {{ reader }}
{%- endmacro %}
