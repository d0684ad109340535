"""Use cases: each runs inside one unit of work and leaves the commit to its caller."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass
from datetime import date, datetime
from typing import Any

# `tasks` as a module: it imports escalation, which imports this one, so its names do not
# exist yet when this module is first imported through it.
from workflow import escalation, tasks
from workflow.context import Actor, Context, local_time, order_params
from workflow.errors import AdminOnly, Conflict, DomainError, NotFound
from workflow.model import (
    DraftStatus,
    Notification,
    Order,
    OrderDraft,
    OrderStatus,
    Person,
    Task,
    TaskKind,
    Text,
)
from workflow.roles import Role
from workflow.text import MAX_NAME_CHARS, clean_name, clean_text
from workflow.timer_kinds import TimerKind

REQUIRED_FIELDS = ("customer", "product", "quantity", "due_date")
REVIEWING_ROLES = (Role.TECH, Role.MANUFACTURING)


# ---- company set-up ---------------------------------------------------------------------


async def bind_chat(ctx: Context, actor: Actor, chat_id: int, department: Role | None) -> None:
    actor.require_admin()
    chat = await ctx.uow.chats.get(chat_id)
    before = {"department": chat.department.value if chat and chat.department else None}
    await ctx.uow.chats.bind(chat_id, department)
    after = {"department": department.value if department else None}
    await ctx.audit(actor, "chat.bind", "chat", chat_id, before, after)
    if department is not None and before["department"] != department.value:
        await escalation.hand_over(ctx, department, chat_id)


def may_keep_roles(actor: Actor) -> bool:
    """Administrators, and the leaders of a department for its own people."""
    return actor.is_admin or any(actor.person.leads(role) for role in Role)


def _require_role_keeper(actor: Actor, target: Person, role: Role, leader: bool) -> None:
    """A department's leader gives and takes its own department's role; another department,
    the leader mark, and a leader's own role are an administrator's."""
    if actor.is_admin:
        return
    led = [r for r in Role if actor.person.leads(r)]
    if not led:
        raise AdminOnly()
    if role not in led:
        raise DomainError(Text("error.role_other_department", {"roles": led}))
    if leader or target.leads(role):
        raise DomainError(Text("error.role_leader_mark"))


async def grant_role(ctx: Context, actor: Actor, target: Person, role: Role, leader: bool) -> None:
    _require_role_keeper(actor, target, role, leader)
    before = {"role": role.value, "leader": target.roles[role]} if role in target.roles else None
    await ctx.uow.people.grant(target.id, role, leader)
    await ctx.audit(
        actor, "role.grant", "person", target.id, before, {"role": role.value, "leader": leader}
    )


async def revoke_role(ctx: Context, actor: Actor, target: Person, role: Role) -> bool:
    _require_role_keeper(actor, target, role, leader=False)
    removed = await ctx.uow.people.revoke(target.id, role)
    if removed:
        await ctx.audit(actor, "role.revoke", "person", target.id, {"role": role.value}, None)
    return removed


async def set_chat_locale(ctx: Context, actor: Actor, chat_id: int, locale: str) -> None:
    await ctx.uow.chats.set_locale(chat_id, locale)
    await ctx.audit(actor, "locale.chat", "chat", chat_id, None, {"locale": locale})


async def set_person_locale(ctx: Context, actor: Actor, locale: str) -> None:
    await ctx.uow.people.set_locale(actor.person.id, locale)
    await ctx.audit(actor, "locale.person", "person", actor.person.id, None, {"locale": locale})


# ---- order intake -------------------------------------------------------------------------

# A message that is only one of these ends the author's pending draft.
CANCEL_WORDS = frozenset({"取消", "算了", "不要了", "不用了", "不下了", "作废", "撤销", "cancel"})
# An order is a few lines; past this it is a pasted document, not an order to read.
MAX_ORDER_CHARS = 1000
# A command names an order and adds a plan, a reason or a note: a plan of some forty lines.
MAX_COMMAND_CHARS = 2000
# More than this many units is a typo (an extra zero, a phone number), not an order.
MAX_QUANTITY = 1_000_000
DRAFT_EXPIRY = TimerKind.DRAFT_EXPIRY
NAME_FIELDS = ("customer", "product", "model")


def missing_fields(fields: dict[str, Any]) -> list[str]:
    return [name for name in REQUIRED_FIELDS if fields.get(name) in (None, "")]


def is_cancel_word(text: str) -> bool:
    return text.strip(" \t\n。.!！~～").lower() in CANCEL_WORDS


def refuse_oversized(text: str, limit: int = MAX_ORDER_CHARS) -> None:
    if len(text) > limit:
        raise DomainError(Text("input.too_long", {"length": len(text), "limit": limit}))


def _cleaned(fields: dict[str, Any]) -> dict[str, Any]:
    """Names without emoji or decoration, notes without escapes; a name longer than a name can
    be is kept whole so that the card refuses it instead of cutting it silently."""
    cleaned = dict(fields)
    for name in NAME_FIELDS:
        if isinstance(cleaned.get(name), str):
            cleaned[name] = clean_name(cleaned[name], limit=MAX_ORDER_CHARS)
    if isinstance(cleaned.get("notes"), str):
        cleaned["notes"] = clean_text(cleaned["notes"])
    return cleaned


def draft_problems(fields: dict[str, Any], today: date) -> list[str]:
    """The warnings that make the card wrong whatever the parser said: such a card offers
    修改 and 取消 only, and confirming it is refused."""
    problems = []
    quantity = fields.get("quantity")
    if quantity is not None and float(quantity) <= 0:
        problems.append("quantity_not_positive")
    elif quantity is not None and float(quantity) > MAX_QUANTITY:
        problems.append("quantity_too_large")
    if fields.get("unit_price") is not None and float(fields["unit_price"]) <= 0:
        problems.append("price_not_positive")
    if fields.get("amount") is not None and float(fields["amount"]) <= 0:
        problems.append("amount_not_positive")
    if fields.get("due_date") and date.fromisoformat(fields["due_date"]) < today:
        problems.append("due_date_in_past")
    if any(len(fields.get(name) or "") > MAX_NAME_CHARS for name in NAME_FIELDS):
        problems.append("name_too_long")
    return problems


def draft_notes(fields: dict[str, Any], today: date) -> list[str]:
    """What the author must see before confirming, though it may be right: a date in a later
    year than today's, read from a month and day (交期:11月1日 typed in December)."""
    due = fields.get("due_date")
    return ["due_date_next_year"] if due and date.fromisoformat(due).year > today.year else []


