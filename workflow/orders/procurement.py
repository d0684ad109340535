"""Procurement: the agreed dispatch day, late deliveries, what arrived."""

from __future__ import annotations

import re
from datetime import date

from workflow.context import Actor, Context, local_time, order_params
from workflow.errors import DomainError, NotFound
from workflow.model import (
    OPEN_TASK_STATUSES,
    Order,
    Task,
    TaskKind,
    TaskStatus,
    Text,
)
from workflow.orders.core import (
    today,
)
from workflow.parsing.task_reports import Report
from workflow.roles import Role
from workflow.tasks import (
    close_task,
    follow_ups,
    move_due,
    open_task,
    parent_of,
    require_open,
    task_for,
)


async def confirm_dispatch_on(ctx: Context, actor: Actor, order: Order, task: Task,
                               day: date | None) -> None:
    """The supplier named a dispatch day; on that day procurement confirms the goods left.
    Without a day named, the planned arrival day stands."""
    purchase = await parent_of(ctx, task)
    if purchase is not None and purchase.status not in OPEN_TASK_STATUSES:
        return  # the goods are in already
    if day is None:
        if purchase is None or purchase.due_at is None:
            return
        day = purchase.due_at.astimezone(ctx.tz).date()
    day = max(day, today(ctx))
    await open_task(ctx, actor, order, TaskKind.DISPATCH_CONFIRMATION, Role.PROCUREMENT,
                    ctx.deadlines.due("dispatch_confirmation", day), title=task.title,
                    parent=purchase)


async def not_dispatched(ctx: Context, actor: Actor, task_id: int) -> tuple[Task, Order]:
    """The goods did not leave on the agreed day: the buyer has 30 minutes to report to the
    department's leaders with a new date and the reason."""
    task, order = await task_for(ctx, task_id)
    require_open(task, actor)
    if task.kind is not TaskKind.DISPATCH_CONFIRMATION:
        raise NotFound(Text("error.task_not_found"))
    await close_task(ctx, actor, task, TaskStatus.DONE, "not_dispatched")
    await open_task(ctx, actor, order, TaskKind.DELAY_REPORT, Role.PROCUREMENT,
                    ctx.deadlines.due("procurement_delay_report", ctx.now), title=task.title,
                    parent=await parent_of(ctx, task))
    return task, order


DELAY_SUBJECTS = (TaskKind.PURCHASE, TaskKind.SUPPLIER_CONTACT, TaskKind.DISPATCH_CONFIRMATION,
                  TaskKind.DELAY_REPORT)


async def report_delay(ctx: Context, actor: Actor, task_id: int, report: Report
                       ) -> tuple[Task, Order]:
    """A purchase will arrive late: the procurement leaders hear it in private and
    manufacturing in its group, with the new day and the reason; that day is followed up."""
    task, order = await task_for(ctx, task_id)
    if task.kind not in DELAY_SUBJECTS:
        raise DomainError(Text("error.delay_not_purchase", {"task": task.kind.value}))
    actor.require(Role.PROCUREMENT)
    if not report.note:
        raise DomainError(Text("usage.delay"))
    if report.day is not None and report.day < today(ctx):
        raise DomainError(Text("error.due_in_past", {"date": report.day.isoformat()}))
    purchase = await parent_of(ctx, task)
    planned = purchase.due_at if purchase else None
    if purchase is not None:
        await close_purchase_follow_ups(ctx, actor, purchase, "delay_reported", report.note)
    await ctx.audit(actor, "purchase.delay", "order", order.number, None,
                    {"title": task.title, "new_day": report.day.isoformat() if report.day
                     else None, "reason": report.note})
    text = Text("purchase.delay_report", {
        **order_params(order, ctx.tz), "title": task.title or "", "who": actor.person.name,
        "planned": local_time(planned, ctx.tz) if planned else "-",
        "new_day": report.day.isoformat() if report.day else "-", "why": report.note})
    await tell_procurement_leaders_and_manufacturing(ctx, order, text)
    if report.day is not None:
        await open_task(ctx, actor, order, TaskKind.DISPATCH_CONFIRMATION, Role.PROCUREMENT,
                        ctx.deadlines.due("dispatch_confirmation", report.day),
                        title=task.title, parent=purchase)
        if purchase is not None and purchase.status in OPEN_TASK_STATUSES and (
                purchase.due_at is None or report.day > purchase.due_at.astimezone(ctx.tz).date()):
            # The leaders and the planner know of it now: the purchase falls due when the goods
            # are expected, and market's follow-up still sees it late against the delivery date.
            await move_due(ctx, actor, order, purchase, report.day, "delay_reported",
                            reason=report.note)
    return task, order


async def tell_procurement_leaders_and_manufacturing(ctx: Context, order: Order,
                                                      text: Text) -> None:
    """What goes wrong with a purchase: its leaders act on it, the planner plans around it."""
    await ctx.notify_each(await ctx.leaders_of(Role.PROCUREMENT), text, kind="escalation",
                          order_number=order.number)
    await ctx.notify_department(Role.MANUFACTURING, text, kind="notice",
                                order_number=order.number)


async def close_purchase_follow_ups(ctx: Context, actor: Actor, purchase: Task, outcome: str,
                                    note: str | None = None) -> None:
    """The dispatch confirmations and delay reports of a purchase are settled together."""
    for other in await follow_ups(ctx, purchase, TaskKind.DELAY_REPORT,
                                  TaskKind.DISPATCH_CONFIRMATION, open_only=True):
        await close_task(ctx, actor, other, TaskStatus.DONE, outcome, note)


_PLANNED_QUANTITY = re.compile(r"(\d+(?:\.\d+)?)\s*(?:个|台|套|件|只|块|米|kg|pcs|片|根|组|箱)")


async def check_arrival(ctx: Context, actor: Actor, order: Order, task: Task,
                         accepted: float) -> None:
    """Fewer accepted than planned (the plan line's title names the quantity): procurement's
    leaders find out why and what to do, and manufacturing knows its parts are short."""
    planned = _PLANNED_QUANTITY.search(task.title or "")
    if planned is None or accepted >= float(planned[1]):
        return
    text = Text("purchase.shortfall", {**order_params(order, ctx.tz), "title": task.title,
                                       "accepted": f"{accepted:g}", "planned": planned[1],
                                       "who": actor.person.name})
    await tell_procurement_leaders_and_manufacturing(ctx, order, text)
