"""Plain-Python reference implementation of the chat-room billing rules.

It follows DECISIONLOG.md (D3-D14) independently of the dbt models, so that the property test
can compare the two. Standard library only; deliberately imperative and unoptimised. Closing
months (D15) is out of scope: the figures here are those of a first build on the rows given.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta, timezone
from decimal import Decimal
from zoneinfo import ZoneInfo

CONTRACT_COLUMNS: tuple[str, ...] = (
    "event_id",
    "occurred_at",
    "channel_id",
    "customer_id",
    "event_type",
    "sender_type",
    "consultant_id",
    "entry_point",
    "message_text",
)

# Columns a feed may leave out (D33, D34): read as empty.
OPTIONAL_COLUMNS: tuple[str, ...] = ("end_reason", "session_id")

# D33: the end reasons each ending event type may carry; the first is its meaning without one.
END_REASONS: dict[str, tuple[str, ...]] = {
    "room_left": ("customer_left", "room_deleted", "channel_blocked"),
    "room_closed": ("closed", "consultant_ended", "consultant_blocked", "manager_ended"),
}

# D7: the whitespace removed around a message before comparing it with the end command.
WHITESPACE = " \t\r\n\v\f\u00a0\u3000"
END_COMMAND = "!종료"

EVENT_TYPES = frozenset({"room_opened", "message", "room_left", "room_closed", "room_updated"})
SENDER_TYPES = frozenset({"customer", "consultant", "system"})

POLICIES = frozenset({"activity", "open"})

# D3: YYYY-MM-DD(T| )hh:mm[:ss[.fraction up to 9 digits]][Z | ±hh | ±hhmm | ±hh:mm]
_TIMESTAMP_RE = re.compile(
    r"(?P<year>[0-9]{4})-(?P<month>[0-9]{2})-(?P<day>[0-9]{2})"
    r"[T ]"
    r"(?P<hour>[0-9]{2}):(?P<minute>[0-9]{2})"
    r"(?::(?P<second>[0-9]{2})(?:\.(?P<fraction>[0-9]{1,9}))?)?"
    r"(?P<offset>Z|(?P<sign>[+-])(?P<off_hour>[0-9]{2})(?::?(?P<off_minute>[0-9]{2}))?)?",
    re.ASCII,
)

# D5: rejection reasons, in order of precedence.
REJECTION_REASONS: tuple[str, ...] = (
    "missing_event_id",
    "missing_channel_id",
    "missing_customer_id",
    "missing_event_type",
    "unknown_event_type",
    "missing_occurred_at",
    "unparseable_occurred_at",
    "occurred_at_too_early",
    "occurred_at_in_future",
    "unknown_sender_type",
    "invalid_end_reason",
    "duplicate_event_id",
)

DEFAULT_RATE_CARD: tuple[tuple[date, int], ...] = ((date(2000, 1, 1), 100),)


@dataclass(frozen=True)
class Room:
    """One chat room (a consultation session) and how it ended."""

    channel_id: str
    customer_id: str
    opened_event_id: str
    opened_at: datetime
    ended_at: datetime | None
    end_reason: str | None
    entry_point: str | None
    session_id: str | None
    message_count: int
    customer_message_count: int
    consultant_message_count: int
    system_message_count: int
    charged_days: int


@dataclass(frozen=True)
class Charge:
    """One room charged on one billing day."""

    channel_id: str
    customer_id: str
    opened_event_id: str
    billing_date: date
    usage_month: date
    charge_reason: str
    unit_price_krw: int
    active_consultant_ids: str | None


@dataclass(frozen=True)
class MonthlyFee:
    """The fee of one channel for one usage month."""

    channel_id: str
    usage_month: date
    room_charges: int
    opened_charges: int
    rollover_charges: int
    unit_price_krw: int | None
    fee_krw: int
    vat_krw: int
    total_krw: int
    billing_month: date
    invoice_window_start: date
    invoice_window_end: date


@dataclass(frozen=True)
class AuditRow:
    """The disposition of one input row; ``event_id_conflict`` flags an id shared by rows of
    different content (D6)."""

    row_index: int
    disposition: str
    reason: str
    event_id_conflict: bool = False


@dataclass(frozen=True)
class BillingResult:
    """Everything the reference computes from one batch of raw rows."""

    rooms: list[Room]
    charges: list[Charge]
    monthly: list[MonthlyFee]
    audit: list[AuditRow]


@dataclass(frozen=True)
class Event:
    """An accepted, normalised event."""

    row_index: int
    event_id: str
    occurred_at: datetime
    channel_id: str
    customer_id: str
    event_type: str
    sender_type: str | None
    consultant_id: str | None
    entry_point: str | None
    message_text: str | None
    end_reason: str | None = None
    session_id: str | None = None


@dataclass
class _OpenRoom:
    """Mutable state of a room while its events are replayed."""

    opened: Event
    last_customer_activity: datetime
    last_activity: datetime
    entry_point: str | None = None
    members: list[Event] = field(default_factory=list)
    activity_days: set[date] = field(default_factory=set)
    consultants_by_day: dict[date, set[str]] = field(default_factory=dict)
    message_count: int = 0
    customer_message_count: int = 0
    consultant_message_count: int = 0
    system_message_count: int = 0
    ended_at: datetime | None = None
    end_reason: str | None = None
    session_id: str | None = None


# --------------------------------------------------------------------------------------------
# Field rules (D3, D4, D7, D9)


def trim(value: str | None) -> str | None:
    """Trim surrounding whitespace; a value empty after trimming is missing (D4)."""
    if value is None:
        return None
    trimmed = value.strip(WHITESPACE)
    return trimmed if trimmed else None


def normalise_id(value: str | None) -> str | None:
    """Normalise an id: trimmed, case kept (D4)."""
    return trim(value)


def normalise_enum(value: str | None) -> str | None:
    """Normalise an enum value: trimmed and lower-cased (D4)."""
    trimmed = trim(value)
    return trimmed.lower() if trimmed is not None else None


def parse_occurred_at(value: str, time_zone: str = "Asia/Seoul") -> datetime | None:
    """Parse a D3 timestamp into an aware UTC datetime, or None when it is not accepted.

    An offset's hours must be 00-23 and its minutes 00-59, like the time of day's: D3 gives
    the offset's shape only, and an offset of a day or more is not a UTC offset.
    """
    match = _TIMESTAMP_RE.fullmatch(value)
    if match is None:
        return None
    hour = int(match["hour"])
    minute = int(match["minute"])
    second = int(match["second"]) if match["second"] is not None else 0
    if hour > 23 or minute > 59 or second > 59:
        return None
    fraction = match["fraction"] or ""
    microsecond = int((fraction + "000000")[:6])
    try:
        local = datetime(
            int(match["year"]),
            int(match["month"]),
            int(match["day"]),
            hour,
            minute,
            second,
            microsecond,
        )
    except ValueError:
        return None
    offset = match["offset"]
    if offset is None:
        tzinfo: timezone | ZoneInfo = ZoneInfo(time_zone)
    elif offset == "Z":
        tzinfo = UTC
    else:
        off_hour = int(match["off_hour"])
        off_minute = int(match["off_minute"] or "0")
        if off_hour > 23 or off_minute > 59:
            return None
        delta = timedelta(hours=off_hour, minutes=off_minute)
        tzinfo = timezone(-delta if match["sign"] == "-" else delta)
    try:
        return local.replace(tzinfo=tzinfo).astimezone(UTC)
    except (OverflowError, ValueError):
        return None


def billing_date(ts: datetime, time_zone: str = "Asia/Seoul", day_start_hour: int = 4) -> date:
    """The billing day of an instant: the local date of (ts - day_start_hour hours) (D9)."""
    local = ts.astimezone(ZoneInfo(time_zone))
    return (local - timedelta(hours=day_start_hour)).date()


def month_start(day: date) -> date:
    """First day of the month of ``day``."""
    return day.replace(day=1)


def next_month(month: date) -> date:
    """First day of the month after ``month``."""
    if month.month == 12:
        return date(month.year + 1, 1, 1)
    return date(month.year, month.month + 1, 1)


def is_end_command(text: str | None) -> bool:
    """True when a message text is the end command `!종료` (D7)."""
    return text is not None and text.strip(WHITESPACE) == END_COMMAND


def unit_price_on(day: date, rate_card: Sequence[tuple[date, int]]) -> int:
    """The price of the rate-card row with the latest effective_from on or before ``day`` (D11)."""
    applicable = [(start, price) for start, price in rate_card if start <= day]
    if not applicable:
        raise ValueError(f"no rate card row is effective on {day.isoformat()}")
    return max(applicable, key=lambda row: row[0])[1]


def vat_on(fee_krw: int, vat_rate: Decimal) -> int:
    """VAT rounded down to the won (D11)."""
    return math.floor(Decimal(fee_krw) * vat_rate)


# --------------------------------------------------------------------------------------------
# Acceptance (D5, D6)


@dataclass(frozen=True)
class Plausibility:
    """The range of plausible occurred_at instants (D5); ``latest`` None means unbounded."""

    earliest: datetime
    latest: datetime | None

    @classmethod
    def build(
        cls,
        occurred_at_min: date,
        max_future_days: int | None,
        run_started_at: datetime | None,
        time_zone: str,
    ) -> Plausibility:
        """Midnight of ``occurred_at_min`` in ``time_zone``; run start plus the future days."""
        earliest = datetime.combine(occurred_at_min, time(0), ZoneInfo(time_zone))
        latest = None
        if max_future_days is not None:
            started = run_started_at if run_started_at is not None else datetime.now(UTC)
            latest = started + timedelta(days=max_future_days)
        return cls(earliest=earliest.astimezone(UTC), latest=latest)


NO_PLAUSIBILITY_BOUNDS = Plausibility(earliest=datetime.min.replace(tzinfo=UTC), latest=None)


def validate_row(
    row: Mapping[str, str | None],
    row_index: int,
    time_zone: str = "Asia/Seoul",
    plausible: Plausibility = NO_PLAUSIBILITY_BOUNDS,
) -> tuple[Event | None, str | None]:
    """Normalise one raw row: (event, None) when it passes every check but the duplicate one,
    otherwise (None, the first rejection reason)."""
    event_id = normalise_id(row.get("event_id"))
    if event_id is None:
        return None, "missing_event_id"
    channel_id = normalise_id(row.get("channel_id"))
    if channel_id is None:
        return None, "missing_channel_id"
    customer_id = normalise_id(row.get("customer_id"))
    if customer_id is None:
        return None, "missing_customer_id"
    event_type = normalise_enum(row.get("event_type"))
    if event_type is None:
        return None, "missing_event_type"
    if event_type not in EVENT_TYPES:
        return None, "unknown_event_type"
    raw_occurred_at = trim(row.get("occurred_at"))
    if raw_occurred_at is None:
        return None, "missing_occurred_at"
    occurred_at = parse_occurred_at(raw_occurred_at, time_zone)
    if occurred_at is None:
        return None, "unparseable_occurred_at"
    if occurred_at < plausible.earliest:
        return None, "occurred_at_too_early"
    if plausible.latest is not None and occurred_at > plausible.latest:
        return None, "occurred_at_in_future"
    sender_type = normalise_enum(row.get("sender_type"))
    if sender_type is not None and sender_type not in SENDER_TYPES:
        return None, "unknown_sender_type"
    end_reason = normalise_enum(row.get("end_reason"))
    if end_reason is not None and end_reason not in END_REASONS.get(event_type, ()):
        return None, "invalid_end_reason"
    event = Event(
        row_index=row_index,
        event_id=event_id,
        occurred_at=occurred_at,
        channel_id=channel_id,
        customer_id=customer_id,
        event_type=event_type,
        sender_type=sender_type,
        consultant_id=normalise_id(row.get("consultant_id")),
        entry_point=normalise_enum(row.get("entry_point")),
        message_text=normalise_text(row.get("message_text")),
        end_reason=end_reason,
        session_id=normalise_id(row.get("session_id")),
    )
    return event, None


def normalise_text(value: str | None) -> str | None:
    """Message text as it is, except that an empty text is missing (as in a CSV file)."""
    return value if value else None


def normalised_content(
    row: Mapping[str, str | None], time_zone: str = "Asia/Seoul"
) -> tuple[str | None, ...]:
    """The normalised fields of a raw row, whatever its validity (D6).

    occurred_at is the parsed instant when it parses, so one event written with two offsets is
    the same content; otherwise the trimmed text.
    """
    raw_occurred_at = trim(row.get("occurred_at"))
    occurred_at = raw_occurred_at
    if raw_occurred_at is not None:
        parsed = parse_occurred_at(raw_occurred_at, time_zone)
        if parsed is not None:
            occurred_at = parsed.isoformat()
    return (
        normalise_id(row.get("event_id")),
        occurred_at,
        normalise_id(row.get("channel_id")),
        normalise_id(row.get("customer_id")),
        normalise_enum(row.get("event_type")),
        normalise_enum(row.get("sender_type")),
        normalise_id(row.get("consultant_id")),
        normalise_enum(row.get("entry_point")),
        normalise_text(row.get("message_text")),
        normalise_enum(row.get("end_reason")),
        normalise_id(row.get("session_id")),
    )


def content_fingerprint(content: Sequence[str | None]) -> str:
    """MD5 of the normalised fields, the tie-break between duplicates (D6)."""
    joined = "\x1f".join("\x00" if part is None else part for part in content)
    return hashlib.md5(joined.encode("utf-8")).hexdigest()


def conflicting_rows(
    rows: Sequence[Mapping[str, str | None]], time_zone: str = "Asia/Seoul"
) -> set[int]:
    """Indexes of the rows whose event_id is shared by rows of different content (D6)."""
    contents: dict[str, set[tuple[str | None, ...]]] = {}
    members: dict[str, list[int]] = {}
    for index, row in enumerate(rows):
        content = normalised_content(row, time_zone)
        event_id = content[0]
        if event_id is None:
            continue
        contents.setdefault(event_id, set()).add(content)
        members.setdefault(event_id, []).append(index)
    return {
        index
        for event_id, indexes in members.items()
        if len(contents[event_id]) > 1
        for index in indexes
    }


def accept_events(
    rows: Sequence[Mapping[str, str | None]],
    time_zone: str = "Asia/Seoul",
    plausible: Plausibility = NO_PLAUSIBILITY_BOUNDS,
) -> tuple[list[Event], dict[int, str]]:
    """Split rows into accepted events and rejection reasons by row index (D5, D6)."""
    rejected: dict[int, str] = {}
    candidates: dict[str, list[Event]] = {}
    for index, row in enumerate(rows):
        event, reason = validate_row(row, index, time_zone, plausible)
        if event is None:
            assert reason is not None
            rejected[index] = reason
            continue
        candidates.setdefault(event.event_id, []).append(event)

    accepted: list[Event] = []
    for group in candidates.values():
        winner = min(
            group,
            key=lambda e: (
                e.occurred_at,
                content_fingerprint(normalised_content(rows[e.row_index], time_zone)),
                e.row_index,
            ),
        )
        accepted.append(winner)
        for event in group:
            if event is not winner:
                rejected[event.row_index] = "duplicate_event_id"
    accepted.sort(key=lambda e: e.row_index)
    return accepted, rejected


# --------------------------------------------------------------------------------------------
# Rooms (D7, D8)


def _event_day(event: Event, time_zone: str, day_start_hour: int) -> date:
    return billing_date(event.occurred_at, time_zone, day_start_hour)


def _replay_conversation(
    events: list[Event],
    *,
    time_zone: str,
    day_start_hour: int,
    expiry: timedelta,
    data_clock: datetime,
    dispositions: dict[int, tuple[str, str]],
    customer_message_opens_room: bool = True,
) -> list[_OpenRoom]:
    """Replay one (channel, customer) conversation in order and return its rooms.

    A room opens at a room_opened and, when none is open and ``customer_message_opens_room``,
    at a customer message other than the end command (D32)."""
    rooms: list[_OpenRoom] = []
    current: _OpenRoom | None = None

    def close(room: _OpenRoom, at: datetime, reason: str) -> None:
        room.ended_at = at
        room.end_reason = reason

    for event in events:
        if current is not None:
            expires_at = current.last_customer_activity + expiry
            if event.occurred_at >= expires_at:
                close(current, expires_at, "expired")
                current = None

        day = _event_day(event, time_zone, day_start_hour)
        if event.event_type == "room_opened":
            if current is not None:
                close(current, event.occurred_at, "superseded")
            current = _OpenRoom(
                opened=event,
                last_customer_activity=event.occurred_at,
                last_activity=event.occurred_at,
                entry_point=event.entry_point,
            )
            current.activity_days.add(day)
            current.members.append(event)
            rooms.append(current)
            dispositions[event.row_index] = ("billed", "room_activity")
            continue

        if current is None:
            opens = (
                customer_message_opens_room
                and event.event_type == "message"
                and event.sender_type == "customer"
                and not is_end_command(event.message_text)
            )
            if not opens:
                anomaly = event.event_type == "message" and event.sender_type in (
                    "consultant",
                    "system",
                )
                reason = "outside_room_anomaly" if anomaly else "outside_room"
                dispositions[event.row_index] = ("unbilled", reason)
                continue
            current = _OpenRoom(
                opened=event,
                last_customer_activity=event.occurred_at,
                last_activity=event.occurred_at,
                entry_point="customer_message",
            )
            current.message_count += 1
            current.customer_message_count += 1
            current.activity_days.add(day)
            current.members.append(event)
            rooms.append(current)
            dispositions[event.row_index] = ("billed", "opened_by_customer_message")
            continue

        current.members.append(event)
        if event.event_type == "message":
            _count_message(current, event, day)
            current.last_activity = event.occurred_at
            current.activity_days.add(day)
            if event.sender_type == "customer":
                current.last_customer_activity = event.occurred_at
            dispositions[event.row_index] = ("billed", "room_activity")
            if is_end_command(event.message_text):
                close(current, event.occurred_at, "end_command")
                current = None
        elif event.event_type == "room_updated":
            # a status change on the way (D35): kept in the room, neither activity nor an end
            dispositions[event.row_index] = ("unbilled", "room_status_event")
        elif event.event_type == "room_left":
            close(current, event.occurred_at, event.end_reason or "customer_left")
            current = None
            dispositions[event.row_index] = ("unbilled", "room_end_event")
        elif event.event_type == "room_closed":
            close(current, event.occurred_at, event.end_reason or "closed")
            current = None
            dispositions[event.row_index] = ("unbilled", "room_end_event")
        else:
            raise AssertionError(f"unexpected event type {event.event_type!r}")

    if current is not None:
        expires_at = current.last_customer_activity + expiry
        if expires_at <= data_clock:
            close(current, expires_at, "expired")
    return rooms


def _count_message(room: _OpenRoom, event: Event, day: date) -> None:
    """Count a message of the room by its sender, and its consultant on that billing day."""
    room.message_count += 1
    if event.sender_type == "customer":
        room.customer_message_count += 1
    elif event.sender_type == "consultant":
        room.consultant_message_count += 1
        consultants = room.consultants_by_day.setdefault(day, set())
        if event.consultant_id is not None:
            consultants.add(event.consultant_id)
    elif event.sender_type == "system":
        room.system_message_count += 1


def _end_reason_of(event: Event) -> str:
    if event.event_type == "room_left":
        return event.end_reason or "customer_left"
    if event.event_type == "room_closed":
        return event.end_reason or "closed"
    return "end_command"


def _is_room_end(event: Event) -> bool:
    return event.event_type in ("room_left", "room_closed") or (
        event.event_type == "message" and is_end_command(event.message_text)
    )


def _place_in_sessions(
    ordered: list[Event],
    derived: list[_OpenRoom],
    *,
    time_zone: str,
    day_start_hour: int,
    expiry: timedelta,
    data_clock: datetime,
    dispositions: dict[int, tuple[str, str]],
) -> list[_OpenRoom]:
    """D34: a conversation whose feed names sessions. An event with a session_id is in that
    session's room; one without, in the session of the events from its derived room's opening
    to the next one's (the smallest session_id among them), else in its derived room. Rooms
    end as int_chat_rooms__lifecycle ends them: their latest ending event, else expiry if it
    comes at or before the next room's opening (or the data's clock), else the next room's
    opening."""
    derived_of = {event.row_index: room for room in derived for event in room.members}
    # a room's segment: its events and the ones after it until the next room opens
    segment_sessions: dict[int, list[str]] = {id(room): [] for room in derived}
    segment: _OpenRoom | None = None
    for event in ordered:
        room = derived_of.get(event.row_index)
        if room is not None and room.opened is event:
            segment = room
        if segment is not None and event.session_id:
            segment_sessions[id(segment)].append(event.session_id)
    room_session = {id(room): min(segment_sessions[id(room)], default=None) for room in derived}
    groups: dict[tuple[str, object], list[Event]] = {}
    for event in ordered:
        room = derived_of.get(event.row_index)
        session = event.session_id or (room_session[id(room)] if room is not None else None)
        if session is not None:
            groups.setdefault(("session", session), []).append(event)
        elif room is not None:
            groups.setdefault(("derived", id(room)), []).append(event)
        else:
            anomaly = event.event_type == "message" and event.sender_type in (
                "consultant",
                "system",
            )
            reason = "outside_room_anomaly" if anomaly else "outside_room"
            dispositions[event.row_index] = ("unbilled", reason)
    rooms: list[_OpenRoom] = []
    ends: dict[int, list[Event]] = {}
    expiries: dict[int, datetime | None] = {}
    for (kind, key), members in groups.items():
        first = members[0]
        entry = first.entry_point if first.event_type == "room_opened" else (
            "customer_message"
            if first.event_type == "message" and first.sender_type == "customer"
            else None
        )
        room = _OpenRoom(
            opened=first,
            last_customer_activity=first.occurred_at,
            last_activity=first.occurred_at,
            entry_point=entry,
            members=members,
            session_id=key if kind == "session" else None,
        )
        customer_times = []
        for event in members:
            day = _event_day(event, time_zone, day_start_hour)
            # a session's first event opens its room whatever its type
            if event.event_type in ("room_opened", "message") or event is first:
                room.activity_days.add(day)
                room.last_activity = max(room.last_activity, event.occurred_at)
                by_message = (
                    event is first
                    and event.event_type == "message"
                    and event.sender_type == "customer"
                )
                reason = "opened_by_customer_message" if by_message else "room_activity"
                dispositions[event.row_index] = ("billed", reason)
            elif event.event_type == "room_updated":
                dispositions[event.row_index] = ("unbilled", "room_status_event")
            else:
                dispositions[event.row_index] = ("unbilled", "room_end_event")
            if event.event_type == "room_opened" or (
                event.event_type == "message" and event.sender_type == "customer"
            ):
                customer_times.append(event.occurred_at)
            if event.event_type == "message":
                _count_message(room, event, day)
        last_customer = max(customer_times) if customer_times else None
        expiries[id(room)] = last_customer + expiry if last_customer is not None else None
        ends[id(room)] = [event for event in members if _is_room_end(event)]
        rooms.append(room)
    rooms.sort(key=lambda r: (r.opened.occurred_at, r.opened.event_id))
    for position, room in enumerate(rooms):
        following = rooms[position + 1].opened.occurred_at if position + 1 < len(rooms) else None
        end_events = ends[id(room)]
        expires_at = expiries[id(room)]
        if end_events:
            room.ended_at = max(event.occurred_at for event in end_events)
            room.end_reason = max(_end_reason_of(event) for event in end_events)
        elif expires_at is not None and expires_at <= (following or data_clock):
            room.ended_at, room.end_reason = expires_at, "expired"
        elif following is not None:
            room.ended_at, room.end_reason = following, "superseded"
    return rooms


def _charged_days(room: _OpenRoom, policy: str, time_zone: str, day_start_hour: int) -> list[date]:
    """The billing days a room is charged for (D1, D10)."""
    if policy == "activity":
        return sorted(room.activity_days)
    first = billing_date(room.opened.occurred_at, time_zone, day_start_hour)
    # a session's room may end before its last activity (D34): charged through both
    end = max(room.ended_at or room.last_activity, room.last_activity)
    last = billing_date(end, time_zone, day_start_hour)
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]


# --------------------------------------------------------------------------------------------
# Entry point


def compute_billing(
    rows: Sequence[Mapping[str, str | None]],
    *,
    policy: str = "activity",
    time_zone: str = "Asia/Seoul",
    day_start_hour: int = 4,
    expiry_days: int = 30,
    rate_card: Sequence[tuple[date, int]] = DEFAULT_RATE_CARD,
    vat_rate: Decimal = Decimal("0.1"),
    invoice_window: tuple[int, int] = (15, 21),
    occurred_at_min: date = date(2015, 1, 1),
    max_future_days: int | None = 2,
    run_started_at: datetime | None = None,
    customer_message_opens_room: bool = True,
) -> BillingResult:
    """Compute rooms, charges, monthly fees and the audit trail for a batch of raw rows.

    ``run_started_at`` (default: now) anchors the future bound of D5; ``max_future_days=None``
    disables that bound.
    """
    if policy not in POLICIES:
        raise ValueError(f"unknown room charge policy {policy!r}")
    vat_rate = Decimal(str(vat_rate))
    expiry = timedelta(days=expiry_days)

    plausible = Plausibility.build(occurred_at_min, max_future_days, run_started_at, time_zone)
    accepted, rejected = accept_events(rows, time_zone, plausible)
    conflicts = conflicting_rows(rows, time_zone)
    dispositions: dict[int, tuple[str, str]] = {
        index: ("rejected", reason) for index, reason in rejected.items()
    }

    conversations: dict[tuple[str, str], list[Event]] = {}
    for event in accepted:
        conversations.setdefault((event.channel_id, event.customer_id), []).append(event)

    rooms_out: list[Room] = []
    charges_out: list[Charge] = []
    if accepted:
        data_clock = max(event.occurred_at for event in accepted)
        for key in sorted(conversations):
            ordered = sorted(conversations[key], key=lambda e: (e.occurred_at, e.event_id))
            replayed = _replay_conversation(
                ordered,
                time_zone=time_zone,
                day_start_hour=day_start_hour,
                expiry=expiry,
                data_clock=data_clock,
                dispositions=dispositions,
                customer_message_opens_room=customer_message_opens_room,
            )
            if any(event.session_id for event in ordered):
                replayed = _place_in_sessions(
                    ordered,
                    replayed,
                    time_zone=time_zone,
                    day_start_hour=day_start_hour,
                    expiry=expiry,
                    data_clock=data_clock,
                    dispositions=dispositions,
                )
            for room in replayed:
                days = _charged_days(room, policy, time_zone, day_start_hour)
                opening_day = billing_date(room.opened.occurred_at, time_zone, day_start_hour)
                for day in days:
                    consultants = sorted(room.consultants_by_day.get(day, set()))
                    charges_out.append(
                        Charge(
                            channel_id=room.opened.channel_id,
                            customer_id=room.opened.customer_id,
                            opened_event_id=room.opened.event_id,
                            billing_date=day,
                            usage_month=month_start(day),
                            charge_reason="room_opened" if day == opening_day else "day_rollover",
                            unit_price_krw=unit_price_on(day, rate_card),
                            active_consultant_ids=",".join(consultants) if consultants else None,
                        )
                    )
                rooms_out.append(
                    Room(
                        channel_id=room.opened.channel_id,
                        customer_id=room.opened.customer_id,
                        opened_event_id=room.opened.event_id,
                        opened_at=room.opened.occurred_at,
                        ended_at=room.ended_at,
                        end_reason=room.end_reason,
                        entry_point=room.entry_point,
                        session_id=room.session_id,
                        message_count=room.message_count,
                        customer_message_count=room.customer_message_count,
                        consultant_message_count=room.consultant_message_count,
                        system_message_count=room.system_message_count,
                        charged_days=len(days),
                    )
                )

    monthly_out = _monthly_fees(charges_out, vat_rate, invoice_window)
    audit_out = [
        AuditRow(
            row_index=index,
            disposition=dispositions[index][0],
            reason=dispositions[index][1],
            event_id_conflict=index in conflicts,
        )
        for index in range(len(rows))
    ]
    return BillingResult(rooms=rooms_out, charges=charges_out, monthly=monthly_out, audit=audit_out)


def _monthly_fees(
    charges: Sequence[Charge], vat_rate: Decimal, invoice_window: tuple[int, int]
) -> list[MonthlyFee]:
    """Aggregate charges per channel and usage month (D11, D12)."""
    grouped: dict[tuple[str, date], list[Charge]] = {}
    for charge in charges:
        grouped.setdefault((charge.channel_id, charge.usage_month), []).append(charge)

    fees: list[MonthlyFee] = []
    for (channel_id, usage_month), group in sorted(grouped.items()):
        prices = {charge.unit_price_krw for charge in group}
        fee = sum(charge.unit_price_krw for charge in group)
        vat = vat_on(fee, vat_rate)
        billing_month = next_month(usage_month)
        fees.append(
            MonthlyFee(
                channel_id=channel_id,
                usage_month=usage_month,
                room_charges=len(group),
                opened_charges=sum(1 for c in group if c.charge_reason == "room_opened"),
                rollover_charges=sum(1 for c in group if c.charge_reason == "day_rollover"),
                unit_price_krw=prices.pop() if len(prices) == 1 else None,
                fee_krw=fee,
                vat_krw=vat,
                total_krw=fee + vat,
                billing_month=billing_month,
                invoice_window_start=billing_month.replace(day=invoice_window[0]),
                invoice_window_end=billing_month.replace(day=invoice_window[1]),
            )
        )
    return fees
