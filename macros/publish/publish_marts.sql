{#-
    Run at the end of every dbt invocation (on-run-end). After a `dbt build` or `dbt run` in
    which nothing failed, writes every model of schema `marts` as a Parquet file (the audit: a
    folder of them by billing day, macro publish_audit_by_day) into a new
    version folder versions/<id>/ of env KAKAO_PUBLISH_DIR (default: folder `published` next to
    the warehouse file, so warehouse/published; a relative path is taken from the directory dbt
    runs in). Then kakao_publish_commit renames a new kakao_billing_marts.duckdb (a small DuckDB
    file of views over those files) over the old one and switches the symlink `current` to the
    new version. BI tools read these, never the warehouse file, so they do not block the next
    build.

    All or nothing: a build with an error, a failed test or a skipped node publishes nothing,
    nor does one that did not run every model (--select; models_not_completed, build log): the
    last good build's version stays. A reader of the catalog or of `current` sees one
    build's marts, the previous or the new ones, never a mix, even when the build is killed
    while it publishes (udfs/kakao_udfs.py). The version readers had before stays too.
    DuckDB only; on other engines it logs that publishing is skipped. Var publish_marts: false
    turns it off.
-#}
{% macro publish_marts(results) -%}
    {{ return(adapter.dispatch('publish_marts', 'kakao_consult_billing')(results)) }}
{%- endmacro %}

{% macro default__publish_marts(results) -%}
    {%- if execute and flags.WHICH in ['build', 'run'] and kakao_flag('publish_marts') -%}
        {{ log("Publishing the marts as Parquet is DuckDB-only: skipped on adapter '"
            ~ adapter.type() ~ "'.", info=True) }}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}

