"""Objections to a planned due time (二、一)5)."""

from __future__ import annotations

from dataclasses import replace
from datetime import date

from workflow.context import Actor, Context, local_time, order_params
from workflow.errors import DomainError
from workflow.model import (
    OPEN_TASK_STATUSES,
    AnswerTo,
    ButtonAnswer,
    ButtonSpec,
    Order,
    Task,
    Text,
)
from workflow.orders.core import (
    forbid_own_request,
    save_facts,
    tell_market,
    today,
)
from workflow.parsing.plans import PLAN_WORDS
from workflow.records import Objection, objections_fact, objections_of
from workflow.roles import Role
from workflow.tasks import (
    move_due,
    task_for,
)


async def object_to(ctx: Context, actor: Actor, order: Order, word: str, new_day: date,
                    reason: str) -> tuple[Task, bool]:
    """“相关部门对任务计划完成时间有异议的应当时或接计划后1个工作日内向计划下达部门提出”.
    Manufacturing is the planner: its own objection cannot go to itself, so it goes to the
    general manager at once (“计划下达部门不能协调的…由该公司总经理裁定”). True when it did."""
    kind = PLAN_WORDS.get(word.lower(), (None, None))[0]
    tasks = [t for t in await ctx.uow.tasks.for_order(order.id or 0)
             if t.kind is kind and t.status in OPEN_TASK_STATUSES]
    if kind is None or not tasks:
        raise DomainError(Text("objection.no_task", {"number": order.number, "what": word}))
    task = tasks[0]
    actor.require(task.role)
    if ctx.now > ctx.deadlines.due("objection", task.created_at):
        raise DomainError(Text("objection.too_late", {"number": order.number}))
    if new_day < today(ctx):
        raise DomainError(Text("error.due_in_past", {"date": new_day.isoformat()}))
    to_gm = actor.person.has_role(Role.MANUFACTURING)
    objection = Objection(actor.person.id, actor.person.name, new_day, reason, escalated=to_gm)
    objections = {**objections_of(order), task.id or 0: objection}
    await save_facts(ctx, actor, order, objections=objections_fact(objections))
    if to_gm:
        await _objection_to_gm(ctx, order, task, objection)
        return task, True
    await ctx.notify_department(Role.MANUFACTURING, Text("objection.request", {
        **order_params(order, ctx.tz), "task": task.kind.value, "title": task.title or "",
        "due": local_time(task.due_at, ctx.tz) if task.due_at else "-",
        "proposed": new_day.isoformat(), "why": reason, "who": actor.person.name}),
        kind="task", order_number=order.number,
        buttons=((ButtonSpec(Text("button.objection_accept"), _answer(task, "accept")),
                  ButtonSpec(Text("button.objection_to_gm"), _answer(task, "gm"))),))
    return task, False


async def _objection_to_gm(ctx: Context, order: Order, task: Task,
                           objection: Objection) -> None:
    await ctx.notify_department(Role.GM, Text("objection.to_gm", {
        **order_params(order, ctx.tz), "task": task.kind.value,
        "proposed": objection.date.isoformat(), "why": objection.reason,
        "who": objection.name}), kind="task", order_number=order.number,
        buttons=((ButtonSpec(Text("button.objection_accept"), _answer(task, "accept")),
                  ButtonSpec(Text("button.objection_keep"), _answer(task, "keep"))),))


def _answer(task: Task, choice: str) -> ButtonAnswer:
    return ButtonAnswer(AnswerTo.OBJECTION, task.id or 0, choice)


async def settle_objection(ctx: Context, actor: Actor, task_id: int, choice: str
                           ) -> tuple[Task, Order]:
    """The planner adjusts or sends it up; the general manager adjusts or keeps the plan."""
    task, order = await task_for(ctx, task_id)
    objections = objections_of(order)
    objection = objections.get(task_id)
    if objection is None or objection.status != "open":
        raise DomainError(Text("objection.settled"))
    deciders = (Role.GM,) if objection.escalated else (Role.MANUFACTURING, Role.GM)
    actor.require(*deciders)
    forbid_own_request(actor, objection.by, Text("objection.own", {"number": order.number}))
    if choice == "gm" and not objection.escalated:
        objections[task_id] = replace(objection, escalated=True)
        await save_facts(ctx, actor, order, objections=objections_fact(objections))
        await _objection_to_gm(ctx, order, task, objection)
        return task, order
    accepted = choice == "accept"
    objections[task_id] = objection.decided(accepted, actor.person.id)
    await save_facts(ctx, actor, order, objections=objections_fact(objections))
    params = {**order_params(order, ctx.tz), "task": task.kind.value,
              "proposed": objection.date.isoformat(), "who": actor.person.name}
    if accepted:
        new_day = objection.date
        await move_due(ctx, actor, order, task, new_day, "objection", reason=objection.reason)
        if new_day > order.due_date:
            # “影响原计划交货期的…应将调整后的交货期通知合同订单管理中心”: market talks to the
            # customer now, not at the follow-up days before delivery.
            await tell_market(ctx, order, "objection.past_delivery", **params,
                               role=Role.MARKET)
    await ctx.notify_department(task.role, Text(
        "objection.accepted" if accepted else "objection.kept", params),
        kind="notice", order_number=order.number)
    return task, order
