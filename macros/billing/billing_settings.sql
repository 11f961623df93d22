{#-
    The vars that shape the rows a build stores (DECISIONLOG D29): rooms and charges
    (room_charge_policy, billing_time_zone, billing_day_start_hour, room_expiry_days,
    customer_message_opens_room), what is
    accepted (occurred_at_min), how customers are named in the marts (pseudonymize_customer_ids),
    what counts as avoidable (quick_reentry_minutes) and the stream buckets (stream_buckets). An
    incremental build recomputes only the streams with new events, so a change to one of these
    would leave every other row under the old value. Every build records them in the build log
    (build_log.builds); the on-run-start check stops a `dbt build` or `dbt run` whose values
    differ from the last complete build's, or from those of a build since that did not
    complete, before any table is written, until a `--full-refresh` rebuilds everything under
    the new ones.

    With pseudonymised ids, also `pseudonym_key_check`: the pseudonym of a fixed text under
    the key in KAKAO_PSEUDONYM_KEY (a key check value: it tells two keys apart and reveals
    neither). The marts' pre-hooks find a customer's rows by its pseudonym under the current key,
    so rows written under another key would no longer be found and replaced.

    billing_settings(): [(name, value as text)], in a fixed order.
    check_billing_settings(): on-run-start; '' (nothing to run) or a compile error.
-#}
{% macro billing_settings() -%}
    {%- set settings = [] -%}
    {%- set pseudonymised = kakao_flag('pseudonymize_customer_ids') -%}
    {%- for name in [
        'room_charge_policy', 'billing_time_zone', 'billing_day_start_hour', 'room_expiry_days',
        'occurred_at_min', 'pseudonymize_customer_ids', 'quick_reentry_minutes', 'stream_buckets',
        'customer_message_opens_room',
    ] -%}
        {%- if name == 'pseudonymize_customer_ids' -%}
            {%- do settings.append((name, pseudonymised | string | lower)) -%}
        {%- elif name == 'customer_message_opens_room' -%}
            {%- do settings.append((name, kakao_flag(name) | string | lower)) -%}
        {%- else -%}
            {%- do settings.append((name, kakao_var(name) | string)) -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if pseudonymised and execute -%}
        {%- set check = run_query(
            "select " ~ customer_key("'kakao_consult_billing key check'")
        ).columns[0].values()[0] -%}
        {%- do settings.append(('pseudonym_key_check', check)) -%}
    {%- endif -%}
    {{ return(settings) }}
{%- endmacro %}

{% macro check_billing_settings() -%}
    {%- if not execute or flags.FULL_REFRESH or flags.WHICH not in ['build', 'run'] -%}
        {{ return('') }}
    {%- endif -%}
    {%- set build_log = build_log_relation() -%}
    {%- if adapter.get_relation(build_log.database, build_log.schema, build_log.identifier) is none -%}
        {{ return('') }}
    {%- endif -%}
    {%- set text = dbt.type_string() -%}
    {#- the last complete build and every build started after it, oldest first -#}
    {%- set builds = run_query(
        "with starts as (select invocation_id, command, started_at, billing_settings from " ~ build_log
        ~ " where finished_at is null), ends as (select invocation_id, is_complete from " ~ build_log
        ~ " where finished_at is not null), builds as (select starts.*,"
        ~ " coalesce(ends.is_complete, false) as is_complete from starts left join ends"
        ~ " on starts.invocation_id = ends.invocation_id), last_complete as (select"
        ~ " max(started_at) as started_at from builds where is_complete)"
        ~ " select builds.command, cast(builds.started_at as " ~ text ~ "),"
        ~ " builds.billing_settings, builds.is_complete from builds cross join last_complete"
        ~ " where last_complete.started_at is null or builds.started_at >= last_complete.started_at"
        ~ " order by builds.started_at"
    ).rows -%}
    {%- set current = {} -%}
    {%- for name, value in billing_settings() -%}
        {%- do current.update({name: value}) -%}
    {%- endfor -%}
    {%- for command, started_at, settings, is_complete in builds -%}
        {%- set stored = fromjson(settings or '{}') -%}
        {%- set changed = [] -%}
        {%- for name, value in current.items() -%}
            {%- if name in stored and stored[name] | string | lower != value | string | lower -%}
                {%- if name == 'pseudonym_key_check' -%}
                    {%- do changed.append("KAKAO_PSEUDONYM_KEY is not the key the warehouse's "
                        ~ "pseudonyms were made with") -%}
                {%- else -%}
                    {%- do changed.append(name ~ " = " ~ value ~ " (the warehouse was built with "
                        ~ stored[name] ~ ")") -%}
                {%- endif -%}
            {%- endif -%}
        {%- endfor -%}
        {%- if changed and is_complete -%}
            {{ exceptions.raise_compiler_error(
                "This build's billing vars differ from those the warehouse was built with: "
                ~ changed | join('; ') ~ ". An incremental build recomputes only the customers "
                ~ "with new events, so the other rooms and charges would keep the old value. "
                ~ "Nothing was written. Rebuild everything under the new value with `dbt build "
                ~ "--full-refresh` (and the chat_events_path your scheduled builds use; closed "
                ~ "months stay as they were and the changes show in fct_fee_adjustments), or run "
                ~ "with the old value. DECISIONLOG D29."
            ) }}
        {%- elif changed -%}
            {{ exceptions.raise_compiler_error(
                "A build that did not complete (`" ~ command ~ "`, started "
                ~ build_log_time(started_at) ~ ") ran under other billing vars than this one: "
                ~ changed | join('; ') | replace('the warehouse was built with', 'that build had')
                ~ ". Some of its rows may be in the warehouse, so an incremental build cannot "
                ~ "finish its work under these values. Nothing was written. Run `dbt build "
                ~ "--full-refresh` under the values you want (closed months stay as they were), "
                ~ "or run with that build's values. DECISIONLOG D29."
            ) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return('') }}
{%- endmacro %}
