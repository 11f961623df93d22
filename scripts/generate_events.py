"""Generate realistic chat events for load and end-to-end tests, as Parquet by arrival day.

Writes OUT/arrival_date=YYYY-MM-DD/events.parquet (one file per day on which the events were
delivered, hive-style folders) with the input contract's nine columns, all text, and
OUT/manifest.json with the options and the row counts. Read everything with the glob
'OUT/*/*.parquet', or the first K deliveries with a glob over K folders:

    python scripts/generate_events.py --events 1000000 --out /tmp/events
    dbt build --vars '{chat_events_path: "/tmp/events/*/*.parquet"}'

The shape: customers belong to one channel each (channel sizes Zipf-like); each customer opens
a Poisson number of rooms whose rate varies from customer to customer (most open 0-2 a month,
a few many more); rooms open mostly in the daytime (KST) and carry a long-tailed number of
messages (median about 8, some hundreds) between the customer, a consultant of the channel
(replies seconds to minutes apart) and the system. Rooms end by `!종료`, by the customer
leaving, by a consultant or the system closing them, or never; some carry on past 04:00 KST
into the next billing day, some get a word after they ended, and some customers come back a
few minutes later with a new room. Dirty data on top: rows re-delivered on a later day (same
event_id, same content), rows delivered days late, and invalid rows (garbage or missing
occurred_at, unknown event_type or sender_type, missing ids).

Every random number is a hash of (seed, entity, salt), never a random-number generator, and
every file is written in a fixed row order: the same options give byte-identical files
whatever the number of threads.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import shutil
import sys
import time
from concurrent.futures import ThreadPoolExecutor, as_completed
from datetime import date, timedelta
from pathlib import Path

import duckdb
import numpy as np
from tqdm import tqdm

from events_to_parquet import CONTRACT_COLUMNS

# Mean rooms a customer opens per 30 days; the rate itself is exponentially distributed over
# customers, so the count per customer is geometric (a Poisson count with a varying rate).
ROOMS_PER_MONTH = 1.2
MEDIAN_MESSAGES = 8
MESSAGES_SIGMA = 1.0
MAX_MESSAGES = 900
MAX_ROOMS_PER_CUSTOMER = 999
EVENT_SLOTS_PER_ROOM = 1024  # room_opened + messages + an end event + a word after the end
ZIPF_EXPONENT = 1.1
# Relative number of rooms opened in each KST hour, 00 to 23.
HOUR_WEIGHTS = (3, 2, 1.5, 1, 0.6, 0.5, 0.8, 1.5, 3, 6, 8, 8, 6, 7, 8, 8, 7, 6, 5, 5, 5, 5, 4.5, 4)
# How a room ends: (end command, customer leaves, closed, never), cumulative.
END_CUMULATIVE = (0.35, 0.55, 0.80)
ENTRY_POINTS = ("consult_button", "talk_channel", "app", "web")
ENTRY_CUMULATIVE = (0.50, 0.75, 0.90)
CUSTOMER_LINES = (
    "안녕하세요, 주문 확인 부탁드려요", "배송이 언제 오나요?", "환불 가능한가요?", "네 감사합니다",
    "주문번호 알려드릴게요", "결제가 두 번 됐어요", "교환하고 싶어요", "사이즈가 안 맞아요",
    "상담원 연결해 주세요", "네", "아니요", "잠시만요", "사진 보내드릴게요", "😊 좋아요",
    "Can I change my address?", "Is this item in stock?", "Thanks!", "Where is my order?",
)
# Customer messages that look like the end command but are not (DECISIONLOG D7); 1 in 200.
NEAR_END_COMMANDS = ("!종료 감사합니다", "종료", "!종료요?", "! 종료")
CONSULTANT_LINES = (
    "안녕하세요, 무엇을 도와드릴까요?", "확인해 드리겠습니다.", "잠시만 기다려 주세요.",
    "처리되었습니다.", "주문번호를 알려주시겠어요?", "불편을 드려 죄송합니다.",
    "환불은 영업일 기준 3일 이내에 처리됩니다.", "다른 문의 사항 있으신가요?",
    "Let me check that for you.", "Your order has shipped.",
)
SYSTEM_LINES = (
    "상담원이 연결되었습니다.", "상담 대기 중입니다. 잠시만 기다려 주세요.",
    "상담 가능 시간이 아닙니다.", "장시간 응답이 없어 상담이 곧 종료됩니다.",
)
END_COMMANDS = ("!종료", "!종료", "!종료", " !종료 ", "!종료\n", "\u3000!종료")
AFTER_END_LINES = ("감사합니다!", "아 하나만 더 여쭤볼게요", "thanks", "ㅎㅎ 네")
# Invalid rows: what is broken in them (DECISIONLOG D3-D5 give the rejection reasons).
REJECT_KINDS = 10


def sql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"


def sql_list(values: tuple[str, ...] | list[str]) -> str:
    return "[" + ", ".join(sql_text(v) for v in values) + "]"


def sql_numbers(values: tuple[float, ...] | list[float]) -> str:
    return "([" + ", ".join(repr(float(v)) for v in values) + "]::DOUBLE[])"


def cumulative(weights: tuple[float, ...] | list[float]) -> list[float]:
    """Upper bounds of all but the last bucket; a uniform u falls in bucket #(bounds <= u)."""
    total = float(sum(weights))
    bounds, running = [], 0.0
    for weight in weights[:-1]:
        running += weight
        bounds.append(running / total)
    return bounds


