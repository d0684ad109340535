"""Manufacturing's plan: submitted once, corrected task by task in production."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from workflow import escalation
from workflow.context import Actor, Context, local_time, order_params
from workflow.errors import DomainError
from workflow.lifecycle import Action
from workflow.model import (
    OPEN_TASK_STATUSES,
    PLANNED_KINDS,
    Order,
    OrderStatus,
    Task,
    TaskKind,
    TaskStatus,
    Text,
)
from workflow.orders.core import (
    move,
    today,
)
from workflow.orders.procurement import DELAY_SUBJECTS
from workflow.parsing.plans import PlanLine, PlanProblem, read_moment, read_plan
from workflow.roles import Role
from workflow.tasks import (
    close_kinds,
    close_task,
    day_close,
    follow_ups,
    move_due,
    open_planned,
)


def read_plan_of(text: str, ctx: Context) -> tuple[list[PlanLine], list[PlanProblem]]:
    """The plan's lines as of now, a date without a time due at that working day's close."""
    return read_plan(text, ctx.now, ctx.tz, lambda day: day_close(ctx, day))


def plan_moment(day: str | None, clock: str | None, ctx: Context) -> datetime | None:
    """`12-05` and `16:00` as a moment: today without a day, that day's close without a time."""
    return read_moment(day, clock, today(ctx), ctx.tz, lambda on: day_close(ctx, on))


async def submit_plan(ctx: Context, actor: Actor, order: Order, plan: list[PlanLine]) -> list[Task]:
    """Manufacturing's breakdown: one task per line; each purchase also gets its supplier contact."""
    actor.require(Role.MANUFACTURING)
    if order.status is not OrderStatus.PLANNING:
        raise DomainError(Text("error.not_now", {"number": order.number,
                                                 "status": order.status.value, "action": "plan"}))
    if not plan:
        raise DomainError(Text("guard.plan_has_tasks", {"number": order.number}))
    if any(line.op in ("remove", "move") for line in plan):
        raise DomainError(Text("plan.nothing_to_revise", {"number": order.number}))
    opened: list[Task] = []
    for line in plan:
        opened += await _open_planned(ctx, actor, order, line)
    await move(ctx, actor, order, Action.SUBMIT_PLAN)
    await close_kinds(ctx, actor, order, (TaskKind.PLANNING,))
    # Everyone at the meeting sees the plan it agreed, tasks of their own or not.
    text = Text("planning.meeting_plan", {**order_params(order, ctx.tz), "count": len(opened)})
    for role in order.facts.get("planning_meeting", []):
        await ctx.notify_department(Role(role), text, kind="notice", order_number=order.number)
    return opened


async def _open_planned(ctx: Context, actor: Actor, order: Order, line: PlanLine) -> list[Task]:
    assert line.due_at is not None
    return await open_planned(ctx, actor, order, line.kind, line.role, line.due_at, line.title)


@dataclass(frozen=True)
class PlanRevision:
    added: int
    removed: int
    moved: int


async def revise_plan(ctx: Context, actor: Actor, order: Order, plan: list[PlanLine]
                      ) -> PlanRevision:
    """The planner adds, removes and moves tasks of a plan in production (“需调整订单生产计划…
    并将调整后的计划下发相关部门”): each change is audited, its clocks follow, its owners hear."""
    actor.require(Role.MANUFACTURING)
    if order.status is not OrderStatus.PRODUCTION:
        raise DomainError(Text("error.not_now", {"number": order.number,
                                                 "status": order.status.value, "action": "plan"}))
    if any(line.op == "line" for line in plan):
        raise DomainError(Text("plan.in_production", {"number": order.number}))
    tasks = await ctx.uow.tasks.for_order(order.id or 0)
    targets = {index: _planned_task(order, tasks, line)
               for index, line in enumerate(plan) if line.op != "add"}
    removed = [targets[i] for i, line in enumerate(plan) if line.op == "remove"]
    if not [t for t in tasks if t.kind in PLANNED_KINDS and t.status is not TaskStatus.CANCELLED
            and t not in removed] and not any(line.op == "add" for line in plan):
        raise DomainError(Text("plan.last_task", {"number": order.number}))
    changes: list[dict[str, Any]] = []
    for index, line in enumerate(plan):
        if line.op == "add":
            opened = await _open_planned(ctx, actor, order, line)
            changes.append(_plan_change("added", opened[0]))
        elif line.op == "remove":
            await _remove_planned(ctx, actor, order, targets[index])
            changes.append(_plan_change("removed", targets[index]))
        else:
            task = targets[index]
            assert line.due_at is not None
            before = task.due_at
            await move_due(ctx, actor, order, task, line.due_at, "replanned")
            changes.append({**_plan_change("moved", task),
                            "from": before.isoformat() if before else None})
            await ctx.notify_department(task.role, Text("plan.task_moved", {
                **task_words(ctx, order, task), "who": actor.person.name}),
                kind="task", order_number=order.number, buttons=escalation.task_buttons(task))
    await ctx.audit(actor, "plan.revised", "order", order.number, None, {"changes": changes})
    return PlanRevision(*(sum(c["change"] == what for c in changes)
                          for what in ("added", "removed", "moved")))


def _planned_task(order: Order, tasks: list[Task], line: PlanLine) -> Task:
    """The open task a remove or move line names by its kind and, among several, its title."""
    found = [t for t in tasks if t.kind is line.kind and t.status in OPEN_TASK_STATUSES
             and (line.title is None or line.title in (t.title or ""))]
    if not found:
        raise DomainError(Text("plan.no_such_task", {"number": order.number,
                                                     "task": line.kind.value,
                                                     "title": line.title or ""}))
    if len(found) > 1:
        raise DomainError(Text("plan.which_task", {"number": order.number,
                                                   "task": line.kind.value,
                                                   "titles": "、".join(t.title or "-"
                                                                      for t in found)}))
    return found[0]


async def _remove_planned(ctx: Context, actor: Actor, order: Order, task: Task) -> None:
    """The task leaves the plan with what hangs on it: a purchase's supplier contact, dispatch
    confirmations and delay reports, and any advance notice still to come."""
    going = [task, *await follow_ups(ctx, task, *DELAY_SUBJECTS, open_only=True)]
    for each in going:
        await close_task(ctx, actor, each, TaskStatus.CANCELLED, "removed_from_plan")
    await ctx.notify_department(task.role, Text("plan.task_removed", {
        **task_words(ctx, order, task), "who": actor.person.name}),
        kind="notice", order_number=order.number)


def task_words(ctx: Context, order: Order, task: Task) -> dict[str, Any]:
    return {**order_params(order, ctx.tz), "task": task.kind.value, "title": task.title or "",
            "due": local_time(task.due_at, ctx.tz) if task.due_at else "-"}


def _plan_change(what: str, task: Task) -> dict[str, Any]:
    return {"change": what, "task": task.id, "kind": task.kind.value, "title": task.title,
            "due_at": task.due_at.isoformat() if task.due_at else None}
