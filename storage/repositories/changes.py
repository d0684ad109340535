"""Change notices (合同订单更改通知单)."""

from __future__ import annotations

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChangeNoticeRow
from workflow.model import ChangeNotice, ChangeStatus


class ChangeNoticeRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @staticmethod
    def _domain(row: ChangeNoticeRow) -> ChangeNotice:
        return ChangeNotice(row.id, row.number, row.order_id, ChangeStatus(row.status),
                            dict(row.changes), row.level, row.created_by, row.created_at,
                            row.chat_id, dict(row.facts or {}))

    async def add(self, notice: ChangeNotice) -> ChangeNotice:
        row = ChangeNoticeRow(number=notice.number, order_id=notice.order_id,
                              status=notice.status.value, changes=notice.changes,
                              level=notice.level, facts=notice.facts, chat_id=notice.chat_id,
                              created_by=notice.created_by, created_at=notice.created_at)
        self.session.add(row)
        await self.session.flush()
        notice.id = row.id
        return notice

    async def get(self, notice_id: int) -> ChangeNotice | None:
        row = await self.session.get(ChangeNoticeRow, notice_id)
        return self._domain(row) if row else None

    async def save(self, notice: ChangeNotice) -> None:
        await self.session.execute(
            update(ChangeNoticeRow).where(ChangeNoticeRow.id == notice.id).values(
                number=notice.number, order_id=notice.order_id, status=notice.status.value,
                changes=dict(notice.changes), level=notice.level, facts=dict(notice.facts)))

    async def count_for(self, order_id: int) -> int:
        return await self.session.scalar(
            select(func.count()).select_from(ChangeNoticeRow)
            .where(ChangeNoticeRow.order_id == order_id, ChangeNoticeRow.number.is_not(None))
        ) or 0

    async def by_number(self, number: str) -> ChangeNotice | None:
        row = await self.session.scalar(
            select(ChangeNoticeRow).where(ChangeNoticeRow.number == number))
        return self._domain(row) if row else None

    async def all(self) -> list[ChangeNotice]:
        rows = await self.session.scalars(select(ChangeNoticeRow).order_by(ChangeNoticeRow.id))
        return [self._domain(row) for row in rows]

    async def for_order(self, order_id: int) -> list[ChangeNotice]:
        rows = await self.session.scalars(
            select(ChangeNoticeRow).where(ChangeNoticeRow.order_id == order_id).order_by(ChangeNoticeRow.id))
        return [self._domain(row) for row in rows]
