{#-
    The customer id as it appears in the marts: the raw id, or, with var
    `pseudonymize_customer_ids`, its keyed hash (HMAC-SHA256 under the environment variable
    KAKAO_PSEUDONYM_KEY). The key never appears in SQL: the engine's registered function reads it.
-#}
{% macro customer_key(expression) -%}
    {%- if not kakao_flag('pseudonymize_customer_ids') -%}
        {{ expression }}
    {%- else -%}
        {%- if execute and env_var('KAKAO_PSEUDONYM_KEY', '') == '' -%}
            {{ exceptions.raise_compiler_error(
                "var 'pseudonymize_customer_ids' is on but the environment variable "
                ~ "KAKAO_PSEUDONYM_KEY is empty or unset: set it to the secret key (never commit it)"
            ) }}
        {%- endif -%}
        {{ return(adapter.dispatch('customer_key', 'kakao_consult_billing')(expression)) }}
    {%- endif -%}
{%- endmacro %}

{% macro default__customer_key(expression) -%}
    {{ exceptions.raise_compiler_error(
        "pseudonymize_customer_ids is not implemented for adapter '" ~ adapter.type() ~ "'"
    ) }}
{%- endmacro %}

{% macro duckdb__customer_key(expression) -%}
    kakao_pseudonym({{ expression }})
{%- endmacro %}
