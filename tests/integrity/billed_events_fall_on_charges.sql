-- Conservation between events and charges: every billed event (an activity event placed in a
-- room, which fct_chat_event_audit shows as `billed` with charge_id = charge_key(room_id,
-- billing_date)) falls on a charge of fct_room_charges of its room and day, and that charge is
-- named by that key; and under the `activity` policy every charge has at least one billed event
-- (a charge with no activity would be a charge nobody caused). Returns the offending rows.
-- It reads room assignment, not the audit view: the key is checked on the charges' rows, so the
-- test hashes a row per charge, not one per event.

with

billed as (

    select
        raw_row_id,
        room_id,
        billing_date

    from {{ ref('int_chat_events__assigned_to_rooms') }}
    where is_activity

),

charges as (

    select
        charge_id,
        room_id,
        billing_date,
        charge_id = {{ charge_key('room_id', 'billing_date') }} as is_named_by_key

    from {{ ref('fct_room_charges') }}

),

billed_without_charge as (

    select
        'billed event without a charge' as problem,
        billed.raw_row_id as offending_id

    from billed
    left join charges
        on
            billed.room_id = charges.room_id
            and billed.billing_date = charges.billing_date
            and charges.is_named_by_key
    where charges.charge_id is null

),

charges_without_activity as (

    select
        'charge without a billed event' as problem,
        charges.charge_id as offending_id

    from charges
    where
        '{{ kakao_var("room_charge_policy") }}' = 'activity'
        and not exists (
            select 1
            from billed
            where billed.room_id = charges.room_id and billed.billing_date = charges.billing_date
        )

)

select * from billed_without_charge
union all
select * from charges_without_activity
