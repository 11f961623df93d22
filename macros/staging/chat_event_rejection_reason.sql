{#-
    The first field-level reason to reject a chat event, in the order of DECISIONLOG D5; null
    for a row that passes every check (it may still be a duplicate). `row` is the alias of a
    relation with the normalised columns event_id, channel_id, customer_id, event_type,
    occurred_at_text, occurred_at, sender_type and end_reason.

    Plausible occurred_at: on or after var `occurred_at_min` (a date in billing_time_zone) and
    no later than the run's start plus var `occurred_at_max_future_days` days. Staging checks a
    row when it loads it; int_chat_events__validated re-checks rows rejected as in the future
    on every build, because the run's clock moves.
-#}
{% macro chat_event_rejection_reason(row) -%}
    {%- set earliest = kakao_var('occurred_at_min') -%}
    {%- set future_days = kakao_var('occurred_at_max_future_days') | int -%}
    case
        when {{ row }}.event_id is null then 'missing_event_id'
        when {{ row }}.channel_id is null then 'missing_channel_id'
        when {{ row }}.customer_id is null then 'missing_customer_id'
        when {{ row }}.event_type is null then 'missing_event_type'
        when {{ row }}.event_type not in (
            'room_opened', 'message', 'room_left', 'room_closed', 'room_updated'
        )
            then 'unknown_event_type'
        when {{ row }}.occurred_at_text is null then 'missing_occurred_at'
        when {{ row }}.occurred_at is null then 'unparseable_occurred_at'
        when {{ row }}.occurred_at < {{ parse_event_timestamp("'" ~ earliest ~ "T00:00:00'") }}
            then 'occurred_at_too_early'
        when {{ row }}.occurred_at > {{ dbt.dateadd(
            'day',
            future_days,
            parse_event_timestamp("'" ~ run_started_at.strftime('%Y-%m-%dT%H:%M:%SZ') ~ "'")
        ) }}
            then 'occurred_at_in_future'
        when {{ row }}.sender_type not in ('customer', 'consultant', 'system')
            then 'unknown_sender_type'
        when {{ row }}.end_reason is not null and not (
            ({{ row }}.event_type = 'room_left' and {{ row }}.end_reason in ({{ end_reasons('room_left') }}))
            or ({{ row }}.event_type = 'room_closed' and {{ row }}.end_reason in ({{ end_reasons('room_closed') }}))
        )
            then 'invalid_end_reason'
    end
{%- endmacro %}

{#- The values the optional column end_reason may take on each ending event type, quoted for an
    `in (...)` list (DECISIONLOG D33); the first is what the event means without one. -#}
{% macro end_reasons(event_type) -%}
    {%- set reasons = {
        'room_left': ['customer_left', 'room_deleted', 'channel_blocked'],
        'room_closed': ['closed', 'consultant_ended', 'consultant_blocked', 'manager_ended'],
    }[event_type] -%}
    {{- "'" ~ reasons | join("', '") ~ "'" -}}
{%- endmacro %}
