{#-
    The staging of the dealers' feed formats: each maps one format to the input contract's
    columns (text, as the contract files are read), one row per raw record, so that staging,
    validation and the audit treat them as any chat event file (docs/input-formats.md has each
    mapping as a table). DuckDB.

    message_webhook_events(path, quoted_path): 상담톡 message webhook payloads as a dealer's
        receiver stores them, one JSON object per line (var message_webhook_path): a customer
        message (user_key, sender_key, time in epoch milliseconds, serial_number, type,
        content, and session_id when the receiver keeps it) is a `message` from the customer;
        a session-start metadata payload (session_id, no serial_number) is a `room_opened`.
    room_export_events(path, quoted_path): a dealer's room-event export, CSV with the columns
        room_id, status, end_type, counselor_id, customer_id, event_time, and sender_key (or
        var room_events_channel_id), each file checked as the contract's CSV files are
        (chat_event_file_errors): a room received is a `room_opened`, a status change on the
        way a `room_updated`, an ended room a `room_closed` or, ended by the customer, a
        `room_left`, with its end_reason (DECISIONLOG D33, D35).
-#}
{% macro message_webhook_events(path, quoted_path) -%}
    {%- set reader = "read_json(" ~ quoted_path ~ ", format = 'newline_delimited'"
        ~ ", filename = '__source_file', columns = {user_key: 'VARCHAR', sender_key: 'VARCHAR'"
        ~ ", time: 'VARCHAR', serial_number: 'VARCHAR', type: 'VARCHAR', content: 'VARCHAR'"
        ~ ", session_id: 'VARCHAR'})" -%}
    {%- set is_session_start = "(lines.serial_number is null and lines.session_id is not null)" -%}
    {{ return(
        "select"
        ~ " coalesce(lines.serial_number, case when " ~ is_session_start
        ~ " then 'session-' || lines.session_id end) as event_id,"
        ~ " case when regexp_full_match(trim(lines.time), '[0-9]{1,16}') then strftime("
        ~ "make_timestamp(cast(trim(lines.time) as bigint) * 1000), '%Y-%m-%dT%H:%M:%S.%fZ')"
        ~ " else lines.time end as occurred_at,"
        ~ " lines.sender_key as channel_id,"
        ~ " lines.user_key as customer_id,"
        ~ " case when " ~ is_session_start ~ " then 'room_opened' else 'message' end as event_type,"
        ~ " case when not " ~ is_session_start ~ " then 'customer' end as sender_type,"
        ~ " cast(null as varchar) as consultant_id,"
        ~ " cast(null as varchar) as entry_point,"
        ~ " case when not " ~ is_session_start ~ " and coalesce(lower(trim(lines.type)), 'text')"
        ~ " in ('text', 'tx') then lines.content end as message_text,"
        ~ " cast(null as varchar) as end_reason,"
        ~ " lines.session_id,"
        ~ " lines.__source_file as source_file"
        ~ " from " ~ reader ~ " as lines"
    ) }}
{%- endmacro %}

{% macro room_export_columns() -%}
    {{ return(['room_id', 'status', 'end_type', 'counselor_id', 'customer_id', 'event_time']) }}
{%- endmacro %}

{#- stops the build on a room-event export file whose header lacks one of its columns -#}
{% macro missing_room_export_columns_error(path, found_columns) -%}
    {%- set found = found_columns | map('lower') | list -%}
    {%- set missing = room_export_columns() | reject('in', found) | list -%}
    {%- if missing -%}
        {{ exceptions.raise_compiler_error(
            "The room-event export '" ~ path ~ "' lacks column(s): " ~ missing | join(', ')
            ~ ". Found: " ~ found | reject('equalto', '__source_file') | join(', ')
            ~ ". It needs: " ~ room_export_columns() | join(',') ~ " (and sender_key, or var "
            ~ "room_events_channel_id); docs/input-formats.md"
        ) }}
    {%- endif -%}
{%- endmacro %}

{% macro room_export_events(path, quoted_path) -%}
    {%- set reader = chat_event_file_reader(quoted_path, false) -%}
    {#- each file as the contract's CSV files are checked (header, separator, encoding, line
        endings, field counts), against the export's columns -#}
    {%- do chat_event_file_errors(
        quoted_path, false, required=room_export_columns(),
        columns_error=missing_room_export_columns_error,
    ) -%}
    {%- set found = run_query("describe select * from " ~ reader).columns[0].values()
        | map('lower') | list -%}
    {%- set channel = var('room_events_channel_id', none) -%}
    {%- if 'sender_key' in found -%}
        {%- set channel_sql = "rows.sender_key" -%}
    {%- elif channel -%}
        {%- set channel_sql = "'" ~ channel | string | replace("'", "''") ~ "'" -%}
    {%- else -%}
        {{ exceptions.raise_compiler_error(
            "The room-event export '" ~ path ~ "' has no sender_key column, so its rows name no "
            ~ "channel: add the column, or set var room_events_channel_id to the channel's "
            ~ "sender key (docs/input-formats.md)"
        ) }}
    {%- endif -%}
    {%- set status = "lower(trim(rows.status))" -%}
    {%- set end_type = "lower(trim(rows.end_type))" -%}
    {%- set opened = status ~ " in ('0', '접수', '대기', 'received', 'waiting')" -%}
    {%- set ongoing = status ~ " in ('1', '상담중', '진행', 'in_progress', 'assigned')" -%}
    {%- set ended = status ~ " in ('2', '종료', 'ended', 'closed')" -%}
    {%- set by_customer = end_type ~ " in ('1', '고객', 'customer')" -%}
    {{ return(
        "select"
        ~ " rows.room_id || ':' || coalesce(trim(rows.status), '') || ':'"
        ~ " || coalesce(trim(rows.event_time), '') as event_id,"
        ~ " rows.event_time as occurred_at,"
        ~ " " ~ channel_sql ~ " as channel_id,"
        ~ " rows.customer_id,"
        ~ " case when " ~ opened ~ " then 'room_opened' when " ~ ongoing ~ " then 'room_updated'"
        ~ " when " ~ ended ~ " and " ~ by_customer ~ " then 'room_left'"
        ~ " when " ~ ended ~ " then 'room_closed' else rows.status end as event_type,"
        ~ " cast(null as varchar) as sender_type,"
        ~ " rows.counselor_id as consultant_id,"
        ~ " cast(null as varchar) as entry_point,"
        ~ " cast(null as varchar) as message_text,"
        ~ " case when " ~ ended ~ " and not coalesce(" ~ by_customer ~ ", false) then case"
        ~ " when " ~ end_type ~ " in ('0', '상담원', 'counselor', 'consultant') then 'consultant_ended'"
        ~ " when " ~ end_type ~ " in ('2', '매니저', 'manager') then 'manager_ended'"
        ~ " else rows.end_type end end as end_reason,"
        ~ " cast(null as varchar) as session_id,"
        ~ " rows.__source_file as source_file"
        ~ " from " ~ reader ~ " as rows"
    ) }}
{%- endmacro %}
