"""workflow/orders/procurement.py: the dispatch day, late deliveries, short arrivals."""

from __future__ import annotations

from datetime import date

import pytest

from tests.unit.workflow.journey import GROUPS, Company, in_production
from workflow import orders
from workflow.errors import DomainError, Forbidden
from workflow.model import TaskKind, TaskStatus
from workflow.parsing.task_reports import Report
from workflow.roles import Role


def _open(c: Company, order, kind: TaskKind):
    return [t for t in c.world.tasks(order, open_only=True) if t.kind is kind]


async def test_a_finished_supplier_contact_opens_the_dispatch_confirmation(c: Company) -> None:
    order = await in_production(c)
    [purchase] = _open(c, order, TaskKind.PURCHASE)
    [contact] = _open(c, order, TaskKind.SUPPLIER_CONTACT)
    await orders.finish(c.world.ctx, c.buyer, contact.id, Report(day=date(2026, 12, 3)))
    [confirmation] = _open(c, order, TaskKind.DISPATCH_CONFIRMATION)
    assert (confirmation.parent_id, confirmation.title) == (purchase.id, purchase.title)
    assert confirmation.due_at.astimezone(c.world.ctx.tz).date() == date(2026, 12, 3)


async def test_not_dispatched_asks_for_a_delay_report(c: Company) -> None:
    order = await in_production(c)
    [purchase] = _open(c, order, TaskKind.PURCHASE)
    [contact] = _open(c, order, TaskKind.SUPPLIER_CONTACT)
    await orders.finish(c.world.ctx, c.buyer, contact.id, Report(day=date(2026, 12, 3)))
    [confirmation] = _open(c, order, TaskKind.DISPATCH_CONFIRMATION)
    await orders.not_dispatched(c.world.ctx, c.buyer, confirmation.id)
    assert c.world.tables.tasks[confirmation.id].outcome == "not_dispatched"
    [report] = _open(c, order, TaskKind.DELAY_REPORT)
    assert (report.parent_id, report.role) == (purchase.id, Role.PROCUREMENT)


async def test_a_delay_tells_the_leaders_and_moves_the_purchase(c: Company) -> None:
    order = await in_production(c)
    [purchase] = _open(c, order, TaskKind.PURCHASE)
    new_day = date(2026, 12, 18)
    await orders.report_delay(c.world.ctx, c.buyer, purchase.id,
                              Report(note="供应商缺货", day=new_day))
    assert c.world.told("purchase.delay_report") == {c.buyer_lead.person.id,
                                                     GROUPS[Role.MANUFACTURING]}
    [event] = c.world.events("purchase.delay")
    assert event.after == {"title": purchase.title, "new_day": "2026-12-18",
                           "reason": "供应商缺货"}
    moved = c.world.tables.tasks[purchase.id].due_at
    assert moved.astimezone(c.world.ctx.tz).date() == new_day
    [confirmation] = _open(c, order, TaskKind.DISPATCH_CONFIRMATION)
    assert confirmation.parent_id == purchase.id


async def test_refusals_of_a_delay(c: Company) -> None:
    order = await in_production(c)
    [purchase] = _open(c, order, TaskKind.PURCHASE)
    [assembly] = _open(c, order, TaskKind.ASSEMBLY_FINISH)
    with pytest.raises(DomainError) as not_purchase:
        await orders.report_delay(c.world.ctx, c.maker, assembly.id, Report(note="x"))
    assert not_purchase.value.text.key == "error.delay_not_purchase"
    with pytest.raises(Forbidden):
        await orders.report_delay(c.world.ctx, c.maker, purchase.id, Report(note="x"))
    with pytest.raises(DomainError) as no_reason:
        await orders.report_delay(c.world.ctx, c.buyer, purchase.id, Report())
    assert no_reason.value.text.key == "usage.delay"
    with pytest.raises(DomainError) as past:
        await orders.report_delay(c.world.ctx, c.buyer, purchase.id,
                                  Report(note="x", day=date(2026, 11, 1)))
    assert past.value.text.key == "error.due_in_past"
    assert c.world.events("purchase.delay") == []


async def test_fewer_arrived_than_planned_is_a_shortfall(c: Company) -> None:
    order = await in_production(c)
    [purchase] = _open(c, order, TaskKind.PURCHASE)  # titled "断路器 47个"
    await orders.finish(c.world.ctx, c.buyer, purchase.id, Report(quantity=40))
    [note] = c.world.notes("purchase.shortfall", chat_id=c.buyer_lead.person.id)
    assert (note.text.params["accepted"], note.text.params["planned"]) == ("40", "47")
    assert c.world.told("purchase.shortfall") == {c.buyer_lead.person.id,
                                                  GROUPS[Role.MANUFACTURING]}


async def test_a_full_arrival_settles_the_follow_ups_quietly(c: Company) -> None:
    order = await in_production(c)
    [purchase] = _open(c, order, TaskKind.PURCHASE)
    [contact] = _open(c, order, TaskKind.SUPPLIER_CONTACT)
    await orders.finish(c.world.ctx, c.buyer, contact.id, Report(day=date(2026, 12, 3)))
    await orders.finish(c.world.ctx, c.buyer, purchase.id, Report(quantity=47))
    assert c.world.notes("purchase.shortfall") == []
    [confirmation] = [t for t in c.world.tasks(order)
                      if t.kind is TaskKind.DISPATCH_CONFIRMATION]
    assert (confirmation.status, confirmation.outcome) == (TaskStatus.DONE, "arrived")


async def test_without_a_day_named_the_planned_arrival_day_stands(c: Company) -> None:
    order = await in_production(c)
    [purchase] = _open(c, order, TaskKind.PURCHASE)
    [contact] = _open(c, order, TaskKind.SUPPLIER_CONTACT)
    await orders.finish(c.world.ctx, c.buyer, contact.id)
    [confirmation] = _open(c, order, TaskKind.DISPATCH_CONFIRMATION)
    tz = c.world.ctx.tz
    assert confirmation.due_at.astimezone(tz).date() == purchase.due_at.astimezone(tz).date()


async def test_goods_already_in_need_no_dispatch_confirmation(c: Company) -> None:
    order = await in_production(c)
    [purchase] = _open(c, order, TaskKind.PURCHASE)
    [contact] = _open(c, order, TaskKind.SUPPLIER_CONTACT)
    await orders.finish(c.world.ctx, c.buyer, purchase.id)
    await orders.finish(c.world.ctx, c.buyer, contact.id, Report(day=date(2026, 12, 3)))
    assert _open(c, order, TaskKind.DISPATCH_CONFIRMATION) == []
