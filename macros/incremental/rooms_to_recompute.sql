{#-
    The room-level models after int_chat_rooms__lifecycle (daily and priced charges,
    fct_room_charges, fct_chat_rooms, fct_charge_allocations) recompute the rooms lifecycle
    wrote since the last complete build started (`computed_at`), and drop the rows of rooms
    that no longer exist (a room whose room_opened a late row made a duplicate: only in a stream
    whose events changed). A room's charges, row and shares depend on the room alone, so the
    other rooms' rows stay as they are: at 10M events a day rewrites about 3% of these tables
    instead of the 9% its streams hold, and the end checkpoint reclaims their deleted rows three
    times as seldom (benchmarks/results.md). On Spark, whole stream buckets.

    in_rooms_to_recompute(): the filter of such a model's inputs (their room_id or, on Spark,
        stream_bucket column); `true` on a full build.
    in_mart_rooms_to_recompute(mart): the same for an input that is a mart, given its alias.
    delete_rooms_to_recompute() / delete_mart_rooms_to_recompute(): the pre-hooks that delete
        those rooms' rows, and the rows of rooms gone from lifecycle, from an intermediate model
        / a mart (DuckDB, incremental).
-#}
{% macro rooms_written_since_last_complete_build() -%}
    select rooms.room_id
    from {{ ref('int_chat_rooms__lifecycle') }} as rooms
    where rooms.computed_at > {{ last_complete_build_started_at() }}
{%- endmacro %}

{% macro in_rooms_to_recompute(relation_alias=none) -%}
    {%- set room_id = (relation_alias ~ '.' if relation_alias else '') ~ 'room_id' -%}
    {%- if not is_incremental() -%}
        true
    {%- elif rewrites_whole_stream_buckets() -%}
        {{ in_streams_to_recompute() }}
    {%- else -%}
        {{ room_id }} in ({{ rooms_written_since_last_complete_build() }})
    {%- endif -%}
{%- endmacro %}

{% macro in_mart_rooms_to_recompute(mart) -%}
    {%- if rewrites_whole_stream_buckets() -%}
        {{ in_mart_streams_to_recompute(mart) }}
    {%- else -%}
        {{ in_rooms_to_recompute(mart) }}
    {%- endif -%}
{%- endmacro %}

{#- rows of rooms gone from lifecycle: of the streams whose events changed, the rooms it no
    longer has (`stream_match`: how a row is matched to such a stream) -#}
{% macro of_a_room_gone(stream_match) -%}
    (
        {{ stream_match }}
        and room_id not in (select rooms.room_id from {{ ref('int_chat_rooms__lifecycle') }} as rooms)
    )
{%- endmacro %}

{% macro delete_rooms_to_recompute() -%}
    {%- if is_incremental() and not rewrites_whole_stream_buckets() -%}
        delete from {{ this }}
        where
            {{ in_rooms_to_recompute() }}
            or {{ of_a_room_gone(
                "stream_id in (select stream_id from "
                ~ ref('int_chat_events__streams_to_recompute') ~ ")") }}
    {%- endif -%}
{%- endmacro %}

{% macro delete_mart_rooms_to_recompute() -%}
    {%- if is_incremental() and not rewrites_whole_stream_buckets() -%}
        delete from {{ this }} as target
        where
            {{ in_rooms_to_recompute('target') }}
            or {{ of_a_room_gone(
                "exists (select 1 from " ~ ref('int_chat_events__streams_to_recompute')
                ~ " as streams where streams.channel_id = target.channel_id and "
                ~ customer_key('streams.customer_id') ~ " = target.customer_id)") }}
    {%- endif -%}
{%- endmacro %}
