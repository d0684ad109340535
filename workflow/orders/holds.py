"""Hold, resume, cancel."""

from __future__ import annotations

from workflow.context import Actor, Context
from workflow.lifecycle import Action
from workflow.model import (
    OPEN_TASK_STATUSES,
    Order,
    TaskStatus,
)
from workflow.orders.core import (
    broadcast,
    move,
    save_facts,
)
from workflow.tasks import (
    close_task,
)


async def hold(ctx: Context, actor: Actor, order: Order, reason: str) -> None:
    held_from = order.status.value
    await move(ctx, actor, order, Action.HOLD)
    await save_facts(ctx, actor, order, held_from=held_from, hold_reason=reason)
    await broadcast(ctx, order, "order.held_notice", why=reason, who=actor.person.name)


async def resume(ctx: Context, actor: Actor, order: Order) -> None:
    await move(ctx, actor, order, Action.RESUME)
    await broadcast(ctx, order, "order.resumed_notice", who=actor.person.name)


async def cancel(ctx: Context, actor: Actor, order: Order, reason: str) -> int:
    """Cancel the order; its open tasks are cancelled with it and their owners told."""
    await move(ctx, actor, order, Action.CANCEL)
    await save_facts(ctx, actor, order, cancel_reason=reason)
    open_tasks = [t for t in await ctx.uow.tasks.for_order(order.id or 0)
                  if t.status in OPEN_TASK_STATUSES]
    for task in open_tasks:
        await close_task(ctx, actor, task, TaskStatus.CANCELLED)
    await broadcast(ctx, order, "order.cancelled_notice", why=reason, who=actor.person.name)
    return len(open_tasks)
