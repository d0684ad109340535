"""The start of every turn: claim the update, read the sender with their roles and the chat.

Each turn needs all three before anything else, so they are asked for together: one statement
for the sender, their roles and the chat (an outer join from a one-row anchor, so a missing
person or chat still gives a row), and on PostgreSQL the claim of the update in the same
statement (a data-modifying WITH, which SQLite does not have). A person or chat seen for the
first time, or renamed, is written as `PeopleRepository.upsert` and `ChatRepository.upsert` do.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import bindparam, func, literal_column, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChatRow, PersonRow, RoleGrantRow
from storage.prepared import prepared
from storage.repositories.chats import _INSERT_CHAT, _RETITLE_CHAT, ChatRepository
from storage.repositories.inbox import _CLAIM, _inbox
from storage.repositories.people import _INSERT_PERSON, _RENAME_PERSON
from workflow.model import Chat, Person
from workflow.roles import Role

_people, _grants, _chats = PersonRow.__table__, RoleGrantRow.__table__, ChatRow.__table__

_anchor = select(literal_column("1").label("one")).subquery("anchor")
_COLUMNS = (
    _people.c.id.label("person_id"), _people.c.name, _people.c.username,
    _people.c.locale.label("person_locale"), _people.c.unreachable_since,
    _grants.c.role, _grants.c.leader,
    _chats.c.id.label("chat_id"), _chats.c.title, _chats.c.department,
    _chats.c.locale.label("chat_locale"), _chats.c.active,
)
_FROM = (_anchor
         .outerjoin(_people, _people.c.id == bindparam("person_id"))
         .outerjoin(_grants, _grants.c.person_id == _people.c.id)
         .outerjoin(_chats, _chats.c.id == bindparam("chat_id")))
# Built once: every turn runs it (see people.py).
_SENDER_AND_CHAT = prepared(select(*_COLUMNS).select_from(_FROM).order_by(_grants.c.role))
_claimed = _CLAIM.returning(_inbox.c.update_id).cte("claimed")
_CLAIM_SENDER_AND_CHAT = prepared(
    select(select(func.count()).select_from(_claimed).scalar_subquery().label("claimed"),
           *_COLUMNS)
    .select_from(_FROM).order_by(_grants.c.role))


class TurnStart:
    def __init__(self, session: AsyncSession, chats: ChatRepository) -> None:
        self.session = session
        self.chats = chats

    async def begin(self, update_id: int, now: Any, person_id: int, name: str,
                    username: str | None, chat_id: int, title: str | None
                    ) -> tuple[Person, Chat] | None:
        """Mark the update handled and give its sender and chat (written when new or renamed);
        None when the update was handled before."""
        params = {"handled_id": update_id, "at": now, "person_id": person_id,
                  "chat_id": chat_id}
        if self.session.get_bind().dialect.name == "postgresql":
            rows = (await self.session.execute(_CLAIM_SENDER_AND_CHAT, params)).all()
            if not rows[0].claimed:
                return None
        else:
            claimed = await self.session.execute(_CLAIM, params)
            if claimed.rowcount != 1:
                return None
            rows = (await self.session.execute(_SENDER_AND_CHAT, params)).all()
        person = await self._person(rows, person_id, name, username)
        chat = await self._chat(rows[0], chat_id, title)
        self.chats.remember(chat)
        return person, chat

    async def _person(self, rows: list[Any], person_id: int, name: str,
                      username: str | None) -> Person:
        first = rows[0]
        if first.person_id is None:
            await self.session.execute(
                _INSERT_PERSON, {"id": person_id, "name": name, "username": username})
            return Person(person_id, name, username)
        person = Person(person_id, first.name, first.username, first.person_locale,
                        unreachable_since=first.unreachable_since)
        for row in rows:
            if row.role is not None:
                person.roles[Role(row.role)] = row.leader
        if (person.name, person.username) != (name, username):
            await self.session.execute(
                _RENAME_PERSON, {"person_id": person_id, "name": name, "username": username})
            person.name, person.username = name, username
        return person

    async def _chat(self, row: Any, chat_id: int, title: str | None) -> Chat:
        if row.chat_id is None:
            await self.session.execute(_INSERT_CHAT, {"id": chat_id, "title": title})
            return Chat(chat_id, title)
        chat = Chat(chat_id, row.title, Role(row.department) if row.department else None,
                    row.chat_locale, row.active)
        if title and chat.title != title:
            await self.session.execute(_RETITLE_CHAT, {"chat_id": chat_id, "title": title})
            chat.title = title
        return chat
