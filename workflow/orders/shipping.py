"""Warehousing, payment, shipping and closing."""

from __future__ import annotations

from datetime import date

from workflow.context import Actor, Context, order_params
from workflow.errors import DomainError
from workflow.lifecycle import Action
from workflow.model import (
    Order,
    TaskKind,
    Text,
)
from workflow.orders.core import (
    move,
    save_facts,
    today,
)
from workflow.orders.steps import step_buttons, tell_market_next
from workflow.roles import Role
from workflow.tasks import (
    close_kinds,
    open_task,
)


async def record_warehoused(ctx: Context, actor: Actor, order: Order) -> None:
    await move(ctx, actor, order, Action.RECORD_WAREHOUSED)
    if not order.facts.get("payment_confirmed"):
        await open_task(ctx, actor, order, TaskKind.PAYMENT_CHECK, Role.FINANCE,
                         ctx.deadlines.due("payment_check", ctx.now))
    notice_due = max(ctx.deadlines.due("shipping_notice", order.due_date), ctx.now)
    await open_task(ctx, actor, order, TaskKind.SHIPPING_NOTICE, Role.MARKET, notice_due,
                     announce=None)
    await tell_market_next(ctx, order, "order.warehoused_notice")


async def confirm_payment(ctx: Context, actor: Actor, order: Order) -> None:
    actor.require(Role.FINANCE)
    await save_facts(ctx, actor, order, payment_confirmed=ctx.now.isoformat())
    await close_kinds(ctx, actor, order, (TaskKind.PAYMENT_CHECK,))
    await tell_market_next(ctx, order, "order.payment_confirmed_notice", who=actor.person.name)


async def issue_shipping_notice(ctx: Context, actor: Actor, order: Order, ship_on: date) -> None:
    if ship_on < today(ctx):
        raise DomainError(Text("error.due_in_past", {"date": ship_on.isoformat()}))
    await move(ctx, actor, order, Action.ISSUE_SHIPPING_NOTICE)
    await close_kinds(ctx, actor, order, (TaskKind.SHIPPING_NOTICE,))
    await save_facts(ctx, actor, order, ship_on=ship_on.isoformat())
    for role in (Role.WAREHOUSE,):
        await ctx.notify_department(
            role, Text("shipping.notice", {**order_params(order, ctx.tz),
                                           "ship_on": ship_on.isoformat()}),
            kind="notice", order_number=order.number,
            buttons=await step_buttons(ctx, order, {role: False}))


async def record_consent(ctx: Context, actor: Actor, order: Order, note: str) -> None:
    actor.require(Role.MARKET)
    await save_facts(ctx, actor, order, short_shipment_consent=note or "yes")


async def ship(ctx: Context, actor: Actor, order: Order, quantity: float | None) -> float:
    shipped = order.quantity if quantity is None else quantity
    if shipped <= 0:
        raise DomainError(Text("error.quantity_not_positive", {"quantity": f"{shipped:g}"}))
    if shipped > order.quantity:
        raise DomainError(Text("error.over_shipment", {**order_params(order, ctx.tz),
                                                       "shipped": f"{shipped:g}"}))
    await move(ctx, actor, order, Action.SHIP, shipped_quantity=shipped)
    await save_facts(ctx, actor, order, shipped_quantity=shipped)
    missing = order.quantity - shipped
    if missing > 0:
        await open_task(ctx, actor, order, TaskKind.MISSING_PARTS, Role.MANUFACTURING,
                         ctx.deadlines.due("missing_parts", ctx.now),
                         title=f"{missing:g}{order.unit or ''}")
    await tell_market_next(ctx, order, "order.shipped_notice", shipped=f"{shipped:g}",
                       missing=f"{max(missing, 0):g}")
    return missing


async def close(ctx: Context, actor: Actor, order: Order, feedback: str) -> None:
    await move(ctx, actor, order, Action.CLOSE, feedback=feedback)
    await save_facts(ctx, actor, order, feedback=feedback)
