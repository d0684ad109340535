"""Chats: the department a group is bound to, its language, whether the bot is in it."""

from __future__ import annotations

import copy
from typing import Any

from sqlalchemy import bindparam, select, update
from sqlalchemy.dialects.postgresql import insert as insert_or_leave
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChangeNoticeRow, ChatRow, OrderDraftRow, OrderRow
from storage.prepared import prepared, write_behind
from workflow.model import Chat
from workflow.roles import Role

# Every turn reads its chat: built once (see people.py).
_chats = ChatRow.__table__
_CHAT_BY_ID = select(_chats).where(_chats.c.id == bindparam("chat_id"))
# Two turns may each see a chat first (a group's migration, told in the old chat, and the
# first message in the new one, handled side by side): as with people, the second to write
# leaves the first's row.
_INSERT_CHAT = insert_or_leave(_chats).on_conflict_do_nothing()
_RETITLE_CHAT = (update(_chats).where(_chats.c.id == bindparam("chat_id"))
                 .values(title=bindparam("title")))
# Binding a group and choosing its language are how a company sets the bot up.
_BIND = prepared(update(_chats).where(_chats.c.id == bindparam("chat_id"))
                 .values(department=bindparam("department")))
_SET_LOCALE = prepared(update(_chats).where(_chats.c.id == bindparam("chat_id"))
                       .values(locale=bindparam("locale")))


class ChatRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        # Chats read or written in this unit of work, as they are in it now: the turn reads
        # its chat first, and services asking for it again need not go back to the database.
        self._known: dict[int, Chat] = {}

    def remember(self, chat: Chat) -> None:
        self._known[chat.id] = copy.copy(chat)

    def forget(self, chat_id: int | None = None) -> None:
        """A chat changed (or, with no id, the transaction was rolled back)."""
        if chat_id is None:
            self._known.clear()
        else:
            self._known.pop(chat_id, None)

    @staticmethod
    def _domain(row: Any) -> Chat:
        return Chat(
            id=row.id,
            title=row.title,
            department=Role(row.department) if row.department else None,
            locale=row.locale,
            active=row.active,
        )

    async def get(self, chat_id: int) -> Chat | None:
        known = self._known.get(chat_id)
        if known is not None:
            return copy.copy(known)
        row = (await self.session.execute(_CHAT_BY_ID, {"chat_id": chat_id})).first()
        if row is None:
            return None
        chat = self._domain(row)
        self.remember(chat)
        return chat

    async def upsert(self, chat_id: int, title: str | None) -> Chat:
        chat = await self.get(chat_id)
        if chat is None:
            await self.session.execute(_INSERT_CHAT, {"id": chat_id, "title": title})
            chat = Chat(chat_id, title)
        elif title and chat.title != title:
            await self.session.execute(_RETITLE_CHAT, {"chat_id": chat_id, "title": title})
            chat.title = title
        self.remember(chat)
        return chat

    async def bind(self, chat_id: int, department: Role | None) -> None:
        self.forget(chat_id)
        await write_behind(self.session, _BIND, {
            "chat_id": chat_id, "department": department.value if department else None})

    async def set_locale(self, chat_id: int, locale: str | None) -> None:
        self.forget(chat_id)
        await write_behind(self.session, _SET_LOCALE, {"chat_id": chat_id, "locale": locale})

    async def of_department(self, department: Role, *, active_only: bool = True) -> list[Chat]:
        query = select(_chats).where(_chats.c.department == department.value)
        if active_only:
            query = query.where(_chats.c.active.is_(True))
        rows = await self.session.execute(query.order_by(_chats.c.id))
        return [self._domain(row) for row in rows]

    async def groups(self) -> list[Chat]:
        rows = await self.session.execute(
            select(_chats).where(_chats.c.id < 0, _chats.c.active.is_(True)).order_by(_chats.c.id))
        return [self._domain(row) for row in rows]

    async def set_active(self, chat_id: int, active: bool) -> bool:
        """True when it changed."""
        self.forget(chat_id)
        result = await self.session.execute(
            update(_chats).where(_chats.c.id == chat_id, _chats.c.active.is_not(active))
            .values(active=active))
        return result.rowcount == 1

    async def migrate(self, old: int, new: int) -> Chat | None:
        """The group became a supergroup: its binding and language move to the new id. Told
        twice (Telegram says it in both chats), it moves once."""
        self.forget()
        before = await self.get(old)
        moved = await self.session.scalar(select(_chats.c.migrated_to).where(_chats.c.id == old))
        if before is None or moved is not None:
            return None
        if await self.get(new) is None:
            await self.session.execute(_INSERT_CHAT, {"id": new, "title": before.title})
        await self.session.execute(
            update(_chats).where(_chats.c.id == new)
            .values(department=before.department.value if before.department else None,
                    locale=before.locale, active=True))
        await self.session.execute(
            update(_chats).where(_chats.c.id == old)
            .values(department=None, active=False, migrated_to=new))
        # Orders answer in the chat they were taken in; drafts and notices belong to theirs.
        for table in (OrderRow.__table__, OrderDraftRow.__table__, ChangeNoticeRow.__table__):
            await self.session.execute(
                update(table).where(table.c.chat_id == old).values(chat_id=new))
        self.forget()
        return before
