{#-
    Incremental processing is per stream: one (channel_id, customer_id). A build recomputes,
    in every incremental model below validation, the streams listed in
    int_chat_events__streams_to_recompute (those with new or changed events, and those whose
    open room the data's clock has just expired); everything else is left as it was.

    How a model replaces those streams depends on the engine (DECISIONLOG D16, D17):
      DuckDB: delete the streams' rows (pre-hook), then append them recomputed;
      Spark:  tables are partitioned by stream_bucket (a hash of the stream into
              var stream_buckets buckets) and a build overwrites the buckets holding those
              streams, recomputing every stream in them (Parquet tables cannot delete rows).

    stream_incremental_config(): the config of a stream-keyed incremental model (also used by
        fct_monthly_fees, partitioned by usage_month on Spark).
    stream_bucket(stream_id): the bucket of a stream (the last column of every such model).
    in_streams_to_recompute(): the filter of a model's inputs (on their stream_id or, on Spark,
        stream_bucket column); `true` on a full build.
    in_mart_streams_to_recompute(mart): the same filter for an input that is a mart, given
        its alias (matched on channel_id and the customer id as the marts show it, or, on
        Spark, stream_bucket).
    events_to_recompute(relation, validated_by_this_build, rewritten_only): the select of the
        event-level models (rooms assigned, the audit) from a relation with stream_id,
        occurred_at and event_id (DECISIONLOG D27): on DuckDB only the events of streams with
        validated rows, from the room_opened named in events_from_at / events_from_event_id
        (what room assignment reads) or, with rewritten_only, from rewrite_from_at (what it
        and the audit write); with validated_by_this_build (the audit, on
        int_chat_events__validated) also every raw row this build validated, rejected rows
        included; with clock_only_streams also the (whole) streams only the data's clock
        touched; on Spark the rows of the buckets to recompute; every row on a full build.
    delete_stream_events_to_recompute(): pre-hook of int_chat_events__assigned_to_rooms: the
        events it writes again (rewritten_only).
    delete_stream_rooms_to_recompute(): pre-hook of int_chat_rooms__lifecycle: the rooms from
        the room_opened named in events_from_at / events_from_event_id on, whole streams where
        none is named; lifecycle reads their events with clock_only_streams.
    in_rooms_to_recompute(): the filter of a room-level model's inputs (rooms, their events
        and charges; columns stream_id and room_id): the rooms int_chat_rooms__lifecycle wrote
        again, i.e. the rooms of the streams to recompute except those it kept, opened before
        the room_opened named in events_from_at / events_from_event_id (rooms_kept()). A room's
        charges, and its row in fct_chat_rooms, depend on the room alone, so the other rooms'
        rows stay as they are. On Spark the buckets' rows; `true` on a full build.
    in_mart_rooms_to_recompute(mart): the same for a mart input, given its alias.
    delete_rooms_to_recompute() / delete_mart_rooms_to_recompute(): pre-hooks of the room-level
        models (intermediate / marts): delete those rooms' rows, those of rooms that no longer
        exist included (they are not kept).
    delete_mart_streams_to_recompute(): pre-hook of a mart recomputed by whole streams
        (fct_avoidable_charges: a room's category looks at the room before it), whose
        customer ids may be pseudonymised: matches on (channel_id, customer_key(customer_id)).
-#}
{% macro stream_incremental_config(
    duckdb_strategy='append', unique_key=none, spark_partition_by=['stream_bucket']
) -%}
    {{ return(adapter.dispatch('stream_incremental_config', 'kakao_consult_billing')(
        duckdb_strategy, unique_key, spark_partition_by
    )) }}
{%- endmacro %}

{% macro default__stream_incremental_config(duckdb_strategy, unique_key, spark_partition_by) -%}
    {{ return({'incremental_strategy': duckdb_strategy, 'unique_key': unique_key}) }}
{%- endmacro %}

{% macro spark__stream_incremental_config(duckdb_strategy, unique_key, spark_partition_by) -%}
    {{ return({
        'incremental_strategy': 'insert_overwrite',
        'partition_by': spark_partition_by,
        'file_format': 'parquet',
    }) }}
{%- endmacro %}

{% macro stream_bucket(stream_id) -%}
    {{ return(adapter.dispatch('stream_bucket', 'kakao_consult_billing')(stream_id)) }}
{%- endmacro %}

{% macro default__stream_bucket(stream_id) -%}
    {#- the first 16 bits of the MD5 stream id, modulo the bucket count -#}
    cast(cast('0x' || substr({{ stream_id }}, 1, 4) as integer) % {{ kakao_var('stream_buckets') | int }} as integer)
{%- endmacro %}

{% macro spark__stream_bucket(stream_id) -%}
    cast(cast(conv(substr({{ stream_id }}, 1, 4), 16, 10) as int) % {{ kakao_var('stream_buckets') | int }} as int)
{%- endmacro %}

{% macro in_streams_to_recompute() -%}
    {{ return(adapter.dispatch('in_streams_to_recompute', 'kakao_consult_billing')()) }}
{%- endmacro %}

{% macro default__in_streams_to_recompute() -%}
    {%- if is_incremental() -%}
        stream_id in (select stream_id from {{ ref('int_chat_events__streams_to_recompute') }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{% macro spark__in_streams_to_recompute() -%}
    {%- if is_incremental() -%}
        stream_bucket in (select stream_bucket from {{ ref('int_chat_events__streams_to_recompute') }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{% macro events_to_recompute(
    relation, validated_by_this_build=false, rewritten_only=false, clock_only_streams=false
) -%}
    {%- if not is_incremental() -%}
        select * from {{ relation }}
    {%- elif rewrites_whole_stream_buckets() -%}
        select * from {{ relation }} where {{ in_streams_to_recompute() }}
    {%- else -%}
        {%- set from_room_opened = at_or_after_room_opened('events.occurred_at', 'events.event_id') -%}
        {#- a join, not a correlated exists: DuckDB runs this one as a hash join on stream_id -#}
        select events.*
        from {{ relation }} as events
        {{ 'left' if validated_by_this_build else 'inner' }} join {{ ref('int_chat_events__streams_to_recompute') }} as streams
            on
                events.stream_id = streams.stream_id
                {%- if not clock_only_streams %}
                and streams.recomputes_events
                {%- endif %}
        where
            {% if validated_by_this_build -%}
            events.processed_by = '{{ invocation_id }}' or
            {% endif -%}
            (
                streams.stream_id is not null
                and
                {%- if rewritten_only %}
                (
                    events.occurred_at >= streams.rewrite_from_at
                    or (streams.rewrite_from_at is null and {{ from_room_opened }})
                )
                {%- else %} {{ from_room_opened }}
                {%- endif %}
            )
    {%- endif -%}
{%- endmacro %}

{% macro in_mart_streams_to_recompute(mart) -%}
    {{ return(adapter.dispatch('in_mart_streams_to_recompute', 'kakao_consult_billing')(mart)) }}
{%- endmacro %}

{% macro default__in_mart_streams_to_recompute(mart) -%}
    {#- marts carry no stream_id, and their customer ids may be pseudonymised -#}
    {%- if is_incremental() -%}
        exists (
            select 1
            from {{ ref('int_chat_events__streams_to_recompute') }} as streams
            where
                streams.channel_id = {{ mart }}.channel_id
                and {{ customer_key('streams.customer_id') }} = {{ mart }}.customer_id
        )
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{% macro spark__in_mart_streams_to_recompute(mart) -%}
    {{ return(spark__in_streams_to_recompute()) }}
{%- endmacro %}

{% macro rewrites_whole_stream_buckets() -%}
    {{ return(adapter.dispatch('rewrites_whole_stream_buckets', 'kakao_consult_billing')()) }}
{%- endmacro %}

{% macro default__rewrites_whole_stream_buckets() -%}
    {{ return(false) }}
{%- endmacro %}

{% macro spark__rewrites_whole_stream_buckets() -%}
    {{ return(true) }}
{%- endmacro %}

{#- the rooms of the streams to recompute that int_chat_rooms__lifecycle kept as they were:
    those opened before the room_opened its recomputation starts from (none of their events, and
    not their end, changed: DECISIONLOG D27) -#}
{% macro rooms_kept() -%}
    select kept.room_id
    from {{ ref('int_chat_rooms__lifecycle') }} as kept
    inner join {{ ref('int_chat_events__streams_to_recompute') }} as streams
        on kept.stream_id = streams.stream_id
    where not {{ at_or_after_room_opened('kept.opened_at', 'kept.opened_event_id') }}
{%- endmacro %}

{#- the stream filter, less the kept rooms where a build deletes rows (DuckDB, incremental);
    on Spark and on a full build the stream filter alone (whole buckets; `true`) -#}
{% macro in_rooms_to_recompute() -%}
    {{ in_streams_to_recompute() }}
    {%- if is_incremental() and not rewrites_whole_stream_buckets() %}
    and room_id not in ({{ rooms_kept() }})
    {%- endif -%}
{%- endmacro %}

{% macro in_mart_rooms_to_recompute(mart) -%}
    {{ in_mart_streams_to_recompute(mart) }}
    {%- if is_incremental() and not rewrites_whole_stream_buckets() %}
    and {{ mart }}.room_id not in ({{ rooms_kept() }})
    {%- endif -%}
{%- endmacro %}

{% macro delete_rooms_to_recompute() -%}
    {%- if is_incremental() and not rewrites_whole_stream_buckets() -%}
        delete from {{ this }}
        where {{ in_rooms_to_recompute() }}
    {%- endif -%}
{%- endmacro %}

{% macro delete_mart_rooms_to_recompute() -%}
    {%- if is_incremental() and not rewrites_whole_stream_buckets() -%}
        delete from {{ this }} as target
        where {{ in_mart_rooms_to_recompute('target') }}
    {%- endif -%}
{%- endmacro %}

{% macro delete_stream_events_to_recompute() -%}
    {%- if is_incremental() and not rewrites_whole_stream_buckets() -%}
        delete from {{ this }}
        where raw_row_id in (
            select rewritten.raw_row_id from ({{ events_to_recompute(this, rewritten_only=true) }}) as rewritten
        )
    {%- endif -%}
{%- endmacro %}

{% macro delete_stream_rooms_to_recompute() -%}
    {%- if is_incremental() and not rewrites_whole_stream_buckets() -%}
        delete from {{ this }} as rooms
        using {{ ref('int_chat_events__streams_to_recompute') }} as streams
        where
            rooms.stream_id = streams.stream_id
            and {{ at_or_after_room_opened('rooms.opened_at', 'rooms.opened_event_id') }}
    {%- endif -%}
{%- endmacro %}

{#- whether an event (or a room, by its room_opened) comes at or after the room_opened named by
    the stream's events_from_at / events_from_event_id (alias `streams`), in the order
    occurred_at, event_id; true where none is named (the whole stream) -#}
{% macro at_or_after_room_opened(occurred_at, event_id) -%}
    (
        streams.events_from_at is null
        or {{ occurred_at }} > streams.events_from_at
        or (
            {{ occurred_at }} = streams.events_from_at
            and {{ event_id }} >= streams.events_from_event_id
        )
    )
{%- endmacro %}

{% macro delete_mart_streams_to_recompute() -%}
    {%- if is_incremental() and not rewrites_whole_stream_buckets() -%}
        delete from {{ this }} as target
        where exists (
            select 1
            from {{ ref('int_chat_events__streams_to_recompute') }} as streams
            where
                target.channel_id is not distinct from streams.channel_id
                and target.customer_id is not distinct from {{ customer_key('streams.customer_id') }}
        )
    {%- endif -%}
{%- endmacro %}

{#-
    Post-hook of fct_monthly_fees. An incremental build writes a zero row for an open month
    whose charges have all gone (late events moved them), so that it replaces the month's old
    row; a full build has no row for such a month. DuckDB then deletes those zero rows, so both
    builds agree. On Spark the row stays (a Parquet table cannot delete rows): a month that
    lost all its charges shows 0 charges and 0 KRW.
-#}
{% macro delete_emptied_open_months() -%}
    {{ return(adapter.dispatch('delete_emptied_open_months', 'kakao_consult_billing')()) }}
{%- endmacro %}

{% macro default__delete_emptied_open_months() -%}
    delete from {{ this }} where not is_closed and room_charges = 0
{%- endmacro %}

{% macro spark__delete_emptied_open_months() -%}
    select 1
{%- endmacro %}
