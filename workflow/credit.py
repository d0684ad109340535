"""信用评估: finance keeps each customer's credit limit, payment terms and risk notes; an order
that takes the customer over the limit gets finance's review alongside the delivery-feasibility
review, and a risky customer's order goes to finance and the general manager, who decides.
A customer with no limit set is not checked."""

from __future__ import annotations

from dataclasses import dataclass

from workflow.context import Actor, Context, local_time, order_params
from workflow.errors import DomainError, NotFound
from workflow.model import (
    OPEN_TASK_STATUSES,
    CustomerCredit,
    Order,
    OrderStatus,
    Task,
    TaskKind,
    TaskStatus,
    Text,
)
from workflow.orders import cancel, save_facts, task_for, tell_market
from workflow.roles import Role
from workflow.tasks import close_task, open_task

# Orders that no longer owe anything: ended without a sale, or paid and confirmed by finance.
_OWING_NOTHING = (OrderStatus.DECLINED, OrderStatus.CANCELLED, OrderStatus.CLOSED)
MAX_NOTE_CHARS = 200


def order_value(order: Order) -> float:
    """What the customer owes for the order: the quote when there is one, else the amount, else
    quantity times unit price; 0 when the order names no price at all."""
    quoted = order.facts.get("quote_amount")
    if quoted:
        return float(quoted)
    if order.amount:
        return float(order.amount)
    if order.unit_price:
        return float(order.unit_price) * order.quantity
    return 0.0


def unpaid(order: Order) -> bool:
    return order.status not in _OWING_NOTHING and not order.facts.get("payment_confirmed")


@dataclass(frozen=True)
class Standing:
    credit: CustomerCredit | None
    owed: float  # the unpaid orders' value
    orders: int  # how many unpaid orders


async def standing(ctx: Context, customer: str) -> Standing:
    owing = [o for o in await ctx.uow.orders.live_of_customer(customer) if unpaid(o)]
    return Standing(await ctx.uow.credits.get(customer), sum(map(order_value, owing)),
                    len(owing))


async def _keep(ctx: Context, actor: Actor, customer: str, **changes: object) -> CustomerCredit:
    actor.require(Role.FINANCE)
    credit = await ctx.uow.credits.get(customer) or CustomerCredit(customer)
    before = {"limit": credit.limit, "terms": credit.terms, "risk": credit.risk}
    for name, value in changes.items():
        setattr(credit, name, value)
    credit.updated_by, credit.updated_at = actor.person.id, ctx.now
    await ctx.uow.credits.save(credit)
    await ctx.audit(actor, "credit.update", "customer", customer, before,
                    {"limit": credit.limit, "terms": credit.terms, "risk": credit.risk})
    return credit


async def set_limit(ctx: Context, actor: Actor, customer: str, limit: float | None,
                    terms: str | None) -> CustomerCredit:
    """A limit (None: no limit) and, when given, the payment terms."""
    if limit is not None and limit <= 0:
        raise DomainError(Text("credit.limit_not_positive"))
    if terms:
        return await _keep(ctx, actor, customer, limit=limit, terms=terms[:MAX_NOTE_CHARS])
    return await _keep(ctx, actor, customer, limit=limit)


async def set_risk(ctx: Context, actor: Actor, customer: str, risk: str | None
                   ) -> CustomerCredit:
    """Risk notes make the customer risky; None clears them."""
    return await _keep(ctx, actor, customer, risk=risk[:MAX_NOTE_CHARS] if risk else None)


# ---- at registration ----------------------------------------------------------------------


