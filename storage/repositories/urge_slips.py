"""Urge slips (催促单)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import UrgeSlipRow
from workflow.model import UrgeSlip, UrgeStatus


class UrgeSlipRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @staticmethod
    def _domain(row: UrgeSlipRow) -> UrgeSlip:
        return UrgeSlip(row.id, row.number, row.order_id, UrgeStatus(row.status), list(row.late),
                        row.note, row.created_by, row.created_at, row.sent_at)

    async def add(self, slip: UrgeSlip) -> UrgeSlip:
        row = UrgeSlipRow(number=slip.number, order_id=slip.order_id, status=slip.status.value,
                          late=slip.late, note=slip.note, created_by=slip.created_by,
                          created_at=slip.created_at, sent_at=slip.sent_at)
        self.session.add(row)
        await self.session.flush()
        slip.id = row.id
        return slip

    async def get(self, slip_id: int) -> UrgeSlip | None:
        row = await self.session.get(UrgeSlipRow, slip_id)
        return self._domain(row) if row else None

    async def count_for(self, order_id: int) -> int:
        return await self.session.scalar(
            select(func.count()).select_from(UrgeSlipRow).where(UrgeSlipRow.order_id == order_id)
        ) or 0

    async def settle(self, slip_id: int, status: UrgeStatus, at: datetime) -> bool:
        """Send or drop a draft; False when someone settled it first."""
        result = await self.session.execute(
            update(UrgeSlipRow)
            .where(UrgeSlipRow.id == slip_id, UrgeSlipRow.status == UrgeStatus.DRAFT.value)
            .values(status=status.value, sent_at=at if status is UrgeStatus.SENT else None)
        )
        return result.rowcount == 1

    async def all(self) -> list[UrgeSlip]:
        rows = await self.session.scalars(select(UrgeSlipRow).order_by(UrgeSlipRow.id))
        return [self._domain(row) for row in rows]

    async def for_order(self, order_id: int) -> list[UrgeSlip]:
        rows = await self.session.scalars(
            select(UrgeSlipRow).where(UrgeSlipRow.order_id == order_id).order_by(UrgeSlipRow.id))
        return [self._domain(row) for row in rows]
