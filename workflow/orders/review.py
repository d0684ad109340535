"""The delivery-feasibility review (交货期可能性评审), its rounds, negotiation and the GM's decision."""

from __future__ import annotations

from datetime import date
from typing import Any

from workflow import escalation, lifecycle
from workflow.context import Actor, Context, local_time, order_params
from workflow.errors import DomainError, NotFound, TaskClosed
from workflow.lifecycle import Action
from workflow.model import (
    OPEN_TASK_STATUSES,
    Order,
    OrderStatus,
    Task,
    TaskKind,
    TaskStatus,
    Text,
)
from workflow.orders.core import (
    Outdated,
    facts_for,
    forbid_own_request,
    move,
    review_round,
    save_facts,
    standing,
    tell_market,
)
from workflow.orders.steps import tell_market_next
from workflow.roles import Role
from workflow.services import REVIEWING_ROLES
from workflow.tasks import (
    close_kinds,
    close_task,
    open_task,
    task_for,
)

INFEASIBLE_REASONS = ("capacity", "material", "technical", "other")


def _review_roles(order: Order) -> list[Role]:
    """A round asks the departments the last one asked: a 非常规 re-review stays one."""
    return [Role(r) for r in review_round(order).get("roles", [])] or list(REVIEWING_ROLES)


async def review_to_answer(ctx: Context, actor: Actor, task_id: int) -> tuple[Task, Order]:
    """The review a 可行 / 不可行 press answers, while it is still the one to answer."""
    task, order = await task_for(ctx, task_id)
    if task.kind is not TaskKind.FEASIBILITY_REVIEW:
        raise NotFound(Text("error.task_not_found"))
    actor.require(task.role)
    current = review_round(order)
    if current["tasks"] is not None and task.id not in current["tasks"]:
        raise Outdated(Text("review.superseded", {"number": order.number,
                                                  "round": current["number"]}))
    if task.status not in OPEN_TASK_STATUSES:
        raise TaskClosed(task.status.value)
    if order.status not in (OrderStatus.REVIEW, OrderStatus.NEGOTIATING):
        raise DomainError(Text("error.order_not_in_review", {"number": order.number,
                                                             "status": order.status.value}))
    forbid_own_request(actor, current["requested_by"],
                       Text("review.own_request", {"number": order.number, "role": task.role}))
    return task, order


async def answer_review(
    ctx: Context, actor: Actor, task_id: int, feasible: bool, reason: str | None = None,
    detail: str | None = None,
) -> tuple[Task, Order]:
    """`detail` is what 其他原因 stands for, in the reviewer's words: market must know what to
    negotiate about."""
    task, order = await review_to_answer(ctx, actor, task_id)
    if not feasible and reason not in INFEASIBLE_REASONS:
        raise DomainError(Text("error.reason_required"))
    if reason == "other" and not detail:
        raise DomainError(Text("error.reason_detail_required"))
    outcome = "feasible" if feasible else "infeasible"
    if not await close_task(ctx, actor, task, TaskStatus.DONE, outcome, detail or reason):
        raise TaskClosed("done")
    if not feasible:
        await tell_market(ctx, order, "review.infeasible_detail" if detail
                          else "review.infeasible", role=task.role, who=actor.person.name,
                          reason=reason, detail=detail or "")
    await after_review(ctx, order, feasible)
    return task, order


async def after_review(ctx: Context, order: Order, feasible: bool) -> OrderStatus:
    """The bot moves the order once the reviewing departments have spoken."""
    if order.status is not OrderStatus.REVIEW:
        return order.status
    if not feasible:
        return await move(ctx, None, order, Action.REVIEW_FAILED)
    if not lifecycle.GUARDS["all_reviews_feasible"](await facts_for(ctx, order, None)):
        return order.status
    if order.facts.get("reviewed_from"):
        return await _back_from_change_review(ctx, order)
    status = await move(ctx, None, order, Action.REVIEW_PASSED)
    await tell_market_next(ctx, order, "review.passed")
    await open_task(ctx, None, order, TaskKind.QUOTE, Role.MARKET,
                     ctx.deadlines.due("quote", ctx.now), announce=None)
    return status


async def _back_from_change_review(ctx: Context, order: Order) -> OrderStatus:
    """A level-3 change's re-review passed: the order goes on where the change found it. A
    changed price wants the supplemental contract (“必要时补签相关合同”), market's to sign."""
    status = await move(ctx, None, order, Action.CHANGE_REVIEW_PASSED)
    change = order.facts.get("supplemental_contract_for")
    await save_facts(ctx, None, order, reviewed_from=None, supplemental_contract_for=None)
    await tell_market(ctx, order, "review.passed_change", status=status.value)
    if change:
        await open_task(ctx, None, order, TaskKind.SUPPLEMENTAL_CONTRACT, Role.MARKET,
                         ctx.deadlines.due("quote", ctx.now), title=change)
    return status