async def check_order(ctx: Context, order: Order) -> list[Task]:
    """A newly registered order against its customer's record: finance reviews one that goes
    over the limit, the general manager decides on a risky customer's. The tasks opened."""
    found = await standing(ctx, order.customer)
    credit = found.credit
    if credit is None:
        return []
    opened = []
    params = {**order_params(order, ctx.tz), "limit": _money(credit.limit),
              "owed": _money(found.owed), "value": _money(order_value(order)),
              "terms": credit.terms or "-", "risk": credit.risk or "-"}
    if credit.limit is not None and found.owed > credit.limit:
        due_at = ctx.deadlines.due("credit_review", ctx.now)
        task = await open_task(ctx, None, order, TaskKind.CREDIT_REVIEW, Role.FINANCE, due_at,
                               announce=Text("credit.review_request", {
                                   **params, "due": local_time(due_at, ctx.tz)}))
        await save_facts(ctx, None, order, credit_check={
            "limit": credit.limit, "owed": found.owed, "review": task.id})
        await tell_market(ctx, order, "credit.over_limit_market", limit=params["limit"],
                          owed=params["owed"])
        opened.append(task)
    if credit.risk:
        await ctx.notify_department(Role.FINANCE, Text("credit.risky_finance", params),
                                    kind="notice", order_number=order.number)
        opened.append(await _ask_gm(ctx, order, "credit.risky_gm", params))
    return opened


async def _ask_gm(ctx: Context, order: Order, key: str, params: dict[str, object]) -> Task:
    due_at = ctx.deadlines.due("decision", ctx.now)
    return await open_task(ctx, None, order, TaskKind.CREDIT_DECISION, Role.GM, due_at,
                           announce=Text(key, {**params, "due": local_time(due_at, ctx.tz)}))


def _money(value: float | None) -> str:
    return "-" if value is None else f"{value:,.0f}"


# ---- finance's review and the general manager's decision ------------------------------------


async def _open_task_of(ctx: Context, actor: Actor, task_id: int, kind: TaskKind
                        ) -> tuple[Task, Order]:
    task, order = await task_for(ctx, task_id)
    if task.kind is not kind:
        raise NotFound(Text("error.task_not_found"))
    actor.require(task.role)
    if task.status not in OPEN_TASK_STATUSES:
        raise DomainError(Text("error.task_closed", {"status": task.status.value}))
    return task, order


async def review(ctx: Context, actor: Actor, task_id: int, approve: bool) -> Order:
    """Finance approves the order over the limit, or sends it to the general manager."""
    task, order = await _open_task_of(ctx, actor, task_id, TaskKind.CREDIT_REVIEW)
    outcome = "approved" if approve else "referred"
    if not await close_task(ctx, actor, task, TaskStatus.DONE, outcome):
        raise DomainError(Text("error.task_closed", {"status": "done"}))
    if approve:
        await tell_market(ctx, order, "credit.approved_market", who=actor.person.name)
        return order
    found = await standing(ctx, order.customer)
    limit = found.credit.limit if found.credit else None
    await _ask_gm(ctx, order, "credit.referred_gm", {
        **order_params(order, ctx.tz), "who": actor.person.name, "limit": _money(limit),
        "owed": _money(found.owed), "value": _money(order_value(order))})
    return order


async def decide(ctx: Context, actor: Actor, task_id: int, accept: bool, reason: str) -> Order:
    """The general manager takes the order on or declines it; declined, it is cancelled with
    `reason` (the handler's words for it, in the decider's language)."""
    task, order = await _open_task_of(ctx, actor, task_id, TaskKind.CREDIT_DECISION)
    outcome = "accepted" if accept else "declined"
    if not await close_task(ctx, actor, task, TaskStatus.DONE, outcome):
        raise DomainError(Text("error.task_closed", {"status": "done"}))
    await save_facts(ctx, actor, order, credit_decision={
        "by": actor.person.id, "outcome": outcome, "at": ctx.now.isoformat()})
    await ctx.notify_department(Role.FINANCE, Text(f"credit.{outcome}_notice", {
        **order_params(order, ctx.tz), "who": actor.person.name}), kind="notice",
        order_number=order.number)
    if accept:
        await tell_market(ctx, order, "credit.accepted_notice", who=actor.person.name)
    elif order.status not in _OWING_NOTHING:
        await cancel(ctx, actor, order, reason)
    return order

