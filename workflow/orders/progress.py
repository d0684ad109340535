"""What owners do with a task: acknowledge it, report progress, finish it."""

from __future__ import annotations

from workflow import escalation
from workflow.context import Actor, Context
from workflow.errors import DomainError, TaskClosed
from workflow.model import (
    Order,
    Task,
    TaskKind,
    TaskStatus,
    Text,
)
from workflow.orders.contacts import answer_contact_slip
from workflow.orders.procurement import (
    check_arrival,
    close_purchase_follow_ups,
    confirm_dispatch_on,
)
from workflow.parsing.task_reports import Report
from workflow.tasks import (
    close_task,
    require_open,
    task_for,
)


async def acknowledge(ctx: Context, actor: Actor, task_id: int) -> tuple[Task, Order]:
    task, order = await task_for(ctx, task_id)
    actor.require(task.role)
    if task.status is not TaskStatus.OPEN:
        raise TaskClosed(task.status.value)
    await ctx.uow.tasks.acknowledge(task_id, actor.person.id)
    await escalation.stop_for(ctx, task_id)
    await ctx.audit(actor, "task.acknowledged", "task", task_id, {"status": "open"},
                    {"status": "acknowledged"})
    task.status, task.assignee_id = TaskStatus.ACKNOWLEDGED, actor.person.id
    return task, order


async def report_progress(ctx: Context, actor: Actor, task_id: int, report: Report
                          ) -> tuple[Task, Order]:
    """Progress on a task; saying how far it is also says it was seen, so it acknowledges."""
    task, order = await task_for(ctx, task_id)
    require_open(task, actor)
    if report.percent is not None and not 0 <= report.percent <= 100:
        raise DomainError(Text("error.progress_range", {"percent": report.percent}))
    if task.status is TaskStatus.OPEN:
        await acknowledge(ctx, actor, task_id)
        task.status, task.assignee_id = TaskStatus.ACKNOWLEDGED, actor.person.id
    before = {"progress": task.progress}
    if report.percent is not None:
        task.progress = report.percent
    task.progress_note, task.photo = report.note, report.photo or task.photo
    await ctx.uow.tasks.record_progress(task)
    await ctx.audit(actor, "task.progress", "task", task_id, before,
                    {"progress": task.progress, "note": report.note,
                     "photo": report.photo})
    return task, order


async def finish(ctx: Context, actor: Actor, task_id: int, report: Report | None = None
                 ) -> tuple[Task, Order]:
    report = report or Report()
    task, order = await task_for(ctx, task_id)
    require_open(task, actor)
    if task.kind in (TaskKind.FEASIBILITY_REVIEW, TaskKind.DECISION, TaskKind.CHANGE_ANSWER,
                     *escalation.COMMAND_FINISHED):
        raise DomainError(Text("error.task_needs_its_answer", {"task": task.kind.value}))
    if report.quantity is not None and report.quantity < 0:
        raise DomainError(Text("error.quantity_not_positive", {"quantity": report.quantity}))
    task.quantity, task.photo = report.quantity, report.photo or task.photo
    await close_task(ctx, actor, task, TaskStatus.DONE, "done", report.note)
    if task.kind is TaskKind.SUPPLIER_CONTACT:
        await confirm_dispatch_on(ctx, actor, order, task, report.day)
    elif task.kind is TaskKind.CONTACT_SLIP:
        await answer_contact_slip(ctx, actor, order, task, report.note)
    elif task.kind is TaskKind.PURCHASE:
        await close_purchase_follow_ups(ctx, actor, task, "arrived")
        if report.quantity is not None:
            await check_arrival(ctx, actor, order, task, report.quantity)
    return task, order
