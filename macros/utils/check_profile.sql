{#-
    On-run-start, first of the project's hooks: stops, before anything is read or written, a run
    whose profile lacks what the features it uses need, naming the profile lines to add. This
    project's profiles.yml has them; a project that installs this one as a package brings its
    own profile (docs/package.md).

    DuckDB:
    - the session's TimeZone must be UTC (profile `settings: {TimeZone: UTC}`): local time is
      always computed in var billing_time_zone, and a machine's zone leaking into the
      timestamp casts would move events across billing days;
    - the project's DuckDB functions (plugin kakao_udfs, udfs/kakao_udfs.py) when a feature
      that calls them is used: the checks of CSV input files (chat_events_path ending in .csv
      or .csv.gz, room_events_path, invoices_path, consultant_teams_path) and the keyed
      customer-id hash (var pseudonymize_customer_ids). Parquet files or a table
      (chat_events_relation), without CSV invoices or teams, need none. Publishing the marts
      also needs them, but is skipped with a log line instead (publish_marts).
    Other engines: nothing to check.
-#}
{% macro check_profile() -%}
    {{ return(adapter.dispatch('check_profile', 'kakao_consult_billing')()) }}
{%- endmacro %}

{% macro default__check_profile() -%}
    {{ return('') }}
{%- endmacro %}

{% macro duckdb__check_profile() -%}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set zone = run_query("select current_setting('TimeZone')").columns[0].values()[0] -%}
    {%- if (zone or '') | lower not in ['utc', 'etc/utc', 'uct', 'etc/uct', 'gmt', 'etc/gmt',
                                       'zulu', 'etc/zulu', 'universal', 'etc/universal'] -%}
        {{ exceptions.raise_compiler_error(
            "The DuckDB session's TimeZone is '" ~ zone ~ "' (the machine's zone, unless the "
            ~ "profile sets one); kakao_consult_billing needs UTC: it computes local time in "
            ~ "var billing_time_zone itself, and another session zone moves events across "
            ~ "billing days. Nothing was written. Add to the profile's duckdb output:\n"
            ~ "      settings:\n        TimeZone: UTC"
            ~ ("\n(docs/package.md of kakao_consult_billing)" if kakao_is_package() else "")
        ) }}
    {%- endif -%}
    {%- set needed = kakao_udfs_needed_by() -%}
    {%- if needed -%}
        {%- set registered = run_query(
            "select count(distinct function_name) from duckdb_functions()"
            ~ " where function_name in ('kakao_csv_header', 'kakao_pseudonym')"
        ).columns[0].values()[0] -%}
        {%- if registered < 2 -%}
            {{ exceptions.raise_compiler_error(
                "The profile does not load kakao_consult_billing's DuckDB functions (plugin "
                ~ "kakao_udfs), and this run needs them for " ~ needed | join('; ')
                ~ ". Nothing was written. "
                ~ kakao_udfs_profile_advice()
            ) }}
        {%- endif -%}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}

{#- The features this run uses that call the plugin's functions, as phrases ([] for none). -#}
{% macro kakao_udfs_needed_by() -%}
    {%- set needed = [] -%}
    {%- set csv_inputs = [] -%}
    {%- if not (var('chat_events_relation', none) or '') | string | trim -%}
        {%- set path = (var('chat_events_path', none) or '') | string | trim | lower -%}
        {%- if path.endswith('.csv') or path.endswith('.csv.gz') -%}
            {%- do csv_inputs.append('chat_events_path') -%}
        {%- endif -%}
        {%- if (var('room_events_path', none) or '') | string | trim -%}
            {%- do csv_inputs.append('room_events_path') -%}
        {%- endif -%}
    {%- endif -%}
    {%- for name in ['invoices_path', 'consultant_teams_path'] -%}
        {%- if reference_input_path(name) -%}
            {%- do csv_inputs.append(name) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if csv_inputs -%}
        {%- do needed.append('the checks of the CSV files of ' ~ csv_inputs | join(', ')) -%}
    {%- endif -%}
    {%- if kakao_flag('pseudonymize_customer_ids') -%}
        {%- do needed.append('the customer-id hash of var pseudonymize_customer_ids') -%}
    {%- endif -%}
    {{ return(needed) }}
{%- endmacro %}

{#- Whether this project runs as a package of another (the root project is not this one). -#}
{% macro kakao_is_package() -%}
    {{ return(project_name != 'kakao_consult_billing') }}
{%- endmacro %}

{#- What to add to the profile to load the plugin, as a sentence for an error or a log line. -#}
{% macro kakao_udfs_profile_advice() -%}
    {%- if kakao_is_package() -%}
        {{ return("Add to your profile's duckdb output (Python 3.11 or later; the path is "
            ~ "relative to the directory dbt runs in, or absolute):\n"
            ~ "      module_paths:\n        - dbt_packages/kakao_consult_billing/udfs\n"
            ~ "      plugins:\n        - module: kakao_udfs\n"
            ~ "(docs/package.md of kakao_consult_billing).") }}
    {%- endif -%}
    {{ return("The project's profiles.yml loads them from env KAKAO_PROJECT_DIR/udfs "
        ~ "(module_paths, plugin kakao_udfs): run dbt from the project folder, or set "
        ~ "KAKAO_PROJECT_DIR to it.") }}
{%- endmacro %}