def zero_padded(number: str, width: int) -> str:
    """SQL: a non-negative integer below 10**width as text, zero-padded (faster than lpad)."""
    return f"substr((({number}) + {10 ** width})::VARCHAR, 2)"


def bucket(u: str, bounds: list[float] | tuple[float, ...]) -> str:
    """SQL: the 0-based bucket of uniform `u` under cumulative `bounds`."""
    return f"len(list_filter({sql_numbers(list(bounds))}, lambda bound: bound <= {u}))"


class Plan:
    """The options of a run and the SQL that generates it."""

    def __init__(self, args: argparse.Namespace, customers: int) -> None:
        self.args = args
        self.customers = customers
        self.seed = args.seed
        self.days = args.days
        self.start = args.start_date
        channels = args.channels
        weights = [1.0 / (k + 1) ** ZIPF_EXPONENT for k in range(channels)]
        self.channel_bounds = cumulative(weights)
        total_agents = max(3 * channels, math.ceil(customers / 1500))
        shares = [w / sum(weights) for w in weights]
        self.agent_counts = [max(2, round(s * total_agents)) for s in shares]
        self.agent_bases = [sum(self.agent_counts[:k]) for k in range(channels)]
        self.customer_width = max(7, len(str(customers - 1)))
        self.channel_width = max(2, len(str(channels)))
        self.agent_width = max(3, len(str(sum(self.agent_counts))))
        # Room keys: customer * 1000 + its room number; a re-entry room gets its parent's key
        # plus reentry_offset. Event numbers: room key * EVENT_SLOTS_PER_ROOM + position.
        self.reentry_offset = customers * (MAX_ROOMS_PER_CUSTOMER + 1)
        self.event_width = len(str(2 * self.reentry_offset * EVENT_SLOTS_PER_ROOM))
        self.mean_rooms = ROOMS_PER_MONTH * self.days / 30.0

    # -- random numbers ---------------------------------------------------------------------
    def base(self, kind: int, key: str) -> str:
        """SQL: a 64-bit hash naming one entity (kind 1 room, 2 event, 3 customer)."""
        return f"hash({self.seed}::UBIGINT, {kind}::UBIGINT, ({key})::UBIGINT)"

    @staticmethod
    def unif(base: str, salt: int) -> str:
        """SQL: a uniform number in (0, 1) from an entity hash and a salt."""
        return (f"(((hash(xor({base}, {salt}::UBIGINT)) >> 11)::DOUBLE + 0.5) "
                "/ 9007199254740992.0)")

    def normal(self, base: str, salt: int) -> str:
        """SQL: a standard normal number (Box-Muller on two uniforms)."""
        return (f"(sqrt(-2 * ln({self.unif(base, salt)})) "
                f"* cos(2 * pi() * {self.unif(base, salt + 1000)}))")

    # -- customers and rooms ----------------------------------------------------------------
    def customers_sql(self, count: int) -> str:
        b = "b"
        q = self.mean_rooms / (1.0 + self.mean_rooms)
        return f"""
        select c as cust, chan,
            least({MAX_ROOMS_PER_CUSTOMER},
                  floor(ln({self.unif(b, 2)}) / ln({q!r})))::INTEGER as n_rooms
        from (
            select c, {b}, {bucket('u_chan', self.channel_bounds)}::INTEGER as chan
            from (
                select c, {b}, {self.unif(b, 1)} as u_chan
                from (select range as c, {self.base(3, 'range')} as b from range({count}))
            )
        )
        """

    def base_rooms_sql(self) -> str:
        """SQL: each customer's rooms (cust, chan, rk, rb, start_s), opening at a random time."""
        rb = "rb"
        u = self.unif
        hour = bucket("u_hour", cumulative(list(HOUR_WEIGHTS)))
        return f"""
        select cust, chan, rk, rb,
            (floor({u(rb, 1)} * {self.days}) * 86400 + {hour} * 3600
                + floor({u(rb, 3)} * 3600))::BIGINT as start_s
        from (
            select *, {u(rb, 2)} as u_hour
            from (
                select cust, chan, rk, {self.base(1, 'rk')} as rb
                from (
                    select cust, chan, cust * {MAX_ROOMS_PER_CUSTOMER + 1} + k as rk
                    from (select cust, chan, unnest(range(n_rooms)) as k
                          from customers where n_rooms > 0)
                )
            )
        )
        """

    def reentry_rooms_sql(self) -> str:
        """SQL: quick re-entries, opened 1 to 10 minutes after their parent room's last event
        (the parent ended, or the new room supersedes it)."""
        return f"""
        select r.cust, r.chan, r.rk + {self.reentry_offset} as rk,
            {self.base(1, f'r.rk + {self.reentry_offset}')} as rb,
            e.last_t + 60 + floor({self.unif('r.rb', 13)} * 540)::BIGINT as start_s
        from rooms r
        join (
            select ev_no // {EVENT_SLOTS_PER_ROOM} as rk, any_value(start_s) + sum(delay) as last_t
            from events_raw
            where ev_no // {EVENT_SLOTS_PER_ROOM} in (select rk from rooms where reentry)
            group by all
        ) e using (rk)
        order by rk
        """

    def room_params_sql(self, source: str, reentry: bool) -> str:
        """SQL: every parameter of the rooms in `source` (cust, chan, rk, rb, start_s)."""
        rb = "rb"
        u = self.unif
        agent_base = f"{sql_numbers(self.agent_bases)}[chan + 1]"
        agent_count = f"{sql_numbers(self.agent_counts)}[chan + 1]"
        reentry_flag = "false" if reentry else f"{u(rb, 7)} < 0.08"
        return f"""
        select *, 1 + n_msgs + (end_kind in (2, 3))::INTEGER + after_end::INTEGER as n_ev
        from (
            select * exclude (carry_draw, after_end_draw),
                end_kind <> 0 and after_end_draw as after_end,
                case when carry_draw > 0 then 1 + carry_draw % n_msgs else -1 end as carry_at
            from (
                select cust, chan, rk, start_s, {rb},
                    least({MAX_MESSAGES}, greatest(1, round(exp(ln({MEDIAN_MESSAGES})
                        + {MESSAGES_SIGMA} * {self.normal(rb, 4)}))))::INTEGER as n_msgs,
                    -- 1 end command, 2 customer leaves, 3 closed, 0 never
                    (({bucket('u_end', END_CUMULATIVE)} + 1) % 4)::INTEGER as end_kind,
                    {bucket('u_entry', ENTRY_CUMULATIVE)}::INTEGER as entry,
                    ({agent_base} + floor({u(rb, 10)} * {agent_count}))::INTEGER as agent,
                    exp(0.5 * {self.normal(rb, 11)}) as pace,
                    case when {u(rb, 8)} < 0.05 then 1 + floor({u(rb, 9)} * 1000)::INTEGER
                         else -1 end as carry_draw,
                    {u(rb, 6)} < 0.10 as after_end_draw,
                    {reentry_flag} as reentry
                from (select *, {u(rb, 5)} as u_end, {u(rb, 12)} as u_entry from ({source}))
            )
        )
        """

    # -- events -----------------------------------------------------------------------------
    def events_sql(self, rooms: str) -> str:
        """SQL: the events of `rooms`, each with the seconds since the previous one (delay).

        An event's time is its room's start_s plus the running sum of its room's delays
        (event_rows computes it); every delay but the room_opened's is at least 1 s. The
        delivery defects are drawn here too: reject (-1, or what to break), late_days,
        duplicated and dup_delay, and fmt and micros for the timestamp's format.
        """
        eb = "eb"
        u = self.unif
        n = self.normal
        a = self.args
        late_max = a.late_max_days
        agent_bases = sql_numbers(self.agent_bases)
        agent_counts = sql_numbers(self.agent_counts)
        return f"""
        select cust::INTEGER as cust, chan::SMALLINT as chan, ev_no, i::INTEGER as i,
            kind::TINYINT as kind, sender::TINYINT as sender,
            coalesce(agent_no, -1)::INTEGER as agent_no, entry::TINYINT as entry,
            text_no::SMALLINT as text_no, start_s, delay,
            case when {u(eb, 20)} < {a.reject_rate!r}
                 then floor({u(eb, 21)} * {REJECT_KINDS}) else -1 end::TINYINT as reject,
            case when {u(eb, 22)} < {a.late_rate!r}
                 then 1 + floor({u(eb, 23)} * {late_max}) else 0 end::SMALLINT as late_days,
            {u(eb, 24)} < {a.duplicate_rate!r} as duplicated,
            (1 + floor({u(eb, 25)} * {max(1, late_max)}))::SMALLINT as dup_delay,
            floor({u(eb, 26)} * 1000)::SMALLINT as fmt,
            floor({u(eb, 27)} * 1000000)::INTEGER as micros
        from (
            select *,
                case
                    when i = 0 then 0
                    when text_no = -2 then 60 + floor({u(eb, 3)} * 1740)
                    when kind = 1 then pause + case sender
                        when 1 then greatest(1, ceil(pace * exp(ln(20) + {n(eb, 1)})))
                        when 2 then greatest(1, ceil(pace * exp(ln(45) + {n(eb, 1)})))
                        else 1 + floor({u(eb, 3)} * 3) end
                    else 5 + floor({u(eb, 3)} * 595)
                end::BIGINT as delay
            from (
                select *,
                    case
                        when kind = 1 and sender = 2 then agent_draw
                        when kind = 3 and sender = 2 then agent
                        else null
                    end as agent_no,
                    -- a long pause (the room carries on 8 to 30 hours later), or a short one
                    case when i = carry_at then 28800 + floor({u(eb, 4)} * 79200)
                         when {u(eb, 5)} < 0.02 then 300 + floor({u(eb, 6)} * 3300)
                         else 0 end as pause
                from (
                    select *,
                        -- kind: 0 room_opened, 1 message, 2 room_left, 3 room_closed
                        case when i = 0 then 0
                             when i <= n_msgs then 1
                             when i = n_msgs + 1 and end_kind = 2 then 2
                             when i = n_msgs + 1 and end_kind = 3 then 3
                             else 1 end as kind,
                        -- sender: 1 customer, 2 consultant, 3 system
                        case when i = 0 or i = 1 then 1
                             when i = n_msgs and end_kind = 1
                                 then case when {u(eb, 7)} < 0.8 then 1 else 2 end
                             when i <= n_msgs then
                                 case when {u(eb, 7)} < 0.50 then 1
                                      when {u(eb, 7)} < 0.94 then 2 else 3 end
                             when i = n_msgs + 1 and end_kind = 2 then 1
                             when i = n_msgs + 1 and end_kind = 3
                                 then case when {u(eb, 7)} < 0.6 then 3 else 2 end
                             else 1 end as sender,
                        -- text: -1 the end command, -2 a customer's word after the end
                        case when i = n_msgs and end_kind = 1 then -1
                             when i > n_msgs and (end_kind = 1 or i > n_msgs + 1) then -2
                             else floor({u(eb, 8)} * 1000)::INTEGER end as text_no,
                        -- mostly the room's consultant, sometimes a colleague
                        case when {u(eb, 9)} < 0.9 then agent
                             else {agent_bases}[chan + 1]
                                  + floor({u(eb, 10)} * {agent_counts}[chan + 1])
                        end::INTEGER as agent_draw
                    from (
                        select *, rk * {EVENT_SLOTS_PER_ROOM} + i as ev_no,
                            {self.base(2, f'rk * {EVENT_SLOTS_PER_ROOM} + i')} as eb
                        from (select *, unnest(range(n_ev)) as i from ({rooms}))
                    )
                )
            )
        )
        """

    # -- output -----------------------------------------------------------------------------
    def format_sql(self, relation: str) -> str:
        """SQL: the contract rows of `relation` (one arrival day, in order) as text."""
        start = self.start.isoformat()
        local = f"(TIMESTAMP '{start}' + to_seconds(t))"
        stamp = "strftime({ts}, '%Y-%m-%dT%H:%M:%S')"
        kst = stamp.format(ts=local)
        utc = stamp.format(ts=f"({local} - INTERVAL 9 HOUR)")
        frac = (f"case when fmt % 100 < 6 then '.' || {zero_padded('micros // 1000', 3)} "
                f"when fmt % 100 < 8 then '.' || {zero_padded('micros', 6)} else '' end")
        occurred = (f"case when fmt < 780 then {kst} || {frac} || '+09:00' "
                    f"when fmt < 900 then {utc} || {frac} || 'Z' "
                    f"when fmt < 960 then {kst} || {frac} || '+0900' "
                    f"else {kst} || {frac} end")
        texts = (f"case when text_no = -1 then {sql_list(END_COMMANDS)}[1 + fmt % "
                 f"{len(END_COMMANDS)}] "
                 f"when text_no = -2 then {sql_list(AFTER_END_LINES)}[1 + fmt % "
                 f"{len(AFTER_END_LINES)}] "
                 f"when sender = 1 and text_no < 5 then {sql_list(NEAR_END_COMMANDS)}[1 + "
                 f"text_no % {len(NEAR_END_COMMANDS)}] "
                 f"when sender = 1 then {sql_list(CUSTOMER_LINES)}[1 + text_no % "
                 f"{len(CUSTOMER_LINES)}] "
                 f"when sender = 2 then {sql_list(CONSULTANT_LINES)}[1 + text_no % "
                 f"{len(CONSULTANT_LINES)}] "
                 f"else {sql_list(SYSTEM_LINES)}[1 + text_no % {len(SYSTEM_LINES)}] end")
        event_type = "['room_opened', 'message', 'room_left', 'room_closed'][kind + 1]"
        sender_type = "['customer', 'consultant', 'system'][sender]"
        # reject: what is broken in an invalid row (DECISIONLOG D3-D5 give the reasons)
        return f"""
        select
            case when reject = 8 then null
                 else 'e' || {zero_padded('ev_no', self.event_width)} end as event_id,
            case reject when 0 then 'not-a-time' when 1 then ''
                 when 2 then '1970-01-01T00:00:00Z' when 9 then strftime({local}, '%Y-%m-%d')
                 else {occurred} end as occurred_at,
            case when reject = 6 then null
                 else '@channel_' || {zero_padded('chan + 1', self.channel_width)}
            end as channel_id,
            case when reject = 5 then ''
                 else 'u' || {zero_padded('cust', self.customer_width)} end as customer_id,
            case reject when 3 then 'typing_indicator' when 4 then 'read_receipt'
                 else {event_type} end as event_type,
            case when reject = 7 then 'bot' else {sender_type} end as sender_type,
            case when agent_no < 0 then null
                 else 'agent_' || {zero_padded('agent_no + 1', self.agent_width)}
            end as consultant_id,
            case when kind = 0 then {sql_list(ENTRY_POINTS)}[entry + 1] end as entry_point,
            case when kind = 1 then {texts} end as message_text
        from {relation}
        """


