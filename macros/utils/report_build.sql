{#-
    On-run-end, after a `dbt build` or `dbt run`: what the build did with the raw rows, in the
    terminal, so that a rejected row (a misspelt event_type can lower a fee) is seen without
    querying the audit; and, when the data test loaded_rows_are_still_in_the_source failed, the
    files it found and the command that rebuilds from them (a test that failed, not one whose
    query errored: that query is run again here); and, when a check between the layers failed
    (tests/integrity, relationships), what that means and the command that fixes it. Only
    logs; returns no SQL.
-#}
{% macro report_build(results) -%}
    {%- if not execute or flags.WHICH not in ['build', 'run'] -%}
        {{ return('') }}
    {%- endif -%}
    {%- set failed_checks = [] -%}
    {%- for result in results -%}
        {%- if result.node.name == 'int_chat_events__validated' and result.status == 'success' -%}
            {%- do log(raw_rows_validated_by_this_build(result.node), info=True) -%}
        {%- elif result.node.name == 'int_chat_events__assigned_to_rooms'
            and result.status == 'success' -%}
            {%- set anomalies = messages_outside_rooms(result.node) -%}
            {%- if anomalies -%}{%- do log(anomalies, info=True) -%}{%- endif -%}
        {%- elif result.node.name == 'fct_monthly_fees' and result.status == 'success' -%}
            {%- set closed = months_closed_by_this_build(result.node) -%}
            {%- if closed -%}{%- do log(closed, info=True) -%}{%- endif -%}
        {%- elif result.node.name == 'rejected_input_rows' and result.status in ['warn', 'fail'] -%}
            {%- do log(rejected_rows_summary(), info=True) -%}
        {%- elif result.node.name == 'loaded_rows_are_still_in_the_source'
            and result.status == 'fail' -%}
            {%- do log(loaded_rows_no_longer_in_source(result.node), info=True) -%}
        {%- elif result.node.resource_type == 'test' and result.status in ['fail', 'error']
            and (result.node.original_file_path.startswith('tests/integrity/')
                 or (result.node.test_metadata and result.node.test_metadata.name
                     in ['relationships', 'relationships_since_last_check'])) -%}
            {%- do failed_checks.append(result.node.name ~ (' (' ~ result.node.description | trim
                ~ ')' if result.node.description else '')) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if failed_checks -%}
        {%- do log(layers_do_not_balance(failed_checks, models_not_completed(results)), info=True) -%}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}

