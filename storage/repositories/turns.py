"""The start of every turn: claim the update, read the sender with their roles and the chat.

Each turn needs all three before anything else, so they are asked for together: one statement
for the sender, their roles and the chat (an outer join from a one-row anchor, so a missing
person or chat still gives a row). A person or chat seen for the first time, or renamed, is
written as `PeopleRepository.upsert` and `ChatRepository.upsert` do.

On SQLite the update is claimed (marked handled) in the turn's transaction. On PostgreSQL,
where BEGIN and COMMIT are a round trip each, the same statement takes the update for this
process for a while (a data-modifying WITH, run outside any transaction), and the mark that it
was handled is held back to go with the turn's other writes: a turn whose writes all go as
one statement at its commit then needs no transaction at all. A process that dies in between
leaves the update taken until the lease runs out; then any process may take it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, func, literal_column, or_, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import ChatRow, PersonRow, RoleGrantRow
from storage.prepared import alone, prepared
from storage.repositories.chats import _INSERT_CHAT, _RETITLE_CHAT, ChatRepository
from storage.repositories.inbox import WAITING, InboxRepository, _inbox
from storage.repositories.people import _INSERT_PERSON, _RENAME_PERSON
from workflow.model import Chat, Person
from workflow.ports import TakenElsewhere
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
_taken = (update(_inbox)
          .where(*WAITING, or_(_inbox.c.taken_by == bindparam("taker"),
                                    _inbox.c.taken_until.is_(None),
                                    _inbox.c.taken_until < bindparam("at")))
          .values(taken_by=bindparam("taker"), taken_until=bindparam("until"))
          .returning(_inbox.c.update_id).cte("taken"))
# As it was before the statement: another process's lease when the update was not taken.
_held_until = select(_inbox.c.taken_until).where(*WAITING).scalar_subquery()
_TAKE_SENDER_AND_CHAT = alone(
    select(select(func.count()).select_from(_taken).scalar_subquery().label("claimed"),
           _held_until.label("held_until"), *_COLUMNS)
    .select_from(_FROM).order_by(_grants.c.role))


class TurnStart:
    def __init__(self, session: AsyncSession, chats: ChatRepository, inbox: InboxRepository
                 ) -> None:
        self.session = session
        self.chats = chats
        self.inbox = inbox

    async def begin(self, update_id: int, now: datetime, person_id: int, name: str,
                    username: str | None, chat_id: int, title: str | None, taker: str,
                    taken_until: datetime) -> tuple[Person, Chat] | TakenElsewhere | None:
        """Claim the update and give its sender and chat (written when new or renamed); None
        when the update was handled before (see the module's text for PostgreSQL's way)."""
        params = {"handled_id": update_id, "at": now, "person_id": person_id,
                  "chat_id": chat_id}
        if self.session.get_bind().dialect.name == "postgresql":
            rows = (await self.session.execute(
                _TAKE_SENDER_AND_CHAT, {**params, "taker": taker, "until": taken_until})).all()
            if not rows[0].claimed:
                held_until = rows[0].held_until
                return None if held_until is None else TakenElsewhere(held_until)
            await self.inbox.mark_handled(update_id, now)
        else:
            if not await self.inbox.claim(update_id, now):
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
