"""The evaluation's reads (`workflow.ports.Reports`): each touches one period's rows through an
index (audit_events.at, the audit subject index, tasks.due_at and tasks.created_at, the orders'
and change notices' numbers, primary keys), never a whole table."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import InstrumentedAttribute

from storage.models import (
    AuditEventRow,
    ChangeNoticeRow,
    OrderRow,
    PersonRow,
    TaskRow,
    UrgeSlipRow,
)
from storage.repositories.changes import ChangeNoticeRepository
from storage.repositories.orders import OrderRepository
from storage.repositories.tasks import TaskRepository
from storage.repositories.urge_slips import UrgeSlipRepository
from workflow.evaluation import Event
from workflow.model import ChangeNotice, Order, Task, UrgeSlip

# Few enough bound values per statement for every backend, however long the period.
CHUNK = 500
T = TypeVar("T")


def _chunks(values: Sequence[T]) -> Iterator[Sequence[T]]:
    for i in range(0, len(values), CHUNK):
        yield values[i:i + CHUNK]


def _event(row: AuditEventRow) -> Event:
    return Event(row.at, row.action, row.subject_type, row.subject_id, row.actor_id,
                 row.before, row.after)


class SqlReports:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def _keyed(self, column: InstrumentedAttribute[Any], keys: Sequence[Any],
                     *conditions: ColumnElement[bool]) -> list[Any]:
        """The rows of `column`'s table whose `column` is one of `keys`, oldest first."""
        rows: list[Any] = []
        for chunk in _chunks(keys):
            rows += await self.session.scalars(
                select(column.class_).where(column.in_(chunk), *conditions))
        return sorted(rows, key=lambda row: row.id)

    async def events(self, actions: Sequence[str], start: datetime, end: datetime
                     ) -> list[Event]:
        rows = await self.session.scalars(
            select(AuditEventRow)
            .where(AuditEventRow.at >= start, AuditEventRow.at < end,
                   AuditEventRow.action.in_(actions))
            .order_by(AuditEventRow.at, AuditEventRow.id))
        return [_event(row) for row in rows]

    async def events_of(self, subject_type: str, subject_ids: Sequence[str],
                        actions: Sequence[str] | None = None) -> list[Event]:
        """The subjects' events, oldest first; every action when `actions` is None."""
        chosen = () if actions is None else (AuditEventRow.action.in_(actions),)
        rows = await self._keyed(AuditEventRow.subject_id, subject_ids,
                                 AuditEventRow.subject_type == subject_type, *chosen)
        return [_event(row) for row in sorted(rows, key=lambda row: (row.at, row.id))]

    async def tasks_between(self, start: datetime, end: datetime) -> list[Task]:
        """Tasks due in the period or opened in it."""
        rows = await self.session.scalars(
            select(TaskRow).where(or_(and_(TaskRow.due_at >= start, TaskRow.due_at < end),
                                      and_(TaskRow.created_at >= start, TaskRow.created_at < end)))
            .order_by(TaskRow.id))
        return [TaskRepository._domain(row) for row in rows]

    async def tasks_by_id(self, task_ids: Sequence[int]) -> list[Task]:
        return [TaskRepository._domain(r) for r in await self._keyed(TaskRow.id, task_ids)]

    async def tasks_of_orders(self, order_ids: Sequence[int]) -> list[Task]:
        return [TaskRepository._domain(r) for r in await self._keyed(TaskRow.order_id, order_ids)]

    async def orders_by_number(self, numbers: Sequence[str]) -> list[Order]:
        return [OrderRepository._domain(r) for r in await self._keyed(OrderRow.number, numbers)]

    async def orders_by_id(self, order_ids: Sequence[int]) -> list[Order]:
        return [OrderRepository._domain(r) for r in await self._keyed(OrderRow.id, order_ids)]

    async def notices_by_number(self, numbers: Sequence[str]) -> list[ChangeNotice]:
        rows = await self._keyed(ChangeNoticeRow.number, numbers)
        return [ChangeNoticeRepository._domain(row) for row in rows]

    async def notices_of_orders(self, order_ids: Sequence[int]) -> list[ChangeNotice]:
        rows = await self._keyed(ChangeNoticeRow.order_id, order_ids,
                                 ChangeNoticeRow.number.is_not(None))
        return [ChangeNoticeRepository._domain(row) for row in rows]

    async def slips_of_orders(self, order_ids: Sequence[int]) -> list[UrgeSlip]:
        rows = await self._keyed(UrgeSlipRow.order_id, order_ids)
        return [UrgeSlipRepository._domain(row) for row in rows]

    async def names(self, person_ids: Sequence[int]) -> dict[int, str]:
        return {row.id: row.name for row in await self._keyed(PersonRow.id, person_ids)}
