-- The raw rows rejected for a reason that may lower a bill, per channel, usage month and reason
-- (DECISIONLOG D39): every rejected row of the audit except exact re-deliveries (a
-- duplicate_event_id whose rows agree in content, event_id_conflict false). Such a row is not
-- billed, so a month with any may be billed for less than Kakao charges. channel_id is null
-- when the row had none; usage_month is the billing month of its time, or, when the time did
-- not parse, the month its text starts with (2026/10/05 ... -> 2026-10), or null. A row
-- "may affect" a channel and month when both match or are null: rpt_invoice_reconciliation and
-- the statement count them so. The data test rejected_input_rows warns on any row here.

with

validated as (

    -- the audit's rejected rows are these (a rejected row is never placed in a room): read here
    -- without the audit's join of every row with its placement
    select * from {{ ref('int_chat_events__validated') }}

),

rejected as (

    select
        channel_id,
        rejection_reason,
        source_file,
        event_id,
        occurred_at,
        occurred_at_text

    from validated
    where
        rejection_reason is not null
        and not (rejection_reason = 'duplicate_event_id' and not event_id_conflict)

),

-- the year and month a text that did not parse starts with: 2026/10/05 ... -> 2026, 10
text_months as (

    select
        *,
        {% set year_month = "'^([0-9]{4})[^0-9]{1,3}([0-9]{1,2})'" -%}
        nullif(regexp_extract(occurred_at_text, {{ year_month }}, 1), '') as text_year,
        regexp_extract(occurred_at_text, {{ year_month }}, 2) as text_month

    from rejected

),

dated as (

    select
        *,
        case
            when occurred_at is not null
                then cast({{ dbt.date_trunc('month', billing_date('occurred_at')) }} as date)
            else try_cast(text_year || '-' || lpad(text_month, 2, '0') || '-01' as date)
        end as usage_month

    from text_months

),

numbered as (

    select
        *,
        row_number() over (
            partition by channel_id, usage_month, rejection_reason
            order by source_file, event_id
        ) as row_in_group

    from dated

),

final as (

    select
        channel_id,
        usage_month,
        rejection_reason,
        cast(count(*) as {{ dbt.type_bigint() }}) as rejected_rows,
        min(source_file) as first_source_file,
        {{ sorted_string_agg("case when row_in_group <= 3 then coalesce(event_id, '(no event_id)') end", "', '") }}
            as example_event_ids

    from numbered
    group by channel_id, usage_month, rejection_reason

)

select * from final
