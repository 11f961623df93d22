{{ config(severity=('error' if target.type == 'spark' else 'warn')) }}

-- The source has at least one row. On DuckDB an empty file is a valid (if quiet) day, so this
-- only warns. On Spark an empty source usually means files Spark cannot see (a table over
-- partition folders that were never registered reads zero rows without an error), so the build
-- stops.

select count(*) as source_rows

from {{ source('kakao', 'chat_events') }}
having count(*) = 0
