{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        full_refresh=false,
    )
}}

-- Changes to closed months, one row per (channel, usage month) and build that found one: what
-- the charges say now minus the frozen figures in fct_monthly_fees and the adjustments already
-- recorded. Append-only (kept through --full-refresh), so for every channel and month:
-- closed figures + sum of adjustments = fct_room_charges. `caused_by_event_ids` lists the
-- events whose billing day falls in that month and that a build first saw after the month's
-- figures were last recorded (at its close or by its last adjustment): the late events; an
-- adjustment without any (`reason` = recomputed) comes from a changed rule, price or var.
-- Both come from recorded rows only, so a build interrupted before or while writing this
-- table is followed by one that records the same adjustment.

{%- set closed_through = months_frozen_through() %}
{%- set run_at = run_started_at.strftime("%Y-%m-%d %H:%M:%S") %}

with

computed as (

    select * from {{ ref('int_monthly_fees__computed') }}
    where usage_month <= cast('{{ closed_through }}' as date)

),

closed_fees as (

    select * from {{ ref('fct_monthly_fees') }}
    where is_closed

),

recorded as (

    {% if is_incremental() %}
    -- bigint, as on a first build (a sum would widen them to a 128-bit integer on DuckDB)
    select
        channel_id,
        usage_month,
        cast(sum(room_charges_delta) as {{ dbt.type_bigint() }}) as room_charges_delta,
        cast(sum(opened_charges_delta) as {{ dbt.type_bigint() }}) as opened_charges_delta,
        cast(sum(rollover_charges_delta) as {{ dbt.type_bigint() }}) as rollover_charges_delta,
        cast(sum(fee_krw_delta) as {{ dbt.type_bigint() }}) as fee_krw_delta,
        cast(sum(vat_krw_delta) as {{ dbt.type_bigint() }}) as vat_krw_delta

    from {{ this }}
    group by channel_id, usage_month
    {% else %}
    -- first build: nothing recorded yet
    select
        channel_id,
        usage_month,
        0 as room_charges_delta,
        0 as opened_charges_delta,
        0 as rollover_charges_delta,
        0 as fee_krw_delta,
        0 as vat_krw_delta

    from closed_fees
    where false
    {% endif %}

),

recorded_at as (

    -- when each closed month's figures were last recorded: at its close, or by its latest
    -- adjustment
    select
        channel_id,
        usage_month,
        max(recorded_at) as recorded_at

    from (
        select
            channel_id,
            usage_month,
            closed_at as recorded_at
        from closed_fees
        {%- if is_incremental() %}

        union all

        select
            channel_id,
            usage_month,
            detected_at as recorded_at
        from {{ this }}
        {%- endif %}
    ) as recordings
    group by channel_id, usage_month

),

keys as (

    select
        channel_id,
        usage_month

    from computed

    union

    select
        channel_id,
        usage_month

    from closed_fees

    union

    select
        channel_id,
        usage_month

    from recorded

),

deltas as (

    select
        keys.channel_id,
        keys.usage_month,
        coalesce(computed.room_charges, 0) - coalesce(closed_fees.room_charges, 0)
        - coalesce(recorded.room_charges_delta, 0) as room_charges_delta,
        coalesce(computed.opened_charges, 0) - coalesce(closed_fees.opened_charges, 0)
        - coalesce(recorded.opened_charges_delta, 0) as opened_charges_delta,
        coalesce(computed.rollover_charges, 0) - coalesce(closed_fees.rollover_charges, 0)
        - coalesce(recorded.rollover_charges_delta, 0) as rollover_charges_delta,
        coalesce(computed.fee_krw, 0) - coalesce(closed_fees.fee_krw, 0)
        - coalesce(recorded.fee_krw_delta, 0) as fee_krw_delta,
        coalesce(computed.vat_krw, 0) - coalesce(closed_fees.vat_krw, 0)
        - coalesce(recorded.vat_krw_delta, 0) as vat_krw_delta

    from keys
    left join computed
        on keys.channel_id = computed.channel_id and keys.usage_month = computed.usage_month
    left join closed_fees
        on keys.channel_id = closed_fees.channel_id and keys.usage_month = closed_fees.usage_month
    left join recorded
        on keys.channel_id = recorded.channel_id and keys.usage_month = recorded.usage_month
    where keys.usage_month <= cast('{{ closed_through }}' as date)

),

changes as (

    -- the closed months whose charges differ from what is recorded for them
    select * from deltas
    where
        room_charges_delta != 0
        or opened_charges_delta != 0
        or rollover_charges_delta != 0
        or fee_krw_delta != 0
        or vat_krw_delta != 0

),

changed_months as (

    -- when the figures of the months this build adjusts were last recorded
    select
        changes.channel_id,
        changes.usage_month,
        coalesce(
            recorded_at.recorded_at, cast('1900-01-01' as {{ dbt.type_timestamp() }})
        ) as recorded_at

    from changes
    left join recorded_at
        on
            changes.channel_id = recorded_at.channel_id
            and changes.usage_month = recorded_at.usage_month

),

late_events as (

    -- the events of those months first seen after their figures were last recorded (the
    -- first filter, on the earliest of those times, keeps the join to the few recent rows);
    -- not an event delivered again unchanged: which of its identical copies is kept is a tie
    -- (D6), and whichever it is, the event was known when the figures were recorded
    select
        changed_months.channel_id,
        changed_months.usage_month,
        seen.event_id

    from {{ ref('int_chat_events__first_seen') }} as seen
    inner join {{ ref('int_chat_events__assigned_to_rooms') }} as placed
        on seen.raw_row_id = placed.raw_row_id
    inner join changed_months
        on
            placed.channel_id = changed_months.channel_id
            and cast({{ dbt.date_trunc('month', 'placed.billing_date') }} as date)
            = changed_months.usage_month
    where
        seen.first_seen_at > (select min(earliest.recorded_at) from changed_months as earliest)
        and seen.first_seen_at > changed_months.recorded_at
        and not exists (
            select 1
            from {{ ref('int_chat_events__first_seen') }} as earlier
            inner join {{ ref('int_chat_events__validated') }} as copied
                on earlier.raw_row_id = copied.raw_row_id
            where
                earlier.event_id = seen.event_id
                and earlier.first_seen_at <= changed_months.recorded_at
                and not copied.event_id_conflict
        )

),

distinct_late_events as (

    select distinct
        channel_id,
        usage_month,
        event_id

    from late_events

),

late_event_lists as (

    select
        channel_id,
        usage_month,
        count(*) as caused_by_event_count,
        {{ sorted_string_agg('event_id') }} as caused_by_event_ids

    from distinct_late_events
    group by channel_id, usage_month

),

final as (

    select
        {{ surrogate_key(["changes.channel_id", "changes.usage_month", "'" ~ run_at ~ "'"]) }}
            as adjustment_id,
        changes.channel_id,
        changes.usage_month,
        changes.room_charges_delta,
        changes.opened_charges_delta,
        changes.rollover_charges_delta,
        changes.fee_krw_delta,
        changes.vat_krw_delta,
        changes.fee_krw_delta + changes.vat_krw_delta as total_krw_delta,
        {{ build_started_at() }} as detected_at,
        case
            when late_event_lists.caused_by_event_count > 0 then 'late_events'
            else 'recomputed'
        end as reason,
        coalesce(late_event_lists.caused_by_event_count, 0) as caused_by_event_count,
        late_event_lists.caused_by_event_ids

    from changes
    left join late_event_lists
        on
            changes.channel_id = late_event_lists.channel_id
            and changes.usage_month = late_event_lists.usage_month

)

select * from final
