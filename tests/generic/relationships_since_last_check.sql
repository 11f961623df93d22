{#- Every value of the column is a value of `field` in `to`: the rows without one. In a build
    that follows a checked one (last_checked_build_started_at, DECISIONLOG D45), only the rows
    written (`written_at`) since it. A left join, as dbt's relationships test: DuckDB runs it
    faster than `not exists`. -#}
{% test relationships_since_last_check(model, column_name, to, field, written_at) %}

{%- set checked_until = last_checked_build_started_at() %}

select
    child.{{ column_name }}

from {{ model }} as child
left join {{ to }} as parent
    on child.{{ column_name }} = parent.{{ field }}
where
    child.{{ column_name }} is not null
    and parent.{{ field }} is null
    {%- if checked_until %}
    and child.{{ written_at }} > {{ checked_until }}
    {%- endif %}

{% endtest %}
