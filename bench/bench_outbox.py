"""The outbox against Telegram's flood limits: a morning's burst, and the backlog of an outage.

Run: .venv/bin/python -m bench.bench_outbox

After the burst below, a second measurement: 2,000 messages to 50 groups are queued during a
one-hour outage (every Bot API call answers 502), on a virtual clock that the emulator's flood
limits also run on. When the outage ends the sender notices on its next probe and drains the
backlog. Printed: the seconds from the end of the outage to the last delivery, the least time
the limits allow for the backlog (`ideal_schedule`), their ratio (floor ≤ 1.05), how many 429
answers the emulator gave (must be 0), and how many rows were lost or delivered twice (0).

600 reminders (20 to each of 30 groups, queued in a shuffled order as a morning's reminders
would be) go into the outbox of a fresh SQLite database. The real OutboxSender delivers them
through the real python-telegram-bot Bot to the local Bot API emulator with its flood limits on,
in real time. The sender is driven the way the scheduler's wake drives it: drain, then sleep
until the outbox's next due moment. Printed: the seconds from the first drain to the last
delivery, the least time the limits allow (derived below from the emulator's own numbers), the
ratio of the two (floor ≤ 1.1), and how many 429 answers the emulator gave (must be 0).
"""

from __future__ import annotations

import asyncio
import contextlib
import math
import random
import tempfile
import time
from collections import Counter
from collections.abc import AsyncIterator
from datetime import datetime, timedelta

from bot.app import Gendan, bootstrap, build_application, make_sender
from bot.clock import SystemClock, VirtualClock
from bot.outbox import OutboxSender
from bot.sandbox.emulator import DEFAULT_TOKEN, BotApiEmulator, FloodLimits
from bot.settings import Settings
from workflow.model import Notification, Text

GROUPS = 30
PER_GROUP = 20
RATIO_FLOOR = 1.1
FIRST_GROUP = -1001000000001


def lower_bound(limits: FloodLimits, groups: int, per_group: int) -> float:
    """The least seconds from the first send to the last that the limits allow.

    Each limit alone gives a bound; all hold at once, so the largest one is the bound:
    * per chat, a token bucket of `per_chat_burst` refilled at `per_chat_rate`: the first
      `burst` messages may go at once, each further one needs a fresh token;
    * per group, `per_group_per_minute` in any rolling minute: every full window's worth of
      messages beyond the first pushes the last one a minute later;
    * overall, `global_per_second` in any rolling second, the same way with one-second windows.
    With 20 messages to each of 30 groups: per chat (20 - 3) / 1 = 17 s, per group 0 s (all 20
    fit in one minute), overall 600 / 30 = 20 windows, so the last goes 19 s after the first.
    A sender that keeps a steady 1 s gap per chat instead of using the burst also needs 19 s.
    """
    per_chat = max(0, per_group - limits.per_chat_burst) / limits.per_chat_rate
    per_group_window = (math.ceil(per_group / limits.per_group_per_minute) - 1) * 60.0
    overall = (math.ceil(groups * per_group / limits.global_per_second) - 1) * 1.0
    return max(per_chat, per_group_window, overall)


@contextlib.asynccontextmanager
async def _sender_to(chats: list[int], clock: SystemClock | VirtualClock) -> AsyncIterator[
        tuple[Gendan, BotApiEmulator, OutboxSender]]:
    """A fresh database, an emulator that knows the groups, and the real outbox sender."""
    with tempfile.TemporaryDirectory() as scratch:
        settings = Settings(database_url=f"sqlite+aiosqlite:///{scratch}/outbox.db")
        gendan = await bootstrap(settings, clock)
        try:
            async with BotApiEmulator(clock=clock.timestamp) as emulator:
                for number, chat in enumerate(chats):
                    emulator.add_group(chat, f"部门 {number}")
                application = build_application(gendan, DEFAULT_TOKEN,
                                                base_url=emulator.base_url)
                async with application:
                    yield gendan, emulator, make_sender(gendan, application)
        finally:
            await gendan.close()


async def measure() -> dict[str, float]:
    chats = [FIRST_GROUP - i for i in range(GROUPS)]
    reminders = [(chat, n) for chat in chats for n in range(PER_GROUP)]
    random.Random(7).shuffle(reminders)
    clock = SystemClock()
    async with _sender_to(chats, clock) as (gendan, emulator, sender):
        assert emulator.limits.enabled
        async with gendan.runtime.unit_of_work() as uow:
            for chat, n in reminders:
                params = {"number": f"SO-{-chat % 1000:03d}-{n:02d}",
                          "customer": "江苏恒通机械", "product": "Y160M-4 电机"}
                await uow.outbox.enqueue(
                    Notification(chat, Text("review.passed", params), "notice",
                                 params["number"]),
                    clock.now())
            await uow.commit()
        started = time.perf_counter()
        sent = 0
        while True:
            sent += await sender.drain()
            due = await sender.next_due()
            if due is None:
                break
            await asyncio.sleep(max(0.0, (due - clock.now()).total_seconds()))
        total = time.perf_counter() - started
        calls = [c for c in emulator.calls_to("sendMessage") if c.ok]
        return {
            "total": total,
            "bound": lower_bound(emulator.limits, GROUPS, PER_GROUP),
            "first_to_last": calls[-1].at - calls[0].at if calls else 0.0,
            "sent": sent,
            "delivered": sum(len(emulator.messages(chat)) for chat in chats),
            "rejected_429": emulator.rejected_429,
        }


