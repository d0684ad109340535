"""Web tokens (tracking links, login links, sessions) and the desk's reads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import func, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OPEN_TASKS, UNDER_WAY, OrderRow, TaskRow, WebTokenRow
from workflow.model import (
    OPEN_TASK_STATUSES,
    UNDER_WAY_STATUSES,
    Order,
    OrderStatus,
    Task,
    TaskKind,
    TaskStatus,
    TokenKind,
    WebToken,
)
from workflow.roles import Role


class WebTokenRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @staticmethod
    def _domain(row: WebTokenRow) -> WebToken:
        return WebToken(row.id, TokenKind(row.kind), row.token_hash, row.created_at,
                        row.order_id, row.person_id, row.expires_at, row.used_at,
                        row.revoked_at)

    async def add(self, token: WebToken) -> WebToken:
        row = WebTokenRow(kind=token.kind.value, token_hash=token.token_hash,
                          order_id=token.order_id, person_id=token.person_id,
                          created_at=token.created_at, expires_at=token.expires_at)
        self.session.add(row)
        await self.session.flush()
        return self._domain(row)

    async def by_hash(self, token_hash: str) -> WebToken | None:
        row = await self.session.scalar(
            select(WebTokenRow).where(WebTokenRow.token_hash == token_hash))
        return self._domain(row) if row else None

    async def use(self, token_id: int, at: datetime) -> bool:
        """Spend a single-use token; False when it was spent already (two clicks racing)."""
        result = await self.session.execute(
            update(WebTokenRow).where(WebTokenRow.id == token_id, WebTokenRow.used_at.is_(None))
            .values(used_at=at))
        return result.rowcount == 1

    async def revoke(self, token_id: int, at: datetime) -> bool:
        result = await self.session.execute(
            update(WebTokenRow)
            .where(WebTokenRow.id == token_id, WebTokenRow.revoked_at.is_(None))
            .values(revoked_at=at))
        return result.rowcount == 1

    async def revoke_for_order(self, order_id: int, at: datetime) -> int:
        result = await self.session.execute(
            update(WebTokenRow)
            .where(WebTokenRow.order_id == order_id, WebTokenRow.kind == TokenKind.TRACK.value,
                   WebTokenRow.revoked_at.is_(None))
            .values(revoked_at=at))
        return result.rowcount or 0


# The desk lists a thousand live orders with their open tasks on every view: rows are read as
# plain tuples of the columns it shows, since building ORM objects cost ten times the query.
_STATUSES = {s.value: s for s in OrderStatus}
_KINDS = {k.value: k for k in TaskKind}
_ROLES = {r.value: r for r in Role}
_TASK_STATUSES = {s.value: s for s in TaskStatus}
_ORDER_COLUMNS = (OrderRow.id, OrderRow.number, OrderRow.status, OrderRow.customer,
                  OrderRow.product, OrderRow.quantity, OrderRow.due_date, OrderRow.created_by,
                  OrderRow.created_at, OrderRow.chat_id, OrderRow.model, OrderRow.unit)
_TASK_COLUMNS = (TaskRow.id, TaskRow.order_id, TaskRow.kind, TaskRow.role, TaskRow.status,
                 TaskRow.due_at, TaskRow.created_at, TaskRow.assignee_id, TaskRow.title)


def _order(row: Any) -> Order:
    (id_, number, status, customer, product, quantity, due_date, created_by, created_at,
     chat_id, model, unit) = row
    return Order(id_, number, _STATUSES[status], customer, product, quantity, due_date,
                 created_by, created_at, chat_id, model=model, unit=unit)


def _task(row: Any) -> Task:
    id_, order_id, kind, role, status, due_at, created_at, assignee_id, title = row
    return Task(id_, order_id, _KINDS[kind], _ROLES[role], _TASK_STATUSES[status], due_at,
                created_at, assignee_id=assignee_id, title=title)


class DeskQueries:
    """The desk's reads. Orders come without their facts, notes or prices: a list shows none."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @staticmethod
    def _live(query: Any, customer: str | None, status: OrderStatus | None) -> Any:
        statuses = [status.value] if status else [s.value for s in UNDER_WAY_STATUSES]
        query = query.where(OrderRow.status.in_(statuses))
        return query.where(OrderRow.customer == customer) if customer else query

    async def live_orders(self, customer: str | None, status: OrderStatus | None
                          ) -> list[Order]:
        if status is None:  # through the partial index of live orders
            query = select(*_ORDER_COLUMNS).where(UNDER_WAY)
            query = query.where(OrderRow.customer == customer) if customer else query
        else:
            query = self._live(select(*_ORDER_COLUMNS), customer, status)
        result = await self.session.execute(query.order_by(OrderRow.due_date, OrderRow.id))
        return [_order(row) for row in result]

    async def live_open_tasks(self, customer: str | None, status: OrderStatus | None,
                              role: Role | None = None) -> list[Task]:
        """For each order `live_orders` lists, its most pressing open task (of `role` if
        given): the earliest due, else the oldest. One join: a list of a thousand order ids
        bound as parameters, or every open task turned into an object, costs more."""
        pressing = func.row_number().over(
            partition_by=TaskRow.order_id,
            order_by=(TaskRow.due_at.is_(None), TaskRow.due_at, TaskRow.id)).label("pressing")
        owed = select(*_TASK_COLUMNS, pressing).where(OPEN_TASKS)
        if role is not None:
            owed = owed.where(TaskRow.role == role.value)
        first = owed.subquery()
        columns = [first.c[column.key] for column in _TASK_COLUMNS]
        query = self._live(select(*columns).join(OrderRow, OrderRow.id == first.c.order_id)
                           .where(first.c.pressing == 1), customer, status)
        result = await self.session.execute(query)
        return [_task(row) for row in result]

    async def open_tasks_of(self, order_ids: Sequence[int]) -> list[Task]:
        found: list[Task] = []
        ids = list(order_ids)
        # Chunked: a bound parameter list has a limit on both databases.
        for start in range(0, len(ids), 500):
            result = await self.session.execute(
                select(*_TASK_COLUMNS)
                .where(TaskRow.order_id.in_(ids[start:start + 500]),
                       TaskRow.status.in_([s.value for s in OPEN_TASK_STATUSES]))
                .order_by(TaskRow.due_at.nulls_last(), TaskRow.id))
            found += [_task(row) for row in result]
        return found

    async def search(self, text: str, limit: int) -> list[Order]:
        # LIKE's wildcards in what a person typed are taken as nothing, not as patterns.
        words = text.replace("\\", "").replace("%", "").replace("_", "")
        pattern = f"%{words}%"
        result = await self.session.execute(
            select(*_ORDER_COLUMNS).where(or_(OrderRow.number.ilike(pattern),
                                              OrderRow.customer.ilike(pattern),
                                              OrderRow.product.ilike(pattern)))
            .order_by(OrderRow.id.desc()).limit(limit))
        return [_order(row) for row in result]
