{#- The bucket of a stream: the first 16 bits of its MD5 stream_id, modulo var stream_buckets
    (the last column of every stream-keyed model; Spark partitions by it, D17). -#}
{% macro stream_bucket(stream_id) -%}
    {{ return(adapter.dispatch('stream_bucket', 'kakao_consult_billing')(stream_id)) }}
{%- endmacro %}

{% macro default__stream_bucket(stream_id) -%}
    cast(cast('0x' || substr({{ stream_id }}, 1, 4) as integer) % {{ kakao_var('stream_buckets') | int }} as integer)
{%- endmacro %}

{% macro spark__stream_bucket(stream_id) -%}
    cast(cast(conv(substr({{ stream_id }}, 1, 4), 16, 10) as int) % {{ kakao_var('stream_buckets') | int }} as int)
{%- endmacro %}
