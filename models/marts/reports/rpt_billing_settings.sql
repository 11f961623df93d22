-- The billing settings the marts' rooms, charges and fees were computed with (DECISIONLOG D29),
-- one row per var, so that a report can say what a billing day is and how rooms are charged
-- (the monthly statement reads billing_day_start_hour, billing_time_zone and
-- room_charge_policy from here) and an analyst can see under which rules the figures stand.
-- The key check value of pseudonymised ids stays in int_billing_settings: it reveals nothing,
-- but it is bookkeeping, not a rule.

with

recorded as (

    select * from {{ ref('int_billing_settings') }}

),

final as (

    select
        setting_name,
        setting_value

    from recorded
    where setting_name != 'pseudonym_key_check'

)

select * from final
