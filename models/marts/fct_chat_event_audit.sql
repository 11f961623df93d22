{#- a table when customer ids are pseudonymised: the keyed hash needs the key, which a reader
    of the view would not have. On Spark without its columns' comments: a view's go to the Hive
    metastore, which holds 256 characters of a column's comment; a longer one fails there, and
    the metastore retries it for about 20 s on every build (Spark's tables carry none either) -#}
{{ config(
    materialized='table' if kakao_flag('pseudonymize_customer_ids') else 'view',
    persist_docs={'relation': true, 'columns': target.type != 'spark'},
) }}

-- Every raw chat-event row exactly once, with what became of it (DECISIONLOG D14):
--   billed   / room_activity            a room_opened or message inside a room (on a charged day);
--   billed   / opened_by_customer_message  a customer message that opened a room (D32);
--   unbilled / room_end_event           a room_left or room_closed that ended its room;
--   unbilled / room_status_event        a room_updated in a room (D35);
--   unbilled / outside_room             accepted, but no room was open;
--   unbilled / outside_room_anomaly     a consultant or system message while no room was open,
--                                       which the platform would not have delivered (D32);
--   rejected / <reason>         not accepted (missing field, bad value, duplicate event_id).
-- A view (D43): each raw row is stored once in int_chat_events__validated and placed in
-- int_chat_events__assigned_to_rooms; the dispositions are computed from the two when read, so
-- a build writes no third copy of the raw rows and the audit can never lag behind them. With
-- var pseudonymize_customer_ids it is a table rebuilt by each build instead.

with

raw_rows as (

    select * from {{ ref('int_chat_events__validated') }}

),

placed as (

    select * from {{ ref('int_chat_events__assigned_to_rooms') }}

),

final as (

    select
        raw_rows.raw_row_id,
        raw_rows.source_file,
        raw_rows.event_id,
        raw_rows.occurred_at_text,
        raw_rows.occurred_at,
        {{ to_local_time('raw_rows.occurred_at') }} as occurred_at_kst,
        placed.billing_date,
        raw_rows.channel_id,
        {{ customer_key('raw_rows.customer_id') }} as customer_id,
        raw_rows.event_type,
        raw_rows.sender_type,
        raw_rows.event_id_conflict,
        placed.room_id,
        -- the charge of the event's room and day, named as int_room_charges__priced names it
        case when placed.is_activity then {{ charge_key('placed.room_id', 'placed.billing_date') }} end as charge_id,
        case
            when raw_rows.rejection_reason is not null then 'rejected'
            when placed.is_activity then 'billed'
            else 'unbilled'
        end as disposition,
        case
            when raw_rows.rejection_reason is not null then raw_rows.rejection_reason
            when
                placed.is_activity and placed.opens_room and placed.event_type = 'message'
                and placed.sender_type = 'customer'
                then 'opened_by_customer_message'
            when placed.is_activity then 'room_activity'
            when placed.is_in_room and placed.event_type = 'room_updated' then 'room_status_event'
            when placed.is_in_room then 'room_end_event'
            when placed.event_type = 'message' and placed.sender_type in ('consultant', 'system')
                then 'outside_room_anomaly'
            else 'outside_room'
        end as disposition_reason,
        raw_rows.stream_bucket

    from raw_rows
    left join placed
        on raw_rows.raw_row_id = placed.raw_row_id

)

select * from final
