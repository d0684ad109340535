"""Tasks: who owes what on an order, by when.

Every rule opens, closes and re-times its tasks here, so that each task gets its audit row, its
reminder and escalation, its owners told, and what hangs on it moved with it: the follow-ups a
planned task brings (a purchase's supplier contact) and the notices the policy gives before it
(the packaging notice, the OEM's preparation reminder) are data, below.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from workflow import escalation
from workflow.context import Actor, Context, local_time, order_params
from workflow.errors import NotFound, TaskClosed
from workflow.model import OPEN_TASK_STATUSES, Order, Task, TaskKind, TaskStatus, Text
from workflow.roles import Role

# Announce a task with its department's usual card.
CARD = Text("task.assigned")


@dataclass(frozen=True)
class FollowUp:
    """A task a planned task brings with it, due by `rule` counted back from the parent's due
    time, linked to the parent by id."""

    kind: TaskKind
    role: Role
    rule: str


FOLLOW_UPS: dict[TaskKind, tuple[FollowUp, ...]] = {
    # “按制定的采购进度计划,提前5个工作日,与供应商进行联系”
    TaskKind.PURCHASE: (FollowUp(TaskKind.SUPPLIER_CONTACT, Role.PROCUREMENT,
                                 "supplier_contact"),),
}


async def open_task(
    ctx: Context,
    actor: Actor | None,
    order: Order,
    kind: TaskKind,
    role: Role,
    due_at: datetime | None,
    *,
    title: str | None = None,
    parent: Task | None = None,
    assignee_id: int | None = None,
    announce: Text | None = CARD,
    level: int | None = None,
) -> Task:
    """Open a task: it is reminded before `due_at` and escalated after it, audited, and its
    department hears of it by `announce` (its card, another text, or None for nobody yet) with
    the buttons the task allows."""
    task = await ctx.uow.tasks.add(Task(
        None, order.id or 0, kind, role, TaskStatus.OPEN, due_at, ctx.now,
        assignee_id=assignee_id, title=title, parent_id=parent.id if parent else None))
    await escalation.schedule_for(ctx, task)
    await ctx.audit(actor, "task.open", "task", task.id or 0, None,
                    {"kind": kind.value, "role": role.value, "order": order.number,
                     "due_at": due_at.isoformat() if due_at else None, "title": title,
                     "parent": task.parent_id})
    if announce is not None:
        await ctx.notify_department(
            role,
            Text(announce.key, {**task_params(ctx, task, order), **announce.params}),
            kind="task", order_number=order.number,
            buttons=escalation.task_buttons(task, level=level),
        )
    return task


def task_params(ctx: Context, task: Task, order: Order) -> dict[str, Any]:
    """What a task's messages say of it."""
    return {**order_params(order, ctx.tz), "task": task.kind.value, "role": task.role,
            "title": task.title or "",
            "due": local_time(task.due_at, ctx.tz) if task.due_at else "-"}


async def close_task(ctx: Context, actor: Actor | None, task: Task, status: TaskStatus,
                     outcome: str | None = None, note: str | None = None) -> bool:
    """Close an open task; its clocks stop. False when somebody closed it first."""
    before = task.status
    task.status, task.outcome, task.note = status, outcome, note
    task.closed_by, task.closed_at = (actor.person.id if actor else None), ctx.now
    if not await ctx.uow.tasks.close(task):
        return False
    await escalation.stop_for(ctx, task.id or 0)
    await ctx.uow.timers.cancel_subject(escalation.notice_subject(task.id or 0))
    # Every copy of its card (the group's, a leader's escalation, a reminder) loses the
    # buttons, whichever of them or whatever command closed it.
    await ctx.withdraw_buttons(task.id or 0)
    await ctx.audit(actor, f"task.{status.value}", "task", task.id or 0,
                    {"status": before.value}, {"status": status.value, "outcome": outcome})
    return True


async def close_kinds(ctx: Context, actor: Actor | None, order: Order,
                      kinds: tuple[TaskKind, ...], status: TaskStatus = TaskStatus.DONE) -> None:
    for task in await ctx.uow.tasks.for_order(order.id or 0):
        if task.kind in kinds and task.status in OPEN_TASK_STATUSES:
            await close_task(ctx, actor, task, status)


async def task_for(ctx: Context, task_id: int) -> tuple[Task, Order]:
    task = await ctx.uow.tasks.get(task_id)
    order = await ctx.uow.orders.get(task.order_id) if task else None
    if task is None or order is None:
        raise NotFound(Text("error.task_not_found"))
    return task, order


