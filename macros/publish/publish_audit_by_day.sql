{#-
    publish_audit_by_day(relation, staging, select_list): publishes the audit
    (fct_chat_event_audit: a row per raw row, by far the largest mart) into the version folder
    `staging` as a folder with a folder of Parquet files per billing day,
    <audit>/audit_day=YYYY-MM-DD/ (audit_day=rejected: the rows without a billing date, which
    are the rejected rows), and carries over from the version before, by hard links, every day
    whose rows did not change (DECISIONLOG D44).

    A day's audit rows are a function of its rows in validation and in room assignment and of
    the audit's SQL. Its fingerprint is, for each of the two tables, the count and the sum of a
    hash of each row of that day: of its id and validated_at in validation (validation writes a
    row, new or again, only with its build's time, as int_chat_events__streams_to_recompute
    relies on), of the whole row in room assignment; <audit>/_fingerprints.json keeps them with
    an md5 of the audit's SQL. A day is carried over when its fingerprint and the SQL are those
    the version before recorded and that version has the day's folder. Everything is written
    again when the audit is a table (var pseudonymize_customer_ids: its rows depend on the key
    too), and when the two tables disagree on a day's row count (the conservation test fails
    such a build; a `dbt run` does not run it). Returns false, and writes nothing, when the
    audit has no row: publish_marts then writes it as one file, as the other marts.
