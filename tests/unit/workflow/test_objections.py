"""workflow/orders/objections.py: objections to a planned due time, to the planner or the GM."""

from __future__ import annotations

from datetime import date

import pytest

from tests.unit.workflow.journey import GROUPS, Company, in_production
from workflow import orders
from workflow.errors import DomainError, Forbidden
from workflow.model import AnswerTo, ButtonAnswer, TaskKind
from workflow.roles import Role


def _one(c: Company, order, kind: TaskKind):
    [task] = [t for t in c.world.tasks(order, open_only=True) if t.kind is kind]
    return task


async def test_an_objection_goes_to_the_planner(c: Company) -> None:
    order = await in_production(c)
    task, to_gm = await orders.object_to(c.world.ctx, c.buyer, order, "采购",
                                         date(2026, 12, 10), "交期太紧")
    assert (task.kind, to_gm) == (TaskKind.PURCHASE, False)
    objection = c.world.order(order).facts["objections"][str(task.id)]
    assert (objection["status"], objection["escalated"], objection["by"]) == (
        "open", False, c.buyer.person.id)
    [note] = c.world.notes("objection.request")
    assert note.chat_id == GROUPS[Role.MANUFACTURING]
    assert [b.answer for b in note.buttons[0]] == [
        ButtonAnswer(AnswerTo.OBJECTION, task.id, "accept"),
        ButtonAnswer(AnswerTo.OBJECTION, task.id, "gm")]


async def test_the_planners_own_objection_goes_to_the_gm(c: Company) -> None:
    order = await in_production(c)
    _, to_gm = await orders.object_to(c.world.ctx, c.maker, order, "装配完成",
                                      date(2026, 12, 20), "人手不足")
    assert to_gm is True
    assert c.world.told("objection.to_gm") == {c.gm.person.id}
    assert c.world.notes("objection.request") == []


async def test_refusals_of_an_objection(c: Company) -> None:
    order = await in_production(c)
    with pytest.raises(DomainError) as no_task:
        await orders.object_to(c.world.ctx, c.buyer, order, "包装", date(2026, 12, 10), "x")
    assert no_task.value.text.key == "objection.no_task"
    with pytest.raises(Forbidden):
        await orders.object_to(c.world.ctx, c.tech, order, "采购", date(2026, 12, 10), "x")
    with pytest.raises(DomainError) as past:
        await orders.object_to(c.world.ctx, c.buyer, order, "采购", date(2026, 11, 1), "x")
    assert past.value.text.key == "error.due_in_past"
    c.world.later(days=3)  # more than a working day after the plan
    with pytest.raises(DomainError) as late:
        await orders.object_to(c.world.ctx, c.buyer, order, "采购", date(2026, 12, 10), "x")
    assert late.value.text.key == "objection.too_late"
    assert "objections" not in c.world.order(order).facts


async def test_an_accepted_objection_moves_the_task(c: Company) -> None:
    order = await in_production(c)
    task, _ = await orders.object_to(c.world.ctx, c.buyer, order, "采购", date(2026, 12, 10),
                                     "交期太紧")
    await orders.settle_objection(c.world.ctx, c.maker_lead, task.id, "accept")
    moved = c.world.tables.tasks[task.id].due_at
    assert moved.astimezone(c.world.ctx.tz).date() == date(2026, 12, 10)
    [event] = c.world.events("task.due_changed")
    assert (event.after["why"], event.after["reason"]) == ("objection", "交期太紧")
    assert c.world.order(order).facts["objections"][str(task.id)]["status"] == "accepted"
    assert c.world.told("objection.accepted") == {GROUPS[Role.PROCUREMENT]}
    assert c.world.notes("objection.past_delivery") == []  # still before the delivery date
    with pytest.raises(DomainError) as twice:
        await orders.settle_objection(c.world.ctx, c.maker_lead, task.id, "keep")
    assert twice.value.text.key == "objection.settled"


async def test_a_day_past_delivery_is_markets_news(c: Company) -> None:
    order = await in_production(c)
    task, _ = await orders.object_to(c.world.ctx, c.buyer, order, "采购", date(2027, 1, 8),
                                     "进口件")
    await orders.settle_objection(c.world.ctx, c.maker_lead, task.id, "accept")
    assert c.world.told("objection.past_delivery") == {GROUPS[Role.MARKET]}


async def test_the_planner_sends_it_up_and_the_gm_keeps_the_plan(c: Company) -> None:
    order = await in_production(c)
    task, _ = await orders.object_to(c.world.ctx, c.buyer, order, "采购", date(2026, 12, 10),
                                     "x")
    before = c.world.tables.tasks[task.id].due_at
    await orders.settle_objection(c.world.ctx, c.maker_lead, task.id, "gm")
    assert c.world.told("objection.to_gm") == {c.gm.person.id}
    with pytest.raises(Forbidden):  # once with the GM, the planner no longer decides
        await orders.settle_objection(c.world.ctx, c.maker_lead, task.id, "accept")
    await orders.settle_objection(c.world.ctx, c.gm, task.id, "keep")
    assert c.world.tables.tasks[task.id].due_at == before
    assert c.world.order(order).facts["objections"][str(task.id)]["status"] == "kept"


async def test_nobody_decides_their_own_objection(c: Company) -> None:
    buyer_and_gm = c.world.person(83, "兼任", Role.PROCUREMENT, Role.GM)
    order = await in_production(c)
    task, _ = await orders.object_to(c.world.ctx, buyer_and_gm, order, "采购",
                                     date(2026, 12, 10), "x")
    with pytest.raises(DomainError) as own:
        await orders.settle_objection(c.world.ctx, buyer_and_gm, task.id, "accept")
    assert own.value.text.key == "objection.own"
