{#-
    The build log, `build_log.builds` (source build_log.builds): the warehouse's record of its
    own builds. Every `dbt build` or `dbt run` adds a row when it starts (on-run-start,
    record_build_start) and one when it ends (on-run-end, record_build_end); a build killed on
    the way has only the first.

    A build is complete when every model that keeps rows between builds (the incremental
    models) and every model they read ran without an error in it. The work a build validates
    stays "to recompute" until a complete build (int_chat_events__streams_to_recompute: the
    raw rows validated since the last complete build started), so an interrupted, failed or
    partly selected build is finished by the next ordinary one (docs/incremental.md).

    build_log_relation(): the table, as a relation.
    create_build_log(): creates the schema and table when missing (dispatched: Spark's table
        is a Parquet table), and adds the columns a log written by an earlier version lacks
        (is_checked, D45: null on its rows, which are therefore not checked builds).
-#}
{#- A build log time (UTC, as text) as people read it: "2026-12-06 23:28:35 KST", in
    billing_time_zone -#}
{% macro build_log_time(utc_text) -%}
    {%- set utc = modules.datetime.datetime.strptime(utc_text[:19], '%Y-%m-%d %H:%M:%S') -%}
    {%- set local = modules.pytz.utc.localize(utc).astimezone(
        modules.pytz.timezone(var('billing_time_zone'))) -%}
    {{ return(local.strftime('%Y-%m-%d %H:%M:%S %Z')) }}
{%- endmacro %}

{% macro build_log_relation() -%}
    {{ return(source('build_log', 'builds')) }}
{%- endmacro %}

{% macro build_log_columns() -%}
    {{ return([
        ('invocation_id', dbt.type_string()),
        ('command', dbt.type_string()),
        ('is_full_refresh', dbt.type_boolean()),
        ('started_at', dbt.type_timestamp()),
        ('finished_at', dbt.type_timestamp()),
        ('is_complete', dbt.type_boolean()),
        ('failed_tests', dbt.type_int()),
        ('billing_settings', dbt.type_string()),
        ('is_checked', dbt.type_boolean()),
    ]) }}
{%- endmacro %}

{% macro create_build_log() -%}
    {%- do adapter.dispatch('create_build_log', 'kakao_consult_billing')() -%}
    {%- set build_log = build_log_relation() -%}
    {%- set present = adapter.get_columns_in_relation(build_log) | map(attribute='name')
        | map('lower') | list -%}
    {%- for name, type in build_log_columns() if name not in present -%}
        {%- do run_query('alter table ' ~ build_log ~ (
            ' add columns (' ~ name ~ ' ' ~ type ~ ')' if target.type == 'spark'
            else ' add column ' ~ name ~ ' ' ~ type)) -%}
    {%- endfor -%}
{%- endmacro %}

{% macro default__create_build_log() -%}
    {%- set build_log = build_log_relation() -%}
    {%- do run_query('create schema if not exists ' ~ build_log.schema) -%}
    {%- do run_query('create table if not exists ' ~ build_log ~ ' ('
        ~ build_log_columns() | map('join', ' ') | join(', ') ~ ')') -%}
{%- endmacro %}

{% macro spark__create_build_log() -%}
    {%- set build_log = build_log_relation() -%}
    {%- do run_query('create database if not exists ' ~ build_log.schema) -%}
    {%- do run_query('create table if not exists ' ~ build_log ~ ' ('
        ~ build_log_columns() | map('join', ' ') | join(', ') ~ ') using parquet') -%}
{%- endmacro %}
