"""workflow/orders/planning.py: the plan submitted once, then revised task by task."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.unit.workflow.fakes import PolicyDeadlines
from tests.unit.workflow.journey import GROUPS, Company, in_production, line, plan, planning
from workflow import orders
from workflow.errors import DomainError, Forbidden
from workflow.model import OrderStatus, TaskKind, TaskStatus
from workflow.roles import Role


def _open(c: Company, order, kind: TaskKind):
    return [t for t in c.world.tasks(order, open_only=True) if t.kind is kind]


async def test_a_plan_opens_its_tasks_and_a_purchase_its_supplier_contact(c: Company) -> None:
    order = await planning(c)
    opened = await orders.submit_plan(c.world.ctx, c.maker_lead, order, plan(c.world.now))
    assert c.world.order(order).status is OrderStatus.PRODUCTION
    assert [t.kind for t in opened] == [TaskKind.PURCHASE, TaskKind.SUPPLIER_CONTACT,
                                        TaskKind.ASSEMBLY_FINISH]
    purchase, contact, _ = opened
    assert (contact.parent_id, contact.role, contact.title) == (
        purchase.id, Role.PROCUREMENT, purchase.title)
    assert contact.due_at == PolicyDeadlines().due("supplier_contact", purchase.due_at)
    assert contact.due_at < purchase.due_at
    assert _open(c, order, TaskKind.PLANNING) == []
    assert "order.submit_plan" in c.world.actions()
    assert c.world.told("task.assigned") >= {GROUPS[Role.PROCUREMENT],
                                             GROUPS[Role.MANUFACTURING]}


async def test_packaging_brings_its_advance_notice(c: Company) -> None:
    order = await planning(c)
    [packaging] = await orders.submit_plan(c.world.ctx, c.maker_lead, order, [line(
        TaskKind.PACKAGING, Role.WAREHOUSE, c.world.now + timedelta(days=21))])
    [notice] = c.world.timers(kind="packaging_notice")
    assert notice.subject == f"notice:{packaging.id}"
    assert c.world.now < notice.due_at < packaging.due_at


async def test_refusals_of_a_plan(c: Company) -> None:
    order = await planning(c)
    with pytest.raises(Forbidden):
        await orders.submit_plan(c.world.ctx, c.tech, order, plan(c.world.now))
    with pytest.raises(DomainError) as empty:
        await orders.submit_plan(c.world.ctx, c.maker_lead, order, [])
    assert empty.value.text.key == "guard.plan_has_tasks"
    removal = [line(TaskKind.PURCHASE, Role.PROCUREMENT, None, op="remove")]
    with pytest.raises(DomainError) as revising:
        await orders.submit_plan(c.world.ctx, c.maker_lead, order, removal)
    assert revising.value.text.key == "plan.nothing_to_revise"
    assert c.world.order(order).status is OrderStatus.PLANNING
    await orders.submit_plan(c.world.ctx, c.maker_lead, order, plan(c.world.now))
    with pytest.raises(DomainError) as again:
        await orders.submit_plan(c.world.ctx, c.maker_lead, c.world.order(order),
                                 plan(c.world.now))
    assert again.value.text.key == "error.not_now"


async def test_removing_a_purchase_takes_its_supplier_contact_along(c: Company) -> None:
    order = await in_production(c)
    [purchase] = _open(c, order, TaskKind.PURCHASE)
    [contact] = _open(c, order, TaskKind.SUPPLIER_CONTACT)
    revision = await orders.revise_plan(c.world.ctx, c.maker_lead, c.world.order(order), [
        line(TaskKind.PURCHASE, Role.PROCUREMENT, None, "断路器", op="remove")])
    assert (revision.added, revision.removed, revision.moved) == (0, 1, 0)
    for task in (purchase, contact):
        stored = c.world.tables.tasks[task.id]
        assert (stored.status, stored.outcome) == (TaskStatus.CANCELLED, "removed_from_plan")
    assert not [t for t in c.world.timers() if t.subject in (f"task:{purchase.id}",
                                                              f"task:{contact.id}")]
    [revised] = c.world.events("plan.revised")
    assert revised.after["changes"][0]["change"] == "removed"


async def test_moving_a_purchase_moves_its_supplier_contact(c: Company) -> None:
    order = await in_production(c)
    [purchase] = _open(c, order, TaskKind.PURCHASE)
    [contact] = _open(c, order, TaskKind.SUPPLIER_CONTACT)
    later = purchase.due_at + timedelta(days=7)
    await orders.revise_plan(c.world.ctx, c.maker_lead, c.world.order(order), [
        line(TaskKind.PURCHASE, Role.PROCUREMENT, later, op="move")])
    assert c.world.tables.tasks[purchase.id].due_at == later
    moved_contact = c.world.tables.tasks[contact.id].due_at
    assert moved_contact == PolicyDeadlines().due("supplier_contact", later) > contact.due_at
    assert [e.after["why"] for e in c.world.events("task.due_changed")] == ["replanned"]
    escalations = [t.due_at for t in c.world.timers(kind="escalate")
                   if t.subject == f"task:{purchase.id}"]
    assert escalations == [later]
    assert c.world.told("plan.task_moved") == {GROUPS[Role.PROCUREMENT]}


async def test_an_added_task_is_opened_in_production(c: Company) -> None:
    order = await in_production(c)
    revision = await orders.revise_plan(c.world.ctx, c.maker_lead, c.world.order(order), [
        line(TaskKind.DESIGN, Role.TECH, c.world.now + timedelta(days=3), "图纸", op="add")])
    assert revision.added == 1
    [design] = _open(c, order, TaskKind.DESIGN)
    assert (design.role, design.title) == (Role.TECH, "图纸")


async def test_refusals_of_a_revision(c: Company) -> None:
    order = await in_production(c)
    with pytest.raises(DomainError) as plain:
        await orders.revise_plan(c.world.ctx, c.maker_lead, c.world.order(order),
                                 plan(c.world.now))
    assert plain.value.text.key == "plan.in_production"
    with pytest.raises(DomainError) as unknown:
        await orders.revise_plan(c.world.ctx, c.maker_lead, c.world.order(order), [
            line(TaskKind.PACKAGING, Role.WAREHOUSE, None, op="remove")])
    assert unknown.value.text.key == "plan.no_such_task"
    everything = [line(TaskKind.PURCHASE, Role.PROCUREMENT, None, op="remove"),
                  line(TaskKind.SUPPLIER_CONTACT, Role.PROCUREMENT, None, op="remove"),
                  line(TaskKind.ASSEMBLY_FINISH, Role.MANUFACTURING, None, op="remove")]
    with pytest.raises(DomainError) as last:
        await orders.revise_plan(c.world.ctx, c.maker_lead, c.world.order(order), everything)
    assert last.value.text.key == "plan.last_task"
    assert c.world.events("plan.revised") == []


async def test_two_tasks_of_a_kind_are_told_apart_by_title(c: Company) -> None:
    order = await planning(c)
    due = c.world.now + timedelta(days=14)
    await orders.submit_plan(c.world.ctx, c.maker_lead, order, [
        line(TaskKind.ASSEMBLY_FINISH, Role.MANUFACTURING, due, "一号柜"),
        line(TaskKind.ASSEMBLY_FINISH, Role.MANUFACTURING, due, "二号柜")])
    with pytest.raises(DomainError) as which:
        await orders.revise_plan(c.world.ctx, c.maker_lead, c.world.order(order), [
            line(TaskKind.ASSEMBLY_FINISH, Role.MANUFACTURING, None, op="remove")])
    assert which.value.text.key == "plan.which_task"
    await orders.revise_plan(c.world.ctx, c.maker_lead, c.world.order(order), [
        line(TaskKind.ASSEMBLY_FINISH, Role.MANUFACTURING, None, "二号", op="remove")])
    assert [t.title for t in _open(c, order, TaskKind.ASSEMBLY_FINISH)] == ["一号柜"]


def test_a_written_plan_is_read_as_of_now(c: Company) -> None:
    lines, problems = orders.read_plan_of("采购 物资管理部 12-05 断路器\n装配完成 12-15",
                                          c.world.ctx)
    assert problems == []
    assert [(pl.kind, pl.role, pl.title) for pl in lines] == [
        (TaskKind.PURCHASE, Role.PROCUREMENT, "断路器"),
        (TaskKind.ASSEMBLY_FINISH, Role.MANUFACTURING, None)]
    # A date without a time falls due when that working day ends.
    assert lines[0].due_at.astimezone(c.world.ctx.tz).strftime("%m-%d %H:%M") == "12-05 17:30"


def test_a_moment_without_a_time_is_the_close_of_that_working_day(c: Company) -> None:
    tz = c.world.ctx.tz
    assert orders.plan_moment("12-05", None, c.world.ctx).astimezone(tz).strftime(
        "%m-%d %H:%M") == "12-05 17:30"
    assert orders.plan_moment(None, "16:00", c.world.ctx).astimezone(tz).strftime(
        "%m-%d %H:%M") == "11-24 16:00"
