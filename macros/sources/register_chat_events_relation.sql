{#-
    The chat events from a table or view in the warehouse (var chat_events_relation, e.g.
    raw.chat_events, where a loader such as dlt, Airbyte or a dealer-API job lands them) instead
    of files. Called by register_chat_events on every engine.

    (Re)creates kakao.chat_events over the relation with the contract's columns as text (typed
    columns are cast), source_file = the relation's name, and source_loaded_at = the load-time
    column (var chat_events_loaded_at_column) as a timestamp: validation reads only the rows
    loaded after the newest load time it holds (its high-water mark, macro
    chat_events_load_filter). kakao.chat_event_files is one row, the relation, so a
    --full-refresh that would drop rows staged from another source stops as for files (D16).

    Stops, naming the relation, when it does not exist, lacks a contract column or the
    load-time column, has rows whose load time is empty or not a time (the high-water mark would
    never read them), or holds messages and no sender_type column (D37).
-#}
{% macro register_chat_events_relation() -%}
    {%- set name = chat_events_relation() -%}
    {%- for feed in ['message_webhook_path', 'room_events_path'] -%}
        {%- if (kakao_var(feed) or '') | string | trim -%}
            {{ exceptions.raise_compiler_error(
                "chat_events_relation '" ~ name ~ "' replaces the files as the source of chat "
                ~ "events; " ~ feed ~ " cannot be read beside it. Load the dealer's feed into "
                ~ name ~ " in the contract's columns (docs/input-formats.md), or leave "
                ~ "chat_events_relation empty to read files."
            ) }}
        {%- endif -%}
    {%- endfor -%}
    {%- set relation = chat_events_source_relation(name) -%}
    {%- set found = adapter.get_columns_in_relation(relation) | map(attribute='name')
        | map('lower') | list -%}
    {%- set loaded_at = chat_events_loaded_at_column() -%}
    {%- set missing = chat_event_required_columns() | reject('in', found) | list
        + ([loaded_at] if loaded_at not in found else []) -%}
    {%- if missing -%}
        {{ exceptions.raise_compiler_error(
            "chat_events_relation '" ~ name ~ "' lacks column(s): " ~ missing | join(', ')
            ~ ". Found: " ~ found | join(', ') ~ ". It needs the columns "
            ~ chat_event_required_columns() | join(', ') ~ " (optional: "
            ~ chat_event_optional_columns() | join(', ') ~ ") and the time each row was loaded, "
            ~ "in the column named by var chat_events_loaded_at_column (now '" ~ loaded_at ~ "')."
        ) }}
    {%- endif -%}
    {%- set load_time = 'try_cast(' ~ adapter.quote(loaded_at) ~ ' as ' ~ dbt.type_timestamp() ~ ')' -%}
    {%- set counted = run_query(
        "select count(*), sum(case when " ~ load_time ~ " is null then 1 else 0 end), "
        ~ "max(case when " ~ load_time ~ " is null then cast(" ~ adapter.quote(loaded_at)
        ~ " as " ~ dbt.type_string() ~ ") end), "
        ~ ("0" if 'sender_type' in found else "sum(case when lower(trim(cast(event_type as "
            ~ dbt.type_string() ~ "))) = 'message' then 1 else 0 end)")
        ~ " from " ~ relation
    ).rows[0] -%}
    {%- if counted[1] -%}
        {{ exceptions.raise_compiler_error(
            '{:,}'.format(counted[1] | int) ~ " row(s) of chat_events_relation '" ~ name
            ~ "' have no load time in column " ~ loaded_at ~ " (empty, or not a time: '"
            ~ (counted[2] or '') ~ "'). Builds read the rows loaded after the last one they "
            ~ "read, by that column, so these rows would never be billed. Set the column when "
            ~ "loading (the loader's load or sync time), or name another with var "
            ~ "chat_events_loaded_at_column."
        ) }}
    {%- endif -%}
    {%- if counted[3] -%}
        {{ exceptions.raise_compiler_error(
            "chat_events_relation '" ~ name ~ "' has " ~ '{:,}'.format(counted[3] | int)
            ~ " message row(s) but no sender_type column. Who sent a message (customer, "
            ~ "consultant or system) decides whether it opens a room and keeps one open: add "
            ~ "the column."
        ) }}
    {%- endif -%}
    {%- do warn_about_missing_optional_columns({name: found}, 'chat_events_relation has') -%}
    {%- set columns = [] -%}
    {%- for column in chat_event_contract_columns() -%}
        {%- do columns.append(('cast(' ~ adapter.quote(column) ~ ' as ' ~ dbt.type_string() ~ ')'
            if column in found else 'cast(null as ' ~ dbt.type_string() ~ ')') ~ ' as ' ~ column) -%}
    {%- endfor -%}
    {%- set quoted_name = "'" ~ name | replace("'", "''") ~ "'" -%}
    {%- do run_query("create schema if not exists kakao") -%}
    {%- do run_query(
        "create or replace view kakao.chat_event_files as select cast(" ~ quoted_name ~ " as "
        ~ dbt.type_string() ~ ") as source_file, cast(null as " ~ dbt.type_string()
        ~ ") as source_file_signature"
    ) -%}
    {{ return(
        "create or replace view kakao.chat_events as select " ~ columns | join(', ')
        ~ ", cast(" ~ quoted_name ~ " as " ~ dbt.type_string() ~ ") as source_file"
        ~ ", cast(null as " ~ dbt.type_string() ~ ") as source_file_signature, "
        ~ load_time ~ " as source_loaded_at from " ~ relation
    ) }}
{%- endmacro %}

