"""What every step of an order shares: finding it, moving it along the lifecycle table, its facts, telling market and everyone with work on it."""

from __future__ import annotations

from datetime import date
from typing import Any

from workflow import lifecycle
from workflow.context import Actor, Context, order_params
from workflow.errors import DomainError, Forbidden, NotFound
from workflow.lifecycle import Action, Refusal
from workflow.model import (
    OPEN_TASK_STATUSES,
    PLANNED_KINDS,
    ButtonSpec,
    Notification,
    Order,
    OrderStatus,
    Task,
    TaskKind,
    TaskStatus,
    Text,
)
from workflow.parsing.plans import ORDER_NUMBER
from workflow.roles import Role


async def order_by_number(ctx: Context, text: str, *, archived_ok: bool = False) -> Order:
    """The order a command names; an archived one only for what reads its record."""
    match = ORDER_NUMBER.search(text or "")
    if match is None:
        raise DomainError(Text("error.order_number_missing"))
    order = await ctx.uow.orders.by_number(match[0].upper())
    if order is None:
        raise NotFound(Text("error.order_number_unknown", {"number": match[0].upper()}))
    if not archived_ok:
        refuse_archived(order)
    return order


def refuse_archived(order: Order) -> None:
    """An archived order is read-only and out of the working lists: /find shows it."""
    if order.archived_at is not None:
        raise DomainError(Text("archive.read_only", {"number": order.number}))


def today(ctx: Context) -> date:
    return ctx.now.astimezone(ctx.tz).date()


def review_round(order: Order) -> dict[str, Any]:
    """The review that counts now. Registration opens the first, and its tasks are the only
    reviews the order has; a new date or a level-3 change opens the next, which stands on its
    own answers: what the earlier round found no longer counts."""
    return order.facts.get("review_round") or {"number": 1, "tasks": None,
                                                "requested_by": order.created_by}


def in_review_round(order: Order, task: Task) -> bool:
    if task.kind is not TaskKind.FEASIBILITY_REVIEW:
        return False
    tasks = review_round(order)["tasks"]
    return task.status is not TaskStatus.CANCELLED if tasks is None else task.id in tasks


async def facts_for(ctx: Context, order: Order, actor: Actor | None) -> dict[str, Any]:
    tasks = await ctx.uow.tasks.for_order(order.id or 0)
    return {
        **order.facts,
        "today": today(ctx),
        "actor_id": actor.person.id if actor else None,
        "quantity": order.quantity,
        "reviews": [t.outcome for t in tasks if in_review_round(order, t)],
        "planned_tasks": [t.id for t in tasks if t.kind in PLANNED_KINDS],
        "open_production_tasks": [t.id for t in tasks if t.kind in PLANNED_KINDS
                                  and t.status in OPEN_TASK_STATUSES],
        "open_missing_parts": [t.id for t in tasks if t.kind is TaskKind.MISSING_PARTS
                               and t.status in OPEN_TASK_STATUSES],
    }


async def move(
    ctx: Context, actor: Actor | None, order: Order, action: Action, **facts: Any
) -> OrderStatus:
    """Take one row of the lifecycle table, or refuse with the reason the table gives."""
    known = {**await facts_for(ctx, order, actor), **facts}
    result = lifecycle.check(order.status, action,
                             roles=actor.person.roles if actor else None, facts=known)
    if isinstance(result, Refusal):
        raise refusal(order, action, result)
    next_state = result.next_state or OrderStatus(order.facts.get(result.back_to, "review"))
    await ctx.uow.orders.set_status(order.id or 0, next_state)
    await ctx.audit(actor, f"order.{action.value}", "order", order.number,
                    {"status": order.status.value}, {"status": next_state.value})
    order.status = next_state
    return next_state


def refusal(order: Order, action: Action, refusal: Refusal) -> DomainError:
    roles = tuple(r for r in refusal.roles if isinstance(r, Role))
    if refusal.reason == "role":
        return Forbidden(*roles)
    if refusal.reason == "leader":
        return Forbidden(*roles, leader=True)
    if refusal.reason == "no_transition":
        return DomainError(Text("error.not_now", {"number": order.number, "status": order.status.value,
                                                  "action": action.value}))
    return DomainError(Text(f"guard.{refusal.reason}", {"number": order.number}))


class Outdated(DomainError):
    """A button on a message the order has moved past. Nothing is recorded: the message says
    what holds now and keeps only the buttons still good, none when there are none."""

    def __init__(self, text: Text, buttons: tuple[tuple[ButtonSpec, ...], ...] = ()) -> None:
        super().__init__(text)
        self.buttons = buttons


def standing(order: Order) -> OrderStatus:
    """Where the order is; a held one, where it will resume."""
    if order.status is OrderStatus.ON_HOLD:
        return OrderStatus(order.facts.get("held_from", OrderStatus.REVIEW.value))
    return order.status


def forbid_own_request(actor: Actor, requested_by: int | None, refusal: Text) -> None:
    """The one self-approval rule (`lifecycle.own_request`), said in the words of the step."""
    if lifecycle.own_request(actor.person.id, requested_by):
        raise DomainError(refusal)


async def save_facts(ctx: Context, actor: Actor | None, order: Order, **changes: Any) -> None:
    before = {k: order.facts.get(k) for k in changes}
    order.facts.update(changes)
    await ctx.uow.orders.save_facts(order.id or 0, order.facts)
    await ctx.audit(actor, "order.facts", "order", order.number, before, changes)


async def tell_market(ctx: Context, order: Order, key: str, *,
                      buttons: tuple[tuple[ButtonSpec, ...], ...] = (), **params: Any) -> None:
    await ctx.notify(Notification(order.chat_id, Text(key, {**order_params(order, ctx.tz),
                                                            **params}), "notice", order.number,
                                  buttons))


async def broadcast(ctx: Context, order: Order, key: str, **params: Any) -> None:
    """Tell market and every department that has work on the order."""
    roles = {t.role for t in await ctx.uow.tasks.for_order(order.id or 0)} - {Role.MARKET}
    text = Text(key, {**order_params(order, ctx.tz), **params})
    await ctx.notify(Notification(order.chat_id, text, "notice", order.number))
    for role in sorted(roles):
        await ctx.notify_department(role, text, kind="notice", order_number=order.number)
