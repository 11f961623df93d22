-- Conservation between events and charges: every billed event names a charge of
-- fct_room_charges, and that charge is of the event's room and day; and under the `activity`
-- policy every charge has at least one billed event (a charge with no activity would be a
-- charge nobody caused). Returns the offending rows.

with

audit as (

    select * from {{ ref('fct_chat_event_audit') }}

),

charges as (

    select * from {{ ref('fct_room_charges') }}

),

billed_without_charge as (

    select
        'billed event without a charge' as problem,
        audit.raw_row_id as offending_id

    from audit
    left join charges
        on
            audit.charge_id = charges.charge_id
            and audit.room_id = charges.room_id
            and audit.billing_date = charges.billing_date
    where audit.disposition = 'billed' and charges.charge_id is null

),

charges_without_activity as (

    select
        'charge without a billed event' as problem,
        charges.charge_id as offending_id

    from charges
    left join audit
        on charges.charge_id = audit.charge_id
    where
        audit.charge_id is null
        and '{{ kakao_var("room_charge_policy") }}' = 'activity'

)

select * from billed_without_charge
union all
select * from charges_without_activity
