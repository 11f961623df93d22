{#-
    On-run-end of a `dbt build` or `dbt run`: adds the build's end row to the build log, with
    whether it is complete (every incremental model, and every model they read, ran without an
    error: models_not_completed is empty), how many data tests failed, and whether it is checked
    (every data test of the project ran, and none failed: the next builds check the event
    tables' rows written after its start, last_checked_build_started_at, DECISIONLOG D45). Runs
    first among the on-run-end hooks. A build that is not complete says so: the rows it
    validated stay to be recomputed, and the next ordinary build finishes its work.
-#}
{% macro record_build_end(results) -%}
    {%- if not execute or flags.WHICH not in ['build', 'run'] -%}
        {{ return('') }}
    {%- endif -%}
    {%- set missing = models_not_completed(results) -%}
    {%- set tests = results | selectattr('node.resource_type', 'equalto', 'test') | list -%}
    {%- set failed_tests = tests | selectattr('status', 'in', ['fail', 'error']) | list | length -%}
    {%- set passed_tests = tests | selectattr('status', 'in', ['pass', 'warn']) | list | length -%}
    {%- set project_tests = graph.nodes.values() | selectattr('resource_type', 'equalto', 'test')
        | list | length -%}
    {%- if missing -%}
        {{ log("This build did not complete the warehouse's work: " ~ missing[:3] | join(', ')
            ~ (' and ' ~ (missing | length - 3) ~ ' more' if missing | length > 3 else '')
            ~ '. What it validated stays recorded as work to do; the next `dbt build` of the '
            ~ 'whole project finishes it (docs/incremental.md).', info=True) }}
    {%- endif -%}
    {%- do write_to_build_log(build_log_row(
        finished=true, is_complete=not missing, failed_tests=failed_tests,
        is_checked=passed_tests == project_tests)) -%}
    {{ return('') }}
{%- endmacro %}

{#- The models a complete build runs, "name (status)", that this invocation did not run
    successfully: the incremental models and every model they read, directly or not. -#}
{% macro models_not_completed(results) -%}
    {%- set models = graph.nodes.values() | selectattr('resource_type', 'equalto', 'model')
        | selectattr('config.enabled') | list -%}
    {%- set required = models | selectattr('config.materialized', 'equalto', 'incremental')
        | map(attribute='unique_id') | list -%}
    {%- set parents = {} -%}
    {%- for node in models -%}
        {%- do parents.update({node.unique_id: node.depends_on.nodes}) -%}
    {%- endfor -%}
    {#- the ancestors, one generation per pass (the lineage is far shallower than this) -#}
    {%- for generation in range(50) -%}
        {%- for unique_id in required -%}
            {%- for parent in parents.get(unique_id, []) if parent in parents
                and parent not in required -%}
                {%- do required.append(parent) -%}
            {%- endfor -%}
        {%- endfor -%}
    {%- endfor -%}
    {%- set statuses = {} -%}
    {%- for result in results -%}
        {%- do statuses.update({result.node.unique_id: result.status}) -%}
    {%- endfor -%}
    {%- set missing = [] -%}
    {%- if flags.EMPTY -%}
        {%- do missing.append('an --empty run builds empty tables') -%}
    {%- endif -%}
    {%- for unique_id in required | sort -%}
        {%- set status = statuses.get(unique_id) -%}
        {%- if status != 'success' -%}
            {%- do missing.append(unique_id.split('.')[-1] ~ ' ('
                ~ (status or 'not selected') ~ ')') -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(missing) }}
{%- endmacro %}
