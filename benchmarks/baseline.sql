-- Baseline: the monthly room charges of marts.fct_monthly_fees (open months, policy `activity`)
-- computed by one hand-written DuckDB query straight from the raw Parquet event files.
--
-- Same billing rules (README "The billing rules", DECISIONLOG D3-D12), with the project's
-- default vars fixed: billing_time_zone Asia/Seoul, billing_day_start_hour 4, room_expiry_days
-- 30, 100 KRW per charge, occurred_at_min 2015-01-01, occurred_at_max_future_days 2 (from now).
-- Run it with `SET TimeZone = 'UTC'`, the placeholder events_glob (in braces, below) replaced by
-- the Parquet path or glob; scripts/baseline_billing.py does both.
--
-- Left out, because no monthly total depends on it: raw row ids and surrogate keys, rejection
-- reasons, room end reasons and times (under `activity` a charge needs only the room's
-- activity, so the data's clock never changes a total), consultants, VAT, invoice columns.
-- Left out as well: the platform's session ids (D34), which the generated benchmark data does
-- not have; on a feed with them the totals can differ.
-- Shortcuts that give the same totals:
--   * Asia/Seoul has been UTC+09:00 all year since 1988 and every accepted event is from 2015
--     on (D5): a text without an offset is read as +09:00 (D3), and the billing day (D9) is the
--     date of the UTC instant + 5 hours.
--   * Ids are trimmed (D4) only when they start or end with one of the whitespace characters.
--   * D6: the earliest row of an event_id wins; the content fingerprint (an MD5, as in staging)
--     is computed only for rows that tie on (event_id, occurred_at). Rows with equal
--     fingerprints have equal content, so dbt's last tie-break (raw_row_id) cannot matter.
--   * D8, D32: one window pass per (channel, customer) stream finds where rooms start (a
--     room_opened; a customer message other than `!종료` when the latest earlier room_opened or
--     such message comes before the latest end event or 30 days or more before it), a second
--     numbers them and flags the events at or after last customer activity + 30 days; the
--     events of a room are a prefix of its segment, ended by the first expiry (that event
--     excluded) or end event (`!종료`, room_left, room_closed; that event included). So a room is charged on a
--     billing day iff the day's first activity (room_opened or message) comes before that
--     point, which a GROUP BY per (room, billing day) and a window over those few rows decide.

with

-- D4: ids trimmed, enums trimmed and lower-cased; empty after trimming = missing.
source_rows as (

    select
        case
            when ord(event_id[1]) in (32, 9, 10, 11, 12, 13, 160, 12288)
                or ord(event_id[-1]) in (32, 9, 10, 11, 12, 13, 160, 12288)
                then nullif(trim(event_id, chr(32) || chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(160) || chr(12288)), '')
            else nullif(event_id, '')
        end as event_id,
        case
            when ord(occurred_at[1]) in (32, 9, 10, 11, 12, 13, 160, 12288)
                or ord(occurred_at[-1]) in (32, 9, 10, 11, 12, 13, 160, 12288)
                then nullif(trim(occurred_at, chr(32) || chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(160) || chr(12288)), '')
            else nullif(occurred_at, '')
        end as occurred_at_text,
        case
            when ord(channel_id[1]) in (32, 9, 10, 11, 12, 13, 160, 12288)
                or ord(channel_id[-1]) in (32, 9, 10, 11, 12, 13, 160, 12288)
                then nullif(trim(channel_id, chr(32) || chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(160) || chr(12288)), '')
            else nullif(channel_id, '')
        end as channel_id,
        case
            when ord(customer_id[1]) in (32, 9, 10, 11, 12, 13, 160, 12288)
                or ord(customer_id[-1]) in (32, 9, 10, 11, 12, 13, 160, 12288)
                then nullif(trim(customer_id, chr(32) || chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(160) || chr(12288)), '')
            else nullif(customer_id, '')
        end as customer_id,
        lower(nullif(trim(event_type, chr(32) || chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(160) || chr(12288)), '')) as event_type,
        lower(nullif(trim(sender_type, chr(32) || chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(160) || chr(12288)), '')) as sender_type,
        consultant_id,
        entry_point,
        message_text,
        lower(nullif(trim(end_reason, chr(32) || chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(160) || chr(12288)), '')) as end_reason,
        nullif(trim(session_id, chr(32) || chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(160) || chr(12288)), '') as session_id

    -- end_reason and session_id are optional (D33, D34): a feed without them reads null
    from (
        select * from read_parquet('{events_glob}', union_by_name = true)
        union all by name
        select cast(null as varchar) as end_reason, cast(null as varchar) as session_id
        where false
    )

),

-- D3, D5, D7: rows that pass every field check, their instant, and the end command.
accepted as (

    select
        *,
        event_type = 'message'
        and contains(message_text, '!종료')
        and trim(message_text, chr(32) || chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(160) || chr(12288)) = '!종료'
            as is_end_command

    from (
        select
            *,
            case
                when regexp_full_match(
                    occurred_at_text,
                    '[0-9]{4}-[0-9]{2}-[0-9]{2}[T ]([01][0-9]|2[0-3]):[0-5][0-9](:[0-5][0-9]([.][0-9]{1,9})?)?(Z|[+-]([01][0-9]|2[0-3])(:?[0-5][0-9])?)?'
                )
                    then try_cast(
                        case
                            when occurred_at_text[-1] = 'Z'
                                or contains(occurred_at_text[11:], '+')
                                or contains(occurred_at_text[11:], '-')
                                then occurred_at_text
                            else occurred_at_text || '+09:00'
                        end as timestamptz
                    )
            end as occurred_at

        from source_rows
        where
            event_id is not null
            and channel_id is not null
            and customer_id is not null
            and event_type in ('room_opened', 'message', 'room_left', 'room_closed', 'room_updated')
            and (sender_type is null or sender_type in ('customer', 'consultant', 'system'))
            and (
                end_reason is null
                or (event_type = 'room_left' and end_reason in ('customer_left', 'room_deleted', 'channel_blocked'))
                or (event_type = 'room_closed' and end_reason in ('closed', 'consultant_ended', 'consultant_blocked', 'manager_ended'))
            )
    )
    where
        occurred_at >= timestamptz '2014-12-31 15:00:00+00'  -- 2015-01-01 00:00 KST
        and occurred_at <= now() + interval 2 day

),

-- D6: per event_id the rows at its earliest occurred_at (usually one) ...
earliest as materialized (

    select
        *,
        count(*) over (
            partition by event_id order by occurred_at range between current row and current row
        ) as rows_at_instant

    from accepted
    qualify rank() over (partition by event_id order by occurred_at) = 1

),

-- ... and the one kept: the only one, or the smallest fingerprint among tied rows.
events as (

    select channel_id, customer_id, event_id, occurred_at, event_type, sender_type, is_end_command
    from earliest
    where rows_at_instant = 1

    union all

    select channel_id, customer_id, event_id, occurred_at, event_type, sender_type, is_end_command
    from earliest
    where rows_at_instant > 1
    qualify row_number() over (
        partition by event_id
        order by md5(
            event_id || '-' || occurred_at_text
            || '-' || channel_id || '-' || customer_id
            || '-' || event_type || '-' || coalesce(sender_type, '_null_')
            || '-' || coalesce(nullif(trim(consultant_id, chr(32) || chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(160) || chr(12288)), ''), '_null_')
            || '-' || coalesce(lower(nullif(trim(entry_point, chr(32) || chr(9) || chr(10) || chr(11) || chr(12) || chr(13) || chr(160) || chr(12288)), '')), '_null_')
            || '-' || coalesce(message_text, '_null_')
            || '-' || coalesce(end_reason, '_null_') || '-' || coalesce(session_id, '_null_')
        )
    ) = 1

),

-- D8, D32: where rooms start per (channel, customer), in order of occurred_at, event_id.
starts as (

    select
        *,
        event_type = 'room_opened'
        or (
            is_opening
            and coalesce(
                not (
                    max(position) filter (where is_opening) over before_event
                    > coalesce(max(position) filter (where is_room_end) over before_event, 0)
                    and occurred_at
                    < max(occurred_at) filter (where is_opening) over before_event + interval 30 day
                ),
                true
            )
        ) as opens_room

    from (
        select
            *,
            row_number() over stream_order as position,
            -- a message without a sender is no opening (not null: it would make opens_room null)
            event_type = 'room_opened'
            or coalesce(event_type = 'message' and sender_type = 'customer' and not coalesce(is_end_command, false), false)
                as is_opening,
            event_type in ('room_left', 'room_closed') or is_end_command as is_room_end
        from events
        window stream_order as (partition by channel_id, customer_id order by occurred_at, event_id)
    )
    window before_event as (
        partition by channel_id, customer_id order by occurred_at, event_id
        rows between unbounded preceding and 1 preceding
    )

),

-- D8: rooms and expiry per stream.
streams as (

    select
        channel_id,
        customer_id,
        event_type,
        cast(occurred_at + interval 5 hour as date) as billing_date,
        position,
        count(*) filter (where opens_room) over (
            stream_order rows between unbounded preceding and current row
        ) as room_seq,
        max(occurred_at) filter (where opens_room) over (
            stream_order rows between unbounded preceding and current row
        ) as opened_at,
        not opens_room
        and occurred_at >= max(occurred_at) filter (
            where event_type = 'room_opened' or (event_type = 'message' and sender_type = 'customer')
        ) over (stream_order rows between unbounded preceding and 1 preceding) + interval 30 day
            as is_after_expiry,
        is_room_end

    from starts
    window stream_order as (partition by channel_id, customer_id order by occurred_at, event_id)

),

-- D9: per room and billing day, where its first activity, expiry and end fall.
room_days as (

    select
        channel_id,
        customer_id,
        room_seq,
        billing_date,
        cast(any_value(opened_at) + interval 5 hour as date) as opened_billing_date,
        min(position) filter (where event_type in ('room_opened', 'message')) as first_activity,
        min(position) filter (where is_after_expiry) as first_expired,
        min(position) filter (where is_room_end and not is_after_expiry) as first_end

    from streams
    where room_seq > 0
    group by channel_id, customer_id, room_seq, billing_date

),

-- D1: one charge per room and billing day with activity inside the room.
charges as (

    select
        channel_id,
        billing_date,
        opened_billing_date

    from (
        select
            *,
            min(first_expired) over room as room_expired_at,
            min(first_end) over room as room_ended_at
        from room_days
        window room as (partition by channel_id, customer_id, room_seq)
    )
    where
        first_activity is not null
        and (room_expired_at is null or first_activity < room_expired_at)
        and (room_ended_at is null or first_activity <= room_ended_at)

)

-- D11, D12: per channel and usage month, 100 KRW per charge.
select
    channel_id,
    cast(date_trunc('month', billing_date) as date) as usage_month,
    count(*) as room_charges,
    count(*) filter (where billing_date = opened_billing_date) as opened_charges,
    count(*) filter (where billing_date <> opened_billing_date) as rollover_charges,
    100 * count(*) as fee_krw

from charges
group by channel_id, usage_month
order by channel_id, usage_month
