{#-
    Run at the start of every dbt invocation (on-run-start), after register_chat_events.
    (Re)creates the views kakao.invoices and kakao.consultant_teams over the CSV files named by
    vars `invoices_path` and `consultant_teams_path`: inputs of this warehouse, not seeds shared
    by every warehouse (DECISIONLOG D38). Every column is text, as in the file; staging types
    them. A var left unset reads the sample's file when chat_events_path is the sample's (so
    `make run` shows the sample's invoices), and nothing otherwise (so a warehouse of your own
    data shows no sample channel); "" reads nothing. A file gets the checks a chat event file
    gets (header, separator, encoding, fields), with its own columns.
-#}
{% macro register_reference_inputs() -%}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- for relation, var_name, kind, columns in reference_inputs() -%}
        {%- set path = reference_input_path(var_name) -%}
        {%- if path -%}
            {%- set select = adapter.dispatch('reference_input_select', 'kakao_consult_billing')(
                relation, var_name, kind, columns, path) -%}
        {%- else -%}
            {%- set nulls = [] -%}
            {%- for column in columns -%}
                {%- do nulls.append('cast(null as ' ~ dbt.type_string() ~ ') as ' ~ column) -%}
            {%- endfor -%}
            {%- set select = 'select ' ~ nulls | join(', ') ~ ' from (select 1 as one) as nothing'
                ~ ' where 1 = 0' -%}
        {%- endif -%}
        {#- one statement at a time: Spark runs one per call -#}
        {%- do run_query('create or replace view kakao.' ~ relation ~ ' as ' ~ select) -%}
    {%- endfor -%}
    {{ return('') }}
{%- endmacro %}

{#- (relation, var, what a file is called, its columns) -#}
{% macro reference_inputs() -%}
    {{ return([
        ('invoices', 'invoices_path', 'invoice file',
            ['channel_id', 'usage_month', 'invoiced_room_charges', 'invoiced_amount_krw',
             'invoice_date']),
        ('consultant_teams', 'consultant_teams_path', 'consultant team file',
            ['consultant_id', 'team']),
    ]) }}
{%- endmacro %}

{#- The path a reference input var names, '' for none (see register_reference_inputs). -#}
{% macro reference_input_path(var_name) -%}
    {%- set value = var(var_name, none) -%}
    {%- if value is none -%}
        {%- set sample_files = {
            'invoices_path': 'data/sample/kakao_invoices.csv',
            'consultant_teams_path': 'data/sample/consultant_teams.csv',
        } -%}
        {{ return(sample_files[var_name]
            if (var('chat_events_path') or '') | string | trim == sample_chat_events_path()
                and not chat_events_relation()
            else '') }}
    {%- endif -%}
    {{ return(value | string | trim) }}
{%- endmacro %}

{#- chat_events_path's default: the sample's events -#}
{% macro sample_chat_events_path() -%}
    {{ return('data/sample/chat_events*.csv') }}
{%- endmacro %}

{% macro reference_input_select(relation, var_name, kind, columns, path) -%}
    {{ exceptions.raise_compiler_error(
        "register_reference_inputs has no implementation for adapter '" ~ adapter.type() ~ "'"
    ) }}
{%- endmacro %}

{% macro duckdb__reference_input_select(relation, var_name, kind, columns, path) -%}
    {%- set quoted_path = "'" ~ path | replace("'", "''") ~ "'" -%}
    {%- if not (path | lower).endswith('.csv') -%}
        {{ exceptions.raise_compiler_error(
            var_name ~ " '" ~ path ~ "' must name a CSV file (ending in .csv) with the header: "
            ~ columns | join(',')
        ) }}
    {%- endif -%}
    {%- if run_query("select count(*) from glob(" ~ quoted_path ~ ")").rows[0][0] == 0 -%}
        {{ exceptions.raise_compiler_error(
            "No file matches " ~ var_name ~ " '" ~ path ~ "' (relative paths are relative to the "
            ~ "directory dbt runs in). Set it to your " ~ kind ~ " with --vars '{" ~ var_name
            ~ ": \"path/to/file.csv\"}', or to \"\" for none."
        ) }}
    {%- endif -%}
    {%- do chat_event_file_errors(
        quoted_path, false, required=columns,
        columns_error=missing_invoice_columns_error if relation == 'invoices'
            else missing_team_columns_error,
        kind=kind,
    ) -%}
    {%- set selected = [] -%}
    {%- for column in columns -%}
        {%- do selected.append('cast(files."' ~ column ~ '" as varchar) as ' ~ column) -%}
    {%- endfor -%}
    {{ return('select ' ~ selected | join(', ') ~ ' from '
        ~ chat_event_file_reader(quoted_path, false) ~ ' as files') }}
{%- endmacro %}

{% macro spark__reference_input_select(relation, var_name, kind, columns, path) -%}
    {%- do run_query("drop table if exists kakao." ~ relation ~ "_file") -%}
    {%- do run_query(
        "create table kakao." ~ relation ~ "_file using csv options (path '"
        ~ path | replace("'", "\\'") ~ "', header 'true', encoding 'UTF-8')"
    ) -%}
    {%- set found = run_query("describe kakao." ~ relation ~ "_file").columns[0].values() -%}
    {%- do (missing_invoice_columns_error if relation == 'invoices'
        else missing_team_columns_error)(path, found) -%}
    {%- set selected = [] -%}
    {%- for column in columns -%}
        {%- do selected.append('cast(`' ~ column ~ '` as string) as ' ~ column) -%}
    {%- endfor -%}
    {{ return('select ' ~ selected | join(', ') ~ ' from kakao.' ~ relation ~ '_file') }}
{%- endmacro %}

{% macro missing_invoice_columns_error(path, found_columns) -%}
    {%- do missing_reference_columns_error(path, found_columns, 'invoices') -%}
{%- endmacro %}

{% macro missing_team_columns_error(path, found_columns) -%}
    {%- do missing_reference_columns_error(path, found_columns, 'consultant_teams') -%}
{%- endmacro %}

{#- stops on a reference input file whose header lacks one of its columns -#}
{% macro missing_reference_columns_error(path, found_columns, relation) -%}
    {%- set found = found_columns | map('lower') | map('trim') | list -%}
    {%- for name, var_name, kind, columns in reference_inputs() if name == relation -%}
        {%- set missing = columns | reject('in', found) | list -%}
        {%- if missing -%}
            {{ exceptions.raise_compiler_error(
                "The " ~ kind ~ " '" ~ path ~ "' (var " ~ var_name ~ ") lacks column(s): "
                ~ missing | join(', ') ~ ". Found: " ~ found | join(', ')
                ~ ". It needs the header: " ~ columns | join(',')
            ) }}
        {%- endif -%}
    {%- endfor -%}
{%- endmacro %}
