"""Write the bundled sample of raw chat events (data/sample/chat_events.csv).

Small and deterministic for a seed: three channels, a few dozen customers over two weeks that
cross a month boundary, rooms ended by `!종료`, by leaving, by closing or never, rooms that carry
on past 04:00 KST, quick re-entries, and a handful of bad rows (duplicates, a garbage
timestamp, an unknown event type) so every disposition shows up.
"""

from __future__ import annotations

import argparse
import csv
import random
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path

KST = timezone(timedelta(hours=9))
COLUMNS = ["event_id", "occurred_at", "channel_id", "customer_id", "event_type", "sender_type",
           "consultant_id", "entry_point", "message_text"]
CHANNELS = {"@shop_help": ["kim", "lee", "park"], "@bank_cs": ["choi", "jung"],
            "@clinic": ["han"]}
CUSTOMER_LINES = ["안녕하세요, 주문 확인 부탁드려요", "배송이 언제 오나요?", "환불 가능한가요?",
                  "네 감사합니다", "Can I change my address?", "😊 좋아요"]
AGENT_LINES = ["안녕하세요, 무엇을 도와드릴까요?", "확인해 드리겠습니다.", "잠시만 기다려 주세요.",
               "처리되었습니다."]


def generate(seed: int, customers: int, start: datetime, days: int) -> list[dict[str, str]]:
    """Return the sample's rows, in a shuffled (not chronological) order like a real feed."""
    rng = random.Random(seed)
    rows: list[dict[str, str]] = []

    def emit(when: datetime, channel: str, customer: str, event_type: str, sender: str = "",
             agent: str = "", entry: str = "", text: str = "") -> None:
        stamp = (when.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
                 if rng.random() < 0.3 else when.isoformat(timespec="seconds"))
        rows.append(dict(zip(COLUMNS, [f"evt_{len(rows) + 1:05d}", stamp, channel, customer,
                                       event_type, sender, agent, entry, text], strict=True)))

    for number in range(customers):
        channel = rng.choice(list(CHANNELS))
        customer = f"user_{number:04d}"
        when = start + timedelta(days=rng.randrange(days), hours=rng.uniform(0, 24))
        for _visit in range(rng.choice([1, 1, 2, 3])):
            agent = rng.choice(CHANNELS[channel])
            emit(when, channel, customer, "room_opened", "customer",
                 entry=rng.choice(["consult_button", "talk_channel", "web", "app"]))
            for _turn in range(rng.choice([1, 2, 3, 5, 8])):
                when += timedelta(minutes=rng.expovariate(1 / 4))
                emit(when, channel, customer, "message", "customer",
                     text=rng.choice(CUSTOMER_LINES))
                when += timedelta(minutes=rng.expovariate(1 / 6))
                emit(when, channel, customer, "message", "consultant", agent,
                     text=rng.choice(AGENT_LINES))
            if rng.random() < 0.2:  # carries on the next day, past 04:00 KST
                when += timedelta(hours=rng.uniform(14, 30))
                emit(when, channel, customer, "message", "customer", text="어제 문의 이어서요")
            ending = rng.random()
            when += timedelta(minutes=rng.uniform(1, 10))
            if ending < 0.35:
                emit(when, channel, customer, "message", rng.choice(["customer", "consultant"]),
                     agent, text=rng.choice(["!종료", " !종료 "]))
            elif ending < 0.55:
                emit(when, channel, customer, "room_left", "customer")
            elif ending < 0.75:
                emit(when, channel, customer, "room_closed", "system")
            # else: never ended; the next visit supersedes it or it stays open
            # a word after the room ended: a new room, as the platform opens a session (D32)
            if ending < 0.75 and rng.random() < 0.15:
                when += timedelta(minutes=rng.uniform(1, 30))
                emit(when, channel, customer, "message", "customer", text="감사합니다!")
            when += (timedelta(minutes=rng.uniform(1, 9)) if rng.random() < 0.3
                     else timedelta(days=rng.uniform(0.5, 4)))

    rows.extend(dict(rows[i]) for i in rng.sample(range(len(rows)), k=max(1, len(rows) // 50)))
    bad = dict(rows[0], event_id="evt_bad_time", occurred_at="not-a-time")
    unknown = dict(rows[1], event_id="evt_bad_type", event_type="typing_indicator")
    rows.extend([bad, unknown])
    rng.shuffle(rows)
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seed", type=int, default=20261101)
    parser.add_argument("--customers", type=int, default=60)
    parser.add_argument("--start", default="2026-10-24", help="first day, KST (YYYY-MM-DD)")
    parser.add_argument("--days", type=int, default=14)
    parser.add_argument("--out", type=Path, default=Path("data/sample/chat_events.csv"))
    args = parser.parse_args()
    start = datetime.fromisoformat(args.start).replace(tzinfo=KST)
    rows = generate(args.seed, args.customers, start, args.days)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=COLUMNS)
        writer.writeheader()
        writer.writerows(rows)
    print(f"wrote {len(rows)} rows to {args.out}")


if __name__ == "__main__":
    main()
