"""Quote, contract, production order, and the planning meeting of a 非常规 order."""

from __future__ import annotations

from workflow import urging
from workflow.context import Actor, Context, local_time, order_params
from workflow.errors import DomainError
from workflow.lifecycle import Action
from workflow.model import (
    Order,
    OrderStatus,
    Task,
    TaskKind,
    Text,
)
from workflow.orders.core import (
    move,
    save_facts,
)
from workflow.parsing.classify import non_regular_reasons
from workflow.policy import NonRegularReason
from workflow.roles import Role
from workflow.tasks import (
    close_kinds,
    open_task,
)


async def record_quote(ctx: Context, actor: Actor, order: Order, amount: float) -> float | None:
    """Record the quote; until the customer signs, market may correct it. Returns the amount
    it replaced, or None for a first quote."""
    if amount <= 0:
        raise DomainError(Text("error.amount_not_positive", {"amount": f"{amount:,.0f}"}))
    if order.status is OrderStatus.CONTRACT:
        actor.require(Role.MARKET)
        if order.facts.get("signed"):
            raise DomainError(Text("quote.signed_already", {"number": order.number}))
        replaced = order.facts.get("quote_amount")
        await save_facts(ctx, actor, order, quote_amount=amount)
        return replaced
    await move(ctx, actor, order, Action.RECORD_QUOTE, quote_amount=amount)
    await close_kinds(ctx, actor, order, (TaskKind.QUOTE,))
    await save_facts(ctx, actor, order, quote_amount=amount,
                      quote_basis="special" if order.order_class == "non_regular" else "price_list")
    return None


async def record_contract_fact(ctx: Context, actor: Actor, order: Order, fact: str) -> bool:
    """Market records the signature, market or finance the payment; both make it effective."""
    allowed = (Role.MARKET,) if fact == "signed" else (Role.MARKET, Role.FINANCE)
    actor.require(*allowed)
    if order.status is not OrderStatus.CONTRACT:
        raise DomainError(Text("error.not_now", {"number": order.number,
                                                 "status": order.status.value, "action": fact}))
    await save_facts(ctx, actor, order, **{fact: ctx.now.isoformat()})
    if not (order.facts.get("signed") and order.facts.get("paid")):
        return False
    await move(ctx, None, order, Action.CONTRACT_EFFECTIVE)
    await urging.schedule_follow_up(ctx, order)
    await open_task(ctx, None, order, TaskKind.PRODUCTION_ORDER, Role.MARKET,
                     ctx.deadlines.due("production_order", ctx.now))
    return True


async def issue_production_order(ctx: Context, actor: Actor, order: Order) -> Task:
    await move(ctx, actor, order, Action.ISSUE_PRODUCTION_ORDER)
    await close_kinds(ctx, actor, order, (TaskKind.PRODUCTION_ORDER,))
    rule = "planning_complete_set" if order.complete_set else "planning_other"
    planning = await open_task(ctx, actor, order, TaskKind.PLANNING, Role.MANUFACTURING,
                                ctx.deadlines.due(rule, ctx.now))
    if order.order_class == "non_regular":
        await _call_planning_meeting(ctx, actor, order, planning)
    return planning


def _quality_requirements_in(ctx: Context, order: Order) -> bool:
    text = " ".join(filter(None, (order.product, order.model, order.notes)))
    return NonRegularReason.HIGH_QUALITY.value in non_regular_reasons(text, ctx.policy.non_regular)


async def _call_planning_meeting(ctx: Context, actor: Actor, order: Order,
                                 planning: Task) -> None:
    """“非常规产品要召开由技术中心、制造中心、采购部门领导,必要时质量管理部参加的计划协调会”:
    the departments are called to manufacturing's meeting, due when the plan is."""
    meeting = [Role.TECH, Role.MANUFACTURING, Role.PROCUREMENT]
    if _quality_requirements_in(ctx, order):
        meeting.append(Role.QUALITY)
    await save_facts(ctx, actor, order, planning_meeting=[role.value for role in meeting])
    text = Text("planning.meeting", {**order_params(order, ctx.tz),
                                     "roles": [role.value for role in meeting],
                                     "due": local_time(planning.due_at, ctx.tz)
                                     if planning.due_at else "-"})
    for role in meeting:
        await ctx.notify_department(role, text, kind="notice", order_number=order.number)
