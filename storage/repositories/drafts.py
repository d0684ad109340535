"""Order drafts waiting for their author's confirmation."""

from __future__ import annotations

from sqlalchemy import ColumnElement, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import OrderDraftRow
from workflow.model import DraftStatus, OrderDraft


class DraftRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    @staticmethod
    def _domain(row: OrderDraftRow) -> OrderDraft:
        return OrderDraft(
            id=row.id,
            chat_id=row.chat_id,
            author_id=row.author_id,
            fields=dict(row.fields),
            created_at=row.created_at,
            status=DraftStatus(row.status),
            asking=row.asking,
        )

    async def add(self, draft: OrderDraft) -> OrderDraft:
        row = OrderDraftRow(
            chat_id=draft.chat_id,
            author_id=draft.author_id,
            fields=draft.fields,
            status=draft.status.value,
            asking=draft.asking,
            created_at=draft.created_at,
        )
        self.session.add(row)
        await self.session.flush()
        draft.id = row.id
        return draft

    async def get(self, draft_id: int) -> OrderDraft | None:
        row = await self.session.get(OrderDraftRow, draft_id)
        return self._domain(row) if row else None

    async def save(self, draft: OrderDraft) -> None:
        await self.session.execute(
            update(OrderDraftRow)
            .where(OrderDraftRow.id == draft.id)
            .values(fields=draft.fields, status=draft.status.value, asking=draft.asking)
        )

    async def asking_in(self, chat_id: int, author_id: int) -> OrderDraft | None:
        """The newest pending draft of this person that waits for an answer."""
        return await self._newest_pending(chat_id, author_id, OrderDraftRow.asking.is_not(None))

    async def pending_in(self, chat_id: int, author_id: int) -> OrderDraft | None:
        """The newest pending draft of this person, asking or waiting for 确认."""
        return await self._newest_pending(chat_id, author_id)

    async def _newest_pending(self, chat_id: int, author_id: int,
                              *conditions: ColumnElement[bool]) -> OrderDraft | None:
        row = await self.session.scalar(
            select(OrderDraftRow)
            .where(
                OrderDraftRow.chat_id == chat_id,
                OrderDraftRow.author_id == author_id,
                OrderDraftRow.status == DraftStatus.PENDING.value,
                *conditions,
            )
            .order_by(OrderDraftRow.id.desc())
            .limit(1)
        )
        return self._domain(row) if row else None
