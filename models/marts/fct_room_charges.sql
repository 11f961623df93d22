{{
    config(
        materialized='incremental',
        pre_hook="{{ delete_mart_rooms_to_recompute() }}",
        **stream_incremental_config()
    )
}}

-- depends_on: {{ ref('int_chat_rooms__streams_to_recompute') }}
-- depends_on: {{ ref('int_chat_events__streams_to_recompute') }}
-- depends_on: {{ ref('int_chat_rooms__lifecycle') }}
-- depends_on: {{ ref('stg_build_log__builds') }}
-- One row per chat-room charge (a room on one billing day), priced; customer ids pseudonymised
-- when var `pseudonymize_customer_ids` is on.

with

charges as (

    select * from {{ ref('int_room_charges__priced') }}
    where {{ in_rooms_to_recompute() }}

),

final as (

    select
        charge_id,
        room_id,
        channel_id,
        {{ customer_key('customer_id') }} as customer_id,
        billing_date,
        usage_month,
        charge_reason,
        unit_price_krw,
        active_consultant_ids,
        consultant_message_count,
        stream_bucket

    from charges

)

select * from final
