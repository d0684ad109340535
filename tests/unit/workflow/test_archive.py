"""workflow/archive.py: ended orders leave the working lists in passes of a few at a time."""

from __future__ import annotations

from datetime import date, timedelta

from tests.unit.workflow.fakes import NOW
from tests.unit.workflow.journey import Company
from workflow import archive
from workflow.model import Order, OrderStatus


async def _ended(c: Company, number: int, days_ago: int) -> Order:
    order = Order(None, f"SO-20261001-{number:03d}", OrderStatus.CLOSED, "华东电力", "开关柜",
                  1, date(2026, 10, 30), 1, NOW - timedelta(days=days_ago), -1)
    return await c.world.uow.orders.add(order)


async def test_the_archive_goes_through_the_candidates_a_batch_at_a_time(c: Company) -> None:
    old, recent, older = (await _ended(c, 1, 40), await _ended(c, 2, 3),
                          await _ended(c, 3, 50))
    first = await archive.archive_ended(c.world.ctx, 0, batch=2)
    # The recent order is looked at and left; the pass goes on after it.
    assert [o.id for o in first.archived] == [old.id] and first.last_id == recent.id
    second = await archive.archive_ended(c.world.ctx, first.last_id or 0, batch=2)
    assert [o.id for o in second.archived] == [older.id] and second.last_id == older.id
    last = await archive.archive_ended(c.world.ctx, second.last_id or 0, batch=2)
    assert last == archive.ArchivePass([], None)
    assert c.world.order(recent).archived_at is None
    assert c.world.order(old).archived_at == c.world.order(older).archived_at == NOW
    assert len(c.world.events(archive.ARCHIVED)) == 2
