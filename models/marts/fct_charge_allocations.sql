{{
    config(
        materialized='incremental',
        pre_hook="{{ delete_mart_rooms_to_recompute() }}",
        **stream_incremental_config()
    )
}}

-- depends_on: {{ ref('int_chat_rooms__streams_to_recompute') }}
-- depends_on: {{ ref('int_chat_events__streams_to_recompute') }}
-- depends_on: {{ ref('int_chat_rooms__lifecycle') }}
-- depends_on: {{ ref('stg_build_log__builds') }}
-- Each chat-room charge's price split among those it is attributed to (DECISIONLOG D22), one
-- row per charge and share:
--   consultant               each consultant who sent a message in the room on the charge's
--                            billing day (fct_room_charges.active_consultant_ids), n of them:
--                            floor(price / n) KRW each, plus 1 KRW to each of the first
--                            (price mod n) consultants in consultant_id order;
--   unidentified_consultant  consultant messages that day, none with a consultant_id: the price;
--   unanswered               no consultant message that day: the price.
-- A charge's shares sum to its price, so a month's shares sum to its fee. Incremental like the
-- other room-level marts: a build rewrites the streams in int_chat_rooms__streams_to_recompute
-- (DECISIONLOG D16).

-- (The aliases below are used by the room filter on incremental builds, hence noqa.)

with

charges as (

    select * from {{ ref('fct_room_charges') }} as charges  -- noqa: AL05
    where {{ in_mart_rooms_to_recompute('charges') }}

),

rooms as (

    select * from {{ ref('fct_chat_rooms') }} as rooms  -- noqa: AL05
    where {{ in_mart_rooms_to_recompute('rooms') }}

),

consultant_teams as (

    select * from {{ ref('stg_kakao__consultant_teams') }}

),

listed_charges as (

    select
        charge_id,
        active_consultant_ids

    from charges
    where active_consultant_ids is not null

),

charge_consultants as (

    select
        listed_charges.charge_id,
        consultant_list.consultant_id

    from listed_charges
    cross join {{ split_list('listed_charges.active_consultant_ids', 'consultant_id') }} as consultant_list

),

ranked_consultants as (

    select
        charge_id,
        consultant_id,
        row_number() over (partition by charge_id order by consultant_id) as consultant_rank,
        count(*) over (partition by charge_id) as consultant_count

    from charge_consultants

),

shares as (

    select
        charges.charge_id,
        'consultant' as allocation_target,
        ranked_consultants.consultant_id,
        ranked_consultants.consultant_count,
        cast(
            floor(charges.unit_price_krw / ranked_consultants.consultant_count) as {{ dbt.type_bigint() }}
        )
        + case
            when
                ranked_consultants.consultant_rank
                <= charges.unit_price_krw % ranked_consultants.consultant_count
                then 1
            else 0
        end as allocated_krw

    from charges
    inner join ranked_consultants
        on charges.charge_id = ranked_consultants.charge_id

    union all

    select
        charge_id,
        case
            when consultant_message_count > 0 then 'unidentified_consultant'
            else 'unanswered'
        end as allocation_target,
        cast(null as {{ dbt.type_string() }}) as consultant_id,
        1 as consultant_count,
        cast(unit_price_krw as {{ dbt.type_bigint() }}) as allocated_krw

    from charges
    where active_consultant_ids is null

),

final as (

    select
        {{ surrogate_key(['shares.charge_id', 'shares.consultant_id']) }} as allocation_id,
        shares.charge_id,
        charges.room_id,
        charges.channel_id,
        charges.customer_id,
        charges.billing_date,
        charges.usage_month,
        charges.charge_reason,
        rooms.entry_point,
        charges.unit_price_krw,
        shares.allocation_target,
        shares.consultant_id,
        consultant_teams.team,
        cast(shares.consultant_count as integer) as consultant_count,
        shares.allocated_krw,
        charges.stream_bucket

    from shares
    inner join charges
        on shares.charge_id = charges.charge_id
    left join rooms
        on charges.room_id = rooms.room_id
    left join consultant_teams
        on shares.consultant_id = consultant_teams.consultant_id

)

select * from final
