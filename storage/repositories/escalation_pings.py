"""Escalation pings: which escalations each person got, or has waiting for their digest."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, datetime

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import EscalationPingRow
from workflow.model import EscalationPing


class EscalationPingRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @staticmethod
    def _domain(row: EscalationPingRow) -> EscalationPing:
        return EscalationPing(row.id, row.person_id, row.order_id, row.step, row.day,
                              list(row.task_ids), row.folded, row.at, row.listed_at)

    async def on_day(self, person_id: int, day: date) -> list[EscalationPing]:
        rows = await self.session.scalars(
            select(EscalationPingRow)
            .where(EscalationPingRow.person_id == person_id, EscalationPingRow.day == day)
            .order_by(EscalationPingRow.id))
        return [self._domain(row) for row in rows]

    async def add(self, ping: EscalationPing) -> EscalationPing:
        row = EscalationPingRow(person_id=ping.person_id, order_id=ping.order_id, step=ping.step,
                                day=ping.day, task_ids=list(ping.task_ids), folded=ping.folded,
                                at=ping.at, listed_at=ping.listed_at)
        self.session.add(row)
        await self.session.flush()
        ping.id = row.id
        return ping

    async def folded_unlisted(self) -> list[EscalationPing]:
        rows = await self.session.scalars(
            select(EscalationPingRow)
            .where(EscalationPingRow.listed_at.is_(None), EscalationPingRow.folded.is_(True))
            .order_by(EscalationPingRow.person_id, EscalationPingRow.id))
        return [self._domain(row) for row in rows]

    async def mark_listed(self, ping_ids: Sequence[int], at: datetime) -> None:
        if ping_ids:
            await self.session.execute(update(EscalationPingRow)
                                       .where(EscalationPingRow.id.in_(list(ping_ids)))
                                       .values(listed_at=at))
