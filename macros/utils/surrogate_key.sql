{#-
    A stable text key from several columns: MD5 over the values joined by a separator, with
    nulls spelled out so that (null, 'a') and ('a', null) differ.
-#}
{% macro surrogate_key(columns) -%}
    {%- set parts = [] -%}
    {%- for column in columns -%}
        {%- do parts.append(
            "coalesce(cast(" ~ column ~ " as " ~ dbt.type_string() ~ "), '_null_')"
        ) -%}
    {%- endfor -%}
    {{ dbt.hash(parts | join(" || '-' || ")) }}
{%- endmacro %}
