{#-
    Rejected input rows that may lower a bill (DECISIONLOG D39): one row per reason, with the
    number of raw rows as the test's failure count. A warning by default, so that `dbt build`
    reports WARN and a scheduler sees it; var fail_on_rejected_rows: true makes it an error. The
    build's last lines name the counts by reason, the first files and example event ids
    (macro rejected_rows_summary).
-#}
{{ config(
    severity='error' if kakao_flag('fail_on_rejected_rows') else 'warn',
    fail_calc='coalesce(sum(rejected_rows), 0)',
) }}

select
    rejection_reason,
    sum(rejected_rows) as rejected_rows,
    min(first_source_file) as first_source_file

from {{ ref('rpt_rejected_rows') }}
group by rejection_reason
