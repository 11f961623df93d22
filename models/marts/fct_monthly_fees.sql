{{
    config(
        materialized='incremental',
        full_refresh=false,
        post_hook="{{ delete_emptied_open_months() }}",
        **stream_incremental_config(
            duckdb_strategy='delete+insert',
            unique_key=['channel_id', 'usage_month'],
            spark_partition_by=['usage_month'],
        )
    )
}}

-- The expected fee per channel and usage month, as an invoice line. Open months follow the
-- charges on every build. A month closes once its invoice is out (macro closed_through_month:
-- after the 21st of the following month, or var closed_through_month): its row is then frozen
-- as it was at close, never rewritten (not even by --full-refresh); later differences go to
-- fct_fee_adjustments. A closed month with no row at close gets none; its charges are adjusted.
-- An open month whose charges have all gone loses its row (post-hook), as in a full build.

{%- set closed_through = months_frozen_through() %}

with

computed as (

    select * from {{ ref('int_monthly_fees__computed') }}

),

{% if is_incremental() -%}

existing as (

    select * from {{ this }}

),

{%- endif %}

candidates as (

    {% if is_incremental() %}
    -- open months as the charges say now, plus open months whose charges have all gone
    select
        coalesce(computed.channel_id, existing.channel_id) as channel_id,
        coalesce(computed.usage_month, existing.usage_month) as usage_month,
        coalesce(computed.room_charges, 0) as room_charges,
        coalesce(computed.opened_charges, 0) as opened_charges,
        coalesce(computed.rollover_charges, 0) as rollover_charges,
        computed.unit_price_krw,
        coalesce(computed.fee_krw, 0) as fee_krw,
        coalesce(computed.vat_krw, 0) as vat_krw,
        coalesce(computed.total_krw, 0) as total_krw,
        coalesce(computed.billing_month, existing.billing_month) as billing_month,
        coalesce(computed.invoice_window_start, existing.invoice_window_start) as invoice_window_start,
        coalesce(computed.invoice_window_end, existing.invoice_window_end) as invoice_window_end,
        existing.channel_id is not null as was_recorded

    from computed
    full outer join existing
        on
            computed.channel_id = existing.channel_id
            and computed.usage_month = existing.usage_month
    where not coalesce(existing.is_closed, false)
    {% else %}
    select
        *,
        false as was_recorded

    from computed
    {% endif %}

),

final as (

    select
        channel_id,
        usage_month,
        room_charges,
        opened_charges,
        rollover_charges,
        unit_price_krw,
        fee_krw,
        vat_krw,
        total_krw,
        billing_month,
        invoice_window_start,
        invoice_window_end,
        usage_month <= cast('{{ closed_through }}' as date) as is_closed,
        case
            when usage_month <= cast('{{ closed_through }}' as date)
                then {{ build_started_at() }}
        end as closed_at,
        {{ build_started_at() }} as computed_at

    from candidates
    {% if is_incremental() -%}
    -- a month that was already closed when first seen has no figures at close
    where was_recorded or usage_month > cast('{{ closed_through }}' as date)
    {%- endif %}

)

select * from final
