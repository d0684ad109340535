"""Which next steps an order offers a person now, and the check a tap or a reply passes
before the step is taken (by the same service the typed command calls)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from workflow import lifecycle
from workflow.context import Actor, Context
from workflow.errors import Forbidden
from workflow.lifecycle import Refusal
from workflow.model import ButtonSpec, Order, OrderStatus, Text
from workflow.next_steps import ANSWERED_GUARDS, MOVES, Step, buttons, roles_of
from workflow.orders.core import Outdated, facts_for, refusal, tell_market
from workflow.roles import Role

# Finance may say the payment is in (or not yet) from the contract taking effect to shipping.
_PAYMENT_CHECKED_IN = (OrderStatus.EFFECTIVE, OrderStatus.PLANNING, OrderStatus.PRODUCTION,
                       OrderStatus.WAREHOUSED)


def _why_not(order: Order, step: Step, roles: Mapping[Role, bool],
             facts: Mapping[str, Any]) -> Refusal | None:
    """None when the step is open to someone holding `roles`; otherwise the table's reason."""
    if step in MOVES:
        result = lifecycle.check(order.status, MOVES[step], roles=roles, facts=facts,
                                 settled=ANSWERED_GUARDS)
        return result if isinstance(result, Refusal) else None
    if not any(role in roles for role in roles_of(step)):
        return Refusal("role", roles_of(step))
    if step in (Step.SIGNED, Step.PAID):
        open_now = order.status is OrderStatus.CONTRACT and not facts.get(step.value)
    else:
        open_now = order.status in _PAYMENT_CHECKED_IN and not facts.get("payment_confirmed")
    return None if open_now else Refusal("no_transition")


async def next_steps(ctx: Context, order: Order, roles: Mapping[Role, bool]) -> list[Step]:
    """The steps someone holding `roles` may take on the order now, in the lifecycle's order."""
    if not roles:
        return []
    facts = await facts_for(ctx, order, None)
    return [step for step in Step if _why_not(order, step, roles, facts) is None]


async def step_buttons(ctx: Context, order: Order, roles: Mapping[Role, bool]
                       ) -> tuple[tuple[ButtonSpec, ...], ...]:
    return buttons(order.id or 0, await next_steps(ctx, order, roles))


async def require_step(ctx: Context, actor: Actor, order: Order, step: Step) -> None:
    """Refuse a tap (or the reply it asked for) that may not be taken: the wrong person is
    told whose step it is; a step the order has moved past is `Outdated`, with the buttons
    that hold now; a step waiting on something else says what."""
    if not any(actor.person.has_role(role) for role in roles_of(step)):
        raise Forbidden(*roles_of(step))
    why = _why_not(order, step, actor.person.roles, await facts_for(ctx, order, actor))
    if why is None:
        return
    if why.reason == "no_transition":
        raise Outdated(Text("step.outdated", {"number": order.number,
                                              "status": order.status.value}),
                       await step_buttons(ctx, order, actor.person.roles))
    raise refusal(order, MOVES.get(step, lifecycle.Action.CONTRACT_EFFECTIVE), why)


async def tell_market_next(ctx: Context, order: Order, key: str, **params: Any) -> None:
    """A notice to market with the steps it may take now."""
    await tell_market(ctx, order, key, buttons=await step_buttons(ctx, order, {Role.MARKET: False}),
                      **params)


async def payment_missing(ctx: Context, actor: Actor, order: Order) -> None:
    """Finance looked and the payment is not in: market hears it; the check stays open."""
    actor.require(Role.FINANCE)
    await ctx.audit(actor, "order.payment_missing", "order", order.number, None,
                    {"status": order.status.value})
    await tell_market(ctx, order, "order.payment_missing_notice", who=actor.person.name)
