{#-
    On-run-start of a `dbt build` or `dbt run`: creates the build log when missing, stops a
    build whose start is not later than the last one's (a clock set back: the models find new
    rows by load time, so they would miss them), and adds the build's start row, committed
    before any model runs.
-#}
{% macro record_build_start() -%}
    {%- if not execute or flags.WHICH not in ['build', 'run'] -%}
        {{ return('') }}
    {%- endif -%}
    {%- do create_build_log() -%}
    {%- set build_log = build_log_relation() -%}
    {%- set started_at = run_started_at.strftime('%Y-%m-%d %H:%M:%S.%f') -%}
    {%- set later = run_query(
        'select cast(max(started_at) as ' ~ dbt.type_string() ~ ') from ' ~ build_log
        ~ " where started_at >= cast('" ~ started_at ~ "' as " ~ dbt.type_timestamp() ~ ')'
    ).columns[0].values()[0] -%}
    {%- if later is not none -%}
        {{ exceptions.raise_compiler_error(
            "This build starts at " ~ build_log_time(started_at) ~ " by this machine's clock, "
            ~ "not after the start of an earlier build of the warehouse (" ~ build_log_time(later)
            ~ "). The models find new rows by the time the build that loaded them started, so a "
            ~ "build with a clock set back would miss them. Nothing was written. Correct the "
            ~ "machine's clock (or wait until it has passed " ~ build_log_time(later) ~ ") and "
            ~ "run the build again."
        ) }}
    {%- endif -%}
    {%- set last = run_query(
        "select starts.command, cast(starts.started_at as " ~ dbt.type_string() ~ "),"
        ~ " ends.invocation_id is not null, coalesce(ends.is_complete, false) from " ~ build_log
        ~ " as starts left join " ~ build_log ~ " as ends on starts.invocation_id = ends.invocation_id"
        ~ " and ends.finished_at is not null where starts.finished_at is null"
        ~ " order by starts.started_at desc limit 1"
    ).rows -%}
    {%- if last and not last[0][3] -%}
        {{ log("The last build of this warehouse (`" ~ last[0][0] ~ "`, started "
            ~ build_log_time(last[0][1]) ~ ") "
            ~ ("did not complete" if last[0][2] else "did not finish")
            ~ ": this build finishes its work.", info=True) }}
    {%- endif -%}
    {%- do write_to_build_log(build_log_row(finished=false)) -%}
    {{ return('') }}
{%- endmacro %}

{#- Run an insert into the build log and commit it (with anything the hook wrote before it). -#}
{% macro write_to_build_log(sql) -%}
    {%- do run_and_commit(sql) -%}
{%- endmacro %}

{#- the insert of this build's row: its start (finished=false), or its end -#}
{% macro build_log_row(finished, is_complete=none, failed_tests=none, is_checked=none) -%}
    {%- set settings = {} -%}
    {%- for name, value in billing_settings() -%}
        {%- do settings.update({name: value}) -%}
    {%- endfor -%}
    {%- set values = [
        "'" ~ invocation_id ~ "'",
        "'" ~ build_command() | replace("'", "''") ~ "'",
        'true' if flags.FULL_REFRESH else 'false',
        "cast('" ~ run_started_at.strftime('%Y-%m-%d %H:%M:%S.%f') ~ "' as "
            ~ dbt.type_timestamp() ~ ")",
        ("cast('" ~ modules.datetime.datetime.utcnow().strftime('%Y-%m-%d %H:%M:%S.%f')
            ~ "' as " ~ dbt.type_timestamp() ~ ")") if finished
            else 'cast(null as ' ~ dbt.type_timestamp() ~ ')',
        ('true' if is_complete else 'false') if finished
            else 'cast(null as ' ~ dbt.type_boolean() ~ ')',
        failed_tests if failed_tests is not none else 'cast(null as ' ~ dbt.type_int() ~ ')',
        "'" ~ tojson(settings) | replace("'", "''") ~ "'",
        ('true' if is_checked else 'false') if finished
            else 'cast(null as ' ~ dbt.type_boolean() ~ ')',
    ] -%}
    {{ return('insert into ' ~ build_log_relation() ~ ' values (' ~ values | join(', ') ~ ')') }}
{%- endmacro %}

{#- "dbt build --full-refresh --select a b": how this build was asked for -#}
{% macro build_command() -%}
    {%- set words = ['dbt', flags.WHICH] -%}
    {%- if flags.FULL_REFRESH -%}{%- do words.append('--full-refresh') -%}{%- endif -%}
    {%- for option, flag in [('select', '--select'), ('exclude', '--exclude'),
                             ('selector', '--selector'), ('resource_types', '--resource-type'),
                             ('exclude_resource_types', '--exclude-resource-type')] -%}
        {%- set given = invocation_args_dict.get(option) -%}
        {%- if given -%}
            {%- do words.append(flag) -%}
            {%- do words.append(given | join(' ') if given is not string else given) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(words | join(' ')) }}
{%- endmacro %}
