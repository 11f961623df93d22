-- The billing settings the marts' rooms, charges and fees were computed with (DECISIONLOG D29),
-- one row per var, so that a report can say what a billing day is and how rooms are charged
-- (the monthly statement reads billing_day_start_hour, billing_time_zone and
-- room_charge_policy from here) and an analyst can see under which rules the figures stand.
-- A build under other values than the warehouse's stops before writing anything (the build
-- log records each build's values), so this build's values are those of every row. The key
-- check value of pseudonymised ids is left out: it reveals nothing, but it is bookkeeping, not
-- a rule.

{%- for name, value in billing_settings() if name != 'pseudonym_key_check' %}

select
    '{{ name }}' as setting_name,
    '{{ value | replace("'", "''") }}' as setting_value
{% if not loop.last %}
union all
{% endif %}
{%- endfor %}