def connect(threads: int | None, memory_limit: str | None) -> duckdb.DuckDBPyConnection:
    connection = duckdb.connect(":memory:")
    if threads:
        connection.execute(f"set threads = {int(threads)}")
    if memory_limit:
        connection.execute(f"set memory_limit = {sql_text(memory_limit)}")
    connection.execute("set preserve_insertion_order = true")
    return connection


def build_events(connection: duckdb.DuckDBPyConnection, plan: Plan) -> None:
    """Create the customers and rooms tables and events_raw, every room's events."""
    connection.execute(
        f"create or replace table customers as {plan.customers_sql(plan.customers)}")
    connection.execute(f"""
        create or replace table rooms as
        {plan.room_params_sql(plan.base_rooms_sql(), reentry=False)}
    """)
    connection.execute(f"create or replace table events_raw as {plan.events_sql('from rooms')}")
    connection.execute(f"""
        insert into events_raw
        {plan.events_sql(plan.room_params_sql(plan.reentry_rooms_sql(), reentry=True))}
    """)


# Columns of the delivered rows that the output needs.
ROW_COLUMNS = ("cust", "chan", "ev_no", "kind", "sender", "agent_no", "entry", "text_no", "t",
               "reject", "fmt", "micros")
DELIVERY_COLUMNS = (*ROW_COLUMNS, "copy", "arrival_day")


