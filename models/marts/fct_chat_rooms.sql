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
-- One row per chat room: when and how it opened and ended (DECISIONLOG D8), what it carried,
-- and on how many billing days it was charged.

with

rooms as (

    select * from {{ ref('int_chat_rooms__lifecycle') }}
    where {{ in_rooms_to_recompute() }}

),

charges as (

    select * from {{ ref('int_room_charges__priced') }}
    where {{ in_rooms_to_recompute() }}

),

charges_per_room as (

    select
        room_id,
        count(*) as charged_days,
        cast(sum(unit_price_krw) as {{ dbt.type_bigint() }}) as fee_krw

    from charges
    group by room_id

),

final as (

    select
        rooms.room_id,
        rooms.channel_id,
        {{ customer_key('rooms.customer_id') }} as customer_id,
        rooms.opened_event_id,
        rooms.opened_at,
        {{ to_local_time('rooms.opened_at') }} as opened_at_kst,
        rooms.opened_billing_date,
        rooms.ended_at,
        {{ to_local_time('rooms.ended_at') }} as ended_at_kst,
        rooms.end_reason,
        rooms.entry_point,
        rooms.session_id,
        rooms.last_activity_at,
        {{ to_local_time('rooms.last_activity_at') }} as last_activity_at_kst,
        rooms.message_count,
        rooms.customer_message_count,
        rooms.consultant_message_count,
        rooms.system_message_count,
        coalesce(charges_per_room.charged_days, 0) as charged_days,
        coalesce(charges_per_room.fee_krw, 0) as fee_krw,
        rooms.stream_bucket

    from rooms
    left join charges_per_room
        on rooms.room_id = charges_per_room.room_id

)

select * from final