{#- what a failed check between the layers means, and the one command that fixes it -#}
{% macro layers_do_not_balance(failed_checks, not_completed) -%}
    {%- set named = failed_checks | length ~ ' check(s) between the layers failed: '
        ~ failed_checks[:3] | join('; ') ~ (' ...' if failed_checks | length > 3 else '') -%}
    {%- if not_completed -%}
        {{ return(named ~ '. This build did not run every model (' ~ not_completed[:3] | join(', ')
            ~ '), so the layers disagree until a build of the whole project has finished its '
            ~ 'work: run `make build` (or `dbt build` without --select). Nothing is lost.') }}
    {%- endif -%}
    {{ return(named ~ '. No complete build should leave the marts so. Rebuild them from the files '
        ~ 'with `make build FULL_REFRESH=1` (or `dbt build --full-refresh`; closed months keep '
        ~ 'their figures, differences go to fct_fee_adjustments); if a check still fails, '
        ~ 'report it with this log.') }}
{%- endmacro %}

{#- "Raw rows validated by this build (new, or sharing an event_id with a new one): 1,105
    (1,082 accepted; 21 exact re-deliveries of an event, counted once; 2 rejected: 1
    unknown_event_type, ...[; 2 share an event_id with rows of other content,
    event_id_conflict]). ...", or that there were none. An exact re-delivery is rejected as
    duplicate_event_id in the audit but is not rejected input (rpt_rejected_rows, D39): it is
    counted apart, so that "rejected" here means what the warning means. Accepted messages
    without a sender_type are counted too: they open no room (D32), which may lower a fee, and
    no other line says so. A conflict (D6) is named
    because it means the feed sent one event_id for two different events. The rows that builds
    since the last complete one validated are this build's work too (docs/incremental.md): a
    build that finishes a killed one's counts them, so that their rejections are said once. -#}
{% macro raw_rows_validated_by_this_build(node) -%}
    {#- the last complete build before this one, as a literal (DuckDB then skips the row
        groups validated before it): last_complete_build_started_at() reads the staging view,
        and an on-run-end hook cannot ref() a model, so this reads the build log itself -#}
    {%- set since = run_query(
        "select cast(max(started_at) as " ~ dbt.type_string() ~ ") from " ~ build_log_relation()
        ~ " where is_complete and invocation_id <> '" ~ invocation_id ~ "'"
    ).columns[0].values()[0] or '1900-01-01' -%}
    {%- set counted = run_query(
        "select rejection_reason, count(*) as raw_rows,"
        ~ " sum(case when event_id_conflict then 1 else 0 end) as conflicting,"
        ~ " sum(case when validated_at < " ~ build_started_at() ~ " then 1 else 0 end)"
        ~ " as by_earlier_builds,"
        ~ " sum(case when event_type = 'message' and sender_type is null then 1 else 0 end)"
        ~ " as without_sender from " ~ node.relation_name ~ " where validated_at > cast('"
        ~ since ~ "' as " ~ dbt.type_timestamp() ~ ")"
        ~ " group by rejection_reason order by raw_rows desc, rejection_reason"
    ) -%}
    {%- set accepted = namespace(rows=0) -%}
    {%- set total = namespace(rows=0) -%}
    {%- set conflicting = namespace(rows=0) -%}
    {%- set earlier = namespace(rows=0) -%}
    {%- set redelivered = namespace(rows=0) -%}
    {%- set without_sender = namespace(rows=0) -%}
    {%- set rejected = [] -%}
    {%- for reason, raw_rows, conflicts, by_earlier_builds, messages_without_sender
        in counted.rows -%}
        {%- set total.rows = total.rows + raw_rows -%}
        {%- set conflicting.rows = conflicting.rows + (conflicts or 0) -%}
        {%- set earlier.rows = earlier.rows + (by_earlier_builds or 0) -%}
        {%- if reason is none -%}
            {%- set accepted.rows = raw_rows -%}
            {%- set without_sender.rows = messages_without_sender or 0 -%}
        {%- elif reason == 'duplicate_event_id' -%}
            {#- the copies that agree with the kept row in content: re-deliveries, no conflict -#}
            {%- set redelivered.rows = raw_rows - (conflicts or 0) -%}
            {%- if conflicts -%}
                {%- do rejected.append((conflicts | int, reason)) -%}
            {%- endif -%}
        {%- else -%}
            {%- do rejected.append((raw_rows | int, reason)) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set named = [] -%}
    {%- for raw_rows, reason in rejected | sort(attribute='0', reverse=true) -%}
        {%- do named.append('{:,}'.format(raw_rows) ~ ' ' ~ reason) -%}
    {%- endfor -%}
    {%- if total.rows == 0 -%}
        {{ return('Raw rows validated by this build: none (no new rows).') }}
    {%- endif -%}
    {{ return(
        'Raw rows validated '
        ~ ('since the last complete build' if earlier.rows else 'by this build')
        ~ ' (new, or sharing an event_id with a new one'
        ~ ('; ' ~ '{:,}'.format(earlier.rows | int) ~ ' of them by earlier builds that did not '
            ~ 'complete, whose work this one finishes' if earlier.rows else '') ~ '): '
        ~ '{:,}'.format(total.rows) ~ ' (' ~ '{:,}'.format(accepted.rows) ~ ' accepted; '
        ~ ('{:,}'.format(redelivered.rows | int) ~ ' exact re-deliver'
            ~ ('y' if redelivered.rows == 1 else 'ies') ~ ' of an event, counted once; '
            if redelivered.rows else '')
        ~ '{:,}'.format((total.rows - accepted.rows - redelivered.rows) | int) ~ ' rejected'
        ~ (': ' ~ named | join(', ') if named else '')
        ~ ('; ' ~ '{:,}'.format(conflicting.rows | int) ~ ' share an event_id with rows of other '
            ~ 'content, event_id_conflict' if conflicting.rows else '')
        ~ '). What became of each row: marts.fct_chat_event_audit.'
        ~ (' ' ~ '{:,}'.format(without_sender.rows | int) ~ ' accepted message(s) have no '
            ~ "sender_type: only a customer's message opens a room, so these open none, and the "
            ~ "fee may be lower than Kakao's. Fill sender_type in (customer, consultant or "
            ~ 'system) and build again.' if without_sender.rows else '')
    ) }}
{%- endmacro %}

{#- The consultant and system messages sent while no room was open (DECISIONLOG D32), in the
    whole audit: the platform delivers none, so each is a sign of a gap in the feed (a
    room_opened or customer message missing before it). '' when there are none. Counted on room
    assignment (`node`), where the audit's outside_room_anomaly rows are placed: the audit is a
    view joining every raw row with its placement (D43), a rejected row is never placed, and a
    placed row outside any room is no activity. -#}
{% macro messages_outside_rooms(node) -%}
    {%- set anomalies = run_query(
        "select count(*) from " ~ node.relation_name
        ~ " where not is_in_room and event_type = 'message'"
        ~ " and sender_type in ('consultant', 'system')"
    ).columns[0].values()[0] -%}
    {%- if not anomalies -%}
        {{ return('') }}
    {%- endif -%}
    {{ return(
        'Anomalies: ' ~ '{:,}'.format(anomalies | int) ~ ' consultant or system message(s) came '
        ~ 'while the customer had no room open (outside_room_anomaly in marts.fct_chat_event_audit). '
        ~ 'The platform delivers none: the feed probably lacks the room_opened or customer message '
        ~ 'before them. They are not billed.'
    ) }}
{%- endmacro %}

{#- "This build closed usage month(s) ...": said by the build that closes a month, so once per
    month (DECISIONLOG D15, D39); '' when it closed none. -#}
{% macro months_closed_by_this_build(node) -%}
    {%- set closed = run_query(
        "select substring(cast(usage_month as " ~ dbt.type_string() ~ "), 1, 7) as month,"
        ~ " count(*) from " ~ node.relation_name ~ " where closed_at = " ~ build_started_at()
        ~ " group by 1 order by 1"
    ).rows -%}
    {%- if not closed -%}
        {{ return('') }}
    {%- endif -%}
    {%- set months = [] -%}
    {%- for month, channels in closed -%}
        {%- do months.append(month ~ ' (' ~ channels ~ ' channel' ~ ('s' if channels != 1 else '')
            ~ ')') -%}
    {%- endfor -%}
    {{ return(
        'Closed by this build: usage month(s) ' ~ months | join(', ') ~ '. Their invoices are '
        ~ 'out, so their fees in marts.fct_monthly_fees are now frozen, through every later build '
        ~ 'and --full-refresh (DECISIONLOG D15); a later change to them is recorded in '
        ~ 'marts.fct_fee_adjustments. To try data without closing months, use make try.'
    ) }}
{%- endmacro %}

{#- The rows rpt_rejected_rows holds, by reason, with the first file and example event ids,
    and what to do (DECISIONLOG D39): the build's last word when rejected_input_rows warned. -#}
{% macro rejected_rows_summary() -%}
    {%- set relation = (graph.nodes.values() | selectattr('name', 'equalto', 'rpt_rejected_rows')
        | first).relation_name -%}
    {%- set counted = run_query(
        "select rejection_reason, sum(rejected_rows), min(first_source_file), "
        ~ sorted_string_agg('example_event_ids', "', '") ~ " from " ~ relation
        ~ " group by rejection_reason order by 2 desc, 1"
    ).rows -%}
    {%- set total = namespace(rows=0) -%}
    {%- set reasons = [] -%}
    {%- for reason, raw_rows, first_file, examples in counted -%}
        {%- set total.rows = total.rows + raw_rows -%}
        {%- set ids = (examples or '').split(', ') -%}
        {%- do reasons.append('{:,}'.format(raw_rows | int) ~ ' ' ~ reason ~ ' (first in '
            ~ first_file ~ ': ' ~ ids[:3] | join(', ') ~ (', ...' if ids | length > 3 else '')
            ~ ')') -%}
    {%- endfor -%}
    {{ return(
        'Rejected input: ' ~ '{:,}'.format(total.rows | int) ~ ' raw row(s) are not billed, and '
        ~ 'may lower a fee: ' ~ reasons[:5] | join('; ')
        ~ ('; and ' ~ (reasons | length - 5) ~ ' more reason(s)' if reasons | length > 5 else '')
        ~ '. Fix them in the file(s) and build again; by channel and month: '
        ~ 'marts.rpt_rejected_rows, each row: marts.fct_chat_event_audit (disposition = '
        ~ "'rejected'). Var fail_on_rejected_rows: true makes this an error."
    ) }}
{%- endmacro %}

{#- the files (or a table's load times) the failed data test found, and what to do -#}
{% macro loaded_rows_no_longer_in_source(node) -%}
    {%- set found = run_query(node.compiled_code).rows if node.compiled_code else [] -%}
    {%- set named = [] -%}
    {%- for source_file, missing_rows, rows_not_read, first_missing in found[:5] -%}
        {%- set counts = [] -%}
        {%- if missing_rows -%}
            {%- do counts.append('{:,}'.format(missing_rows)
                ~ (' row' if missing_rows == 1 else ' rows')
                ~ (' gone, first event id ' ~ first_missing if first_missing else '')) -%}
        {%- endif -%}
        {%- if rows_not_read -%}
            {%- do counts.append('{:,}'.format(rows_not_read) ~ ' row(s) added after a build had '
                ~ 'read that load time, not read') -%}
        {%- endif -%}
        {%- do named.append(source_file ~ ' (' ~ counts | join('; ') ~ ')') -%}
    {%- endfor -%}
    {%- set source = ("chat_events_relation '" ~ chat_events_relation() ~ "'"
        if chat_events_relation() else "chat_events_path") -%}
    {{ return(
        found | length ~ (' load time(s) of the chat event table changed after a build read '
            ~ 'them (rows deleted, or loaded with a load time already read)' if chat_events_relation()
            else ' chat event file(s) no longer hold rows that an earlier build loaded '
            ~ '(edited in place or truncated)')
        ~ (': ' ~ named | join(', ') if named else '')
        ~ (' ...' if found | length > 5 else '') ~ '. The '
        ~ ('table must only grow' if chat_events_relation() else 'files must only grow')
        ~ ' (DECISIONLOG D16). To rebuild from '
        ~ ('it' if chat_events_relation() else 'them') ~ ' as ' ~ ('it is' if chat_events_relation()
            else 'they are') ~ ' now: `make build FULL_REFRESH=1` (or '
        ~ '`dbt build --full-refresh`) with the same ' ~ source ~ '; closed months keep their '
        ~ 'fees and any difference is recorded in fct_fee_adjustments.'
    ) }}
{%- endmacro %}