def event_rows(connection: duckdb.DuckDBPyConnection, plan: Plan) -> dict[str, np.ndarray]:
    """Every delivered row, grouped by arrival day (in a fixed order within a day).

    Adds to events_raw, in numpy: t, the time in seconds since the first KST midnight (the
    room's start plus the running sum of its delays); the arrival day (the KST day of t plus
    late_days, plus dup_delay for the re-delivered copy); and drops events after the last day.
    """
    columns = connection.execute("from events_raw").fetchnumpy()
    connection.execute("drop table events_raw")
    ev_no = columns["ev_no"]
    # Rows come in insertion order: event numbers ascending, rooms one after the other. Sort
    # them if not, so that the result never depends on how the query was run.
    if len(ev_no) > 1 and not bool(np.all(ev_no[1:] > ev_no[:-1])):
        order = np.argsort(ev_no, kind="stable")
        columns = {name: values[order] for name, values in columns.items()}
    running = np.cumsum(columns["delay"], dtype=np.int64)
    # running is non-decreasing, so the running sum at each room's first row carries forward
    room_base = np.maximum.accumulate(np.where(columns["i"] == 0, running, 0))
    t = columns["start_s"] + running - room_base
    kept = np.flatnonzero(t < plan.days * 86400)
    arrival = (t // 86400).astype(np.int32) + columns["late_days"]
    copies = kept[columns["duplicated"][kept]]
    index = np.concatenate([kept, copies])
    copy = np.concatenate([np.zeros(len(kept), np.int8), np.ones(len(copies), np.int8)])
    arrival_day = np.concatenate([arrival[kept], arrival[copies] + columns["dup_delay"][copies]])
    order = np.argsort(arrival_day.astype(np.int16), kind="stable")  # a radix sort
    index = index[order]
    rows = {name: (t if name == "t" else columns[name])[index] for name in ROW_COLUMNS}
    rows["arrival_day"] = arrival_day[order]
    rows["copy"] = copy[order]
    rows["late"] = (columns["late_days"][index] > 0) & (rows["copy"] == 0)
    return rows


def expected_events_per_customer(args: argparse.Namespace) -> float:
    """Events per customer of these options, measured on a pilot run of 2,000 to 20,000
    customers (the more events wanted, the larger)."""
    pilot = min(20_000, max(2_000, args.events // 50))
    plan = Plan(args, pilot)
    connection = connect(args.threads, args.memory_limit)
    build_events(connection, plan)
    rows = event_rows(connection, plan)
    connection.close()
    return max(int((rows["copy"] == 0).sum()) / pilot, 1e-9)


class StageLog:
    """Prints how long each stage took, to stderr (--verbose)."""

    def __init__(self, enabled: bool) -> None:
        self.enabled = enabled
        self.last = time.perf_counter()

    def done(self, stage: str) -> None:
        now = time.perf_counter()
        if self.enabled:
            print(f"{stage}: {now - self.last:.2f} s", file=sys.stderr, flush=True)
        self.last = now


def prepare_out_dir(out: Path, overwrite: bool) -> None:
    existing = sorted(out.glob("arrival_date=*")) if out.exists() else []
    manifest = out / "manifest.json"
    if (existing or manifest.exists()) and not overwrite:
        raise SystemExit(f"{out} already holds generated events; use --overwrite to replace them")
    for folder in existing:
        shutil.rmtree(folder)
    manifest.unlink(missing_ok=True)
    out.mkdir(parents=True, exist_ok=True)


def generate(args: argparse.Namespace) -> dict[str, object]:
    """Write the files and the manifest; return the manifest (plus the run's seconds)."""
    started = time.perf_counter()
    log = StageLog(enabled=args.verbose)
    customers = args.customers
    if args.events is not None:
        customers = max(1, round(args.events / expected_events_per_customer(args)))
        log.done(f"pilot run: {customers:,} customers for about {args.events:,} events")
    plan = Plan(args, customers)
    prepare_out_dir(args.out, args.overwrite)

    connection = connect(args.threads, args.memory_limit)
    build_events(connection, plan)
    log.done("customers, rooms and events")
    rows = event_rows(connection, plan)
    log.done("event times and arrival days")

    original = rows["copy"] == 0
    days, starts = np.unique(rows["arrival_day"], return_index=True)
    bounds = [*starts.tolist(), len(rows["copy"])]
    slices = {int(day): (bounds[n], bounds[n + 1]) for n, day in enumerate(days.tolist())}
    connection.register("delivered_rows", {name: rows[name] for name in DELIVERY_COLUMNS})
    connection.execute("create or replace table deliveries as from delivered_rows")
    connection.unregister("delivered_rows")
    log.done("deliveries table")

    def write_day(day: int) -> None:
        arrival = (plan.start + timedelta(days=day)).isoformat()
        folder = args.out / f"arrival_date={arrival}"
        folder.mkdir(parents=True, exist_ok=True)
        day_rows = (f"(from deliveries where arrival_day = {day} "
                    "order by t, ev_no, copy)")
        cursor = connection.cursor()
        try:
            cursor.execute(
                f"copy ({plan.format_sql(day_rows)}) to "
                f"{sql_text(str(folder / 'events.parquet'))} (format parquet, compression zstd)"
            )
        finally:
            cursor.close()

    # Writing a file is mostly serial in DuckDB: write two days at a time. Each file depends
    # only on its own rows, so the order in which they finish does not matter.
    workers = 2 if (args.threads or os.cpu_count() or 1) > 1 else 1
    with (
        ThreadPoolExecutor(max_workers=workers) as pool,
        tqdm(total=len(slices), desc="writing arrival days", unit="day", file=sys.stderr,
             disable=args.quiet) as progress,
    ):
        futures = [pool.submit(write_day, day) for day in slices]
        for future in as_completed(futures):
            future.result()
            progress.update(1)
    connection.close()
    log.done("files written")

    counts = {(plan.start + timedelta(days=day)).isoformat(): high - low
              for day, (low, high) in slices.items()}
    manifest: dict[str, object] = {
        "generator": "scripts/generate_events.py",
        "options": {
            "events": args.events,
            "customers": customers,
            "channels": args.channels,
            "days": args.days,
            "start_date": plan.start.isoformat(),
            "seed": args.seed,
            "duplicate_rate": args.duplicate_rate,
            "late_rate": args.late_rate,
            "late_max_days": args.late_max_days,
            "reject_rate": args.reject_rate,
        },
        "seed": args.seed,
        "columns": list(CONTRACT_COLUMNS),
        "glob": "*/*.parquet",
        # rows in the files, per arrival day and in all (re-deliveries included)
        "events_per_arrival_date": counts,
        "total_events": len(rows["copy"]),
        # of which: distinct events, extra copies, events delivered late, invalid events
        "unique_events": int(original.sum()),
        "redelivered_rows": int((~original).sum()),
        "late_events": int(rows["late"].sum()),
        "invalid_events": int(((rows["reject"] >= 0) & original).sum()),
        "customers_with_events": int(np.unique(rows["cust"]).size),
        "rooms": int(np.unique(rows["ev_no"] // EVENT_SLOTS_PER_ROOM).size),
    }
    (args.out / "manifest.json").write_text(
        json.dumps(manifest, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    manifest["seconds"] = round(time.perf_counter() - started, 2)
    return manifest


def parse_date(text: str) -> date:
    try:
        return date.fromisoformat(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from error


def positive_int(text: str) -> int:
    value = int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be at least 1: {text}")
    return value


def rate(text: str) -> float:
    value = float(text)
    if not 0.0 <= value <= 1.0:
        raise argparse.ArgumentTypeError(f"must be between 0 and 1: {text}")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="generate_events.py",
        description=__doc__.split("\n\n")[0],
        epilog=__doc__.split("\n\n", 1)[1],
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    size = parser.add_argument_group("size and shape")
    size.add_argument("--customers", type=positive_int, default=10_000,
                      help="number of customers (default %(default)s)")
    size.add_argument("--events", type=positive_int, default=None, metavar="N",
                      help="approximate number of events wanted; sets --customers to match "
                           "(measured on a small pilot) and overrides it")
    size.add_argument("--channels", type=positive_int, default=10,
                      help="number of Kakao Talk Channels, Zipf-sized (default %(default)s)")
    size.add_argument("--days", type=positive_int, default=30,
                      help="days over which events occur (default %(default)s)")
    size.add_argument("--start-date", type=parse_date, default=date(2026, 9, 1),
                      metavar="YYYY-MM-DD", help="first day, KST (default %(default)s)")
    size.add_argument("--seed", type=int, default=42,
                      help="the same seed and options give byte-identical files "
                           "(default %(default)s)")
    dirty = parser.add_argument_group("dirty data")
    dirty.add_argument("--duplicate-rate", type=rate, default=0.002, metavar="RATE",
                       help="fraction of events delivered again, unchanged, on a later day "
                            "(default %(default)s)")
    dirty.add_argument("--late-rate", type=rate, default=0.01, metavar="RATE",
                       help="fraction of events delivered 1 to --late-max-days days after the "
                            "day they occurred (default %(default)s)")
    dirty.add_argument("--late-max-days", type=positive_int, default=3, metavar="N",
                       help="the latest a late event (or a re-delivery) arrives, in days "
                            "(default %(default)s)")
    dirty.add_argument("--reject-rate", type=rate, default=0.001, metavar="RATE",
                       help="fraction of events made invalid: garbage or missing occurred_at, "
                            "unknown event_type or sender_type, missing ids "
                            "(default %(default)s)")
    output = parser.add_argument_group("output and execution")
    output.add_argument("--out", type=Path, required=True, metavar="DIR",
                        help="output directory: DIR/arrival_date=YYYY-MM-DD/events.parquet "
                             "and DIR/manifest.json")
    output.add_argument("--overwrite", action="store_true",
                        help="replace the arrival_date=* folders and manifest already in DIR")
    output.add_argument("--threads", type=positive_int, default=None,
                        help="DuckDB threads (default: all cores); the output does not "
                             "depend on it")
    output.add_argument("--memory-limit", default=None, metavar="SIZE",
                        help="DuckDB memory limit, e.g. 4GB (default: DuckDB's)")
    output.add_argument("--quiet", action="store_true", help="no progress bar or summary")
    output.add_argument("--verbose", action="store_true",
                        help="print how long each stage took (to stderr)")
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    manifest = generate(args)
    if not args.quiet:
        options = manifest["options"]
        print(f"customers: {options['customers']:,}  events: {manifest['unique_events']:,}  "
              f"rows: {manifest['total_events']:,} ({manifest['redelivered_rows']:,} "
              f"re-delivered, {manifest['late_events']:,} late, "
              f"{manifest['invalid_events']:,} invalid)  arrival days: "
              f"{len(manifest['events_per_arrival_date'])}  in {manifest['seconds']} s "
              f"-> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
