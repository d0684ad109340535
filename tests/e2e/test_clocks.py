"""Reminders, escalations and digests on the virtual clock, in working time."""

from __future__ import annotations

from datetime import datetime

from bot.simulate import Stack
from tests.conftest import SHANGHAI
from tests.e2e.conftest import (
    LIMING,
    MANUFACTURING,
    MARKET,
    TECH,
    WANGQIANG,
    ZHANGWEI,
    ZHAOZONG,
    populate,
    set_up_company,
)
from tests.e2e.test_order_review import ORDER


def at(day: str, clock: str) -> datetime:
    return datetime.fromisoformat(f"{day}T{clock}:00").replace(tzinfo=SHANGHAI)


def sent(stack: Stack, chat: int, fragment: str) -> list[dict]:
    """New messages (not edits of earlier ones) in `chat` containing `fragment`."""
    return [m for m in stack.messages
            if m["chat"] == chat and fragment in m["text"] and not m["edit"]]


async def _registered(stack: Stack) -> None:
    await set_up_company(stack)
    await stack.say(MARKET, LIMING, ORDER)
    await stack.press(MARKET, LIMING, "确认")


async def test_ignored_review_reminds_then_escalates_to_leader_then_gm(stack: Stack) -> None:
    await _registered(stack)  # confirmed at 09:01 on Tue 2026-11-24: review due Wed 09:01
    await stack.press(TECH, ZHANGWEI, "可行")
    await stack.advance_to(at("2026-11-24", "16:59"))
    assert not sent(stack, MANUFACTURING, "⏰ 提醒")
    await stack.advance_to(at("2026-11-24", "17:02"))  # an hour of working time before
    [reminder] = sent(stack, MANUFACTURING, "⏰ 提醒")
    assert reminder["kind"] == "reminder" and reminder["at"].startswith("2026-11-24T17:01")
    # A review is answered with its verdict, not "done"; a reminder can also be put off.
    assert reminder["buttons"] == [["可行", "不可行"], ["稍后提醒"]]

    await stack.advance_to(at("2026-11-25", "09:02"))
    [overdue] = sent(stack, MANUFACTURING, "🚨 已超期")
    assert overdue["at"].startswith("2026-11-25T09:01")
    [to_leader] = sent(stack, WANGQIANG, "第1次上报")
    assert to_leader["kind"] == "escalation"
    assert not sent(stack, ZHAOZONG, "上报")
    await stack.advance_to(at("2026-11-25", "11:02"))  # step_wait: 2 working hours
    [to_gm] = sent(stack, ZHAOZONG, "第2次上报")
    assert to_gm["at"].startswith("2026-11-25T11:01")
    assert not sent(stack, TECH, "🚨")  # tech answered in time: nothing escalates for it
    await stack.advance_to(at("2026-11-27", "18:00"))
    # Repeated a bounded number of times: the repeats the same day wait for the next digest,
    # the last one, the next morning, is a message of its own.
    assert [m["at"][:10] for m in sent(stack, ZHAOZONG, "上报") if m["kind"] == "escalation"] == [
        "2026-11-25", "2026-11-26"]


async def test_answering_just_before_the_deadline_stops_escalation(stack: Stack) -> None:
    await _registered(stack)
    await stack.press(TECH, ZHANGWEI, "可行")
    await stack.advance_to(at("2026-11-25", "08:59"))
    reminder = stack.emulator.last_message(MANUFACTURING)
    assert "⏰" in reminder.text and reminder.labels == ["可行", "不可行", "稍后提醒"]
    await stack.press(MANUFACTURING, WANGQIANG, "可行")
    await stack.advance_to(at("2026-11-27", "18:00"))
    assert not [m for m in stack.messages if m["kind"] == "escalation" and "交货期评审" in m["text"]]
    assert (await stack.state())["orders"][0]["status"] == "quote"
    # The quote that nobody sent is another matter: it escalates on its own clock.
    assert [m for m in stack.messages if m["kind"] == "escalation" and "商务报价" in m["text"]]