def draft_version(draft: OrderDraft) -> str:
    """A short mark of the card's content: a 确认 pressed on an older card of the same draft
    must not register what a later correction says."""
    content = json.dumps(draft.fields, sort_keys=True, ensure_ascii=False, default=str)
    return hashlib.sha256(content.encode()).hexdigest()[:8]


async def open_draft(
    ctx: Context, actor: Actor, chat_id: int, fields: dict[str, Any]
) -> OrderDraft:
    """Hold a parsed order for its author's confirmation; nothing is registered yet."""
    actor.require(Role.MARKET)
    fields = _cleaned(fields)
    missing = missing_fields(fields)
    draft = OrderDraft(
        id=None,
        chat_id=chat_id,
        author_id=actor.person.id,
        fields=fields,
        created_at=ctx.now,
        asking=missing[0] if missing else None,
    )
    await ctx.uow.drafts.add(draft)
    await ctx.audit(actor, "draft.open", "draft", draft.id or 0, None, fields)
    await ctx.uow.timers.schedule(DRAFT_EXPIRY, _draft_subject(draft), _expires_at(ctx),
                                  _expiry_key(draft.id or 0))
    return draft


def _draft_subject(draft: OrderDraft) -> str:
    return f"draft:{draft.id}"


def _expiry_key(draft_id: int) -> str:
    return f"{DRAFT_EXPIRY}:{draft_id}"


