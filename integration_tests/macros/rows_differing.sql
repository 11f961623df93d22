{#- The rows of two relations (CTEs) with the same columns that differ, counted as multisets
    (`except all`): each row of one side that the other lacks, after the kind of difference
    ('expected but missing' or 'built but not expected'). A singular test selecting it passes
    when the two sides hold the same rows. -#}
{% macro rows_differing(built, expected) -%}
    select
        'expected but missing' as difference,
        missing.*
    from (select * from {{ expected }} except all select * from {{ built }}) as missing

    union all

    select
        'built but not expected' as difference,
        unexpected.*
    from (select * from {{ built }} except all select * from {{ expected }}) as unexpected
{%- endmacro %}
