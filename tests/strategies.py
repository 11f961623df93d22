"""Hypothesis strategies that generate batches of raw chat event rows.

A batch interleaves a few conversations (channel, customer) whose timestamps cluster around
04:00 KST and month/year boundaries, written in every accepted D3 format, with end commands,
expiry gaps, duplicates, out-of-order rows and occasional invalid rows.

Duplicate event ids are generated so that neither the kept row nor the `event_id_conflict`
flag depends on the content fingerprint's exact definition (D6): among the valid rows sharing
an id, the earliest instant is held by one row, or by rows with identical normalised content;
and rows sharing an id either are byte-identical or differ in more than the way their
occurred_at is written.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone

from hypothesis import strategies as st

from reference_billing import CONTRACT_COLUMNS, END_REASONS, Event, validate_row

Row = dict[str, str | None]

KST = timezone(timedelta(hours=9))
MINUS_FIVE = timezone(timedelta(hours=-5))

# 04:00 KST on days around month and year boundaries, as UTC instants.
ANCHORS: tuple[datetime, ...] = (
    datetime(2025, 12, 31, 19, 0, tzinfo=UTC),  # 2026-01-01 04:00 KST, New Year
    datetime(2026, 1, 31, 19, 0, tzinfo=UTC),  # 2026-02-01 04:00 KST
    datetime(2026, 2, 28, 19, 0, tzinfo=UTC),  # 2026-03-01 04:00 KST
    datetime(2026, 6, 30, 19, 0, tzinfo=UTC),  # 2026-07-01 04:00 KST
    datetime(2026, 1, 14, 19, 0, tzinfo=UTC),  # 2026-01-15 04:00 KST, mid-month
)

DAY = 86_400
EXPIRY = 30 * DAY
# A conversation spans at most this long, so every generated time stays in the past of any run
# from 2026-11 on (D5 rejects times more than two days after the run's start).
MAX_SPAN = timedelta(days=90)

CHANNELS = ("ch_a", "ch_b", "Ch_a")
CUSTOMERS = ("u1", "u2", "u3")
CONSULTANTS = ("c1", "c2", "c10", " c3 ", None, "")
ENTRY_POINTS = ("button", "channel", "web", " Web ", "kiosk", None)
SENDERS = ("customer", "customer", "consultant", "consultant", "system", None)
FIRST_EVENT_TYPES = ("room_opened", "room_opened", "message")
EVENT_TYPES = (
    "room_opened",
    "room_opened",
    "message",
    "message",
    "message",
    "message",
    "message",
    "room_left",
    "room_closed",
    "room_updated",
)
ORDINARY_TEXTS = (
    "hello",
    "안녕하세요",
    "문의드립니다\n두 줄",
    " 네 ",
    "!종료 감사합니다",
    "! 종료",
    None,
)
END_TEXTS = ("!종료", " !종료 ", "\t!종료", "\u3000!종료\u3000", "\u00a0!종료\r\n")

# Offsets (seconds) from an anchor, clustered at the 04:00 boundary and the day around it.
START_OFFSETS = (0, -1, 1, -60, 3600, -3600, -4 * 3600, 5 * 3600 + 1, 20 * 3600, -DAY, DAY - 1)
# Gaps (seconds) between consecutive events of a conversation.
SPECIAL_GAPS = (0, 0, 1, 59, 3600, DAY - 1, DAY, DAY + 1, EXPIRY - 1, EXPIRY, EXPIRY + 1)

INVALID_TIMES = (
    "not-a-time",
    "2026-02-30 10:00:00",
    "2026-01-15",
    "2026-01-15T24:00:00Z",
    "2026-01-15t04:00:00Z",
    "",
    "   ",
    "2014-12-31 23:59:59",
    "1970-01-01T00:00:00Z",
    "2099-01-01T00:00:00Z",
)


def _pad(value: str) -> str:
    return f" {value} "


ID_VARIANTS: tuple[Callable[[str], str], ...] = (str, str, str, str, _pad)
ENUM_VARIANTS: tuple[Callable[[str], str], ...] = (
    str,
    str,
    str,
    str,
    str.upper,
    str.title,
    _pad,
    lambda value: f" {value.upper()}",
)


@st.composite
def message_texts(draw: st.DrawFn) -> str | None:
    """A message text; about one in six is an end command variant."""
    if draw(st.integers(0, 5)) == 5:
        return draw(st.sampled_from(END_TEXTS))
    return draw(st.sampled_from(ORDINARY_TEXTS))


@st.composite
def instants(draw: st.DrawFn) -> datetime:
    """A UTC instant near a 04:00 KST boundary."""
    anchor = draw(st.sampled_from(ANCHORS))
    offset = draw(st.one_of(st.sampled_from(START_OFFSETS), st.integers(-2 * DAY, 2 * DAY)))
    micro = draw(st.sampled_from((0, 0, 0, 1, 500_000, 999_999)))
    return anchor + timedelta(seconds=offset, microseconds=micro)


@st.composite
def gaps(draw: st.DrawFn) -> timedelta:
    """The time between two consecutive events of a conversation."""
    seconds = draw(
        st.one_of(
            st.sampled_from(SPECIAL_GAPS),
            st.integers(0, 3 * 3600),
            st.integers(0, 3 * DAY),
            st.integers(0, 3 * DAY),
            st.integers(25 * DAY, 35 * DAY),
        )
    )
    micro = draw(st.sampled_from((0, 0, 0, 1, 999_999)))
    return timedelta(seconds=seconds, microseconds=micro)


@st.composite
def timestamp_texts(draw: st.DrawFn, instant: datetime) -> str:
    """``instant`` written in one of the D3 formats; every variant parses back to it."""
    zone = draw(st.sampled_from(("Z", "+09:00", "+0900", "+09", "-05:00", "none", "none")))
    if zone == "Z":
        local, suffix = instant.astimezone(UTC), "Z"
    elif zone == "-05:00":
        local, suffix = instant.astimezone(MINUS_FIVE), "-05:00"
    else:
        local, suffix = instant.astimezone(KST), "" if zone == "none" else zone
    separator = draw(st.sampled_from(("T", " ")))
    text = local.strftime(f"%Y-%m-%d{separator}%H:%M")
    if local.second == 0 and local.microsecond == 0:
        seconds = draw(st.sampled_from(("omit", "plain", "plain", "zero_fraction")))
    elif local.microsecond == 0:
        seconds = draw(st.sampled_from(("plain", "plain", "zero_fraction")))
    else:
        seconds = draw(st.sampled_from(("micro", "nano", "short")))
    if seconds != "omit":
        text += f":{local.second:02d}"
    if seconds == "zero_fraction":
        text += draw(st.sampled_from((".0", ".000", ".000000000", ".000000999")))
    elif seconds == "micro":
        text += f".{local.microsecond:06d}"
    elif seconds == "nano":
        text += f".{local.microsecond:06d}{draw(st.integers(0, 999)):03d}"
    elif seconds == "short":
        text += "." + f"{local.microsecond:06d}".rstrip("0")
    return text + suffix


@st.composite
def conversations(draw: st.DrawFn) -> list[Row]:
    """Events of one (channel, customer) conversation, without event ids yet."""
    channel = draw(st.sampled_from(CHANNELS))
    customer = draw(st.sampled_from(CUSTOMERS))
    size = draw(st.integers(1, 20))
    start = draw(instants())
    # a quarter of the conversations come from a feed that names the platform's sessions (D34),
    # on some of their events, not always agreeing with the rooms the rules give
    sessions = draw(st.sampled_from((None, None, None, ("s1", "s2", " s1 ", None, None))))
    instant = start
    rows: list[Row] = []
    for position in range(size):
        if position > 0:
            gap = draw(gaps())
            if instant + gap - start > MAX_SPAN:
                gap = timedelta(seconds=gap.total_seconds() % 3600)
            instant += gap
        # a conversation may start with a customer message, which opens the room (D32)
        event_type = draw(
            st.sampled_from(FIRST_EVENT_TYPES if position == 0 else EVENT_TYPES)
        )
        row: Row = dict.fromkeys(CONTRACT_COLUMNS)
        row["occurred_at"] = draw(timestamp_texts(instant))
        row["channel_id"] = draw(st.sampled_from(ID_VARIANTS))(channel)
        row["customer_id"] = draw(st.sampled_from(ID_VARIANTS))(customer)
        row["event_type"] = draw(st.sampled_from(ENUM_VARIANTS))(event_type)
        if event_type == "room_opened":
            row["entry_point"] = draw(st.sampled_from(ENTRY_POINTS))
            row["sender_type"] = draw(st.sampled_from(("customer", None)))
        elif event_type == "message":
            sender = draw(st.sampled_from(SENDERS))
            row["sender_type"] = (
                None if sender is None else draw(st.sampled_from(ENUM_VARIANTS))(sender)
            )
            row["message_text"] = draw(message_texts())
            row["consultant_id"] = draw(st.sampled_from(CONSULTANTS))
        else:
            row["sender_type"] = draw(st.sampled_from(("customer", "system", "consultant", None)))
            # the optional end cause (D33), often absent
            reason = draw(st.sampled_from((None, None, *END_REASONS.get(event_type, ()))))
            row["end_reason"] = (
                None if reason is None else draw(st.sampled_from(ENUM_VARIANTS))(reason)
            )
        if sessions is not None:
            row["session_id"] = draw(st.sampled_from(sessions))
        rows.append(row)
    return rows


def _corrupt(row: Row, defect: str, value: str | None) -> Row:
    """A copy of ``row`` with one field made invalid."""
    broken = dict(row)
    broken[defect] = value
    return broken


@st.composite
def invalid_rows(draw: st.DrawFn, template: Row) -> Row:
    """A copy of a generated row with one defect that gets it rejected."""
    defect = draw(
        st.sampled_from(
            (
                "event_id",
                "channel_id",
                "customer_id",
                "event_type",
                "occurred_at",
                "sender_type",
                "end_reason",
            )
        )
    )
    if defect in ("event_id", "channel_id", "customer_id"):
        value: str | None = draw(st.sampled_from(("", "  ", None)))
    elif defect == "event_type":
        value = draw(st.sampled_from(("room_reopened", "unknown", "", None, "messages")))
    elif defect == "occurred_at":
        value = draw(st.sampled_from(INVALID_TIMES))
    elif defect == "end_reason":
        # a value no event type takes, so the row is rejected whatever its type
        value = draw(st.sampled_from(("timeout", "ended", " blocked ")))
    else:
        value = draw(st.sampled_from(("bot", "agent", " Robot ")))
    return _corrupt(template, defect, value)


def _normalised_content(event: Event) -> tuple[object, ...]:
    return (
        event.event_id,
        event.occurred_at,
        event.channel_id,
        event.customer_id,
        event.event_type,
        event.sender_type,
        event.consultant_id,
        event.entry_point,
        event.message_text,
        event.end_reason,
    )


def make_duplicate_winner_unambiguous(rows: list[Row]) -> list[Row]:
    """Copy rows so that no duplicate-id tie is decided by the content fingerprint."""
    fixed = [dict(row) for row in rows]
    groups: dict[str, list[Event]] = {}
    for index, row in enumerate(fixed):
        event, _ = validate_row(row, index)
        if event is not None:
            groups.setdefault(event.event_id, []).append(event)
    for group in groups.values():
        earliest = min(event.occurred_at for event in group)
        tied = [event for event in group if event.occurred_at == earliest]
        first = tied[0]
        for event in tied[1:]:
            if _normalised_content(event) != _normalised_content(first):
                fixed[event.row_index] = dict(fixed[first.row_index])
    return fixed


@st.composite
def event_batches(draw: st.DrawFn, max_rows: int = 150) -> list[Row]:
    """A shuffled batch of raw event rows (at most ``max_rows``)."""
    threads = draw(st.lists(conversations(), min_size=1, max_size=5))
    rows = [row for thread in threads for row in thread]

    ids = draw(st.permutations(range(1, len(rows) + 1)))
    for row, number in zip(rows, ids, strict=True):
        row["event_id"] = draw(st.sampled_from(ID_VARIANTS))(f"e{number}")

    extras: list[Row] = []
    for _ in range(draw(st.integers(0, 6))):
        template = draw(st.sampled_from(rows))
        kind = draw(st.sampled_from(("identical", "shifted", "invalid", "invalid")))
        if kind == "identical":
            extras.append(dict(template))
        elif kind == "shifted":
            shifted = dict(template)
            event, _ = validate_row(template, 0)
            base = event.occurred_at if event is not None else draw(instants())
            delta = draw(st.sampled_from((-DAY, -1, 1, 3600, DAY, EXPIRY)))
            shifted["occurred_at"] = draw(timestamp_texts(base + timedelta(seconds=delta)))
            shifted["message_text"] = draw(message_texts())
            extras.append(shifted)
        else:
            extras.append(draw(invalid_rows(template)))
    rows.extend(extras)

    order = draw(st.permutations(range(len(rows))))
    shuffled = [rows[index] for index in order][:max_rows]
    return make_duplicate_winner_unambiguous(shuffled)
