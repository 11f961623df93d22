{#-
    How a stream-keyed incremental model replaces the streams a build recomputes (DECISIONLOG
    D16, D17; docs/incremental.md):
      DuckDB: delete the streams' rows (a pre-hook), then append them recomputed;
      Spark:  the table is partitioned by stream_bucket (a hash of the stream into var
              stream_buckets buckets) and a build overwrites the buckets holding those streams,
              recomputing every stream in them (Parquet tables cannot delete rows).

    stream_incremental_config(duckdb_strategy, unique_key, spark_partition_by): the model's
        config (fct_monthly_fees uses it too, partitioned by usage_month on Spark).
    rewrites_whole_stream_buckets(): true on Spark.
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

{% macro rewrites_whole_stream_buckets() -%}
    {{ return(adapter.dispatch('rewrites_whole_stream_buckets', 'kakao_consult_billing')()) }}
{%- endmacro %}

{% macro default__rewrites_whole_stream_buckets() -%}
    {{ return(false) }}
{%- endmacro %}

{% macro spark__rewrites_whole_stream_buckets() -%}
    {{ return(true) }}
{%- endmacro %}
