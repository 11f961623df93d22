{#- Every value of the column is a value of `field` in `to`: the rows without one. In a build
    that follows a checked one (last_checked_build_started_at, DECISIONLOG D45), only the rows
    written (`written_at`) since it. -#}
{% test relationships_since_last_check(model, column_name, to, field, written_at) %}

{%- set checked_until = last_checked_build_started_at() %}

select
    child.{{ column_name }}

from {{ model }} as child
where
    child.{{ column_name }} is not null
    {%- if checked_until %}
    and child.{{ written_at }} > {{ checked_until }}
    {%- endif %}
    and not exists (
        select 1
        from {{ to }} as parent
        where parent.{{ field }} = child.{{ column_name }}
    )

{% endtest %}
