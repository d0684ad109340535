"""The archive (订单按时间顺序归档): an ended order leaves the working lists and the digest once
nothing has happened to it for the policy's `orders.archive_after`; from then on it is read-only
and found with /find by customer, product, number or period, with its whole record."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date
from zoneinfo import ZoneInfo

from workflow.context import Context
from workflow.errors import DomainError
from workflow.evaluation import parse_period
from workflow.model import OPEN_TASK_STATUSES, Order, OrderSearch, Text
from workflow.parsing.plans import ORDER_NUMBER

ARCHIVED = "order.archive"
# A list longer than this is no answer: the reader narrows it with another word or a month.
FOUND_SHOWN = 10
MAX_FIND_CHARS = 200
_NUMBER_START = re.compile(r"^so-", re.IGNORECASE)


@dataclass(frozen=True)
class ArchivePass:
    archived: list[Order]
    last_id: int | None  # the last order looked at; None when there were none left


async def archive_ended(ctx: Context, after_id: int = 0, batch: int | None = None
                        ) -> ArchivePass:
    """Archive each ended order whose last event is older than the policy's period, of the
    `batch` candidates after `after_id`. An order with a task still open (an after-sales
    ticket on a closed order) is still being worked on and stays."""
    cutoff = ctx.now - ctx.policy.archive_after
    archived = []
    candidates = await ctx.uow.orders.ended_live(after_id, batch)
    for order in candidates:
        if order.created_at > cutoff:
            continue
        tasks = await ctx.uow.tasks.for_order(order.id or 0)
        if any(t.status in OPEN_TASK_STATUSES for t in tasks):
            continue
        events = await ctx.uow.audit.for_subject("order", order.number)
        if max((e.at for e in events), default=order.created_at) > cutoff:
            continue
        if not await ctx.uow.orders.archive(order.id or 0, ctx.now):
            continue
        await ctx.audit(None, ARCHIVED, "order", order.number, None,
                        {"status": order.status.value, "archived_at": ctx.now.isoformat()})
        order.archived_at = ctx.now
        archived.append(order)
    return ArchivePass(archived, candidates[-1].id if candidates else None)


def read_search(text: str, today: date, tz: ZoneInfo) -> OrderSearch:
    """/find's words: a period (2026-11, 11月, 上月, 12-01..12-15) at most once, every other
    word looked for in the number, customer, product and model."""
    text = text.strip()
    if not text:
        raise DomainError(Text("find.empty"))
    if len(text) > MAX_FIND_CHARS:
        raise DomainError(Text("find.too_long", {"limit": MAX_FIND_CHARS}))
    words: list[str] = []
    period = None
    for word in text.split():
        found = None if ORDER_NUMBER.search(word) else parse_period(word, today)
        if found is not None:
            if period is not None:
                raise DomainError(Text("find.two_periods", {"text": text}))
            period = found
            continue
        words.append(word.upper() if _NUMBER_START.match(word) else word)
    if period is None:
        return OrderSearch(tuple(words))
    start, end = period.bounds(tz)
    return OrderSearch(tuple(words), start, end)


@dataclass(frozen=True)
class Found:
    orders: list[Order]
    total: int


async def find(ctx: Context, text: str) -> Found:
    search = read_search(text, ctx.now.astimezone(ctx.tz).date(), ctx.tz)
    orders, total = await ctx.uow.orders.search(search, FOUND_SHOWN)
    return Found(orders, total)
