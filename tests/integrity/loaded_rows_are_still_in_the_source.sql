-- Incremental builds assume the source only grows: files are added, never edited or removed;
-- a table (var chat_events_relation) gets rows, never loses them. Validation loads again a file
-- whose size or modification time changed (DECISIONLOG D18), and keeps every raw row it ever
-- loaded; staging is the source as it is now. Returns, per file, the rows an earlier build
-- loaded that the file no longer has (a file rewritten or truncated); for a table, per load
-- time, the rows deleted from it and the rows added to it with a load time an earlier build had
-- already read past (which the high-water mark does not read), with the first missing event id.
-- Rebuild from the source as it is with `dbt build --full-refresh`; closed months stay closed
-- and differences become adjustments.
-- (A file that is gone altogether stops the build in validation, with the same advice.)

-- depends_on: {{ source('kakao', 'chat_event_files') }}
{#- On DuckDB staging is a view that parses the files when read: of a source of files, only the
    files that can have lost rows are counted (D18). A file read again takes its new signature
    on the rows it still has, so those are the files with rows of an older signature than the
    file's, or none of its signature of now (emptied); a file unchanged since it was read is as
    it was. Spark's staging table, rebuilt on every run, is compared whole: a file deleted or
    renamed shows there too. -#}
{%- set only_changed_files = '' %}
{%- if not chat_events_relation() and staging_config().materialized == 'view' %}
{%- set validated = load_relation(ref('int_chat_events__validated')) if execute else none %}
{%- set changed_files = [] if validated is none else run_query(
    "select loaded.source_file from (select distinct source_file, source_file_signature from "
    ~ validated ~ ") as loaded left join " ~ source('kakao', 'chat_event_files') ~ " as files "
    ~ "on loaded.source_file = files.source_file group by loaded.source_file "
    ~ "having count(*) > 1 or count(case when loaded.source_file_signature "
    ~ "= files.source_file_signature then 1 end) = 0 order by 1"
).columns[0].values() %}
{%- set only_changed_files = 'where source_file in ('
    ~ (sql_string_list(changed_files) if changed_files else 'null') ~ ')' %}
{%- endif %}

with

staged_files as (

    select
        source_file,
        count(*) as staged_rows

    from {{ ref('stg_kakao__chat_events') }}
    {{ only_changed_files }}
    group by source_file

),

validated_files as (

    select
        source_file,
        count(*) as validated_rows

    from {{ ref('int_chat_events__validated') }}
    {{ only_changed_files }}
    group by source_file

),

{% if chat_events_relation() %}

validated_loads as (

    -- the load times validation holds, and the rows it loaded of each
    select
        source_loaded_at,
        count(*) as validated_rows

    from {{ ref('int_chat_events__validated') }}
    where source_loaded_at is not null
    group by source_loaded_at

),

source_loads as (

    -- the table's rows as it is now, up to the newest load time validation loaded
    select
        source_loaded_at,
        count(*) as source_rows

    from {{ source('kakao', 'chat_events') }}
    where source_loaded_at <= (select max(validated_loads.source_loaded_at) from validated_loads)
    group by source_loaded_at

),

changed_loads as (

    select
        coalesce(
            validated_loads.source_loaded_at, source_loads.source_loaded_at
        ) as source_loaded_at,
        coalesce(validated_loads.validated_rows, 0) as validated_rows,
        coalesce(source_loads.source_rows, 0) as source_rows

    from validated_loads
    full outer join source_loads
        on validated_loads.source_loaded_at = source_loads.source_loaded_at
    where coalesce(validated_loads.validated_rows, 0) != coalesce(source_loads.source_rows, 0)

),

first_missing as (

    -- of the rows validation holds of those load times, the first event id the table no longer
    -- has
    select
        validated.source_loaded_at,
        min(validated.event_id) as first_missing_event_id

    from {{ ref('int_chat_events__validated') }} as validated
    inner join changed_loads
        on validated.source_loaded_at = changed_loads.source_loaded_at
    where not exists (
        select 1
        from {{ source('kakao', 'chat_events') }} as still_there
        where
            still_there.source_loaded_at = validated.source_loaded_at
            and {{ trim_whitespace('still_there.event_id') }} = validated.event_id
    )
    group by validated.source_loaded_at

),

{% endif %}

shrunk_files as (

    select
        validated_files.source_file,
        validated_files.validated_rows - coalesce(staged_files.staged_rows, 0) as rows_no_longer_in_source,
        0 as rows_not_read,
        cast(null as {{ dbt.type_string() }}) as first_missing_event_id

    from validated_files
    left join staged_files
        on validated_files.source_file = staged_files.source_file
    where validated_files.validated_rows > coalesce(staged_files.staged_rows, 0)

)

select * from shrunk_files
{%- if chat_events_relation() %}

union all

select
    '{{ chat_events_relation() | replace("'", "''") }}, loaded '
    || cast(changed_loads.source_loaded_at as {{ dbt.type_string() }}) as source_file,
    case
        when changed_loads.validated_rows > changed_loads.source_rows
            then changed_loads.validated_rows - changed_loads.source_rows
        else 0
    end as rows_no_longer_in_source,
    case
        when changed_loads.source_rows > changed_loads.validated_rows
            then changed_loads.source_rows - changed_loads.validated_rows
        else 0
    end as rows_not_read,
    first_missing.first_missing_event_id

from changed_loads
left join first_missing
    on changed_loads.source_loaded_at = first_missing.source_loaded_at
{%- endif %}
