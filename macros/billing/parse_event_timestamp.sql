{#-
    Parse an `occurred_at` text into an instant (TIMESTAMPTZ on DuckDB), or null when the text is
    not in the accepted ISO-8601 subset (DECISIONLOG D3):
        YYYY-MM-DD(T| )hh:mm[:ss[.f{1,9}]][Z|±hh|±hhmm|±hh:mm]   (offset hours 00-23, minutes 00-59)
    A value without an offset is wall-clock time in `billing_time_zone`. Fractions beyond
    microseconds are truncated. The pattern avoids backslashes: Spark SQL literals unescape them.
-#}
{% macro event_timestamp_pattern() -%}
    ^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9]([.][0-9]{1,9})?)?(Z|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)?$
{%- endmacro %}

{% macro parse_event_timestamp(text_expression) -%}
    {{ return(adapter.dispatch('parse_event_timestamp', 'kakao_consult_billing')(text_expression)) }}
{%- endmacro %}

{% macro default__parse_event_timestamp(text_expression) -%}
    {{ exceptions.raise_compiler_error(
        "parse_event_timestamp has no implementation for adapter '" ~ adapter.type() ~ "'"
    ) }}
{%- endmacro %}

{% macro duckdb__parse_event_timestamp(text_expression) -%}
    case
        when not regexp_full_match({{ text_expression }}, '{{ event_timestamp_pattern() }}')
            then null
        when regexp_extract({{ text_expression }}, '{{ event_timestamp_pattern() }}', 4) <> ''
            then try_cast({{ text_expression }} as timestamptz)
        else timezone(
            '{{ kakao_var("billing_time_zone") }}', try_cast({{ text_expression }} as timestamp)
        )
    end
{%- endmacro %}

{% macro spark__parse_event_timestamp(text_expression) -%}
    {#- Spark's cast reads `Z`, `±hh:mm` and `±hhmm` but not a bare `±hh`: complete it to `±hh:00`. -#}
    case
        when not ({{ text_expression }} rlike '{{ event_timestamp_pattern() }}')
            then null
        when regexp_extract({{ text_expression }}, '{{ event_timestamp_pattern() }}', 4) <> ''
            then try_cast(
                regexp_replace({{ text_expression }}, '([+-][0-9]{2})$', '$1:00') as timestamp
            )
        else to_utc_timestamp(
            try_cast({{ text_expression }} as timestamp), '{{ kakao_var("billing_time_zone") }}'
        )
    end
{%- endmacro %}
