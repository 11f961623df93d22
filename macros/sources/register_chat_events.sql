{#-
    Run at the start of every dbt invocation (on-run-start). (Re)creates the view
    kakao.chat_events over the file(s) named by var `chat_events_path`, so the source is a real
    relation (unit-test fixtures then work the same way on every engine). Every contract column
    is exposed as text, plus `source_file`; parsing and validation happen in staging.
    DuckDB reads CSV or Parquet; Spark reads Parquet (scripts/events_to_parquet.py converts CSV).

    Also (re)creates kakao.chat_event_files: one row per file, with a signature (size and
    modification time) from the file system, so that validation loads only new or changed files.

    Fails early, with a message a person can act on, when no file matches the path, the
    extension is not CSV or Parquet, or a contract column is missing. On DuckDB also the
    dealers' feed formats (vars message_webhook_path, room_events_path; docs/input-formats.md).

    With var `chat_events_relation`, both views are over that warehouse table instead
    (register_chat_events_relation.sql). The views are committed at once, so that `dbt source
    freshness`, which commits nothing of its hooks, finds them too.
-#}
{% macro register_chat_events() -%}
    {%- set sql = adapter.dispatch('register_chat_events', 'kakao_consult_billing')() -%}
    {#- committed here, so that `dbt source freshness` finds the views too -#}
    {%- if execute -%}{%- do run_and_commit(sql) -%}{%- endif -%}
    {{ return('') }}
{%- endmacro %}

{% macro default__register_chat_events() -%}
    {{ exceptions.raise_compiler_error(
        "register_chat_events has no implementation for adapter '" ~ adapter.type() ~ "'"
    ) }}
{%- endmacro %}

{% macro missing_contract_columns_error(path, found_columns) -%}
    {%- set found = found_columns | map('lower') | list -%}
    {%- set missing = [] -%}
    {%- for column in chat_event_required_columns() -%}
        {%- if column not in found -%}
            {%- do missing.append(column) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if missing -%}
        {{ exceptions.raise_compiler_error(
            "The chat event file(s) '" ~ path ~ "' lack required column(s): "
            ~ missing | join(', ') ~ ". Found: " ~ found | reject('equalto', '__source_file')
            | join(', ') ~ ". Every file needs the columns "
            ~ chat_event_required_columns() | join(',') ~ " (optional: "
            ~ chat_event_optional_columns() | join(', ') ~ ")"
        ) }}
    {%- endif -%}
{%- endmacro %}

{#-
    DuckDB: every matched file on its own, before the reader sees them together. The reader
    unites the files by column name, so a file without a contract column (a misspelt header)
    next to good files would be read with that column empty, and its rows rejected, with the
    build passing: each file must have every contract column (Parquet: its schema; CSV: its
    header line, read by the project's function kakao_csv_header, one line per file). A CSV
    file must also not be empty, be comma-separated (a header with no comma but a semicolon, tab
    or bar names the separator), be UTF-8 (kakao_csv_encoding reads its first 64 KiB: a
    Korean file saved by Excel is CP949), end its lines one way (kakao_csv_mixed_line_endings
    reads the files validation has not loaded whole: the reader stops on a mix wherever it is) and
    give every line as many fields as its header (kakao_csv_field_count_error, the same files
    whole: an unquoted comma in a message adds one; the reader stops on such a line, or, when
    only the last lines differ, reads no row of the file and says nothing, so its rows would
    vanish from the audit), rather than let the CSV reader fail on it with advice about its own
    options. The reader is also told `skip = 0`, so that it never takes leading lines for a
    preamble to skip. Lenient: a file the functions cannot read is left to the reader, and this
    check must never be what fails on a file the reader itself accepts. Stops at the first file
    (in name order) with a problem, naming it. A dealer's room-event export (CSV) gets the same
    checks against its own columns: `required` names them and `columns_error` is the macro that
    stops on a header without them (default: the contract's).
-#}
{% macro chat_event_file_errors(
    quoted_path, parquet, required=none, columns_error=none, kind='chat event file', headers=none
) -%}
    {%- set contract = required or chat_event_contract_columns() -%}
    {%- set columns_error = columns_error or missing_contract_columns_error -%}
    {%- set expected = "Every file needs a header line with (at least) the columns: "
        ~ (required or chat_event_required_columns()) | join(',') -%}
    {%- if parquet -%}
        {%- set files = run_query(
            "select file_name, string_agg(lower(name), chr(10)) from parquet_schema("
            ~ quoted_path ~ ")"
            ~ " where coalesce(num_children, 0) = 0"
            ~ " group by file_name order by file_name"
        ).rows -%}
        {%- for file, columns in files -%}
            {%- do columns_error(file, (columns or '').split('\n')) -%}
            {%- if headers is not none -%}
                {%- do headers.update({file: (columns or '').split('\n')}) -%}
            {%- endif -%}
        {%- endfor -%}
        {{ return('') }}
    {%- endif -%}
    {#- line endings: the whole file is read, so only for files validation has not loaded (by
        name and signature; all of them on a first build). The validation table's columns come
        from duckdb_columns(): adapter.get_columns_in_relation, called in this hook, made the
        model's --full-refresh check (check_full_refresh_keeps_loaded_files) miss the loaded
        files no longer in the path. -#}
    {%- set staged = kakao_model_relation('int_chat_events__validated') -%}
    {%- set staged_columns = run_query(
        "select lower(column_name) from duckdb_columns() where database_name = '"
        ~ staged.database ~ "' and schema_name = '" ~ staged.schema
        ~ "' and table_name = '" ~ staged.identifier ~ "'"
    ).columns[0].values() -%}
    {%- set not_loaded = "loaded.source_file is null"
        if 'source_file_signature' in staged_columns else "true" -%}
    {%- set files = run_query(
        "select files.source_file, kakao_csv_header(files.source_file),"
        ~ " kakao_csv_encoding(files.source_file),"
        ~ " case when " ~ not_loaded ~ " then kakao_csv_mixed_line_endings(files.source_file) end,"
        ~ " case when " ~ not_loaded ~ " then kakao_csv_field_count_error(files.source_file) end"
        ~ " from (" ~ chat_event_file_signatures(quoted_path) ~ ") as files"
        ~ (" left join (select distinct source_file, source_file_signature from " ~ staged
            ~ ") as loaded on files.source_file = loaded.source_file"
            ~ " and files.source_file_signature = loaded.source_file_signature"
            if 'source_file_signature' in staged_columns else "")
        ~ " order by files.source_file"
    ).rows -%}
    {%- for file, header, encoding, line_endings, field_counts in files
        if header is not none -%}
        {%- if header | trim == '' -%}
            {{ exceptions.raise_compiler_error(
                "The " ~ kind ~ " '" ~ file ~ "' has no header line (it is empty, or its "
                ~ "first line is blank). " ~ expected ~ ", then one event per line; remove the "
                ~ "file if it has no events."
            ) }}
        {%- endif -%}
        {%- if ',' not in header -%}
            {%- for separator, name in [(';', 'semicolons'), ('\t', 'tabs'), ('|', 'bars')] -%}
                {%- if separator in header -%}
                    {{ exceptions.raise_compiler_error(
                        "The " ~ kind ~ " '" ~ file ~ "' is separated by " ~ name
                        ~ ", not commas (its header: " ~ header[:120] ~ "). Save it as "
                        ~ "comma-separated UTF-8 CSV with the header: " ~ contract | join(',')
                    ) }}
                {%- endif -%}
            {%- endfor -%}
        {%- endif -%}
        {%- if encoding is not none -%}
            {{ exceptions.raise_compiler_error(
                "The " ~ kind ~ " '" ~ file ~ "' is not UTF-8: "
                ~ ("it reads as CP949 (EUC-KR), the encoding Excel saves Korean text in"
                    if encoding == 'cp949' else "its bytes are not text in UTF-8")
                ~ ". Save it as UTF-8 CSV (in Excel: Save As, CSV UTF-8) and run the build "
                ~ "again; read as UTF-8, its Korean text would be garbled."
            ) }}
        {%- endif -%}
        {%- if line_endings is not none -%}
            {{ exceptions.raise_compiler_error(
                "The " ~ kind ~ " '" ~ file ~ "' mixes line endings (" ~ line_endings
                ~ "): its lines must all end the same way. Save it again with one kind of line "
                ~ "ending (a file joined from a Windows and a Unix export has both) and run the "
                ~ "build again."
            ) }}
        {%- endif -%}
        {%- set columns = [] -%}
        {%- for name in header.split(',') -%}
            {%- do columns.append(name | trim | trim('"') | trim | lower) -%}
        {%- endfor -%}
        {%- do columns_error(file, columns) -%}
        {%- if headers is not none -%}{%- do headers.update({file: columns}) -%}{%- endif -%}
        {%- if field_counts is not none -%}
            {{ exceptions.raise_compiler_error(
                "The " ~ kind ~ " '" ~ file ~ "' has lines with another number of fields "
                ~ "than its header (" ~ field_counts ~ "). A comma inside a value splits it "
                ~ "unless the value is in double quotes (\"네, 감사합니다\"), and a line cut "
                ~ "short lacks fields. Correct those lines and run the build again."
            ) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return('') }}
{%- endmacro %}

{#- DuckDB: each file matched by the path with its signature (size and modification time) -#}
{% macro chat_event_file_signatures(quoted_path) -%}
    select
        filename as source_file,
        cast(size as varchar) || ' bytes, modified '
        || strftime(last_modified, '%Y-%m-%dT%H:%M:%S.%fZ') as source_file_signature
    from read_blob({{ quoted_path }})
{%- endmacro %}

{#- Columns a file may lack; without one, its rows read it as null (DECISIONLOG D33, D37). A file
    with messages needs sender_type (check_messages_have_sender_type). -#}
{% macro chat_event_optional_columns() -%}
    {{ return([
        'sender_type', 'consultant_id', 'entry_point', 'message_text', 'end_reason', 'session_id',
    ]) }}
{%- endmacro %}

{#- Columns every file needs: the ones the billing rules cannot do without (D37). -#}
{% macro chat_event_required_columns() -%}
    {{ return(['event_id', 'occurred_at', 'channel_id', 'customer_id', 'event_type']) }}
{%- endmacro %}

{#- Every column of the contract, in its order. -#}
{% macro chat_event_contract_columns() -%}
    {{ return(chat_event_required_columns() + chat_event_optional_columns()) }}
{%- endmacro %}

{#-
    DuckDB: the chat events of every input configured (docs/input-formats.md), as one view:
    var chat_events_path (files in the contract's columns; '' for none), message_webhook_path
    (상담톡 message webhook payloads as JSON lines) and room_events_path (a dealer's room-event
    export, CSV). Each dealer format is mapped to the contract's columns by its macro in
    macros/staging/feed_formats.sql; every file keeps its name and signature, so validation loads
    each once (D18) and every raw row reaches the audit.
-#}
{% macro duckdb__register_chat_events() -%}
    {%- if not execute -%}
        {{ return('select 1') }}
    {%- endif -%}
    {%- if chat_events_relation() -%}
        {{ return(register_chat_events_relation()) }}
    {%- endif -%}
    {%- set inputs = [] -%}
    {%- for name in ['chat_events_path', 'message_webhook_path', 'room_events_path'] -%}
        {%- set path = (kakao_var(name) or '') | string | trim -%}
        {%- if path -%}
            {%- do inputs.append((name, path, "'" ~ path | replace("'", "''") ~ "'")) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if not inputs -%}
        {{ exceptions.raise_compiler_error(
            "No chat events to read: chat_events_path, message_webhook_path and room_events_path "
            ~ "are all empty. Set one, e.g. --vars '{chat_events_path: \"path/to/events/*.csv\"}'"
        ) }}
    {%- endif -%}
    {%- set selects = [] -%}
    {%- for name, path, quoted_path in inputs -%}
        {%- set matched = run_query("select count(*) from glob(" ~ quoted_path ~ ")").rows[0] -%}
        {%- if matched[0] == 0 -%}
            {{ exceptions.raise_compiler_error(
                "No files match " ~ name ~ " '" ~ path ~ "' (relative paths are relative to the "
                ~ "directory dbt runs in). Set it with --vars '{" ~ name ~ ": \"path/to/files\"}'"
                ~ (" (make: EVENTS='path/to/files')" if name == 'chat_events_path' else "")
            ) }}
        {%- endif -%}
        {%- if name == 'chat_events_path' -%}
            {%- do selects.append(contract_events(path, quoted_path)) -%}
        {%- elif name == 'message_webhook_path' -%}
            {%- do selects.append(message_webhook_events(path, quoted_path)) -%}
        {%- else -%}
            {%- do selects.append(room_export_events(path, quoted_path)) -%}
        {%- endif -%}
    {%- endfor -%}

    create schema if not exists kakao;
    create or replace view kakao.chat_event_files as
    {% for name, path, quoted_path in inputs -%}
    {{ 'union all ' if not loop.first }}{{ chat_event_file_signatures(quoted_path) }}
    {% endfor -%};
    create or replace view kakao.chat_events as
    select
        events.*,
        files.source_file_signature,
        cast(null as timestamp) as source_loaded_at
    from (
        {{ selects | join('\n        union all by name\n') }}
    ) as events
    left join kakao.chat_event_files as files
        on events.source_file = files.source_file
{%- endmacro %}

{#- DuckDB: the files of chat_events_path, in the contract's columns (text), after the checks
    that stop a build on a file it cannot read as the contract says -#}
{% macro contract_events(path, quoted_path) -%}
    {%- set lowered = path | lower -%}
    {%- if lowered.endswith('.parquet') -%}
        {%- set reader = chat_event_file_reader(quoted_path, true) -%}
    {%- elif lowered.endswith('.csv') or lowered.endswith('.csv.gz') -%}
        {%- set reader = chat_event_file_reader(quoted_path, false) -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "chat_events_path '" ~ path ~ "' must end in .csv, .csv.gz or .parquet "
            ~ "(a single file or a glob such as landing/events/*.parquet); for a dealer's "
            ~ "message webhook (JSON lines) or room-event export use message_webhook_path or "
            ~ "room_events_path (docs/input-formats.md)"
        ) }}
    {%- endif -%}
    {%- set headers = {} -%}
    {%- do chat_event_file_errors(quoted_path, lowered.endswith('.parquet'), headers=headers) -%}
    {%- set described = run_query("describe select * from " ~ reader) -%}
    {%- do missing_contract_columns_error(path, described.columns[0].values()) -%}
    {%- set found = described.columns[0].values() | map('lower') | list -%}
    {%- do check_messages_have_sender_type(headers, lowered.endswith('.parquet')) -%}
    {%- do warn_about_missing_optional_columns(headers) -%}
    {%- set columns = [] -%}
    {%- for column in chat_event_required_columns() -%}
        {%- do columns.append('cast(events."' ~ column ~ '" as varchar) as ' ~ column) -%}
    {%- endfor -%}
    {%- for column in chat_event_optional_columns() -%}
        {%- do columns.append(('cast(events."' ~ column ~ '" as varchar)' if column in found
            else 'cast(null as varchar)') ~ ' as ' ~ column) -%}
    {%- endfor -%}
    {{ return('select ' ~ columns | join(', ') ~ ', events.__source_file as source_file from '
        ~ reader ~ ' as events') }}
{%- endmacro %}

{#- DuckDB: the reader of chat event files (a quoted path or glob, or a list of them), each row
    with its file's name as __source_file, the files united by column name. CSV: comma-separated
    with a header, double quotes, every column as text, and no leading lines taken for a
    preamble (skip = 0). -#}
{% macro chat_event_file_reader(files, parquet) -%}
    {%- if parquet -%}
        {{ return("read_parquet(" ~ files ~ ", filename = '__source_file', union_by_name = true)") }}
    {%- endif -%}
    {{ return("read_csv(" ~ files
        ~ ", header = true, skip = 0, delim = ',', quote = '\"', escape = '\"'"
        ~ ", all_varchar = true, filename = '__source_file', union_by_name = true)") }}
{%- endmacro %}

{#- DuckDB: a file without a sender_type column may not hold messages: who sent a message
    decides whether it opens a room (D32) and keeps one open (D8). Reads only such files. -#}
{% macro check_messages_have_sender_type(headers, parquet) -%}
    {%- set lacking = [] -%}
    {%- for file, columns in headers.items() | sort -%}
        {%- if 'sender_type' not in columns -%}{%- do lacking.append(file) -%}{%- endif -%}
    {%- endfor -%}
    {%- if not lacking -%}{{ return('') }}{%- endif -%}
    {%- set reader = chat_event_file_reader("[" ~ sql_string_list(lacking) ~ "]", parquet) -%}
    {%- set with_messages = run_query(
        "select __source_file, count(*) from " ~ reader
        ~ " where lower(trim(cast(event_type as varchar))) = 'message'"
        ~ " group by __source_file order by __source_file limit 1"
    ).rows -%}
    {%- if with_messages -%}
        {{ exceptions.raise_compiler_error(
            "The chat event file '" ~ with_messages[0][0] ~ "' has "
            ~ '{:,}'.format(with_messages[0][1]) ~ " message row(s) but no sender_type column. "
            ~ "Who sent a message (customer, consultant or system) decides whether it opens a "
            ~ "room and keeps one open: add the column, or leave the messages out of the file."
        ) }}
    {%- endif -%}
{%- endmacro %}

{#- What the files (or the relation) without an optional column lose, as one warning per
    column (D37). kind: what lacks the column ("chat_events_relation has"); default: the files,
    counted. -#}
{% macro warn_about_missing_optional_columns(headers, kind=none) -%}
    {%- set consequences = {
        'message_text': "`!종료` cannot be detected in their messages, so their rooms end only "
            ~ "by room_left, room_closed or expiry",
        'consultant_id': "their charges are allocated to no consultant and no team",
        'entry_point': "their rooms have no entry point in rpt_cost_by_entry_point",
    } -%}
    {%- for column, consequence in consequences.items() -%}
        {%- set lacking = [] -%}
        {%- for file, columns in headers.items() | sort -%}
            {%- if column not in columns -%}{%- do lacking.append(file) -%}{%- endif -%}
        {%- endfor -%}
        {%- if lacking -%}
            {%- do exceptions.warn(
                (kind if kind else '{:,}'.format(lacking | length) ~ " chat event file(s) have")
                ~ " no " ~ column ~ " column (" ~ lacking[:3] | join(', ')
                ~ (', ...' if lacking | length > 3 else '')
                ~ "): " ~ consequence ~ "."
            ) -%}
        {%- endif -%}
    {%- endfor -%}
{%- endmacro %}

{% macro spark__register_chat_events() -%}
    {#-
        A view, not a catalog table, over the Parquet files: it lists the files (and any
        `day=...` partition folders) when queried, so new files count without MSCK REPAIR.
        source_file is the file's path without the `file:` scheme, as DuckDB reports it.
    -#}
    {%- if not execute -%}
        {{ return('select 1') }}
    {%- endif -%}
    {%- if chat_events_relation() -%}
        {{ return(register_chat_events_relation()) }}
    {%- endif -%}
    {%- for name in ['message_webhook_path', 'room_events_path'] -%}
        {%- if (kakao_var(name) or '') | string | trim -%}
            {{ exceptions.raise_compiler_error(
                "On Spark, chat events are read from Parquet files in the contract's columns "
                ~ "(chat_events_path); " ~ name ~ " is read on DuckDB only. Build the dealer's "
                ~ "files on DuckDB, or write them in the contract's columns (docs/input-formats.md)."
            ) }}
        {%- endif -%}
    {%- endfor -%}
    {%- set path = kakao_var('chat_events_path') | string | trim -%}
    {%- if not (path | lower).endswith('.parquet') -%}
        {{ exceptions.raise_compiler_error(
            "On Spark, chat_events_path must name Parquet files (a path or glob ending in "
            ~ ".parquet), not '" ~ path ~ "'. Convert CSV with: python scripts/events_to_parquet.py"
        ) }}
    {%- endif -%}
    {%- set reader = "parquet.`" ~ path | replace('`', '``') ~ "`" -%}
    {#- files written with and without the optional columns: read the union of their schemas -#}
    {%- do run_query("set spark.sql.parquet.mergeSchema = true") -%}
    {%- set described = run_query("describe query select * from " ~ reader) -%}
    {%- do missing_contract_columns_error(path, described.columns[0].values()) -%}
    {%- set source_file = "regexp_replace(_metadata.file_path, '^file:(//)?', '')" -%}
    {%- set signature = "concat(cast(_metadata.file_size as string), ' bytes, modified ', "
        ~ "date_format(_metadata.file_modification_time, \"yyyy-MM-dd'T'HH:mm:ss.SSSSSS'Z'\"))" -%}
    {%- do run_query("create database if not exists kakao") -%}
    {%- do run_query(
        "create or replace view kakao.chat_event_files as select distinct "
        ~ source_file ~ " as source_file, " ~ signature ~ " as source_file_signature from " ~ reader
    ) -%}
    create or replace view kakao.chat_events as
    select
        {%- for column in chat_event_required_columns() %}
        cast(`{{ column }}` as string) as {{ column }},
        {%- endfor %}
        {%- for column in chat_event_optional_columns() %}
        {%- if column in described.columns[0].values() | map('lower') | list %}
        cast(`{{ column }}` as string) as {{ column }},
        {%- else %}
        cast(null as string) as {{ column }},
        {%- endif %}
        {%- endfor %}
        {{ source_file }} as source_file,
        {{ signature }} as source_file_signature,
        cast(null as timestamp) as source_loaded_at
    from {{ reader }}
{%- endmacro %}
