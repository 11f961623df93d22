{#- The column is unique among the rows where `null_column` is null (e.g. accepted events). -#}
{% test unique_where_null(model, column_name, null_column) %}

select
    {{ column_name }},
    count(*) as occurrences

from {{ model }}
where {{ null_column }} is null
group by {{ column_name }}
having count(*) > 1

{% endtest %}