async def follow_ups(ctx: Context, parent: Task, *kinds: TaskKind,
                     open_only: bool = False) -> list[Task]:
    """The tasks that came with `parent` (a purchase's supplier contact, dispatch
    confirmations and delay reports)."""
    return [t for t in await ctx.uow.tasks.for_order(parent.order_id)
            if t.parent_id == parent.id and t.kind in kinds
            and (not open_only or t.status in OPEN_TASK_STATUSES)]


async def parent_of(ctx: Context, task: Task) -> Task | None:
    """The planned task a follow-up belongs to (a purchase is its own)."""
    if task.parent_id is None:
        return task if task.kind in FOLLOW_UPS else None
    return await ctx.uow.tasks.get(task.parent_id)


async def open_planned(ctx: Context, actor: Actor, order: Order, kind: TaskKind, role: Role,
                       due_at: datetime, title: str | None) -> list[Task]:
    """A planned task with what it brings: its follow-ups and its advance notice."""
    planned = await open_task(ctx, actor, order, kind, role, due_at, title=title)
    opened = [planned]
    for follow_up in FOLLOW_UPS.get(kind, ()):
        opened.append(await open_task(ctx, actor, order, follow_up.kind, follow_up.role,
                                      _follow_up_due(ctx, follow_up, due_at), title=title,
                                      parent=planned))
    if notice := advance_notice(order, planned):
        await escalation.schedule_advance_notice(ctx, planned, *notice)
    return opened


def _follow_up_due(ctx: Context, follow_up: FollowUp, parent_due: datetime) -> datetime:
    """The rule's time before the parent's; for a parent due sooner than the rule allows, the
    end of the working day still ahead, never in the past and never after the parent."""
    due = ctx.deadlines.due(follow_up.rule, parent_due)
    if due > ctx.now:
        return due
    soonest = ctx.calendar.working_day_end(
        ctx.calendar.next_working_moment(ctx.now).astimezone(ctx.tz).date())
    return min(soonest, parent_due)


def advance_notice(order: Order, task: Task) -> tuple[str, str] | None:
    """The notice the policy gives before a planned task (timer kind), and the rule timing it:
    “可包装发货前(成套产品3天,其它产品1天)通知”, “提前1-2天提醒…OEM代工厂…做生产前准备”."""
    if task.kind is TaskKind.PACKAGING:
        return "packaging_notice", ("packaging_notice_complete_set" if order.complete_set
                                    else "packaging_notice_other")
    if task.kind is TaskKind.ASSEMBLY_START:
        return "oem_reminder", "oem_reminder"
    return None


def day_close(ctx: Context, day: date) -> datetime:
    """When a date without a time falls due: the end of that day's working hours."""
    return ctx.calendar.working_day_end(day)


async def move_due(ctx: Context, actor: Actor, order: Order, task: Task, when: date | datetime,
                   why: str, **details: Any) -> None:
    """The task now falls due at `when`, or at the close of that day when it is a date: its
    clocks and what hangs on it follow."""
    new_due = when if isinstance(when, datetime) else day_close(ctx, when)
    before = task.due_at
    await ctx.uow.tasks.set_due(task.id or 0, new_due)
    task.due_at = new_due
    await retime(ctx, task)
    await _derive_from(ctx, order, task)
    await ctx.audit(actor, "task.due_changed", "task", task.id or 0,
                    {"due_at": before.isoformat() if before else None},
                    {"due_at": new_due.isoformat(), "why": why, **details})


async def retime(ctx: Context, task: Task) -> None:
    """The task's due time moved: its old reminder and escalation go, new ones come."""
    await escalation.stop_for(ctx, task.id or 0)
    await escalation.schedule_for(ctx, task, generation=str(int(ctx.now.timestamp())))


async def _derive_from(ctx: Context, order: Order, task: Task) -> None:
    """Dates that hang on a planned task follow it: its follow-ups and its advance notice."""
    if task.due_at is None:
        return
    for follow_up in FOLLOW_UPS.get(task.kind, ()):
        for child in await follow_ups(ctx, task, follow_up.kind, open_only=True):
            child.due_at = _follow_up_due(ctx, follow_up, task.due_at)
            await ctx.uow.tasks.set_due(child.id or 0, child.due_at)
            await retime(ctx, child)
    if notice := advance_notice(order, task):
        await escalation.move_advance_notice(ctx, task, *notice)


def require_open(task: Task, actor: Actor) -> None:
    actor.require(task.role)
    if task.status not in OPEN_TASK_STATUSES:
        raise TaskClosed(task.status.value)
