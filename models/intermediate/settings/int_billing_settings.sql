-- The billing vars the warehouse's stored rows were computed with (macro billing_settings,
-- DECISIONLOG D29), one row each. Built after the stateful marts, so it records new values only
-- once every model upstream of them has been rebuilt under those values; the on-run-start check
-- (check_billing_settings) compares the next build's vars with these rows.
-- depends_on: {{ ref('fct_chat_event_audit') }}
-- depends_on: {{ ref('fct_chat_rooms') }}
-- depends_on: {{ ref('fct_room_charges') }}
-- depends_on: {{ ref('fct_charge_allocations') }}
-- depends_on: {{ ref('fct_avoidable_charges') }}
-- depends_on: {{ ref('fct_monthly_fees') }}
-- depends_on: {{ ref('fct_fee_adjustments') }}

{%- for name, value in billing_settings() %}

select
    '{{ name }}' as setting_name,
    '{{ value | replace("'", "''") }}' as setting_value
{% if not loop.last %}
union all
{% endif %}
{%- endfor %}
