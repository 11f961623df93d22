-- Every room costs at least its opening-day charge (source rule 1: a new chat room = 1 charge),
-- and exactly one `room_opened` charge, on the billing day it was opened.

with

rooms as (

    select * from {{ ref('fct_chat_rooms') }}

),

opening_charges as (

    select
        room_id,
        count(*) as opening_charge_count,
        min(billing_date) as opening_charge_date

    from {{ ref('fct_room_charges') }}
    where charge_reason = 'room_opened'
    group by room_id

)

select
    rooms.room_id,
    rooms.opened_billing_date,
    opening_charges.opening_charge_count,
    opening_charges.opening_charge_date

from rooms
left join opening_charges
    on rooms.room_id = opening_charges.room_id
where
    opening_charges.room_id is null
    or opening_charges.opening_charge_count != 1
    or opening_charges.opening_charge_date != rooms.opened_billing_date