def _expires_at(ctx: Context) -> datetime:
    return ctx.now + ctx.policy.draft_expiry


async def _own_pending_draft(ctx: Context, actor: Actor, draft_id: int) -> OrderDraft:
    draft = await ctx.uow.drafts.get(draft_id)
    if draft is None:
        raise NotFound(Text("error.draft_not_found"))
    if draft.status is not DraftStatus.PENDING:
        raise Conflict(Text("error.draft_closed", {"status": draft.status.value}))
    if draft.author_id != actor.person.id:
        raise DomainError(Text("error.not_your_draft"))
    return draft


async def _touch(ctx: Context, draft: OrderDraft) -> None:
    """Every answer or correction gives the draft its full time again."""
    await ctx.uow.timers.reschedule(_expiry_key(draft.id or 0), _expires_at(ctx))


async def update_draft(
    ctx: Context, actor: Actor, draft_id: int, changes: dict[str, Any]
) -> OrderDraft:
    draft = await _own_pending_draft(ctx, actor, draft_id)
    before = dict(draft.fields)
    draft.fields.update(_cleaned({k: v for k, v in changes.items() if v not in (None, "")}))
    missing = missing_fields(draft.fields)
    draft.asking = missing[0] if missing else None
    await ctx.uow.drafts.save(draft)
    await _touch(ctx, draft)
    await ctx.audit(actor, "draft.update", "draft", draft_id, before, draft.fields)
    return draft


async def ask_for_edit(ctx: Context, actor: Actor, draft_id: int) -> OrderDraft:
    draft = await _own_pending_draft(ctx, actor, draft_id)
    draft.asking = "edit"
    await ctx.uow.drafts.save(draft)
    await _touch(ctx, draft)
    return draft


async def cancel_draft(ctx: Context, actor: Actor, draft_id: int) -> OrderDraft:
    draft = await _own_pending_draft(ctx, actor, draft_id)
    await _end_draft(ctx, actor, draft, DraftStatus.CANCELLED)
    return draft


async def _end_draft(ctx: Context, actor: Actor | None, draft: OrderDraft,
                     status: DraftStatus) -> None:
    draft.status, draft.asking = status, None
    await ctx.uow.drafts.save(draft)
    await ctx.audit(actor, f"draft.{status.value}", "draft", draft.id or 0,
                    {"status": "pending"}, {"status": status.value})


async def expire_draft(ctx: Context, draft_id: int) -> bool:
    """A draft left pending past `orders.draft_expiry` is dropped; its chat hears so once."""
    draft = await ctx.uow.drafts.get(draft_id)
    if draft is None or draft.status is not DraftStatus.PENDING:
        return False
    await _end_draft(ctx, None, draft, DraftStatus.EXPIRED)
    fields = draft.fields
    await ctx.notify(Notification(draft.chat_id, Text("order.draft_expired", {
        "customer": fields.get("customer") or "-", "product": fields.get("product") or "-"}),
        "notice", None))
    return True


@dataclass(frozen=True)
class Registered:
    order: Order
    reviews: list[Task]
    unbound_roles: list[Role]


@dataclass(frozen=True)
class PossibleDuplicate:
    draft: OrderDraft
    earlier: list[Order]


