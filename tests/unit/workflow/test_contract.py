"""workflow/orders/contract.py: quote, signature and payment, the production order."""

from __future__ import annotations

import pytest

from tests.unit.workflow.fakes import POLICY, PolicyDeadlines
from tests.unit.workflow.journey import GROUPS, Company, effective, reviewed
from workflow import orders, urging
from workflow.errors import DomainError, Forbidden
from workflow.model import OrderStatus, TaskKind, TaskStatus
from workflow.roles import Role


async def test_the_first_quote_makes_the_contract(c: Company) -> None:
    order = await reviewed(c)
    assert await orders.record_quote(c.world.ctx, c.rep, order, 420000) is None
    stored = c.world.order(order)
    assert stored.status is OrderStatus.CONTRACT
    assert (stored.facts["quote_amount"], stored.facts["quote_basis"]) == (420000, "price_list")
    [quote] = [t for t in c.world.tasks(order) if t.kind is TaskKind.QUOTE]
    assert quote.status is TaskStatus.DONE


async def test_a_quote_is_corrected_until_signed(c: Company) -> None:
    order = await reviewed(c)
    await orders.record_quote(c.world.ctx, c.rep, order, 420000)
    order = c.world.order(order)
    assert await orders.record_quote(c.world.ctx, c.rep, order, 400000) == 420000
    await orders.record_contract_fact(c.world.ctx, c.rep, order, "signed")
    with pytest.raises(DomainError) as signed:
        await orders.record_quote(c.world.ctx, c.rep, c.world.order(order), 390000)
    assert signed.value.text.key == "quote.signed_already"
    assert c.world.order(order).facts["quote_amount"] == 400000


async def test_a_quote_must_be_positive(c: Company) -> None:
    order = await reviewed(c)
    with pytest.raises(DomainError) as zero:
        await orders.record_quote(c.world.ctx, c.rep, order, 0)
    assert zero.value.text.key == "error.amount_not_positive"
    assert c.world.order(order).status is OrderStatus.QUOTE


async def test_signed_and_paid_make_it_effective(c: Company) -> None:
    order = await reviewed(c)
    await orders.record_quote(c.world.ctx, c.rep, order, 420000)
    assert await orders.record_contract_fact(c.world.ctx, c.rep, order, "signed") is False
    assert c.world.order(order).status is OrderStatus.CONTRACT
    assert await orders.record_contract_fact(c.world.ctx, c.finance, order, "paid") is True
    assert c.world.order(order).status is OrderStatus.EFFECTIVE
    [task] = c.world.tasks(order, open_only=True)
    assert (task.kind, task.role) == (TaskKind.PRODUCTION_ORDER, Role.MARKET)
    assert task.due_at == PolicyDeadlines().due("production_order", c.world.now)
    assert [t.subject for t in c.world.timers(kind=urging.FOLLOW_UP)] == [
        urging.subject(order.id)]


async def test_who_records_what_on_a_contract(c: Company) -> None:
    order = await reviewed(c)
    with pytest.raises(DomainError) as early:
        await orders.record_contract_fact(c.world.ctx, c.rep, order, "signed")
    assert early.value.text.key == "error.not_now"
    await orders.record_quote(c.world.ctx, c.rep, order, 420000)
    with pytest.raises(Forbidden):
        await orders.record_contract_fact(c.world.ctx, c.finance, order, "signed")
    assert "signed" not in c.world.order(order).facts


async def test_the_production_order_opens_planning(c: Company) -> None:
    order = await effective(c)
    planning = await orders.issue_production_order(c.world.ctx, c.rep, order)
    assert c.world.order(order).status is OrderStatus.PLANNING
    assert (planning.kind, planning.role) == (TaskKind.PLANNING, Role.MANUFACTURING)
    assert planning.due_at == PolicyDeadlines().due("planning_other", c.world.now)
    assert [t.kind for t in c.world.tasks(order, open_only=True)] == [TaskKind.PLANNING]
    assert c.world.notes("planning.meeting") == []  # a regular order has no meeting


async def test_a_complete_set_gets_a_working_day_to_plan(c: Company) -> None:
    order = await effective(c, complete_set=True)
    planning = await orders.issue_production_order(c.world.ctx, c.rep, order)
    assert planning.due_at == PolicyDeadlines().due("planning_complete_set", c.world.now)
    assert POLICY.deadline("planning_complete_set") != POLICY.deadline("planning_other")


async def test_a_non_regular_order_calls_the_planning_meeting(c: Company) -> None:
    order = await effective(c, order_class="non_regular")
    await orders.issue_production_order(c.world.ctx, c.rep, order)
    meeting = c.world.order(order).facts["planning_meeting"]
    assert meeting == ["tech", "manufacturing", "procurement"]
    assert c.world.told("planning.meeting") == {GROUPS[Role(r)] for r in meeting}


async def test_only_market_issues_the_production_order(c: Company) -> None:
    order = await effective(c)
    with pytest.raises(Forbidden):
        await orders.issue_production_order(c.world.ctx, c.maker_lead, order)
    assert c.world.order(order).status is OrderStatus.EFFECTIVE


async def test_quality_requirements_bring_quality_to_the_meeting(c: Company) -> None:
    order = await effective(c, order_class="non_regular", notes="绝缘要求高于国标")
    await orders.issue_production_order(c.world.ctx, c.rep, order)
    assert c.world.order(order).facts["planning_meeting"][-1] == "quality"
    assert GROUPS[Role.QUALITY] in c.world.told("planning.meeting")
