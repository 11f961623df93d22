{#-
    Remove surrounding whitespace: space, tab, LF, VT, FF, CR, no-break space (U+00A0) and the
    ideographic space (U+3000) that Korean keyboards type. Returns null for an empty result.
-#}
{% macro trim_whitespace(expression) -%}
    {{ return(adapter.dispatch('trim_whitespace', 'kakao_consult_billing')(expression)) }}
{%- endmacro %}

{% macro default__trim_whitespace(expression) -%}
    nullif(
        trim(
            {{ expression }},
            ' ' || chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(160) || chr(12288)
        ),
        ''
    )
{%- endmacro %}

{% macro duckdb__trim_whitespace(expression) -%}
    {#- trim only values that start or end with whitespace: most do not, and trim is slow -#}
    {%- set whitespace = '(9, 10, 11, 12, 13, 32, 160, 12288)' -%}
    case
        when ord({{ expression }}[1]) in {{ whitespace }} or ord({{ expression }}[-1]) in {{ whitespace }}
            then {{ default__trim_whitespace(expression) }}
        else nullif({{ expression }}, '')
    end
{%- endmacro %}

{% macro spark__trim_whitespace(expression) -%}
    nullif(
        regexp_replace({{ expression }}, '^[ \\t\\n\\x0B\\f\\r\\u00A0\\u3000]+|[ \\t\\n\\x0B\\f\\r\\u00A0\\u3000]+$', ''),
        ''
    )
{%- endmacro %}
