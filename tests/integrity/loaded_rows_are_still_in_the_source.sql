-- Incremental builds assume the source only grows: files are added, never edited or removed.
-- Staging reloads a file whose size or modification time changed (DECISIONLOG D18); validation
-- keeps every raw row it ever loaded. Returns, per file, the rows an earlier build loaded that
-- the file no longer has (a file rewritten or truncated). Rebuild from the current files with
-- `dbt build --full-refresh`; closed months stay closed and differences become adjustments.
-- (A file that is gone altogether stops the build in staging, with the same advice.)

with

staged_files as (

    select
        source_file,
        count(*) as staged_rows

    from {{ ref('stg_kakao__chat_events') }}
    group by source_file

),

validated_files as (

    select
        source_file,
        count(*) as validated_rows

    from {{ ref('int_chat_events__validated') }}
    group by source_file

)

select
    validated_files.source_file,
    validated_files.validated_rows - coalesce(staged_files.staged_rows, 0) as rows_no_longer_in_source

from validated_files
left join staged_files
    on validated_files.source_file = staged_files.source_file
where validated_files.validated_rows > coalesce(staged_files.staged_rows, 0)
