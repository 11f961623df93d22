{#-
    The key of a charge: one room on one billing day. int_room_charges__priced names each charge
    with it, and the audit names the charge a billed event falls on with the same expression, so
    the audit does not wait for the charges to be computed (every billed event's room and day is
    charged under both policies; test billed_events_fall_on_charges checks it).
-#}
{% macro charge_key(room_id, billing_date) -%}
    {{ surrogate_key([room_id, billing_date]) }}
{%- endmacro %}
