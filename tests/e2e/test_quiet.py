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
    MANUFACTURING,
    MARKET,
    WANGQIANG,
    ZHANGWEI,
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


def new_messages(stack: Stack, since: int) -> list[dict]:
    return [m for m in stack.messages[since:] if not m["edit"]]


async def roles_of(stack: Stack, person: int) -> dict[str, bool]:
    async with stack.gendan.runtime.unit_of_work() as uow:
        found = await uow.people.get(person)
    assert found is not None
    return {role.value: leader for role, leader in found.roles.items()}


async def test_help_lists_leader_commands_to_leaders_only(stack: Stack) -> None:
    await set_up_company(stack)
    await stack.say(LIMING, LIMING, "/help")  # a market member
    member = stack.texts(LIMING)[-1]
    assert "/order" in member and "/hold" not in member and "/cancel" not in member
    assert "/role " not in member and "/unrole" not in member
    await stack.say(ZHAOZONG, ZHAOZONG, "/help")  # the general manager decides holds
    gm = stack.texts(ZHAOZONG)[-1]
    assert "/hold" in gm and "/resume" in gm and "/role " not in gm
    await stack.say(WANGQIANG, WANGQIANG, "/help")  # manufacturing's leader keeps its roster
    leader = stack.texts(WANGQIANG)[-1]
    assert "/role " in leader and "/unrole" in leader and "/hold" not in leader


async def test_an_error_is_one_message(stack: Stack) -> None:
    await set_up_company(stack)
    before = len(stack.messages)
    await stack.say(MARKET, LIMING, "/quote SO-20261124-009 42万")
    [answer] = new_messages(stack, before)
    assert answer["kind"] == "error" and "SO-20261124-009" in answer["text"]
    assert "/quote" in answer["text"]  # and what to type instead, in the same message
    before = len(stack.messages)
    await stack.say(MARKET, LIMING, "/quote")
    assert len(new_messages(stack, before)) == 1


async def test_a_near_miss_command_gets_did_you_mean(stack: Stack) -> None:
    await set_up_company(stack)
    before = len(stack.messages)
    await stack.say(MARKET, LIMING, "/ordr 客户:华东电力")
    [answer] = new_messages(stack, before)
    assert answer["kind"] == "error" and "您是不是想输入 /order" in answer["text"]
    await stack.say(MARKET, LIMING, "/stauts SO-20261124-001")
    assert "/status" in stack.texts(MARKET)[-1]
    await stack.say(MARKET, LIMING, "/frobnicate")
    assert "您是不是想" not in stack.texts(MARKET)[-1]


async def test_leaders_keep_their_own_departments_roles(stack: Stack) -> None:
    await set_up_company(stack)
    await stack.say(MANUFACTURING, WANGQIANG, "/role @zhangwei manufacturing")
    assert (await roles_of(stack, ZHANGWEI)) == {"tech": False, "manufacturing": False}
    # Another department, the leader mark, and a member: each refused, nothing changes.
    await stack.say(MANUFACTURING, WANGQIANG, "/role @zhangwei market")
    assert stack.messages[-1]["kind"] == "error" and "本部门" in stack.texts(MANUFACTURING)[-1]
    await stack.say(MANUFACTURING, WANGQIANG, "/role @zhangwei manufacturing leader")
    assert stack.messages[-1]["kind"] == "error" and "负责人标记" in stack.texts(MANUFACTURING)[-1]
    await stack.say(MARKET, LIMING, "/role @zhangwei market")
    assert stack.messages[-1]["kind"] == "error" and "管理员" in stack.texts(MARKET)[-1]
    assert (await roles_of(stack, ZHANGWEI)) == {"tech": False, "manufacturing": False}
    await stack.say(MANUFACTURING, WANGQIANG, "/unrole @zhangwei manufacturing")
    assert (await roles_of(stack, ZHANGWEI)) == {"tech": False}
    await stack.say(MANUFACTURING, WANGQIANG, "/unrole @zhangwei tech")
    assert "本部门" in stack.texts(MANUFACTURING)[-1]
    # A leader's own role is an administrator's to take.
    await stack.say(MANUFACTURING, WANGQIANG, "/unrole @wangqiang manufacturing")
    assert (await roles_of(stack, WANGQIANG)) == {"manufacturing": True}


async def test_a_long_department_digest_points_to_tasks(database_url: str) -> None:
    async with Stack(START, database_url=database_url, admin_ids=frozenset({ADMIN}),
                     policy={"digest.max_lines": 1}) as stack:
        populate(stack.emulator)
        await set_up_company(stack)
        await stack.say(MARKET, LIMING, ORDER)
        await stack.press(MARKET, LIMING, "确认")
        await stack.say(MARKET, LIMING, "/contact SO-20261124-001 制造中心 图纸问题 截止 11-25 16:00")
        await stack.advance_to(at("2026-11-25", "09:30"))
        [digest] = [m for m in stack.messages if m["chat"] == MANUFACTURING
                    and m["kind"] == "digest"]
        # Two tasks due today, one listed: the other is counted and left to /tasks.
        assert "今天到期 2 项" in digest["text"] and "/tasks" in digest["text"]
        assert ("交货期评审" in digest["text"]) != ("图纸问题" in digest["text"])
