{#-
    The vars that shape the rows a build stores (DECISIONLOG D29): rooms and charges
    (room_charge_policy, billing_time_zone, billing_day_start_hour, room_expiry_days), what is
    accepted (occurred_at_min), how customers are named in the marts (pseudonymize_customer_ids),
    what counts as avoidable (quick_reentry_minutes) and the stream buckets (stream_buckets). An
    incremental build recomputes only the streams with new events, so a change to one of these
    would leave every other row under the old value. The warehouse records them
    (int_billing_settings); the on-run-start check stops a `dbt build` or `dbt run` whose values
    differ, before any table is written, until a `--full-refresh` rebuilds everything under the
    new ones.

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
    ] -%}
        {%- if name == 'pseudonymize_customer_ids' -%}
            {%- do settings.append((name, pseudonymised | string | lower)) -%}
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
    {%- set recorded = adapter.get_relation(
        database=target.database,
        schema=generate_schema_name('intermediate', none),
        identifier='int_billing_settings',
    ) -%}
    {%- if recorded is none -%}
        {{ return('') }}
    {%- endif -%}
    {%- set stored = {} -%}
    {%- for row in run_query('select setting_name, setting_value from ' ~ recorded).rows -%}
        {%- do stored.update({row[0]: row[1]}) -%}
    {%- endfor -%}
    {%- set changed = [] -%}
    {%- for name, value in billing_settings() -%}
        {%- if name in stored and stored[name] | lower != value | lower -%}
            {%- if name == 'pseudonym_key_check' -%}
                {%- do changed.append("KAKAO_PSEUDONYM_KEY is not the key the warehouse's "
                    ~ "pseudonyms were made with") -%}
            {%- else -%}
                {%- do changed.append(name ~ " = " ~ value ~ " (the warehouse was built with "
                    ~ stored[name] ~ ")") -%}
            {%- endif -%}
        {%- endif -%}
    {%- endfor -%}
    {%- if changed -%}
        {{ exceptions.raise_compiler_error(
            "This build's billing vars differ from those the warehouse was built with: "
            ~ changed | join('; ') ~ ". An incremental build recomputes only the customers with "
            ~ "new events, so the other rooms and charges would keep the old value. Nothing was "
            ~ "written. Rebuild everything under the new value with `dbt build --full-refresh` "
            ~ "(and the chat_events_path your scheduled builds use; closed months stay as they "
            ~ "were and the changes show in fct_fee_adjustments), or run with the old value. "
            ~ "DECISIONLOG D29."
        ) }}
    {%- endif -%}
    {{ return('') }}
{%- endmacro %}
