"""The web pages' domain: customers' tracking links, desk logins and sessions, and what each
reader may see. Pages render these views; they never read storage themselves."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta

from workflow.context import Actor, Context
from workflow.errors import DomainError, Forbidden
from workflow.evaluation import Event
from workflow.model import (
    ENDED_STATUSES,
    PLANNED_KINDS,
    AuditEvent,
    ChangeNotice,
    Order,
    OrderStatus,
    Task,
    TaskKind,
    TaskStatus,
    Text,
    TokenKind,
    UrgeSlip,
    WebToken,
)
from workflow.orders.core import standing
from workflow.ports import UnitOfWork
from workflow.roles import Role

# 24 random bytes: 192 bits, past any guessing (the issue asks for at least 128).
TOKEN_BYTES = 24
# token_urlsafe(24) is 32 characters; anything much longer is not ours and is not hashed.
MAX_TOKEN_CHARS = 64
SEARCH_LIMIT = 100


def new_token() -> str:
    return secrets.token_urlsafe(TOKEN_BYTES)


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def valid_token(uow: UnitOfWork, kind: TokenKind, token: str | None, now: datetime
                      ) -> WebToken | None:
    """The stored token `token` opens, or None: unknown, another kind, revoked, expired, or
    (a login link) already used. Only the hash is looked up, so the lookup's timing says
    nothing about the token; the final comparison is constant-time all the same."""
    if not token or len(token) > MAX_TOKEN_CHARS:
        return None
    wanted = token_hash(token)
    found = await uow.web_tokens.by_hash(wanted)
    if found is None or not hmac.compare_digest(found.token_hash, wanted):
        return None
    if found.kind is not kind or found.revoked_at is not None:
        return None
    if found.expires_at is not None and found.expires_at <= now:
        return None
    if kind is TokenKind.LOGIN and found.used_at is not None:
        return None
    return found


def _web_policy(ctx: Context) -> tuple[timedelta, timedelta, timedelta]:
    web = ctx.policy.web
    return web.track_expiry, web.login_link, web.session


# ---- the customer's tracking link ---------------------------------------------------------


@dataclass(frozen=True)
class IssuedLink:
    token: str
    expires_at: datetime | None


async def issue_tracking_link(ctx: Context, actor: Actor, order: Order) -> IssuedLink:
    """A new link for the customer; links given before stay good until revoked."""
    if not actor.is_admin:
        actor.require(Role.MARKET)
    if order.status in ENDED_STATUSES and order.status is not OrderStatus.CLOSED:
        raise DomainError(Text("track.ended", {"number": order.number,
                                               "status": order.status.value}))
    track_expiry, _, _ = _web_policy(ctx)
    expires = ctx.now + track_expiry if track_expiry else None
    link = await _issued(ctx, TokenKind.TRACK, expires, order_id=order.id)
    await ctx.audit(actor, "web.track_issued", "order", order.number, None,
                    {"expires_at": expires.isoformat() if expires else None})
    return link


async def _issued(ctx: Context, kind: TokenKind, expires: datetime | None, *,
                  order_id: int | None = None, person_id: int | None = None) -> IssuedLink:
    """A new token, of which only the hash is kept."""
    token = new_token()
    await ctx.uow.web_tokens.add(WebToken(None, kind, token_hash(token), ctx.now,
                                          order_id=order_id, person_id=person_id,
                                          expires_at=expires))
    return IssuedLink(token, expires)


async def revoke_tracking_links(ctx: Context, actor: Actor, order: Order) -> int:
    if not actor.is_admin:
        actor.require(Role.MARKET)
    count = await ctx.uow.web_tokens.revoke_for_order(order.id or 0, ctx.now)
    await ctx.audit(actor, "web.track_revoked", "order", order.number, None, {"links": count})
    return count


# The stages a customer is shown, in order, and the status that reaches each.
CUSTOMER_STAGES: tuple[tuple[str, OrderStatus], ...] = (
    ("received", OrderStatus.REVIEW),
    ("reviewed", OrderStatus.QUOTE),
    ("production_ordered", OrderStatus.PLANNING),
    ("in_production", OrderStatus.PRODUCTION),
    ("warehoused", OrderStatus.WAREHOUSED),
    ("shipped", OrderStatus.SHIPPED),
    ("delivered", OrderStatus.CLOSED),
)
_PROGRESS: list[OrderStatus] = [s for s in OrderStatus if s not in (OrderStatus.ON_HOLD, OrderStatus.CANCELLED,
                                                   OrderStatus.DECLINED)]


@dataclass(frozen=True)
class Stage:
    key: str
    reached: bool
    at: datetime | None


@dataclass(frozen=True)
class Shipment:
    at: datetime | None
    quantity: float


@dataclass(frozen=True)
class FollowUp:
    """The parts a short shipment left behind."""

    missing: float
    done: bool
    due_at: datetime | None
    done_at: datetime | None


@dataclass(frozen=True)
class TrackingView:
    """What a customer may see of their order, and nothing more: no prices, notes, names,
    other orders or audit trail."""

    number: str
    product: str
    model: str | None
    quantity: float
    unit: str | None
    due_date: date
    stage: str  # the key of the last stage reached, "on_hold" or "cancelled"
    progress: int | None  # percent of the planned work done, while in production
    stages: list[Stage]
    shipments: list[Shipment]
    follow_ups: list[FollowUp]


async def tracking_view(uow: UnitOfWork, token: str | None, now: datetime
                        ) -> TrackingView | None:
    found = await valid_token(uow, TokenKind.TRACK, token, now)
    if found is None or found.order_id is None:
        return None
    order = await uow.orders.get(found.order_id)
    if order is None:
        return None
    events = await uow.audit.for_subject("order", order.number)
    tasks = await uow.tasks.for_order(order.id or 0)
    return _tracking(order, events, tasks)


def _entered(events: list[AuditEvent]) -> dict[OrderStatus, datetime]:
    """When the order first entered each status."""
    first: dict[OrderStatus, datetime] = {}
    for event in events:
        status = (event.after or {}).get("status")
        if event.action.startswith("order.") and isinstance(status, str):
            try:
                first.setdefault(OrderStatus(status), event.at)
            except ValueError:
                continue
    return first


def _tracking(order: Order, events: list[AuditEvent], tasks: list[Task]) -> TrackingView:
    entered = _entered(events)
    entered.setdefault(OrderStatus.REVIEW, order.created_at)
    now_at = standing(order)
    rank = _PROGRESS.index(now_at) if now_at in _PROGRESS else -1
    stages = [Stage(key, rank >= _PROGRESS.index(status), entered.get(status)
                    if rank >= _PROGRESS.index(status) else None)
              for key, status in CUSTOMER_STAGES]
    reached = [s.key for s in stages if s.reached]
    stage = reached[-1] if reached else "received"
    if order.status is OrderStatus.ON_HOLD:
        stage = "on_hold"
    elif order.status in (OrderStatus.CANCELLED, OrderStatus.DECLINED):
        stage = "cancelled"
    planned = [t for t in tasks if t.kind in PLANNED_KINDS and t.status is not TaskStatus.CANCELLED]
    progress = None
    if now_at is OrderStatus.PRODUCTION and planned:
        progress = round(sum(100 if t.status is TaskStatus.DONE else (t.progress or 0)
                             for t in planned) / len(planned))
    shipments = []
    shipped = order.facts.get("shipped_quantity")
    if isinstance(shipped, int | float) and OrderStatus.SHIPPED in entered:
        shipments.append(Shipment(entered[OrderStatus.SHIPPED], float(shipped)))
    follow_ups = []
    for task in tasks:
        if task.kind is TaskKind.MISSING_PARTS and task.status is not TaskStatus.CANCELLED:
            missing = max(order.quantity - float(shipped or 0), 0.0)
            done = task.status is TaskStatus.DONE
            follow_ups.append(FollowUp(missing, done, task.due_at, task.closed_at))
            if done:
                shipments.append(Shipment(task.closed_at, missing))
    return TrackingView(order.number, order.product, order.model, order.quantity, order.unit,
                        order.due_date, stage, progress, stages, shipments, follow_ups)


# ---- the desk: login, sessions and what a reader may see ----------------------------------


async def issue_login_link(ctx: Context, actor: Actor) -> IssuedLink:
    """A one-time link to the desk, for a person with a role (or an administrator)."""
    if not actor.person.roles and not actor.is_admin:
        raise DomainError(Text("web.no_role"))
    _, login_link, _ = _web_policy(ctx)
    expires = ctx.now + login_link
    link = await _issued(ctx, TokenKind.LOGIN, expires, person_id=actor.person.id)
    await ctx.audit(actor, "web.login_link", "person", actor.person.id, None,
                    {"expires_at": expires.isoformat()})
    return link


async def open_session(ctx: Context, login_token: str | None) -> IssuedLink | None:
    """Spend a login link for a session; None when the link is wrong, expired or used."""
    found = await valid_token(ctx.uow, TokenKind.LOGIN, login_token, ctx.now)
    if found is None or found.id is None or found.person_id is None:
        return None
    if not await ctx.uow.web_tokens.use(found.id, ctx.now):
        return None
    person = await ctx.uow.people.get(found.person_id)
    if person is None:
        return None
    _, _, session = _web_policy(ctx)
    link = await _issued(ctx, TokenKind.SESSION, ctx.now + session, person_id=person.id)
    await ctx.audit(Actor(person), "web.login", "person", person.id)
    return link


async def session_actor(uow: UnitOfWork, token: str | None, now: datetime,
                        admin_ids: frozenset[int]) -> Actor | None:
    """Who a session cookie belongs to, with the roles they hold now (a role taken away
    stops showing at once), or None."""
    found = await valid_token(uow, TokenKind.SESSION, token, now)
    if found is None or found.person_id is None:
        return None
    person = await uow.people.get(found.person_id)
    if person is None:
        return None
    actor = Actor(person, person.id in admin_ids)
    return actor if person.roles or actor.is_admin else None


async def close_session(ctx: Context, token: str | None) -> None:
    found = await valid_token(ctx.uow, TokenKind.SESSION, token, ctx.now)
    if found is not None and found.id is not None:
        await ctx.uow.web_tokens.revoke(found.id, ctx.now)


def sees_all(actor: Actor) -> bool:
    return actor.is_admin or actor.person.has_role(Role.GM)


def sees_record(actor: Actor) -> bool:
    """Change notices, urge slips and the audit trail: as `/export` shows them."""
    return sees_all(actor) or actor.person.has_role(Role.MARKET)


def sees_prices(actor: Actor) -> bool:
    return sees_all(actor) or any(actor.person.has_role(r) for r in (Role.MARKET, Role.FINANCE))


def queues_of(actor: Actor) -> list[Role]:
    """The departments whose queues the reader may open."""
    return list(Role) if sees_all(actor) else [r for r in Role if actor.person.has_role(r)]


@dataclass(frozen=True)
class DeskRow:
    order: Order
    next_task: Task | None
    late: bool


@dataclass(frozen=True)
class DeskFilter:
    department: Role | None = None
    customer: str | None = None
    stage: OrderStatus | None = None
    search: str | None = None


async def open_orders(uow: UnitOfWork, actor: Actor, now: datetime, tz_today: date,
                      chosen: DeskFilter) -> list[DeskRow]:
    """Live orders with their next deadline and its owner; a search also finds orders that
    have ended. A department filter keeps the orders that department owes work on."""
    if chosen.search:
        orders = await uow.desk.search(chosen.search.strip(), SEARCH_LIMIT)
        if chosen.customer:
            orders = [o for o in orders if o.customer == chosen.customer]
        if chosen.stage:
            orders = [o for o in orders if o.status is chosen.stage]
        tasks = await uow.desk.open_tasks_of([o.id or 0 for o in orders])
    else:
        orders = await uow.desk.live_orders(chosen.customer, chosen.stage)
        # The list shows one task an order: only the most pressing is read.
        tasks = await uow.desk.live_open_tasks(chosen.customer, chosen.stage, chosen.department)
    by_order: dict[int, list[Task]] = {}
    for task in tasks:
        by_order.setdefault(task.order_id, []).append(task)
    rows = []
    for order in orders:
        owed = by_order.get(order.id or 0, [])
        if chosen.department is not None:
            owed = [t for t in owed if t.role is chosen.department]
            if not owed:
                continue
        timed = sorted((t for t in owed if t.due_at is not None),
                       key=lambda t: (t.due_at or now, t.id or 0))
        next_task = timed[0] if timed else (owed[0] if owed else None)
        late = any(t.due_at is not None and t.due_at < now for t in owed) or (
            order.status not in ENDED_STATUSES and order.status is not OrderStatus.SHIPPED
            and order.due_date < tz_today)
        rows.append(DeskRow(order, next_task, late))
    return rows


@dataclass(frozen=True)
class OrderRecord:
    order: Order
    tasks: list[Task]
    notices: list[ChangeNotice]
    slips: list[UrgeSlip]
    audit: list[Event]
    names: dict[int, str]
    full: bool  # change notices, urge slips and audit shown
    prices: bool


async def order_record(uow: UnitOfWork, actor: Actor, number: str) -> OrderRecord | None:
    order = await uow.orders.by_number(number)
    if order is None:
        return None
    tasks = await uow.tasks.for_order(order.id or 0)
    full = sees_record(actor)
    notices = await uow.changes.for_order(order.id or 0) if full else []
    slips = await uow.urge_slips.for_order(order.id or 0) if full else []
    audit: list[Event] = []
    if full:
        audit = sorted([*await uow.reports.events_of("order", [order.number]),
                        *await uow.reports.events_of("task", [str(t.id) for t in tasks]),
                        *await uow.reports.events_of("change", [n.number or "" for n in notices]),
                        *await uow.reports.events_of("urge_slip", [s.number for s in slips])],
                       key=lambda e: e.at)
    people = ({order.created_by} | {t.closed_by or 0 for t in tasks}
              | {t.assignee_id or 0 for t in tasks} | {n.created_by for n in notices}
              | {e.actor_id or 0 for e in audit}) - {0}
    names = await uow.reports.names(sorted(people))
    shown = order if sees_prices(actor) else replace(order, unit_price=None, amount=None)
    return OrderRecord(shown, tasks, notices, slips, audit, names, full, sees_prices(actor))


async def department_queue(uow: UnitOfWork, actor: Actor, role: Role
                           ) -> list[tuple[Task, Order | None]]:
    """What a department owes, oldest first; only its own people (and the GM, admins) see it."""
    if role not in queues_of(actor):
        raise Forbidden(role)
    tasks = sorted(await uow.tasks.open_for_roles([role]), key=lambda t: (t.created_at, t.id or 0))
    orders = {o.id: o for o in await uow.reports.orders_by_id(sorted({t.order_id for t in tasks}))}
    return [(t, orders.get(t.order_id)) for t in tasks]
