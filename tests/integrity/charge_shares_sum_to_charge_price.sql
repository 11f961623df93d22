-- Every charge is allocated exactly once: its shares sum to its price, no two shares of it
-- differ by more than 1 KRW (an even split in whole KRW), and only a consultant share is ever
-- split (DECISIONLOG D22). Returns the charges that break this.

with

charges as (

    select * from {{ ref('fct_room_charges') }}

),

shares as (

    select
        charge_id,
        count(*) as share_rows,
        count(case when allocation_target != 'consultant' then 1 end) as remainder_rows,
        sum(allocated_krw) as allocated_krw,
        max(allocated_krw) - min(allocated_krw) as share_spread_krw

    from {{ ref('fct_charge_allocations') }}
    group by charge_id

),

compared as (

    select
        charges.charge_id,
        charges.unit_price_krw,
        shares.share_rows,
        shares.remainder_rows,
        shares.allocated_krw,
        shares.share_spread_krw

    from charges
    left join shares
        on charges.charge_id = shares.charge_id

)

select * from compared
where
    allocated_krw is null
    or allocated_krw != unit_price_krw
    or share_spread_krw > 1
    or (remainder_rows > 0 and share_rows > 1)
