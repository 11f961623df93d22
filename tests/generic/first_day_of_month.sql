{#- Every non-null date in the column is the first day of its month (a month key). -#}
{% test first_day_of_month(model, column_name) %}

select {{ column_name }}

from {{ model }}
where extract(day from {{ column_name }}) != 1

{% endtest %}
