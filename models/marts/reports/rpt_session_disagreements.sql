-- Where the platform's sessions (the feed's session_id, DECISIONLOG D34) and the project's own
-- rooms (D8, D32) disagree, in the streams whose feed names sessions. One row per
-- disagreement:
--   session_split          one session holds events the rules place in several rooms;
--   sessions_merged        one room of the rules holds events of several sessions;
--   outside_derived_room   a session holds events the rules place outside any room;
--   outside_session        events no session names (a room of the rules, or none).
-- billed_as says which side was charged: the platform's session wherever the feed names one
-- (platform_session), the room of the rules where it names none (derived_room), or nothing
-- (not_billed). A stream whose sessions and rooms agree has no row.

with

events as (

    select * from {{ ref('int_chat_events__assigned_to_rooms') }}
    where stream_id in (
        select session_events.stream_id
        from {{ ref('int_chat_events__assigned_to_rooms') }} as session_events
        where session_events.session_id is not null
    )

),

sessions as (

    select
        channel_id,
        customer_id,
        room_session_id,
        count(distinct derived_opened_event_id) as derived_rooms,
        sum(case when derived_opened_event_id is null then 1 else 0 end) as events_outside_rooms,
        count(*) as events,
        min(occurred_at) as first_occurred_at,
        max(occurred_at) as last_occurred_at

    from events
    where room_session_id is not null
    group by channel_id, customer_id, room_session_id

),

derived_rooms as (

    select
        channel_id,
        customer_id,
        derived_opened_event_id,
        count(distinct session_id) as sessions,
        count(*) as events,
        min(occurred_at) as first_occurred_at,
        max(occurred_at) as last_occurred_at

    from events
    where derived_opened_event_id is not null
    group by channel_id, customer_id, derived_opened_event_id

),

unnamed as (

    select
        channel_id,
        customer_id,
        derived_opened_event_id,
        count(*) as events,
        min(occurred_at) as first_occurred_at,
        max(occurred_at) as last_occurred_at

    from events
    where room_session_id is null
    group by channel_id, customer_id, derived_opened_event_id

),

disagreements as (

    select
        channel_id,
        customer_id,
        'session_split' as disagreement,
        room_session_id as session_id,
        cast(null as {{ dbt.type_string() }}) as derived_opened_event_id,
        events,
        derived_rooms,
        1 as sessions,
        'platform_session' as billed_as,
        first_occurred_at,
        last_occurred_at
    from sessions
    where derived_rooms > 1

    union all

    select
        channel_id,
        customer_id,
        'outside_derived_room' as disagreement,
        room_session_id as session_id,
        cast(null as {{ dbt.type_string() }}) as derived_opened_event_id,
        events_outside_rooms as events,
        derived_rooms,
        1 as sessions,
        'platform_session' as billed_as,
        first_occurred_at,
        last_occurred_at
    from sessions
    where events_outside_rooms > 0

    union all

    select
        channel_id,
        customer_id,
        'sessions_merged' as disagreement,
        cast(null as {{ dbt.type_string() }}) as session_id,
        derived_opened_event_id,
        events,
        1 as derived_rooms,
        sessions,
        'platform_session' as billed_as,
        first_occurred_at,
        last_occurred_at
    from derived_rooms
    where sessions > 1

    union all

    select
        channel_id,
        customer_id,
        'outside_session' as disagreement,
        cast(null as {{ dbt.type_string() }}) as session_id,
        derived_opened_event_id,
        events,
        case when derived_opened_event_id is null then 0 else 1 end as derived_rooms,
        0 as sessions,
        case when derived_opened_event_id is null then 'not_billed' else 'derived_room' end as billed_as,
        first_occurred_at,
        last_occurred_at
    from unnamed

),

final as (

    select
        channel_id,
        {{ customer_key('customer_id') }} as customer_id,
        disagreement,
        session_id,
        derived_opened_event_id,
        cast(events as {{ dbt.type_bigint() }}) as events,
        cast(derived_rooms as {{ dbt.type_bigint() }}) as derived_rooms,
        cast(sessions as {{ dbt.type_bigint() }}) as sessions,
        billed_as,
        first_occurred_at,
        {{ to_local_time('first_occurred_at') }} as first_occurred_at_kst,
        last_occurred_at,
        {{ to_local_time('last_occurred_at') }} as last_occurred_at_kst

    from disagreements

)

select * from final
