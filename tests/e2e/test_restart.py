"""Downtime: the bot stops with due timers and queued messages and starts again later."""

from __future__ import annotations

from collections import Counter

from bot.simulate import Stack
from tests.conftest import START
from tests.e2e.conftest import (
    ADMIN,
    LIMING,
    MANUFACTURING,
    MARKET,
    TECH,
    WANGQIANG,
    ZHAOZONG,
    populate,
)
from tests.e2e.test_clocks import _company_on, at
from tests.e2e.test_order_review import ORDER
from workflow.model import Notification, Text


async def test_after_downtime_everything_is_delivered_once(database_url: str) -> None:
    async with Stack(START, database_url=database_url, admin_ids=frozenset({ADMIN})) as first:
        await _company_on(first)
        await first.say(MARKET, LIMING, ORDER)
        await first.press(MARKET, LIMING, "确认")
        async with first.gendan.runtime.unit_of_work() as uow:
            for i in range(3):  # queued, not yet sent, when the process stops
                await uow.outbox.enqueue(Notification(MARKET, Text("lang.done"), "notice",
                                                      f"queued-{i}"), first.clock.now())
            await uow.commit()
    # Down from Tuesday 09:02 until Wednesday 10:00: the reminders (Tue 17:0x) and the first
    # escalations (Wed 09:0x) fell due meanwhile.
    async with Stack(at("2026-11-25", "10:00"), database_url=database_url,
                     admin_ids=frozenset({ADMIN})) as second:
        populate(second.emulator)  # a new emulator; the database still knows the company
        await second.advance_to(at("2026-11-25", "10:01"))
        messages = second.messages
        queued = [m for m in messages if m["order"] and m["order"].startswith("queued-")]
        assert sorted(m["order"] for m in queued) == ["queued-0", "queued-1", "queued-2"]
        for chat in (TECH, MANUFACTURING):
            summaries = [m for m in messages if m["chat"] == chat and "停机期间错过" in m["text"]]
            assert len(summaries) == 1 and summaries[0]["kind"] == "reminder"
            assert not [m for m in messages if m["chat"] == chat and "⏰ 提醒" in m["text"]]
            assert len([m for m in messages if m["chat"] == chat and "🚨 已超期" in m["text"]]) == 1
        assert len([m for m in messages if m["chat"] == WANGQIANG and "第1次上报" in m["text"]]) == 1
        # The first step fired late, at 10:00, so the next one is two working hours later.
        await second.advance_to(at("2026-11-25", "12:05"))
        # Both ignored review tasks reach the GM together: one message listing the two.
        [to_gm] = [m for m in second.messages if m["chat"] == ZHAOZONG
                   and "第2次上报" in m["text"]]
        assert to_gm["text"].count("交货期评审") == 2
        texts = Counter((m["chat"], m["text"]) for m in second.messages if not m["edit"])
        assert all(count == 1 for (chat, text), count in texts.items()
                   if "上报" in text or "停机" in text)
