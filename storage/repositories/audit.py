"""The audit trail: rows are inserted, never updated or deleted."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import AuditEventRow
from storage.prepared import prepared, write_behind
from workflow.model import AuditEvent

# Most turns append to the trail: built once (see people.py).
_INSERT_AUDIT = prepared(insert(AuditEventRow.__table__))


class AuditLog:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def append(
        self,
        *,
        at: datetime,
        actor_id: int | None,
        action: str,
        subject_type: str,
        subject_id: str | int,
        before: dict[str, Any] | None = None,
        after: dict[str, Any] | None = None,
    ) -> None:
        # A plain INSERT, sent with the next statement: nothing in the turn reads it back, and
        # the ORM's flush machinery costs more than the statement itself on every turn.
        await write_behind(self.session, _INSERT_AUDIT, {
            "at": at, "actor_id": actor_id, "action": action, "subject_type": subject_type,
            "subject_id": str(subject_id), "before": before, "after": after})

    async def count(self) -> int:
        return await self.session.scalar(select(func.count()).select_from(AuditEventRow)) or 0

    async def exists(self, action: str, subject_type: str, subject_id: str | int) -> bool:
        return await self.session.scalar(
            select(AuditEventRow.id).where(
                AuditEventRow.action == action,
                AuditEventRow.subject_type == subject_type,
                AuditEventRow.subject_id == str(subject_id),
            ).limit(1)
        ) is not None

    async def for_subject(self, subject_type: str, subject_id: str | int) -> list[AuditEvent]:
        rows = await self.session.scalars(
            select(AuditEventRow)
            .where(
                AuditEventRow.subject_type == subject_type,
                AuditEventRow.subject_id == str(subject_id),
            )
            .order_by(AuditEventRow.id)
        )
        return [AuditEvent(r.id, r.at, r.actor_id, r.action, r.subject_type, r.subject_id,
                           r.before, r.after) for r in rows]
