"""workflow/orders/after_sales.py: tickets on a delivered order."""

from __future__ import annotations

import pytest

from tests.unit.workflow.journey import Company, in_production, shipped
from workflow import orders
from workflow.errors import DomainError, Forbidden
from workflow.model import TaskKind
from workflow.roles import Role


async def test_a_ticket_is_markets_where_after_sales_has_no_group(c: Company) -> None:
    order = await shipped(c)
    task = await orders.open_ticket(c.world.ctx, c.rep, order, "维修", "柜门变形")
    assert (task.kind, task.role, task.title) == (TaskKind.AFTER_SALES, Role.MARKET,
                                                  "[维修] 柜门变形")
    [ticket] = c.world.order(order).facts["tickets"]
    assert (ticket["task"], ticket["kind"]) == (task.id, "repair")


async def test_after_sales_owns_tickets_once_it_has_a_group(c: Company) -> None:
    c.world.group(-1010, Role.SERVICE)
    order = await shipped(c)
    task = await orders.open_ticket(c.world.ctx, c.rep, order, "complaint", "迟到")
    assert task.role is Role.SERVICE


async def test_refusals_of_a_ticket(c: Company) -> None:
    order = await in_production(c)
    with pytest.raises(DomainError) as early:
        await orders.open_ticket(c.world.ctx, c.rep, order, "退货", "x")
    assert early.value.text.key == "ticket.not_delivered"
    order = await shipped(c)
    with pytest.raises(DomainError) as word:
        await orders.open_ticket(c.world.ctx, c.rep, order, "抱怨", "x")
    assert word.value.text.key == "usage.ticket"
    with pytest.raises(Forbidden):
        await orders.open_ticket(c.world.ctx, c.tech, order, "退货", "x")