async def confirm_draft(
    ctx: Context, actor: Actor, draft_id: int, *, despite_duplicate: bool = False,
    version: str | None = None,
) -> Registered | PossibleDuplicate:
    """Register the order and open the delivery-feasibility review (交货期可能性评审)."""
    actor.require(Role.MARKET)
    draft = await _own_pending_draft(ctx, actor, draft_id)
    if version is not None and version != draft_version(draft):
        raise Conflict(Text("error.draft_card_outdated"))
    fields = draft.fields
    if missing := missing_fields(fields):
        raise DomainError(Text("error.draft_incomplete", {"fields": missing}))
    if problems := draft_problems(fields, ctx.now.astimezone(ctx.tz).date()):
        raise DomainError(Text("error.draft_invalid", {"warnings": problems}))
    due_date = date.fromisoformat(fields["due_date"])
    if not despite_duplicate:
        earlier = await ctx.uow.orders.registered_since(
            fields["customer"], fields["product"], float(fields["quantity"]),
            ctx.now - ctx.policy.duplicate_order_window,
        )
        if earlier:
            return PossibleDuplicate(draft, earlier)

    local_day = ctx.now.astimezone(ctx.tz).date()
    sequence = await ctx.uow.orders.next_sequence(local_day)
    order = Order(
        id=None,
        number=f"SO-{local_day:%Y%m%d}-{sequence:03d}",
        status=OrderStatus.REVIEW,
        customer=fields["customer"],
        product=fields["product"],
        quantity=float(fields["quantity"]),
        due_date=due_date,
        created_by=actor.person.id,
        created_at=ctx.now,
        chat_id=draft.chat_id,
        model=fields.get("model"),
        unit=fields.get("unit"),
        unit_price=fields.get("unit_price"),
        amount=fields.get("amount"),
        complete_set=bool(fields.get("complete_set")),
        order_class=fields.get("order_class") or "regular",
        notes=fields.get("notes"),
    )
    await ctx.uow.orders.add(order)
    draft.status, draft.asking = DraftStatus.CONFIRMED, None
    await ctx.uow.drafts.save(draft)
    await ctx.audit(actor, "draft.confirm", "draft", draft_id, {"status": "pending"},
                    {"status": "confirmed", "order": order.number})
    await ctx.audit(actor, "order.register", "order", order.number, None, _order_snapshot(order))

    reviews, unbound = await open_reviews(ctx, actor, order)
    # Imported here: credit builds on the order steps, which build on this module.
    from workflow import credit
    await credit.check_order(ctx, order)
    return Registered(order, reviews, unbound)


async def open_reviews(ctx: Context, actor: Actor, order: Order) -> tuple[list[Task], list[Role]]:
    """Ask tech and manufacturing whether the delivery date is feasible (交货期可能性评审)."""
    due_at = ctx.deadlines.due("feasibility_review", ctx.now)
    reviews, unbound = [], []
    for role in REVIEWING_ROLES:
        task = await tasks.open_task(ctx, actor, order, TaskKind.FEASIBILITY_REVIEW, role,
                                     due_at, announce=None)
        reviews.append(task)
        sent = await ctx.notify_department(
            role,
            Text("review.request", {**order_params(order, ctx.tz),
                                    "due": local_time(due_at, ctx.tz), "role": role}),
            kind="task",
            order_number=order.number,
            buttons=escalation.task_buttons(task),
        )
        if not sent:
            unbound.append(role)
    return reviews, unbound


async def warn_admins_of_unknown_years(ctx: Context, admin_ids: list[int], years: list[int]
                                      ) -> None:
    """Each administrator hears once per year that its holidays must come from the policy."""
    for year in years:
        action = f"warned.unknown_year.{year}"
        for admin_id in admin_ids:
            if await ctx.uow.audit.exists(action, "person", admin_id):
                continue
            await ctx.notify(Notification(admin_id, Text("admin.unknown_year", {"year": year}),
                                          "notice", None))
            await ctx.audit(None, action, "person", admin_id)


# ---- helpers ------------------------------------------------------------------------------


def _order_snapshot(order: Order) -> dict[str, Any]:
    snapshot = asdict(order)
    snapshot["status"] = order.status.value
    snapshot["due_date"] = order.due_date.isoformat()
    snapshot["created_at"] = order.created_at.isoformat()
    snapshot.pop("archived_at", None)
    return snapshot
