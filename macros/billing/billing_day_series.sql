{#-
    A lateral relation expression (for `cross join ... as alias`) yielding one row per date,
    column `billing_date`, from start_date through end_date (both included), for each row of
    the left side.
-#}
{% macro billing_day_series(start_date, end_date) -%}
    {{ return(adapter.dispatch('billing_day_series', 'kakao_consult_billing')(start_date, end_date)) }}
{%- endmacro %}

{% macro default__billing_day_series(start_date, end_date) -%}
    {{ exceptions.raise_compiler_error(
        "billing_day_series has no implementation for adapter '" ~ adapter.type() ~ "'"
    ) }}
{%- endmacro %}

{% macro duckdb__billing_day_series(start_date, end_date) -%}
    lateral (
        select cast(day_start as date) as billing_date
        from unnest(generate_series(
            cast({{ start_date }} as timestamp), cast({{ end_date }} as timestamp), interval 1 day
        )) as days (day_start)
    )
{%- endmacro %}

{% macro spark__billing_day_series(start_date, end_date) -%}
    lateral (
        select explode(sequence(
            cast({{ start_date }} as date), cast({{ end_date }} as date), interval 1 day
        )) as billing_date
    )
{%- endmacro %}
