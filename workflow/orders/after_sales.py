"""After-sales tickets on a delivered order."""

from __future__ import annotations

from workflow.context import Actor, Context
from workflow.errors import DomainError
from workflow.model import (
    Order,
    OrderStatus,
    Task,
    TaskKind,
    Text,
)
from workflow.orders.core import (
    save_facts,
)
from workflow.records import Ticket, tickets_of
from workflow.roles import Role
from workflow.tasks import (
    open_task,
)

TICKET_KINDS = {"退货": "return", "换货": "exchange", "维修": "repair", "投诉": "complaint",
                "return": "return", "exchange": "exchange", "repair": "repair",
                "complaint": "complaint"}


async def open_ticket(ctx: Context, actor: Actor, order: Order, word: str, detail: str) -> Task:
    """A ticket on a delivered order, owned by after-sales (or market where none is bound)."""
    actor.require(Role.MARKET, Role.SERVICE)
    kind = TICKET_KINDS.get(word.lower())
    if kind is None or not detail:
        raise DomainError(Text("usage.ticket"))
    if order.status not in (OrderStatus.SHIPPED, OrderStatus.CLOSED):
        raise DomainError(Text("ticket.not_delivered", {"number": order.number,
                                                        "status": order.status.value}))
    owner = Role.SERVICE if await ctx.uow.chats.of_department(Role.SERVICE) else Role.MARKET
    task = await open_task(ctx, actor, order, TaskKind.AFTER_SALES, owner,
                            ctx.deadlines.due("after_sales_response", ctx.now),
                            title=f"[{word}] {detail}")
    tickets = [*tickets_of(order), Ticket(task.id or 0, kind, detail, actor.person.id)]
    await save_facts(ctx, actor, order, tickets=[ticket.as_fact() for ticket in tickets])
    return task