-#}
{% macro publish_audit_by_day(relation, staging, select_list) -%}
    {%- set folder = (staging ~ '/' ~ relation.identifier) | replace("'", "''") -%}
    {%- set previous = (staging.rsplit('/', 2)[0] ~ '/current/' ~ relation.identifier)
        | replace("'", "''") -%}
    {%- set validated = kakao_model_relation('int_chat_events__validated') -%}
    {%- set placed = kakao_model_relation('int_chat_events__assigned_to_rooms') -%}

    {#- the audit's SQL, when it is a view (an md5, as text: dbt would read digits as a number) -#}
    {%- set definitions = run_query(
        "select 'md5 ' || md5(sql) from duckdb_views() where database_name = '" ~ relation.database
        ~ "' and schema_name = '" ~ relation.schema ~ "' and view_name = '"
        ~ relation.identifier ~ "'").rows -%}
    {%- set definition = definitions[0][0] if definitions | length > 0 else none -%}

    {%- set fingerprints_sql -%}
        with raw_rows as (
            select
                case
                    when rejection_reason is null
                        then strftime({{ billing_date('occurred_at') }}, '%Y-%m-%d')
                    else 'rejected'
                end as audit_day,
                count(*) as row_count,
                -- validation writes a row only with its build's time: its id and that time
                sum(hash(raw_row_id, validated_at)) as row_hash
            from {{ validated }}
            group by 1
        ),

        placed as (
            select
                strftime(billing_date, '%Y-%m-%d') as audit_day,
                count(*) as row_count,
                sum(hash(*columns(*))) as row_hash
            from {{ placed }}
            group by 1
        )

        select
            coalesce(raw_rows.audit_day, placed.audit_day) as audit_day,
            coalesce(
                raw_rows.row_count = placed.row_count
                or (raw_rows.audit_day = 'rejected' and placed.audit_day is null),
                false
            ) as balances,
            concat_ws(
                ':', raw_rows.row_count, raw_rows.row_hash, placed.row_count, placed.row_hash
            ) as fingerprint
        from raw_rows
        full join placed on raw_rows.audit_day = placed.audit_day
    {%- endset -%}
    {%- do run_query("create or replace temp table kakao_audit_fingerprints as "
        ~ fingerprints_sql) -%}
    {%- set counts = run_query("select count(*), count(*) filter (where not balances) "
        ~ "from kakao_audit_fingerprints").rows[0] -%}

    {%- if counts[0] == 0 -%}
        {#- no row at all: publish_marts writes the one empty file, as for the other marts -#}
        {%- do run_query("drop table kakao_audit_fingerprints") -%}
        {{ return(false) }}
    {%- endif -%}
    {%- set reusable = definition is not none and counts[1] == 0 -%}
    {%- set before_recorded = reusable and run_query("select count(*) from glob('" ~ previous
        ~ "/_fingerprints.json')").rows[0][0] > 0 -%}

    {#- each day: carried over when the version before recorded the same fingerprint under the
        same SQL and has its folder (the days as text: dbt would read them as dates) -#}
    {%- set decisions_sql -%}
        select
            'day ' || days.audit_day as audit_day,
            folders.folder is not null as carried
        from kakao_audit_fingerprints as days
        left join (
            {%- if before_recorded %}
            select audit_day, fingerprint
            from read_json(
                '{{ previous }}/_fingerprints.json',
                format = 'newline_delimited',
                columns = {audit_day: 'varchar', fingerprint: 'varchar', definition: 'varchar'}
            )
            where definition = '{{ definition }}'
            {%- else %}
            select cast(null as varchar) as audit_day, cast(null as varchar) as fingerprint
            where false
            {%- endif %}
        ) as before
            on days.audit_day = before.audit_day and days.fingerprint = before.fingerprint
        left join (
            select distinct parse_filename(parse_dirpath(file)) as folder
            from glob('{{ previous }}/audit_day=*/*.parquet')
        ) as folders
            on before.audit_day is not null and folders.folder = 'audit_day=' || days.audit_day
        order by 1
    {%- endset -%}
    {%- set carried = [] -%}
    {%- set written = [] -%}
    {%- for row in run_query(decisions_sql).rows -%}
        {%- do (carried if row[1] else written).append(row[0][4:]) -%}
    {%- endfor -%}

    {%- if written -%}
        {#- the days to write, as a condition the engine applies while it reads room assignment -#}
        {%- set written_dates = written | reject('equalto', 'rejected') | list -%}
        {%- set conditions = [] -%}
        {%- if written_dates -%}
            {%- do conditions.append("billing_date in (date '" ~ written_dates | join("', date '")
                ~ "')") -%}
        {%- endif -%}
        {%- if 'rejected' in written -%}
            {%- do conditions.append('billing_date is null') -%}
        {%- endif -%}
        {#- the order of the rows in the files does not matter, and leaving it free is faster -#}
        {%- do run_query("set preserve_insertion_order = false") -%}
        {%- do run_query("copy (select " ~ select_list
            ~ ", coalesce(strftime(billing_date, '%Y-%m-%d'), 'rejected') as audit_day from "
            ~ relation ~ (" where " ~ conditions | join(' or ') if carried else "") ~ ") to '"
            ~ folder ~ "' (" ~ published_parquet_options() ~ ", partition_by (audit_day))") -%}
        {%- do run_query("reset preserve_insertion_order") -%}
    {%- endif -%}
    {%- for day in carried -%}
        {%- do run_query("select kakao_publish_link('" ~ previous ~ "/audit_day=" ~ day ~ "', '"
            ~ folder ~ "/audit_day=" ~ day ~ "')") -%}
    {%- endfor -%}

    {%- if reusable -%}
        {%- do run_query("copy (select audit_day, fingerprint, '" ~ definition
            ~ "' as definition from kakao_audit_fingerprints) to '" ~ folder
            ~ "/_fingerprints.json' (format json)") -%}
    {%- endif -%}
    {%- do run_query("drop table kakao_audit_fingerprints") -%}
    {%- set written_text = (written | length ~ " day(s) written (" ~ written[:5] | join(', ')
        ~ (' and ' ~ (written | length - 5) ~ ' more' if written | length > 5 else '') ~ ")")
        if written else "no day written" -%}
    {{ log(relation.identifier ~ ": " ~ written_text ~ ", " ~ carried | length
        ~ " carried over unchanged from the version before", info=True) }}
    {{ return(true) }}
{%- endmacro %}
