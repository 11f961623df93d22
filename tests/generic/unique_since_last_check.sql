{#- The column is unique, with `null_column` among the rows where it is null (e.g. the
    accepted events): the values held more than once. In a build that follows a checked one
    (last_checked_build_started_at, DECISIONLOG D45), only the values of the rows written
    (`written_at`) since it, wherever else in the table they are repeated. -#}
{% test unique_since_last_check(model, column_name, written_at, null_column=none) %}

{%- set checked_until = last_checked_build_started_at() %}
{%- set among = (null_column ~ ' is null') if null_column else 'true' %}

select
    {{ column_name }},
    count(*) as occurrences

from {{ model }}
where
    {{ column_name }} is not null
    and {{ among }}
    {%- if checked_until %}
    and {{ column_name }} in (
        select {{ column_name }} from {{ model }}
        where {{ written_at }} > {{ checked_until }} and {{ among }}
    )
    {%- endif %}
group by {{ column_name }}
having count(*) > 1

{% endtest %}