{#- How the marts' Parquet files are written. zstd at level 1: on the 10M audit as small a file
    as the default level, and about a quarter faster to write (benchmarks/results.md). -#}
{% macro published_parquet_options() -%}
    {{ return('format parquet, compression zstd, compression_level 1') }}
{%- endmacro %}

{#- The reason not to publish after this invocation, or '' when it may publish. -#}
{% macro publish_marts_blocker(results) -%}
    {%- if flags.WHICH not in ['build', 'run'] -%}
        {{ return('only `dbt build` and `dbt run` publish (this is `dbt ' ~ flags.WHICH ~ '`)') }}
    {%- endif -%}
    {%- if not kakao_flag('publish_marts') -%}
        {{ return('var publish_marts is false') }}
    {%- endif -%}
    {%- if flags.EMPTY -%}
        {{ return('an --empty run builds empty tables') }}
    {%- endif -%}
    {%- set failed = [] -%}
    {%- set skipped = [] -%}
    {%- for result in results -%}
        {%- if result.status in ['error', 'fail', 'runtime error', 'partial success'] -%}
            {%- do failed.append(result.node.name ~ ' (' ~ result.status ~ ')') -%}
        {%- elif result.status == 'skipped' -%}
            {%- do skipped.append(result.node.name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if failed or skipped -%}
        {{ return('the build did not succeed: ' ~ (failed | join(', ') or 'no failure')
            ~ '; ' ~ skipped | length ~ ' skipped') }}
    {%- endif -%}
    {#- a build of part of the project (--select) leaves the marts mid-way (build log) -#}
    {%- set missing = models_not_completed(results) -%}
    {%- if missing -%}
        {{ return('the build did not run every model: ' ~ missing[:3] | join(', ')
            ~ (' and ' ~ (missing | length - 3) ~ ' more' if missing | length > 3 else '')) }}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}

{% macro duckdb__publish_marts(results) -%}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set blocker = publish_marts_blocker(results) -%}
    {%- if blocker -%}
        {%- if flags.WHICH in ['build', 'run'] -%}
            {{ log("Marts not published: " ~ blocker ~ ". The files of the last published build stay.",
                info=True) }}
        {%- endif -%}
        {{ return('') }}
    {%- endif -%}

    {#- the schema of the marts as dbt named it: `marts`, in a project that installs this one
        as a package too, unless it names another (docs/package.md) -#}
    {%- set marts_schema = kakao_model_relation('fct_monthly_fees').schema -%}
    {%- set marts = [] -%}
    {%- for node in graph.nodes.values()
            | selectattr('resource_type', 'equalto', 'model')
            | selectattr('schema', 'equalto', marts_schema) -%}
        {%- if node.config.enabled -%}
            {%- set relation = adapter.get_relation(
                database=node.database, schema=node.schema, identifier=node.alias) -%}
            {%- if relation is none -%}
                {{ log("Marts not published: " ~ node.schema ~ "." ~ node.alias ~ " has not been "
                    ~ "built yet. Run a full `dbt build`.", info=True) }}
                {{ return('') }}
            {%- endif -%}
            {%- do marts.append(relation) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- set marts = marts | sort(attribute='identifier') -%}

    {%- set registered = run_query(
        "select count(*) from duckdb_functions() where function_name = 'kakao_publish_commit'"
    ).columns[0].values()[0] -%}
    {%- if registered == 0 -%}
        {{ log("Marts not published: the profile does not load the project's DuckDB functions. "
            ~ kakao_udfs_profile_advice(), info=True) }}
        {{ return('') }}
    {%- endif -%}

    {%- set publish_dir = env_var('KAKAO_PUBLISH_DIR', '') | trim -%}
    {%- if publish_dir == '' -%}
        {#- folder `published` next to the warehouse file, so that each warehouse has its own -#}
        {%- set warehouse_path = target.path | string -%}
        {%- set publish_dir = (warehouse_path.rsplit('/', 1)[0] if '/' in warehouse_path else '.')
            ~ '/published' -%}
    {%- endif -%}
    {%- set quoted_dir = "'" ~ publish_dir | replace("'", "''") ~ "'" -%}
    {#- the new version's folder: versions/<id>.partial until kakao_publish_commit -#}
    {%- set staging = run_query(
        "select kakao_publish_stage(" ~ quoted_dir ~ ")").columns[0].values()[0] -%}

    {%- set audit = kakao_model_relation('fct_chat_event_audit') -%}
    {%- for relation in marts -%}
        {%- set file = staging ~ '/' ~ relation.identifier ~ '.parquet' -%}
        {#- Parquet has no 128-bit integer, and DuckDB would write one (a plain sum() of integers
            in a model of your own) as a lossy DOUBLE: publish it as an exact DECIMAL(38,0). -#}
        {%- set casts = [] -%}
        {%- for column in adapter.get_columns_in_relation(relation) -%}
            {%- if column.dtype | upper in ['HUGEINT', 'UHUGEINT', 'INT128', 'UINT128'] -%}
                {%- set name = adapter.quote(column.name) -%}
                {%- do casts.append('cast(' ~ name ~ ' as decimal(38, 0)) as ' ~ name) -%}
            {%- endif -%}
        {%- endfor -%}
        {%- set replaced = (' replace (' ~ casts | join(', ') ~ ')') if casts else '' -%}
        {#- the audit: a folder per billing day, unchanged days carried over (D44); one file,
            as the others, when it has no row -#}
        {%- set in_folder = publish_audit_by_day(relation, staging, '*' ~ replaced)
            if relation.schema == audit.schema and relation.identifier == audit.identifier
            else false -%}
        {%- if not in_folder -%}
            {%- do run_query("copy (select *" ~ replaced ~ " from " ~ relation ~ ") to '"
                ~ file | replace("'", "''") ~ "' (" ~ published_parquet_options() ~ ")") -%}
        {%- endif -%}
    {%- endfor -%}

    {#- switches the catalog and `current` to the new version; returns what to log -#}
    {%- set published = run_query(
        "select kakao_publish_commit('" ~ staging | replace("'", "''") ~ "', " ~ quoted_dir ~ ")"
    ).columns[0].values()[0] -%}
    {{ log(published, info=True) }}
    {{ return('') }}
{%- endmacro %}
