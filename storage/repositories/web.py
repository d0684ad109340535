"""Web tokens (tracking links, login links, sessions) and the desk's reads."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import datetime

from sqlalchemy import or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OrderRow, TaskRow, WebTokenRow
from storage.repositories.orders import OrderRepository
from storage.repositories.tasks import TaskRepository
from workflow.model import (
    OPEN_TASK_STATUSES,
    UNDER_WAY_STATUSES,
    Order,
    OrderStatus,
    Task,
    TokenKind,
    WebToken,
)


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


class DeskQueries:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def live_orders(self, customer: str | None, status: OrderStatus | None
                          ) -> list[Order]:
        statuses = [status.value] if status else [s.value for s in UNDER_WAY_STATUSES]
        query = select(OrderRow).where(OrderRow.status.in_(statuses))
        if customer:
            query = query.where(OrderRow.customer == customer)
        rows = await self.session.scalars(query.order_by(OrderRow.due_date, OrderRow.id))
        return [OrderRepository._domain(row) for row in rows]

    async def open_tasks_of(self, order_ids: Sequence[int]) -> list[Task]:
        found: list[Task] = []
        ids = list(order_ids)
        # Chunked: a bound parameter list has a limit on both databases.
        for start in range(0, len(ids), 500):
            rows = await self.session.scalars(
                select(TaskRow).where(TaskRow.order_id.in_(ids[start:start + 500]),
                                      TaskRow.status.in_([s.value for s in OPEN_TASK_STATUSES]))
                .order_by(TaskRow.due_at, TaskRow.id))
            found += [TaskRepository._domain(row) for row in rows]
        return found

    async def search(self, text: str, limit: int) -> list[Order]:
        # LIKE's wildcards in what a person typed are taken as nothing, not as patterns.
        words = text.replace("\\", "").replace("%", "").replace("_", "")
        pattern = f"%{words}%"
        rows = await self.session.scalars(
            select(OrderRow).where(or_(OrderRow.number.ilike(pattern),
                                       OrderRow.customer.ilike(pattern),
                                       OrderRow.product.ilike(pattern)))
            .order_by(OrderRow.id.desc()).limit(limit))
        return [OrderRepository._domain(row) for row in rows]
