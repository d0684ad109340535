"""What reps ask in free sentences about orders already taken: where an order stands, and to
cancel one. A sentence never cancels an order by itself ("SO-… 这单作废" may be a joke, a
mistake or the wrong order): market's leader, or the general manager, decides with one tap."""

from __future__ import annotations

from typing import Any

from workflow import orders
from workflow.context import Actor, Context, order_params
from workflow.errors import DomainError, NotFound
from workflow.model import (
    UNDER_WAY_STATUSES,
    AnswerTo,
    ButtonAnswer,
    ButtonSpec,
    Notification,
    Order,
    Text,
)
from workflow.roles import Role
from workflow.text import clean_text


async def orders_named(ctx: Context, target: dict[str, Any]) -> list[Order]:
    """The open orders a sentence names: by number, or by what the customer and product say."""
    if target.get("order_no"):
        order = await ctx.uow.orders.by_number(str(target["order_no"]).upper())
        if order is not None:
            orders.refuse_archived(order)
        return [order] if order is not None else []
    if target.get("customer") or target.get("product"):
        return await ctx.uow.orders.matching(target.get("customer"), target.get("product"),
                                             list(UNDER_WAY_STATUSES))
    return []


async def request_cancel(ctx: Context, actor: Actor, order: Order, said: str) -> list[int]:
    """A rep asks for the order to be cancelled; who is asked to decide (market's leaders, or
    the general managers when market has none)."""
    actor.require(Role.MARKET)
    said = clean_text(said)[:500]
    request = {"by": actor.person.id, "name": actor.person.name, "said": said,
               "at": ctx.now.isoformat()}
    await orders.save_facts(ctx, actor, order, cancel_request=request)
    deciders = [p for p in await ctx.leaders_of(Role.MARKET) if p != actor.person.id]
    if not deciders:
        deciders = [p.id for p in await ctx.uow.people.holders(Role.GM)]
    text = Text("cancel_request.ask", {**order_params(order, ctx.tz), "who": actor.person.name,
                                       "said": said})
    buttons = ((ButtonSpec(Text("button.cancel_order"),
                           ButtonAnswer(AnswerTo.CANCEL_REQUEST, order.id or 0, "yes")),
                ButtonSpec(Text("button.keep_order"),
                           ButtonAnswer(AnswerTo.CANCEL_REQUEST, order.id or 0, "no"))),)
    for person_id in deciders:
        await ctx.notify(Notification(person_id, text, "task", order.number, buttons))
    if not deciders:  # nobody to decide yet: the group hears it, and so does an administrator
        await ctx.notify_department(Role.MARKET, text, kind="task", order_number=order.number,
                                    buttons=buttons)
    return deciders


async def settle_cancel_request(ctx: Context, actor: Actor, order_id: int, cancel: bool
                                ) -> Order:
    """The leader cancels the order (with the rep's words as the reason) or keeps it; the rep
    hears which."""
    order = await ctx.uow.orders.get(order_id)
    if order is None:
        raise NotFound(Text("error.order_not_found"))
    request = order.facts.get("cancel_request")
    if not request:
        raise DomainError(Text("cancel_request.settled", {"number": order.number}))
    orders.forbid_own_request(actor, request["by"], Text("cancel_request.own",
                                                         {"number": order.number}))
    if cancel:
        await orders.cancel(ctx, actor, order, request["said"])
    else:
        actor.require(Role.MARKET, Role.GM)
    await orders.save_facts(ctx, actor, order, cancel_request=None)
    await ctx.notify(Notification(request["by"], Text(
        "cancel_request.cancelled" if cancel else "cancel_request.kept",
        {**order_params(order, ctx.tz), "who": actor.person.name}), "notice", order.number))
    return order
