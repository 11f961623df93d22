{#-
    Incremental processing is per stream: one (channel_id, customer_id). A build recomputes,
    in every incremental model below validation, exactly the streams listed in
    int_chat_events__streams_to_recompute (those with new or changed events, and those whose
    open room the data's clock has just expired); everything else is left as it was.

    in_streams_to_recompute(): a predicate on a stream_id column, `true` on a full build.
    delete_streams_to_recompute(): pre-hook of an intermediate model keyed by stream_id.
    delete_mart_streams_to_recompute(): pre-hook of a mart, whose customer ids may be
    pseudonymised: matches on (channel_id, customer_key(customer_id)).
-#}
{% macro in_streams_to_recompute(column='stream_id') -%}
    {%- if is_incremental() -%}
        {{ column }} in (select stream_id from {{ ref('int_chat_events__streams_to_recompute') }})
    {%- else -%}
        true
    {%- endif -%}
{%- endmacro %}

{% macro delete_streams_to_recompute() -%}
    {%- if is_incremental() -%}
        delete from {{ this }}
        where stream_id in (select stream_id from {{ ref('int_chat_events__streams_to_recompute') }})
    {%- endif -%}
{%- endmacro %}

{% macro delete_mart_streams_to_recompute() -%}
    {%- if is_incremental() -%}
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
