-- Every raw row once, with its final rejection reason: the field-level reason from staging, or
-- `duplicate_event_id` for all but one of the valid rows sharing an event_id. The kept row is the
-- one with the earliest occurred_at, then the smallest content fingerprint (DECISIONLOG D6), so
-- the choice never depends on file names or row order. `event_id_conflict` flags every row of
-- an event_id whose rows do not all have the same content.

with

events as (

    select * from {{ ref('stg_kakao__chat_events') }}

),

ranked as (

    select
        raw_row_id,
        row_number() over (
            partition by event_id
            order by occurred_at, content_fingerprint, raw_row_id
        ) as rank_within_event_id

    from events
    where rejection_reason is null

),

conflicts as (

    select
        event_id,
        count(distinct content_fingerprint) > 1 as event_id_conflict

    from events
    where event_id is not null
    group by event_id

),

final as (

    select
        events.raw_row_id,
        events.source_file,
        events.event_id,
        events.occurred_at_text,
        events.occurred_at,
        events.channel_id,
        events.customer_id,
        events.event_type,
        events.sender_type,
        events.consultant_id,
        events.entry_point,
        events.is_end_command,
        coalesce(
            events.rejection_reason,
            case when ranked.rank_within_event_id > 1 then 'duplicate_event_id' end
        ) as rejection_reason,
        coalesce(conflicts.event_id_conflict, false) as event_id_conflict

    from events
    left join ranked
        on events.raw_row_id = ranked.raw_row_id
    left join conflicts
        on events.event_id = conflicts.event_id

)

select * from final