async def _open_review_round(ctx: Context, actor: Actor | None, order: Order, roles: list[Role],
                             key: str, requested_by: int | None, **params: Any) -> list[Task]:
    """The next review round: the last round's open requests are withdrawn, and a press on one
    of them is told which round replaced it (`review_to_answer`)."""
    await close_kinds(ctx, actor, order, (TaskKind.FEASIBILITY_REVIEW,), TaskStatus.CANCELLED)
    number = review_round(order)["number"] + 1
    due_at = ctx.deadlines.due("feasibility_review", ctx.now)
    tasks = []
    for role in roles:
        task = await open_task(ctx, actor, order, TaskKind.FEASIBILITY_REVIEW, role, due_at,
                                announce=None)
        await ctx.notify_department(role, Text(key, {
            **order_params(order, ctx.tz), **params, "round": number, "role": role,
            "due": local_time(due_at, ctx.tz)}), kind="task", order_number=order.number,
            buttons=escalation.task_buttons(task))
        tasks.append(task)
    await save_facts(ctx, actor, order, review_round={
        "number": number, "tasks": [t.id for t in tasks], "roles": [r.value for r in roles],
        "requested_by": requested_by})
    return tasks


async def propose_date(ctx: Context, actor: Actor, order: Order, new_date: date) -> None:
    """Market agreed a later date with the customer: the departments review it again."""
    await move(ctx, actor, order, Action.PROPOSE_DATE, new_due_date=new_date)
    before = order.due_date
    order.due_date = new_date
    await ctx.uow.orders.set_due_date(order.id or 0, new_date)
    await ctx.audit(actor, "order.due_date", "order", order.number,
                    {"due_date": before.isoformat()}, {"due_date": new_date.isoformat(),
                                                       "why": "negotiated"})
    await _open_review_round(ctx, actor, order, _review_roles(order), "review.round_date",
                             actor.person.id)


async def reopen_review(ctx: Context, order: Order, roles: list[Role], *, change: str,
                        requested_by: int | None, new_contract: bool) -> list[Task]:
    """A level-3 change (“按非常规订单评审管理要求,重新组织相关部门进行评审,必要时补签相关合同”):
    the order is reviewed again wherever it is, a held one when it resumes. The quote or the
    GM's decision that waited on the old review comes again after the new one."""
    held = order.status is OrderStatus.ON_HOLD
    where = standing(order)
    if where is not OrderStatus.REVIEW and lifecycle.find(where, Action.REOPEN_REVIEW) is None:
        # Shipped or ended while the notice was answered: what is left is after-sales work.
        await ctx.audit(None, "review.not_reopened", "order", order.number, None,
                        {"status": where.value, "change": change})
        return []
    if held:
        await save_facts(ctx, None, order, held_from=OrderStatus.REVIEW.value)
    elif where is not OrderStatus.REVIEW:
        await move(ctx, None, order, Action.REOPEN_REVIEW)
    returns = where in lifecycle.RETURNS_AFTER_REVIEW
    if returns:
        await save_facts(ctx, None, order, reviewed_from=where.value)
    if new_contract and (returns or order.facts.get("reviewed_from")):
        await save_facts(ctx, None, order, supplemental_contract_for=change)
    await close_kinds(ctx, None, order, (TaskKind.QUOTE, TaskKind.DECISION), TaskStatus.CANCELLED)
    return await _open_review_round(ctx, None, order, roles, "review.round_change",
                                    requested_by, change=change)


async def customer_refuses(ctx: Context, actor: Actor, order: Order) -> None:
    await move(ctx, actor, order, Action.CUSTOMER_REFUSES)
    await save_facts(ctx, actor, order, refused_by=actor.person.id)
    task = await open_task(ctx, actor, order, TaskKind.DECISION, Role.GM,
                            ctx.deadlines.due("decision", ctx.now), announce=None)
    await ctx.notify_department(
        Role.GM, Text("decision.request", {**order_params(order, ctx.tz),
                                           "who": actor.person.name}),
        kind="task", order_number=order.number, buttons=escalation.task_buttons(task),
    )


async def decide(ctx: Context, actor: Actor, order: Order, decline: bool) -> OrderStatus:
    action = Action.DECLINE if decline else Action.KEEP_NEGOTIATING
    status = await move(ctx, actor, order, action,
                        requested_by=order.facts.get("refused_by"))
    await close_kinds(ctx, actor, order, (TaskKind.DECISION,))
    if decline:
        await close_kinds(ctx, actor, order, tuple(TaskKind), TaskStatus.CANCELLED)
    await tell_market(ctx, order, "decision.declined" if decline else "decision.keep",
                       who=actor.person.name)
    return status