{#- var chat_events_relation, trimmed; '' when unset (the files of chat_events_path are read) -#}
{% macro chat_events_relation() -%}
    {{ return((var('chat_events_relation', none) or '') | string | trim) }}
{%- endmacro %}

{#- var chat_events_loaded_at_column, lower-cased; an identifier, not an expression -#}
{% macro chat_events_loaded_at_column() -%}
    {%- set column = (var('chat_events_loaded_at_column', none) or 'loaded_at') | string | trim
        | lower -%}
    {%- if not modules.re.match('^[a-z_][a-z0-9_]*$', column) -%}
        {{ exceptions.raise_compiler_error(
            "var 'chat_events_loaded_at_column' must be a column name (letters, digits and _), "
            ~ "got '" ~ column ~ "'"
        ) }}
    {%- endif -%}
    {{ return(column) }}
{%- endmacro %}

{#- The relation var chat_events_relation names ([database.]schema.table, or a table of the
    target's schema), as it is in the warehouse; stops when there is none. -#}
{% macro chat_events_source_relation(name) -%}
    {%- set parts = name.split('.') | map('trim') | list -%}
    {%- if parts | length > 3 or '' in parts -%}
        {{ exceptions.raise_compiler_error(
            "var 'chat_events_relation' must name a table or view as schema.table (or "
            ~ "database.schema.table, or table in the target's schema), got '" ~ name ~ "'"
        ) }}
    {%- endif -%}
    {%- set identifier = parts[-1] -%}
    {%- set schema = parts[-2] if parts | length > 1 else target.schema -%}
    {%- set database = parts[0] if parts | length > 2 else target.database -%}
    {%- set relation = adapter.get_relation(database=database, schema=schema, identifier=identifier) -%}
    {%- if relation is none -%}
        {{ exceptions.raise_compiler_error(
            "chat_events_relation '" ~ name ~ "' is not a table or view in the warehouse (looked "
            ~ "for " ~ ((database ~ '.') if database else '') ~ schema ~ '.' ~ identifier
            ~ "). Load the chat events there first, or correct the var; to read files instead, "
            ~ "leave chat_events_relation empty and set chat_events_path."
        ) }}
    {%- endif -%}
    {{ return(relation) }}
{%- endmacro %}
