"""workflow/orders/holds.py: hold, resume, cancel."""

from __future__ import annotations

import pytest

from tests.unit.workflow.journey import GROUPS, Company, in_production, shipped
from workflow import orders
from workflow.errors import DomainError, Forbidden
from workflow.model import OrderStatus, TaskStatus
from workflow.roles import Role


async def test_a_leader_holds_and_resumes_where_it_was(c: Company) -> None:
    order = await in_production(c)
    await orders.hold(c.world.ctx, c.market_lead, order, "客户暂停")
    stored = c.world.order(order)
    assert stored.status is OrderStatus.ON_HOLD
    assert (stored.facts["held_from"], stored.facts["hold_reason"]) == ("production", "客户暂停")
    # Market and every department with work on the order hear it (tech reviewed it).
    assert c.world.told("order.held_notice") == {GROUPS[Role.MARKET], GROUPS[Role.PROCUREMENT],
                                                 GROUPS[Role.MANUFACTURING],
                                                 GROUPS[Role.TECH]}
    await orders.resume(c.world.ctx, c.market_lead, stored)
    assert c.world.order(order).status is OrderStatus.PRODUCTION
    moves = [a for a in c.world.actions("order.") if a != "order.facts"]
    assert moves[-2:] == ["order.hold", "order.resume"]


async def test_a_member_may_not_hold(c: Company) -> None:
    order = await in_production(c)
    with pytest.raises(Forbidden) as member:
        await orders.hold(c.world.ctx, c.rep, order, "x")
    assert member.value.text.key == "error.needs_leader"
    with pytest.raises(Forbidden) as other:
        await orders.hold(c.world.ctx, c.maker_lead, order, "x")
    assert other.value.text.key == "error.needs_role"
    assert c.world.order(order).status is OrderStatus.PRODUCTION


async def test_the_general_manager_needs_no_leader_mark(c: Company) -> None:
    order = await in_production(c)
    await orders.hold(c.world.ctx, c.gm, order, "资金")
    assert c.world.order(order).status is OrderStatus.ON_HOLD


async def test_cancelling_cancels_the_open_tasks_and_their_clocks(c: Company) -> None:
    order = await in_production(c)
    open_before = c.world.tasks(order, open_only=True)
    assert await orders.cancel(c.world.ctx, c.market_lead, order, "客户取消") == len(open_before)
    assert c.world.order(order).status is OrderStatus.CANCELLED
    assert {c.world.tables.tasks[t.id].status for t in open_before} == {TaskStatus.CANCELLED}
    assert not [t for t in c.world.timers() if t.subject.startswith("task:")]
    assert c.world.order(order).facts["cancel_reason"] == "客户取消"


async def test_a_shipped_order_is_not_cancelled(c: Company) -> None:
    order = await shipped(c)
    with pytest.raises(DomainError) as late:
        await orders.cancel(c.world.ctx, c.market_lead, order, "x")
    assert late.value.text.key == "error.not_now"
