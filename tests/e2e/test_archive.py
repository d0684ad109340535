"""Ended orders are archived after the policy's period: out of the working commands, read-only,
found with /find by customer, product, number or period."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import select

from bot.simulate import Stack
from bot.ticks import ArchiveJob
from storage.models import AuditEventRow
from tests.e2e.conftest import LIMING, MARKET, UNBOUND, ZHAOZONG, set_up_company
from tests.e2e.test_order_review import ORDER

FIRST, SECOND = "SO-20261124-001", "SO-20261124-002"
OTHER = "/order 客户:江苏恒通 产品:Y160M-4电机 数量:30台 单价:2800 交期:12月28日"


async def _orders(stack: Stack) -> dict[str, dict[str, Any]]:
    return {o["number"]: o for o in (await stack.state())["orders"]}


async def _archived_events(stack: Stack) -> list[str]:
    async with stack.gendan.sessions() as session:
        rows = await session.scalars(select(AuditEventRow.subject_id)
                                     .where(AuditEventRow.action == "order.archive"))
        return list(rows)


def _errors(stack: Stack) -> list[str]:
    return [m["text"] for m in stack.messages[stack._step_start:] if m["kind"] == "error"]


async def _two_orders_one_cancelled(stack: Stack) -> None:
    await set_up_company(stack)
    await stack.say(MARKET, LIMING, ORDER)
    await stack.press(MARKET, LIMING, "确认")
    await stack.say(MARKET, LIMING, OTHER)
    await stack.press(MARKET, LIMING, "确认")
    await stack.say(MARKET, ZHAOZONG, f"/cancel {FIRST} 客户项目取消")
    assert (await _orders(stack))[FIRST]["status"] == "cancelled"


async def test_an_ended_order_is_archived_after_the_policys_period(stack: Stack) -> None:
    await _two_orders_one_cancelled(stack)
    await stack.advance(timedelta(days=29))
    assert (await _orders(stack))[FIRST]["archived_at"] is None
    await stack.advance(timedelta(days=2))
    orders = await _orders(stack)
    # Archived by the morning job, at the digest time; the live order stays.
    assert orders[FIRST]["archived_at"] == "2026-12-25T01:00:00+00:00"
    assert orders[SECOND]["archived_at"] is None
    assert await _archived_events(stack) == [FIRST]


async def test_an_archived_order_is_read_only_and_says_how_to_find_it(stack: Stack) -> None:
    await _two_orders_one_cancelled(stack)
    await stack.advance(timedelta(days=31))
    for command in (f"/status {FIRST}", f"/resume {FIRST}", f"/hold {FIRST} 再看看"):
        await stack.say(MARKET, ZHAOZONG, command)
        [refusal] = _errors(stack)[:1]
        assert f"/find {FIRST}" in refusal, command
    # The live order answers as before.
    await stack.say(MARKET, LIMING, f"/status {SECOND}")
    assert not _errors(stack) and stack.heard(MARKET, SECOND)
    assert (await _orders(stack))[FIRST]["status"] == "cancelled"


async def test_find_by_customer_product_number_and_period(stack: Stack) -> None:
    await _two_orders_one_cancelled(stack)
    await stack.advance(timedelta(days=31))
    for query in ("华东电力", "开关柜", FIRST, FIRST.lower(), "华东电力 2026-11", "GGD2-15"):
        await stack.say(MARKET, LIMING, f"/find {query}")
        assert not _errors(stack), query
        # One order found: its whole card with its tasks, and where the full record is.
        assert stack.heard(MARKET, f"/export {FIRST}"), query
        assert not stack.heard(MARKET, SECOND), query
    await stack.say(MARKET, LIMING, "/find SO-202611")
    assert stack.heard(MARKET, FIRST) and stack.heard(MARKET, SECOND)
    await stack.say(MARKET, LIMING, "/find 2026-11")
    assert stack.heard(MARKET, FIRST) and stack.heard(MARKET, SECOND)
    await stack.say(MARKET, LIMING, "/find 华东电力 2026-10")
    [refusal] = _errors(stack)  # one message: nothing found, and what to type
    assert "没有找到" in refusal and "/find 华东电力" in refusal


async def test_find_refuses_what_it_cannot_read(stack: Stack) -> None:
    await _two_orders_one_cancelled(stack)
    for query, fragment in (("", "请写出"), ("2026-11 2026-10", "两个时间段"),
                            ("华" * 201, "太长"), ("不存在的客户", "没有找到")):
        await stack.say(MARKET, LIMING, f"/find {query}".strip())
        [refusal] = _errors(stack)  # what was wrong and what to type, in one message
        assert fragment in refusal and "/find 华东电力" in refusal, query


async def test_find_needs_a_role_and_answers_in_private_outside_departments(stack: Stack
                                                                             ) -> None:
    await _two_orders_one_cancelled(stack)
    await stack.say(UNBOUND, LIMING, f"/find {FIRST}")
    assert not stack.heard(UNBOUND, FIRST) and stack.heard(LIMING, FIRST)


async def test_an_order_with_open_work_is_not_archived(stack: Stack) -> None:
    """An ended order with a task still open (an after-sales ticket) is still worked on."""
    await _two_orders_one_cancelled(stack)
    async with stack.gendan.runtime.unit_of_work() as uow:
        order = await uow.orders.by_number(FIRST)
        assert order is not None
        from workflow.model import Task, TaskKind, TaskStatus
        from workflow.roles import Role
        await uow.tasks.add(Task(None, order.id or 0, TaskKind.AFTER_SALES, Role.MARKET,
                                 TaskStatus.OPEN, None, stack.clock.now()))
        await uow.commit()
    await stack.advance(timedelta(days=40))
    assert (await _orders(stack))[FIRST]["archived_at"] is None


async def test_the_morning_archives_every_due_order_however_small_its_batches(
        stack: Stack, monkeypatch: Any) -> None:
    monkeypatch.setattr(ArchiveJob, "BATCH", 1)
    await _two_orders_one_cancelled(stack)
    await stack.say(MARKET, ZHAOZONG, f"/cancel {SECOND} 客户改用别家")
    await stack.advance(timedelta(days=31))
    assert sorted(await _archived_events(stack)) == [FIRST, SECOND]
