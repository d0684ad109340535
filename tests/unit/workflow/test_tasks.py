"""workflow/tasks.py: opening, closing and re-timing a task, and what hangs on it."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from tests.unit.workflow.fakes import CALENDAR, POLICY
from tests.unit.workflow.journey import GROUPS, Company, registered
from workflow import tasks
from workflow.errors import DomainError, Forbidden, NotFound
from workflow.model import AnswerTo, ButtonAnswer, TaskKind, TaskStatus
from workflow.roles import Role


async def test_an_opened_task_is_audited_timed_and_announced(c: Company) -> None:
    order = await registered(c)
    due = c.world.now + timedelta(days=2)
    task = await tasks.open_task(c.world.ctx, c.maker_lead, order, TaskKind.DESIGN, Role.TECH,
                                 due, title="图纸")
    [event] = [e for e in c.world.events("task.open") if e.subject_id == str(task.id)]
    assert (event.actor_id, event.after["kind"], event.after["role"], event.after["title"]) == (
        c.maker_lead.person.id, "design", "tech", "图纸")
    timers = {t.kind: t for t in c.world.timers() if t.subject == f"task:{task.id}"}
    assert timers["escalate"].due_at == due
    assert timers["remind"].due_at == CALENDAR.add_working(due, -POLICY.escalation.remind_before)
    [card] = c.world.notes("task.assigned", chat_id=GROUPS[Role.TECH])
    assert card.text.params["title"] == "图纸"
    assert [b.answer for b in card.buttons[0]] == [ButtonAnswer(AnswerTo.TASK, task.id, "ack"),
                                                   ButtonAnswer(AnswerTo.TASK, task.id, "done")]


async def test_a_task_without_a_due_time_has_no_clocks_and_may_stay_unannounced(
        c: Company) -> None:
    order = await registered(c)
    task = await tasks.open_task(c.world.ctx, None, order, TaskKind.DESIGN, Role.TECH, None,
                                 announce=None)
    assert [t for t in c.world.timers() if t.subject == f"task:{task.id}"] == []
    assert c.world.notes("task.assigned") == []


async def test_a_department_without_a_group_hears_in_private_and_admins_once(
        c: Company) -> None:
    order = await registered(c)
    for _ in range(2):
        await tasks.open_task(c.world.ctx, None, order, TaskKind.DECISION, Role.GM,
                              c.world.now + timedelta(hours=8))
    cards = c.world.notes("task.assigned")
    assert {(n.chat_id, n.for_role) for n in cards} == {(c.gm.person.id, Role.GM)}
    assert len(cards) == 2
    assert c.world.told("admin.department_unbound") == {c.admin.person.id}
    assert len(c.world.notes("admin.department_unbound")) == 1


async def test_closing_stops_the_clocks_and_is_done_once(c: Company) -> None:
    order = await registered(c)
    task = await tasks.open_task(c.world.ctx, None, order, TaskKind.PACKAGING, Role.WAREHOUSE,
                                 c.world.now + timedelta(days=20))
    await c.world.uow.timers.schedule("packaging_notice", f"notice:{task.id}",
                                      c.world.now + timedelta(days=18), f"pn:{task.id}")
    assert await tasks.close_task(c.world.ctx, c.keeper, task, TaskStatus.DONE, "done") is True
    assert [t for t in c.world.timers() if t.subject.endswith(f":{task.id}")] == []
    [event] = c.world.events("task.done")
    assert (event.before, event.after) == ({"status": "open"},
                                           {"status": "done", "outcome": "done"})
    again = c.world.tasks(order)[-1]
    assert await tasks.close_task(c.world.ctx, c.keeper, again, TaskStatus.CANCELLED) is False
    assert c.world.tables.tasks[task.id].status is TaskStatus.DONE


async def test_close_kinds_closes_only_the_open_ones_of_those_kinds(c: Company) -> None:
    order = await registered(c)
    reviews = c.world.tasks(order)
    await tasks.close_kinds(c.world.ctx, None, order, (TaskKind.QUOTE,))
    assert {t.status for t in c.world.tasks(order)} == {TaskStatus.OPEN}
    await tasks.close_kinds(c.world.ctx, None, order, (TaskKind.FEASIBILITY_REVIEW,),
                            TaskStatus.CANCELLED)
    assert {c.world.tables.tasks[t.id].status for t in reviews} == {TaskStatus.CANCELLED}


async def test_task_for_and_require_open(c: Company) -> None:
    order = await registered(c)
    with pytest.raises(NotFound) as unknown:
        await tasks.task_for(c.world.ctx, 999_999)
    assert unknown.value.text.key == "error.task_not_found"
    review = c.world.tasks(order)[0]
    found, its_order = await tasks.task_for(c.world.ctx, review.id)
    assert (found.id, its_order.id) == (review.id, order.id)
    with pytest.raises(Forbidden):
        tasks.require_open(found, c.maker if found.role is Role.TECH else c.tech)
    found.status = TaskStatus.DONE
    with pytest.raises(DomainError) as closed:
        tasks.require_open(found, c.tech if found.role is Role.TECH else c.maker)
    assert closed.value.text.key == "error.task_closed"


async def test_a_closed_tasks_buttons_are_withdrawn_however_it_closed(c: Company) -> None:
    order = await registered(c)
    done = await tasks.open_task(c.world.ctx, None, order, TaskKind.DESIGN, Role.TECH,
                                 c.world.now + timedelta(days=2), title="图纸")
    cancelled = await tasks.open_task(c.world.ctx, None, order, TaskKind.PACKAGING,
                                      Role.WAREHOUSE, c.world.now + timedelta(days=9))
    kept = await tasks.open_task(c.world.ctx, None, order, TaskKind.DESIGN, Role.TECH,
                                 c.world.now + timedelta(days=3), title="说明书")
    assert await tasks.close_task(c.world.ctx, c.tech, done, TaskStatus.DONE)
    await tasks.close_kinds(c.world.ctx, None, order, (TaskKind.PACKAGING,),
                            TaskStatus.CANCELLED)
    assert c.world.tables.withdrawn == [done.id, cancelled.id]
    # The cards not yet sent go without the closed tasks' buttons; the open one keeps its own.
    cards = {n.text.params["title"] or n.text.params["task"]: n.buttons
             for n in c.world.notes("task.assigned")}
    assert cards["图纸"] == () and cards["packaging"] == ()
    assert [b.answer for b in cards["说明书"][0]] == [
        ButtonAnswer(AnswerTo.TASK, kept.id, "ack"), ButtonAnswer(AnswerTo.TASK, kept.id, "done")]
    # A task somebody closed first is not withdrawn twice.
    assert not await tasks.close_task(c.world.ctx, c.tech, done, TaskStatus.DONE)
    assert c.world.tables.withdrawn == [done.id, cancelled.id]


async def test_a_purchase_brings_its_supplier_contact_linked_by_id(c: Company) -> None:
    order = await registered(c)
    due = c.world.now + timedelta(days=14)
    purchase, contact = await tasks.open_planned(c.world.ctx, c.maker_lead, order,
                                                 TaskKind.PURCHASE, Role.PROCUREMENT, due, "铜排")
    assert (contact.kind, contact.parent_id) == (TaskKind.SUPPLIER_CONTACT, purchase.id)
    assert await tasks.parent_of(c.world.ctx, contact) == c.world.tables.tasks[purchase.id]
    assert (await tasks.parent_of(c.world.ctx, purchase)).id == purchase.id
    assert [t.id for t in await tasks.follow_ups(c.world.ctx, purchase,
                                                 TaskKind.SUPPLIER_CONTACT)] == [contact.id]
    # Two purchases of one title keep their own contacts.
    other, _ = await tasks.open_planned(c.world.ctx, c.maker_lead, order, TaskKind.PURCHASE,
                                        Role.PROCUREMENT, due, "铜排")
    assert [t.id for t in await tasks.follow_ups(c.world.ctx, purchase,
                                                 TaskKind.SUPPLIER_CONTACT)] == [contact.id]
    assert other.id != purchase.id


async def test_a_purchase_due_soon_gets_its_contact_today_never_in_the_past(c: Company) -> None:
    order = await registered(c)
    tomorrow = c.world.now + timedelta(days=1)
    _, contact = await tasks.open_planned(c.world.ctx, c.maker_lead, order, TaskKind.PURCHASE,
                                          Role.PROCUREMENT, tomorrow, None)
    assert contact.due_at == CALENDAR.working_day_end(c.world.now.date())
    assert c.world.now < contact.due_at < tomorrow


async def test_moving_a_due_time_retimes_the_clocks(c: Company) -> None:
    order = await registered(c)
    task = await tasks.open_task(c.world.ctx, None, order, TaskKind.DESIGN, Role.TECH,
                                 c.world.now + timedelta(days=2))
    await tasks.move_due(c.world.ctx, c.maker_lead, order, task, date(2026, 12, 4), "replanned")
    new_due = CALENDAR.working_day_end(date(2026, 12, 4))
    assert c.world.tables.tasks[task.id].due_at == new_due
    live = [t for t in c.world.timers() if t.subject == f"task:{task.id}"]
    assert {t.kind for t in live} == {"remind", "escalate"}
    assert [t.due_at for t in live if t.kind == "escalate"] == [new_due]
    [event] = c.world.events("task.due_changed")
    assert event.after["due_at"] == new_due.isoformat()
