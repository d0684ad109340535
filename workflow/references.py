"""Which order a command means when the person types less than its number.

A command names its order by the whole number, by its last digits (`/quote 003 42万`), by
its customer or product (`/status 华东电力`), or not at all: then the bot's message it
replies to says which, or the person has only one open order. Several candidates are shown
for the person to pick; none is refused with what to type instead. Every order command
reads its order through `resolve`, so each accepts the same short forms.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from workflow.context import Actor, Context
from workflow.errors import DomainError
from workflow.model import OPEN_TASK_STATUSES, Order, Person, Task, Text
from workflow.orders import order_by_number, refuse_archived
from workflow.parsing.plans import ORDER_NUMBER
from workflow.roles import Role

PICK_LIMIT = 8  # candidates offered as buttons; past it the person types more
LIST_LIMIT = 20  # orders in one /orders answer
MIN_NAME = 2  # one character of a name matches too much to mean anything

# Last digits, as said aloud: "003", "1203-003".
_SUFFIX = re.compile(r"^\d[\d-]{0,11}$")
# What follows a reference: the amount, date, reason or plan. Full-width separators count.
_SEPARATORS = " \t\u3000:：,，"


@dataclass(frozen=True)
class Found:
    """The orders a command's text may mean (one, or several to pick from), and its text
    after the reference."""

    orders: list[Order]
    rest: str
    reference: str  # what named them ("" when the context did)
    more: bool = False  # there were more than PICK_LIMIT


class NoOrder(DomainError):
    """Nothing open matches what was typed, and nothing in the context names an order."""

    def __init__(self, reference: str) -> None:
        super().__init__(Text("reference.none" if reference else "reference.none_given",
                              {"reference": reference}))
        self.reference = reference


@dataclass(frozen=True)
class Scope:
    """Whose open orders: registered by or with tasks for `person_id`, or with tasks of
    `roles`; neither means all."""

    person_id: int | None
    roles: tuple[Role, ...]


def person_scope(person: Person, is_admin: bool = False) -> Scope | None:
    """The orders a person is working on. Market follows the orders its rep registered, not
    every order with a market step; an administrator without a role sees them all."""
    roles = tuple(r for r in person.roles if r is not Role.MARKET)
    if not person.roles:
        return Scope(None, ()) if is_admin else None
    return Scope(person.id, roles)


def department_scope(department: Role) -> Scope:
    """A department's open orders: every one is market's; the others' are those they have
    open work on."""
    return Scope(None, ()) if department is Role.MARKET else Scope(None, (department,))


async def open_orders(ctx: Context, scope: Scope, limit: int = LIST_LIMIT) -> list[Order]:
    return await ctx.uow.orders.open_for(person_id=scope.person_id, roles=scope.roles,
                                         limit=limit)


def is_suffix(word: str) -> bool:
    """Whether a word reads as an order's last digits."""
    return _SUFFIX.match(word.strip(_SEPARATORS)) is not None


async def named(ctx: Context, word: str) -> list[Order]:
    """The open orders one word names: by last digits, or by customer or product."""
    word = word.strip(_SEPARATORS)
    if is_suffix(word):
        return await ctx.uow.orders.open_named(suffix=word, limit=PICK_LIMIT + 1)
    if len(word) < MIN_NAME:
        return []
    return await ctx.uow.orders.open_named(name=word, limit=PICK_LIMIT + 1)


async def resolve(ctx: Context, actor: Actor, text: str, *, replied: str | None = None,
                  takes_words: bool = True, archived_ok: bool = False) -> Found:
    """The order(s) a command's text means; `replied` is the number of the order the bot's
    message it replies to was about; `takes_words` says the command reads words after the
    order (an amount, a date, a reason).

    A whole number wins; then the message replied to (so that `/quote 42万` in reply to a
    card never reads 42万 as a name); then the first word as a reference; then the person's
    own open orders. A first word that matches nothing is refused rather than left to the
    person's orders when it can only have meant an order: digits, or any word given to a
    command that reads none. An archived order is named by its number or a reply alone, and
    only for a command that reads its record (`archived_ok`)."""
    text = text.strip(_SEPARATORS)
    whole = ORDER_NUMBER.search(text)
    if whole:
        order = await order_by_number(ctx, text, archived_ok=archived_ok)
        return Found([order], text[whole.end():].strip(_SEPARATORS), whole[0].upper())
    if replied:
        about = await ctx.uow.orders.by_number(replied)
        if about is not None:
            if not archived_ok:
                refuse_archived(about)
            return Found([about], text, "")
    # The words after the reference keep their lines: a plan is one task a line.
    first, after = (text.split(maxsplit=1) + ["", ""])[:2]
    if first:
        candidates = await named(ctx, first)
        if candidates:
            return _found(candidates, after.strip(_SEPARATORS), first)
        if is_suffix(first) or not takes_words:
            raise NoOrder(first)
    scope = person_scope(actor.person, actor.is_admin)
    mine = await open_orders(ctx, scope, PICK_LIMIT + 1) if scope and scope.person_id else []
    if not mine:
        raise NoOrder(first)
    return _found(mine, text, "")


def _found(candidates: list[Order], rest: str, reference: str) -> Found:
    return Found(candidates[:PICK_LIMIT], rest, reference, more=len(candidates) > PICK_LIMIT)


def next_deadlines(tasks: list[Task]) -> dict[int, datetime]:
    """Each order's earliest deadline among its open tasks."""
    due: dict[int, datetime] = {}
    for task in tasks:
        if task.status in OPEN_TASK_STATUSES and task.due_at is not None:
            known = due.get(task.order_id)
            due[task.order_id] = task.due_at if known is None else min(known, task.due_at)
    return due


async def ask_which(ctx: Context, actor: Actor, question: str, command: str, found: Found
                    ) -> None:
    """Keep what the person asked in the audit trail, where the order they pick finds it:
    a button's data cannot carry their words (64 ASCII bytes)."""
    await ctx.audit(actor, "command.which_order", "command", question,
                    after={"command": command, "rest": found.rest,
                           "orders": [o.number for o in found.orders]})


async def take_pick(ctx: Context, actor: Actor, question: str, order: Order
                    ) -> tuple[str, str]:
    """The command and words asked about, for the order picked: by the person who asked,
    once, and only among the orders offered."""
    events = await ctx.uow.audit.for_subject("command", question)
    asked = next((e for e in events if e.action == "command.which_order"), None)
    if asked is None or not asked.after or order.number not in asked.after["orders"]:
        raise DomainError(Text("error.stale_button"))
    if asked.actor_id != actor.person.id:
        raise DomainError(Text("reference.not_yours"))
    if any(e.action == "command.order_picked" for e in events):
        raise DomainError(Text("reference.already_picked"))
    await ctx.audit(actor, "command.order_picked", "command", question,
                    after={"order": order.number})
    return str(asked.after["command"]), str(asked.after["rest"])
