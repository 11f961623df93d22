{#-
    Use a model's custom schema exactly as configured (`marts`, not `main_marts`), so the
    tables land where the documentation says they are. Models without one use the target's.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
