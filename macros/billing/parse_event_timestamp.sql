{#-
    Parse an `occurred_at` text into an instant (TIMESTAMPTZ on DuckDB), or null when the text is
    in none of the accepted forms (DECISIONLOG D3, D36):
    - ISO-8601: YYYY-MM-DD(T| )hh:mm[:ss[.f{1,9}]][Z|±hh|±hhmm|±hh:mm] (offset hours 00-23,
      minutes 00-59);
    - the local forms Korean exports write, always without an offset (local_timestamp_pattern):
      a date as YYYY-MM-DD, YYYY/MM/DD, YYYY.MM.DD, `YYYY. M. D.` or `YYYY년 M월 D일` (month and
      day one or two digits), then a time H:MM[:SS[.f{1,9}]] with a one- or two-digit hour,
      optionally after 오전/오후 (or AM/PM) on the 12-hour clock (오전 12:30 is 00:30, 오후 12:10
      is 12:10; an hour outside 1-12 after 오전/오후 is rejected).
    A value without an offset is wall-clock time in `billing_time_zone`. Fractions beyond
    microseconds are truncated. A date that does not exist (2026-02-30) is rejected. The patterns
    avoid backslashes: Spark SQL literals unescape them.
-#}
{% macro event_timestamp_pattern() -%}
    ^[0-9]{4}-[0-9]{2}-[0-9]{2}[T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9]([.][0-9]{1,9})?)?(Z|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)?$
{%- endmacro %}

{#- The local forms, after 오전/오후 became AM/PM. Groups: 1 year, 2 month, 3 day, 4 AM/PM,
    5 hour, 6 minutes, 7 `:seconds`, 8 `.fraction`. -#}
{% macro local_timestamp_pattern() -%}
    ^([0-9]{4})(?:-|/|[.] ?|년 ?)([0-9]{1,2})(?:-|/|[.] ?|월 ?)([0-9]{1,2})(?:[.]|일)?(?:T| +)(?:(AM|PM) *)?([0-9]{1,2}):([0-5][0-9])(:[0-5][0-9])?([.][0-9]{1,9})?$
{%- endmacro %}

{#- The text with 오전/오후 written as AM/PM, for local_timestamp_pattern -#}
{% macro with_latin_meridiem(text_expression) -%}
    replace(replace({{ text_expression }}, '오전', 'AM'), '오후', 'PM')
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
    {%- set local = with_latin_meridiem(text_expression) -%}
    case
        when regexp_full_match({{ text_expression }}, '{{ event_timestamp_pattern() }}')
            then case
                when regexp_extract({{ text_expression }}, '{{ event_timestamp_pattern() }}', 4) <> ''
                    then try_cast({{ text_expression }} as timestamptz)
                else timezone(
                    '{{ kakao_var("billing_time_zone") }}', try_cast({{ text_expression }} as timestamp)
                )
            end
        when regexp_full_match({{ local }}, '{{ local_timestamp_pattern() }}')
            then timezone(
                '{{ kakao_var("billing_time_zone") }}',
                -- %n reads 1-9 fraction digits into nanoseconds; the cast truncates to micro
                cast(try_strptime(
                    regexp_replace({{ local }}, '{{ local_timestamp_pattern() }}', '\1-\2-\3 \4\5:\6\7\8'),
                    [
                        '%Y-%m-%d %H:%M', '%Y-%m-%d %H:%M:%S', '%Y-%m-%d %H:%M:%S.%n',
                        '%Y-%m-%d %p%I:%M', '%Y-%m-%d %p%I:%M:%S', '%Y-%m-%d %p%I:%M:%S.%n'
                    ]
                ) as timestamp)
            )
    end
{%- endmacro %}

{% macro spark__parse_event_timestamp(text_expression) -%}
    {#- Spark's cast reads `Z`, `±hh:mm` and `±hhmm` but not a bare `±hh`: complete it to `±hh:00`. -#}
    {%- set local = with_latin_meridiem(text_expression) -%}
    {%- set normalized = "regexp_replace(" ~ local ~ ", '" ~ local_timestamp_pattern()
        ~ "', '$1-$2-$3 $4$5:$6$7$8')" -%}
    case
        when {{ text_expression }} rlike '{{ event_timestamp_pattern() }}'
            then case
                when regexp_extract({{ text_expression }}, '{{ event_timestamp_pattern() }}', 4) <> ''
                    then try_cast(
                        regexp_replace({{ text_expression }}, '([+-][0-9]{2})$', '$1:00') as timestamp
                    )
                else to_utc_timestamp(
                    try_cast({{ text_expression }} as timestamp), '{{ kakao_var("billing_time_zone") }}'
                )
            end
        when {{ local }} rlike '{{ local_timestamp_pattern() }}'
            then to_utc_timestamp(
                coalesce(
                    {%- for format in ['yyyy-M-d H:mm', 'yyyy-M-d H:mm:ss', 'yyyy-M-d H:mm:ss.SSSSSSSSS',
                                       'yyyy-M-d ah:mm', 'yyyy-M-d ah:mm:ss', 'yyyy-M-d ah:mm:ss.SSSSSSSSS'] %}
                    try_to_timestamp({{ normalized }}, '{{ format }}'){{ ',' if not loop.last }}
                    {%- endfor %}
                ),
                '{{ kakao_var("billing_time_zone") }}'
            )
    end
{%- endmacro %}
