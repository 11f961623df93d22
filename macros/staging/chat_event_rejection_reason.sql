{#-
    The first field-level reason to reject a chat event, in the order of DECISIONLOG D5; null
    for a row that passes every check (it may still be a duplicate). `row` is the alias of a
    relation with the normalised columns event_id, channel_id, customer_id, event_type,
    occurred_at_text, occurred_at and sender_type.

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
        when {{ row }}.event_type not in ('room_opened', 'message', 'room_left', 'room_closed')
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
    end
{%- endmacro %}
