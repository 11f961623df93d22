{{
    config(
        materialized='incremental',
        pre_hook="{{ delete_rooms_to_recompute() }}",
        **stream_incremental_config()
    )
}}

-- depends_on: {{ ref('int_chat_rooms__streams_to_recompute') }}
-- depends_on: {{ ref('int_chat_events__streams_to_recompute') }}
-- depends_on: {{ ref('int_chat_rooms__lifecycle') }}
-- depends_on: {{ ref('stg_build_log__builds') }}
-- One row per chat-room charge: a room on one billing day, priced with the rate card row in
-- force that day (latest effective_from on or before billing_date; DECISIONLOG D11) and
-- assigned to the usage month of its billing day (D12).

with

daily_charges as (

    select * from {{ ref('int_room_charges__daily') }}
    where {{ in_rooms_to_recompute() }}

),

rate_card as (

    select * from {{ ref('kakao_rate_card') }}

),

price_periods as (

    select
        effective_from,
        unit_price_krw,
        lead(effective_from) over (order by effective_from) as effective_until

    from rate_card

),

final as (

    select
        {{ charge_key('daily_charges.room_id', 'daily_charges.billing_date') }} as charge_id,
        daily_charges.room_id,
        daily_charges.stream_id,
        daily_charges.channel_id,
        daily_charges.customer_id,
        daily_charges.billing_date,
        cast({{ dbt.date_trunc('month', 'daily_charges.billing_date') }} as date) as usage_month,
        daily_charges.charge_reason,
        price_periods.unit_price_krw,
        daily_charges.active_consultant_ids,
        daily_charges.consultant_message_count,
        daily_charges.stream_bucket

    from daily_charges
    left join price_periods
        on
            daily_charges.billing_date >= price_periods.effective_from
            and (
                daily_charges.billing_date < price_periods.effective_until
                or price_periods.effective_until is null
            )

)

select * from final
