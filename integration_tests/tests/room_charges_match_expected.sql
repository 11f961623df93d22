-- The package's charges built here equal the hand-derived ones of its expected-output fixtures
-- (tests/fixtures/expected/room_charges_activity.csv, a seed here), row for row, compared as
-- text as tests/test_expected_fixtures.py compares them: a row is returned for every charge
-- missing or not expected.
with

built as (

    select
        charges.channel_id,
        charges.customer_id,
        rooms.opened_event_id,
        cast(charges.billing_date as varchar) as billing_date,
        cast(charges.usage_month as varchar) as usage_month,
        charges.charge_reason,
        cast(charges.unit_price_krw as varchar) as unit_price_krw,
        coalesce(charges.active_consultant_ids, '') as active_consultant_ids
    from {{ ref('kakao_consult_billing', 'fct_room_charges') }} as charges
    inner join {{ ref('kakao_consult_billing', 'fct_chat_rooms') }} as rooms
        on charges.room_id = rooms.room_id

),

expected as (

    select
        channel_id,
        customer_id,
        opened_event_id,
        billing_date,
        usage_month,
        charge_reason,
        unit_price_krw,
        coalesce(active_consultant_ids, '') as active_consultant_ids
    from {{ ref('room_charges_activity') }}

)

-- every row of one side that the other lacks, after the kind of difference
{{ rows_differing('built', 'expected') }}
