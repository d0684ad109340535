"""workflow/orders/shipping.py: warehousing, payment, the shipping notice, shipping, closing."""

from __future__ import annotations

from datetime import date

import pytest

from tests.unit.workflow.fakes import PolicyDeadlines
from tests.unit.workflow.journey import (
    DUE,
    GROUPS,
    Company,
    in_production,
    shipped,
    shipping,
    warehoused,
)
from workflow import orders
from workflow.errors import DomainError, Forbidden
from workflow.model import OrderStatus, TaskKind, TaskStatus
from workflow.roles import Role


async def test_warehousing_opens_the_payment_check_and_the_shipping_notice(c: Company) -> None:
    order = await warehoused(c)
    assert c.world.order(order).status is OrderStatus.WAREHOUSED
    opened = {t.kind: t for t in c.world.tasks(order, open_only=True)}
    assert set(opened) == {TaskKind.PAYMENT_CHECK, TaskKind.SHIPPING_NOTICE}
    assert opened[TaskKind.PAYMENT_CHECK].role is Role.FINANCE
    assert opened[TaskKind.SHIPPING_NOTICE].due_at == PolicyDeadlines().due("shipping_notice",
                                                                             DUE)
    assert c.world.told("order.warehoused_notice") == {GROUPS[Role.MARKET]}


async def test_open_production_work_keeps_it_out_of_the_warehouse(c: Company) -> None:
    order = await in_production(c)
    with pytest.raises(DomainError) as open_work:
        await orders.record_warehoused(c.world.ctx, c.maker, order)
    assert open_work.value.text.key == "guard.production_tasks_done"
    assert c.world.order(order).status is OrderStatus.PRODUCTION


async def test_payment_is_finances_and_closes_its_check(c: Company) -> None:
    order = await warehoused(c)
    with pytest.raises(Forbidden):
        await orders.confirm_payment(c.world.ctx, c.rep, order)
    await orders.confirm_payment(c.world.ctx, c.finance, order)
    assert c.world.order(order).facts["payment_confirmed"] == c.world.now.isoformat()
    [check] = [t for t in c.world.tasks(order) if t.kind is TaskKind.PAYMENT_CHECK]
    assert check.status is TaskStatus.DONE


async def test_the_shipping_notice_needs_payment_and_a_day_ahead(c: Company) -> None:
    order = await warehoused(c)
    with pytest.raises(DomainError) as unpaid:
        await orders.issue_shipping_notice(c.world.ctx, c.rep, order, DUE)
    assert unpaid.value.text.key == "guard.payment_confirmed"
    await orders.confirm_payment(c.world.ctx, c.finance, order)
    with pytest.raises(DomainError) as past:
        await orders.issue_shipping_notice(c.world.ctx, c.rep, c.world.order(order),
                                           date(2026, 11, 1))
    assert past.value.text.key == "error.due_in_past"
    await orders.issue_shipping_notice(c.world.ctx, c.rep, c.world.order(order), DUE)
    assert c.world.order(order).status is OrderStatus.SHIPPING
    assert c.world.told("shipping.notice") == {GROUPS[Role.WAREHOUSE]}


async def test_a_full_shipment_ships(c: Company) -> None:
    order = await shipping(c)
    assert await orders.ship(c.world.ctx, c.keeper, order, None) == 0
    assert c.world.order(order).status is OrderStatus.SHIPPED
    assert not [t for t in c.world.tasks(order) if t.kind is TaskKind.MISSING_PARTS]


async def test_a_short_shipment_needs_consent_and_opens_the_missing_parts(c: Company) -> None:
    order = await shipping(c)
    with pytest.raises(DomainError) as short:
        await orders.ship(c.world.ctx, c.keeper, order, 10)
    assert short.value.text.key == "guard.full_or_consented"
    await orders.record_consent(c.world.ctx, c.rep, order, "客户同意先发10台")
    assert await orders.ship(c.world.ctx, c.keeper, c.world.order(order), 10) == 2
    [missing] = [t for t in c.world.tasks(order) if t.kind is TaskKind.MISSING_PARTS]
    assert (missing.role, missing.title) == (Role.MANUFACTURING, "2台")


async def test_shipping_more_or_nothing_is_refused(c: Company) -> None:
    order = await shipping(c)
    with pytest.raises(DomainError) as over:
        await orders.ship(c.world.ctx, c.keeper, order, 13)
    assert over.value.text.key == "error.over_shipment"
    with pytest.raises(DomainError) as nothing:
        await orders.ship(c.world.ctx, c.keeper, order, 0)
    assert nothing.value.text.key == "error.quantity_not_positive"
    assert c.world.order(order).status is OrderStatus.SHIPPING


async def test_closing_waits_for_the_missing_parts(c: Company) -> None:
    order = await shipping(c)
    await orders.record_consent(c.world.ctx, c.rep, order, "同意")
    await orders.ship(c.world.ctx, c.keeper, c.world.order(order), 10)
    with pytest.raises(DomainError) as missing:
        await orders.close(c.world.ctx, c.rep, c.world.order(order), "满意")
    assert missing.value.text.key == "guard.missing_parts_delivered"
    [task] = [t for t in c.world.tasks(order) if t.kind is TaskKind.MISSING_PARTS]
    await orders.finish(c.world.ctx, c.maker, task.id)
    await orders.close(c.world.ctx, c.rep, c.world.order(order), "满意")
    stored = c.world.order(order)
    assert (stored.status, stored.facts["feedback"]) == (OrderStatus.CLOSED, "满意")


async def test_closing_needs_the_customers_feedback(c: Company) -> None:
    order = await shipped(c)
    with pytest.raises(DomainError) as silent:
        await orders.close(c.world.ctx, c.rep, order, "")
    assert silent.value.text.key == "guard.feedback_recorded"
