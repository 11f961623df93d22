{#-
    The relation one of this project's models is built as (database, schema and alias from the
    graph), for the hooks that look a model up rather than ref() it. The schema is whatever dbt
    gave the model when it parsed the project: `marts`, `staging`... by this project's
    generate_schema_name, in its own build and, when it is installed as a package, in the
    project that installed it; or a name set there (models: kakao_consult_billing: marts:
    +schema: ...). So no hook spells a schema name of its own (docs/package.md).
-#}
{% macro kakao_model_relation(name) -%}
    {%- set node = graph.nodes.get('model.kakao_consult_billing.' ~ name) -%}
    {%- if node is none -%}
        {{ exceptions.raise_compiler_error(
            "kakao_model_relation: no model '" ~ name ~ "' in package kakao_consult_billing"
        ) }}
    {%- endif -%}
    {{ return(api.Relation.create(
        database=node.database, schema=node.schema, identifier=node.alias)) }}
{%- endmacro %}
