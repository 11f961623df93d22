{#-
    fct_avoidable_charges recomputes whole streams (a room's category looks at the room before
    it), and on Spark the room-level models overwrite their buckets: those in
    int_chat_rooms__streams_to_recompute (the streams whose events changed, and those whose
    rooms lifecycle wrote since the last complete build).

    in_streams_to_recompute(): the filter of such a model's inputs (their stream_id or, on
        Spark, stream_bucket column); `true` on a full build.
    in_mart_streams_to_recompute(mart): the same for an input that is a mart, given its alias:
        marts carry no stream_id and their customer ids may be pseudonymised, so it matches on
        channel_id and customer_key(customer_id) (on Spark, stream_bucket).
    delete_mart_streams_to_recompute(): the pre-hook of fct_avoidable_charges that deletes those
        streams' rows (DuckDB, incremental).
-#}
{% macro in_streams_to_recompute() -%}
    {{ return(adapter.dispatch('in_streams_to_recompute', 'kakao_consult_billing')()) }}
{%- endmacro %}

{% macro default__in_streams_to_recompute() -%}
    {%- if is_incremental() -%}
        stream_id in (select stream_id from {{ ref('int_chat_rooms__streams_to_recompute') }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{% macro spark__in_streams_to_recompute() -%}
    {%- if is_incremental() -%}
        stream_bucket in (
            select stream_bucket from {{ ref('int_chat_rooms__streams_to_recompute') }}
        )
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{% macro in_mart_streams_to_recompute(mart) -%}
    {{ return(adapter.dispatch('in_mart_streams_to_recompute', 'kakao_consult_billing')(mart)) }}
{%- endmacro %}

{% macro default__in_mart_streams_to_recompute(mart) -%}
    {%- if is_incremental() -%}
        exists (
            select 1
            from {{ ref('int_chat_rooms__streams_to_recompute') }} as streams
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

{% macro delete_mart_streams_to_recompute() -%}
    {%- if is_incremental() and not rewrites_whole_stream_buckets() -%}
        delete from {{ this }} as target
        where {{ in_mart_streams_to_recompute('target') }}
    {%- endif -%}
{%- endmacro %}
