"""The evaluation's reads (`workflow.ports.Reports`): each touches one period's rows through an
index (audit_events.at, the audit subject index, tasks.due_at and tasks.created_at, the orders'
and change notices' numbers, primary keys), never a whole table."""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import (
    AuditEventRow,
    ChangeNoticeRow,
    OrderRow,
    PersonRow,
    TaskRow,
    UrgeSlipRow,
)
from storage.repositories import (
    ChangeNoticeRepository,
    OrderRepository,
    TaskRepository,
    UrgeSlipRepository,
)
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

    async def _each_chunk(self, values: Sequence[Any], query: Any) -> list[Any]:
        """Rows of `query(chunk)` for every chunk of `values`, in order."""
        rows: list[Any] = []
        for chunk in _chunks(values):
            rows += list(await self.session.scalars(query(chunk)))
        return rows

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

        def query(chunk: Sequence[str]) -> Select[Any]:
            found = select(AuditEventRow).where(AuditEventRow.subject_type == subject_type,
                                                AuditEventRow.subject_id.in_(chunk))
            return found if actions is None else found.where(AuditEventRow.action.in_(actions))

        rows = await self._each_chunk(subject_ids, query)
        return [_event(row) for row in sorted(rows, key=lambda row: (row.at, row.id))]

    async def tasks_between(self, start: datetime, end: datetime) -> list[Task]:
        """Tasks due in the period or opened in it."""
        rows = await self.session.scalars(
            select(TaskRow).where(or_(and_(TaskRow.due_at >= start, TaskRow.due_at < end),
                                      and_(TaskRow.created_at >= start, TaskRow.created_at < end)))
            .order_by(TaskRow.id))
        return [TaskRepository._domain(row) for row in rows]

    async def tasks_by_id(self, task_ids: Sequence[int]) -> list[Task]:
        rows = await self._each_chunk(task_ids, lambda chunk: select(TaskRow).where(
            TaskRow.id.in_(chunk)))
        return [TaskRepository._domain(row) for row in rows]

    async def tasks_of_orders(self, order_ids: Sequence[int]) -> list[Task]:
        rows = await self._each_chunk(order_ids, lambda chunk: select(TaskRow).where(
            TaskRow.order_id.in_(chunk)).order_by(TaskRow.id))
        return [TaskRepository._domain(row) for row in rows]

    async def orders_by_number(self, numbers: Sequence[str]) -> list[Order]:
        rows = await self._each_chunk(numbers, lambda chunk: select(OrderRow).where(
            OrderRow.number.in_(chunk)))
        return [OrderRepository._domain(row) for row in rows]

    async def orders_by_id(self, order_ids: Sequence[int]) -> list[Order]:
        rows = await self._each_chunk(order_ids, lambda chunk: select(OrderRow).where(
            OrderRow.id.in_(chunk)))
        return [OrderRepository._domain(row) for row in rows]

    async def notices_by_number(self, numbers: Sequence[str]) -> list[ChangeNotice]:
        rows = await self._each_chunk(numbers, lambda chunk: select(ChangeNoticeRow).where(
            ChangeNoticeRow.number.in_(chunk)))
        return [ChangeNoticeRepository._domain(row) for row in rows]

    async def notices_of_orders(self, order_ids: Sequence[int]) -> list[ChangeNotice]:
        rows = await self._each_chunk(order_ids, lambda chunk: select(ChangeNoticeRow).where(
            ChangeNoticeRow.order_id.in_(chunk), ChangeNoticeRow.number.is_not(None)
        ).order_by(ChangeNoticeRow.id))
        return [ChangeNoticeRepository._domain(row) for row in rows]

    async def slips_of_orders(self, order_ids: Sequence[int]) -> list[UrgeSlip]:
        rows = await self._each_chunk(order_ids, lambda chunk: select(UrgeSlipRow).where(
            UrgeSlipRow.order_id.in_(chunk)).order_by(UrgeSlipRow.id))
        return [UrgeSlipRepository._domain(row) for row in rows]

    async def names(self, person_ids: Sequence[int]) -> dict[int, str]:
        rows = await self._each_chunk(person_ids, lambda chunk: select(PersonRow).where(
            PersonRow.id.in_(chunk)))
        return {row.id: row.name for row in rows}
