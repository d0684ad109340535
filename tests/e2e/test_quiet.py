"""Quiet: one escalation per person, order and step a day, a daily cap, the chain an
escalation began with."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import select

from bot.simulate import Stack
from storage.models import EscalationPingRow, TaskRow
from tests.conftest import START
from tests.e2e.conftest import (
    ADMIN,
    LIMING,
    MARKET,
    WANGQIANG,
    ZHAOZONG,
    populate,
    set_up_company,
)
from tests.e2e.test_clocks import at
from tests.e2e.test_order_review import ORDER
from workflow.policy import load_policy


def escalations_to(stack: Stack, person: int) -> list[dict]:
    return [m for m in stack.messages
            if m["chat"] == person and m["kind"] == "escalation" and not m["edit"]]


async def pings(stack: Stack) -> list[EscalationPingRow]:
    async with stack.gendan.sessions() as session:
        return list(await session.scalars(select(EscalationPingRow)
                                          .order_by(EscalationPingRow.id)))


async def tasks(stack: Stack) -> list[TaskRow]:
    async with stack.gendan.sessions() as session:
        return list(await session.scalars(select(TaskRow).order_by(TaskRow.id)))


async def test_an_ignored_review_reaches_the_gm_once_per_order_and_step(stack: Stack) -> None:
    await set_up_company(stack)
    await stack.say(MARKET, LIMING, ORDER)
    await stack.press(MARKET, LIMING, "确认")  # tech and manufacturing both ignore the review
    await stack.advance_to(at("2026-11-25", "18:00"))
    # Before: each task's every step at the GM a message of its own, six that day. Now the two
    # tasks come as one message, and the repeats of that step the same day wait for the digest.
    to_gm = escalations_to(stack, ZHAOZONG)
    per_day = Counter((m["order"], m["at"][:10]) for m in to_gm)
    assert per_day == {("SO-20261124-001", "2026-11-25"): 1}
    reviews = [t.id for t in await tasks(stack) if t.kind == "feasibility_review"]
    gm_pings = [p for p in await pings(stack) if p.person_id == ZHAOZONG]
    [told] = [p for p in gm_pings if not p.folded]
    assert sorted(told.task_ids) == sorted(reviews) and told.step == 1
    folded = [p for p in gm_pings if p.folded]
    assert len(folded) == 2 * 2  # the repeats of 13:01 and 15:01, for each task
    assert all(p.listed_at is None for p in folded)

    await stack.advance_to(at("2026-11-27", "18:00"))
    to_gm = escalations_to(stack, ZHAOZONG)
    per_day = Counter((m["order"], m["at"][:10]) for m in to_gm)
    assert all(count <= 2 for count in per_day.values())
    # The chain ends: leader, GM and three repeats for each task, and no more.
    assert all(t.escalation_step == 4 for t in await tasks(stack)
               if t.kind == "feasibility_review")
    # Nothing is dropped: the morning digest lists the repeats held back.
    [listing] = [m for m in stack.messages if m["chat"] == ZHAOZONG and m["kind"] == "digest"
                 and m["at"].startswith("2026-11-26") and "上报" in m["text"]]
    assert listing["text"].count("交货期评审") == 2
    assert all(p.listed_at is not None for p in await pings(stack) if p.folded
               and p.at.date().isoformat() == "2026-11-25")


async def test_past_the_daily_cap_escalations_wait_for_the_digest(database_url: str) -> None:
    async with Stack(START, database_url=database_url, admin_ids=frozenset({ADMIN}),
                     policy={"escalation.daily_cap": 1}) as stack:
        populate(stack.emulator)
        await set_up_company(stack)
        for quantity in (12, 30):
            await stack.say(MARKET, LIMING, ORDER.replace("12台", f"{quantity}台"))
            await stack.press(MARKET, LIMING, "确认")
        await stack.advance_to(at("2026-11-25", "12:00"))
        to_gm = escalations_to(stack, ZHAOZONG)
        assert [m["order"] for m in to_gm] == ["SO-20261124-001"]
        held = [p for p in await pings(stack) if p.person_id == ZHAOZONG and p.folded]
        assert {p.order_id for p in held} == {2}
        await stack.advance_to(at("2026-11-26", "09:30"))
        [listing] = [m for m in stack.messages if m["chat"] == ZHAOZONG
                     and m["kind"] == "digest" and "上报" in m["text"]]
        assert "SO-20261124-002" in listing["text"]


async def test_a_policy_edit_spares_an_escalation_under_way(stack: Stack) -> None:
    await set_up_company(stack)
    await stack.say(MARKET, LIMING, ORDER)
    await stack.press(MARKET, LIMING, "确认")
    await stack.advance_to(at("2026-11-25", "09:30"))  # step 0: the leaders are told
    assert escalations_to(stack, WANGQIANG)
    runtime = stack.gendan.runtime
    # The company stops sending manufacturing's escalations to the GM, from now on.
    runtime.policy = load_policy(overrides={"escalation.chains.manufacturing": ["leader"],
                                            "escalation.chains.tech": ["leader"]})
    await stack.advance_to(at("2026-11-25", "11:30"))
    assert [m["order"] for m in escalations_to(stack, ZHAOZONG)] == ["SO-20261124-001"]
    chains = {t.escalation_chain and tuple(t.escalation_chain) for t in await tasks(stack)
              if t.kind == "feasibility_review"}
    assert chains == {("leader", "gm", "gm", "gm", "gm")}