async def test_a_deadline_over_the_weekend_falls_on_monday(database_url: str) -> None:
    from tests.e2e.conftest import ADMIN
    friday = at("2026-11-27", "16:00")
    async with Stack(friday, database_url=database_url, admin_ids=frozenset({ADMIN})) as stack:
        await _company_on(stack)
        await stack.say(MARKET, LIMING, ORDER)
        await stack.press(MARKET, LIMING, "确认")
        tasks = (await stack.state())["tasks"]
        # 1 working day from Fri 16:0x is Mon 16:0x, Shanghai time.
        assert all(t["due_at"].startswith("2026-11-30T08:0") for t in tasks)
        await stack.advance_to(at("2026-11-30", "14:00"))
        assert not [m for m in stack.messages if m["kind"] in ("reminder", "escalation")]
        await stack.advance_to(at("2026-11-30", "16:30"))
        assert sent(stack, MANUFACTURING, "⏰ 提醒") and sent(stack, MANUFACTURING, "🚨 已超期")


async def test_a_deadline_over_national_day_skips_the_holiday(database_url: str) -> None:
    from tests.e2e.conftest import ADMIN
    eve = at("2026-09-30", "10:00")
    async with Stack(eve, database_url=database_url, admin_ids=frozenset({ADMIN})) as stack:
        await _company_on(stack)
        await stack.say(MARKET, LIMING, ORDER.replace("12月20日", "2026-12-20"))
        await stack.press(MARKET, LIMING, "确认")
        tasks = (await stack.state())["tasks"]
        # Oct 1-7 are holidays; Thu Oct 8 is the next working day.
        assert all(t["due_at"].startswith("2026-10-08T02:") for t in tasks)
        await stack.advance_to(at("2026-10-07", "23:00"))
        assert not [m for m in stack.messages if m["kind"] in ("reminder", "escalation")]


async def test_morning_digest_on_working_days_only(stack: Stack) -> None:
    await _registered(stack)
    await stack.advance_to(at("2026-11-25", "09:30"))
    [digest] = sent(stack, MANUFACTURING, "☀️ 制造中心今日待办")
    assert digest["kind"] == "digest" and digest["at"].startswith("2026-11-25T09:00")
    assert "SO-20261124-001" in digest["text"]
    [company] = sent(stack, ZHAOZONG, "☀️ 全公司今日概况")
    # Departments by their names: the review tasks of the two reviewing departments.
    assert "技术中心：今天到期 1，已超期 0" in company["text"]
    assert "制造中心：" in company["text"] and "manufacturing" not in company["text"]
    await stack.advance_to(at("2026-11-29", "12:00"))  # Sat and Sun bring no digest
    days = {m["at"][:10] for m in stack.messages if m["kind"] == "digest"}
    assert days == {"2026-11-25", "2026-11-26", "2026-11-27"}


async def test_escalations_wait_out_quiet_hours_but_gm_ones_pass(database_url: str) -> None:
    from tests.e2e.conftest import ADMIN
    policy = {"escalation.counts_in": "calendar", "escalation.step_wait": "6h"}
    async with Stack(at("2026-11-24", "09:00"), database_url=database_url,
                     admin_ids=frozenset({ADMIN}), policy=policy) as stack:
        await _company_on(stack)
        await stack.say(MARKET, LIMING, ORDER)
        await stack.press(MARKET, LIMING, "确认")
        await stack.press(TECH, ZHANGWEI, "可行")
        await stack.advance_to(at("2026-11-26", "12:00"))
        to_leader = sent(stack, WANGQIANG, "第1次上报")
        to_gm = sent(stack, ZHAOZONG, "第2次上报")
        assert to_leader[0]["at"].startswith("2026-11-25T09:0")
        # 6 h later is 15:0x, in working hours anyway; the fourth step at 03:0x (the third,
        # at 21:0x the same day, waits for the digest) is quiet for routine messages but an
        # escalation to the general manager goes through.
        assert to_gm[0]["at"].startswith("2026-11-25T15:0")
        fourth = sent(stack, ZHAOZONG, "第4次上报")
        assert fourth[0]["at"].startswith("2026-11-26T03:0")


async def _company_on(stack: Stack) -> None:
    populate(stack.emulator)
    await set_up_company(stack)