OUTAGE_GROUPS = 50
OUTAGE_ROWS = 2000
OUTAGE_FLOOR = 1.05


def ideal_schedule(limits: FloodLimits, chats: list[int], per_chat: int) -> float:
    """Seconds from the first send to the last when every message goes at the earliest moment
    all three limits allow, the chats taken in turn: the flood-limit bound for the backlog.
    (Each limit alone gives a looser bound: 40 to each of 50 groups need the first 1,000 in one
    minute's window at 30 a second, and the second 1,000 only from the next minute on.)"""
    tokens = {chat: (float(limits.per_chat_burst), 0.0) for chat in chats}
    windows: dict[int, list[float]] = {chat: [] for chat in chats}
    overall: list[float] = []
    now = last = 0.0
    for _ in range(per_chat):
        for chat in chats:
            have, since = tokens[chat]
            have = min(limits.per_chat_burst, have + (now - since) * limits.per_chat_rate)
            at = now if have >= 1 else now + (1 - have) / limits.per_chat_rate
            group = windows[chat]
            if len(group) >= limits.per_group_per_minute:
                at = max(at, group[-limits.per_group_per_minute] + 60)
            if len(overall) >= limits.global_per_second:
                at = max(at, overall[-limits.global_per_second] + 1)
            have = min(limits.per_chat_burst, have + (at - since) * limits.per_chat_rate)
            tokens[chat] = (have - 1, at)
            group.append(at)
            overall.append(at)
            last = now = at
    return last


async def measure_outage() -> dict[str, float]:
    from tests.conftest import START

    clock = VirtualClock(START)
    chats = [FIRST_GROUP - i for i in range(OUTAGE_GROUPS)]
    async with _sender_to(chats, clock) as (gendan, emulator, sender):
        emulator.outage(502)
        ends = START + timedelta(hours=1)
        step = timedelta(hours=1) / OUTAGE_ROWS
        for n in range(OUTAGE_ROWS):  # queued through the hour, as they fall due
            clock.advance_to(START + step * n)
            async with gendan.runtime.unit_of_work() as uow:
                await uow.outbox.enqueue(Notification(
                    chats[n % len(chats)], Text("", {"text": f"backlog {n}"}), "notice", None),
                    clock.now())
                await uow.commit()
            await _drive(sender, clock, START + step * (n + 1))
        await _drive(sender, clock, ends)
        emulator.outage(None)
        await _drive(sender, clock, ends + timedelta(hours=1))
        accepted = [m for m in emulator.accepted_sends() if m.text.startswith("backlog")]
        texts = Counter(m.text for m in accepted)
        return {
            "after": max(m.date for m in accepted) - ends.timestamp(),
            "first": min(m.date for m in accepted) - ends.timestamp(),
            "bound": ideal_schedule(emulator.limits, chats, OUTAGE_ROWS // OUTAGE_GROUPS),
            "rejected_429": emulator.rejected_429,
            "lost": OUTAGE_ROWS - len(texts),
            "duplicated": sum(count - 1 for count in texts.values()),
            "probes": len([c for c in emulator.calls if c.error_code == 502]),
        }


async def _drive(sender: OutboxSender, clock: VirtualClock, until: datetime) -> None:
    """Run the sender as the scheduler would, on the virtual clock, up to `until`."""
    while True:
        await sender.drain()
        due = await sender.next_due()
        if due is None or due > until:
            clock.advance_to(until)
            return
        clock.advance_to(due)


def main() -> None:
    from bot.cli import quiet_outage_pages

    quiet_outage_pages()
    print(f"outbox burst: {GROUPS * PER_GROUP} reminders to {GROUPS} groups "
          f"({PER_GROUP} each), emulator flood limits on, real time")
    result = asyncio.run(measure())
    ratio = result["total"] / result["bound"]
    print(f"  delivered {result['delivered']:.0f} (sender counted {result['sent']:.0f})")
    print(f"  total {result['total']:.2f} s (first to last send {result['first_to_last']:.2f} s)")
    print(f"  lower bound set by the limits {result['bound']:.2f} s")
    verdict = "ok" if ratio <= RATIO_FLOOR else "MISSED"
    print(f"  ratio total/bound {ratio:.3f} (floor ≤ {RATIO_FLOOR}) {verdict}")
    verdict = "ok" if result["rejected_429"] == 0 else "MISSED"
    print(f"  429 answers {result['rejected_429']:.0f} (must be 0) {verdict}")
    print(f"outbox after an outage: {OUTAGE_ROWS} messages to {OUTAGE_GROUPS} groups queued "
          "during one hour of 502s, virtual clock")
    outage = asyncio.run(measure_outage())
    ratio = outage["after"] / outage["bound"]
    print(f"  probes during the outage {outage['probes']:.0f}; first delivery "
          f"{outage['first']:.1f} s after it ended")
    print(f"  drained {outage['after']:.1f} s after the outage; the limits allow "
          f"{outage['bound']:.1f} s")
    verdict = "ok" if ratio <= OUTAGE_FLOOR else "MISSED"
    print(f"  ratio drained/bound {ratio:.3f} (floor ≤ {OUTAGE_FLOOR}) {verdict}")
    bad = outage["rejected_429"] + outage["lost"] + outage["duplicated"]
    print(f"  429 answers {outage['rejected_429']:.0f}, lost {outage['lost']:.0f}, "
          f"duplicated {outage['duplicated']:.0f} (all must be 0) {'ok' if not bad else 'MISSED'}")


if __name__ == "__main__":
    main()
