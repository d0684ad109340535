"""A burst of 600 reminders to 30 groups through the outbox, against Telegram's flood limits.

Run: .venv/bin/python -m bench.bench_outbox

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
import math
import random
import tempfile
import time

from bot.app import bootstrap, build_application, make_sender
from bot.clock import SystemClock
from bot.sandbox.emulator import DEFAULT_TOKEN, BotApiEmulator, FloodLimits
from bot.settings import Settings
from storage.uow import SqlUnitOfWork
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


async def measure() -> dict[str, float]:
    chats = [FIRST_GROUP - i for i in range(GROUPS)]
    reminders = [(chat, n) for chat in chats for n in range(PER_GROUP)]
    random.Random(7).shuffle(reminders)
    with tempfile.TemporaryDirectory() as scratch:
        settings = Settings(database_url=f"sqlite+aiosqlite:///{scratch}/outbox.db")
        gendan = await bootstrap(settings, SystemClock())
        clock = gendan.runtime.clock
        try:
            async with BotApiEmulator() as emulator:
                assert emulator.limits.enabled
                for number, chat in enumerate(chats):
                    emulator.add_group(chat, f"部门 {number}")
                application = build_application(gendan, DEFAULT_TOKEN,
                                                base_url=emulator.base_url)
                async with application:
                    sender = make_sender(gendan, application)
                    async with SqlUnitOfWork(gendan.runtime.sessions) as uow:
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
                delivered = sum(len(emulator.messages(chat)) for chat in chats)
                result = {
                    "total": total,
                    "bound": lower_bound(emulator.limits, GROUPS, PER_GROUP),
                    "first_to_last": calls[-1].at - calls[0].at if calls else 0.0,
                    "sent": sent,
                    "delivered": delivered,
                    "rejected_429": emulator.rejected_429,
                }
        finally:
            await gendan.close()
    return result


def main() -> None:
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


if __name__ == "__main__":
    main()
