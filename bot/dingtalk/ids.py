"""DingTalk's string ids as the numbers the rest of Gendan uses: a group below zero, a person
(and their private chat) above, as on Telegram."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.models import DingTalkIdRow, DingTalkMessageRow

GROUP, PERSON = "group", "person"
_ids = DingTalkIdRow.__table__
_messages = DingTalkMessageRow.__table__
# A quote names a message people can still see: the chat's last few hundred are searched.
_QUOTE_WINDOW = 500


def number(external: str) -> int:
    """A stable number for a DingTalk id: the same after a restart and on every process, so a
    redelivered frame names the same chat; 52 bits keep it exact in JSON and JavaScript."""
    return int.from_bytes(hashlib.sha256(external.encode()).digest()[:8], "big") >> 12 or 1


def out_track_id(chat_id: int, message_id: int) -> str:
    """The key of a message the bot sent: a card's outTrackId, which its presses name."""
    return f"gendan_{chat_id}_{message_id}"


def message_of(out_track: str) -> tuple[int, int] | None:
    """(chat, message) of a card this bot sent, or None for another's."""
    prefix, _, rest = out_track.partition("_")
    chat, _, message = rest.rpartition("_")
    try:
        return (int(chat), int(message)) if prefix == "gendan" else None
    except ValueError:
        return None


class DingTalkIds:
    """Both directions, kept in memory: the sends that need the DingTalk id run inside a
    handler's unit of work, and SQLite's one connection is theirs then."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._external: dict[int, tuple[str, str]] = {}
        self._names: dict[int, str | None] = {}

    async def load(self) -> None:
        async with self.engine.connect() as connection:
            rows = (await connection.execute(select(_ids))).all()
        self._external = {row.id: (row.kind, row.external) for row in rows}
        self._names = {row.id: row.name for row in rows}

    async def chat(self, external: str, kind: str, name: str | None = None) -> int:
        """The number of a group (openConversationId) or a person (staff id), noted once;
        `name` is its title or nick when the frame gives one."""
        value = number(external) * (-1 if kind == GROUP else 1)
        known = value in self._external
        if not known or (name and self._names.get(value) != name):
            insert = (postgresql.insert if self.engine.dialect.name == "postgresql"
                      else sqlite.insert)(_ids).values(id=value, external=external, kind=kind,
                                                       name=name)
            statement = (insert.on_conflict_do_update(index_elements=["id"],
                                                      set_={"name": name}) if name
                         else insert.on_conflict_do_nothing())
            async with self.engine.begin() as connection:
                await connection.execute(statement)
            self._external[value] = (kind, external)
            self._names[value] = name or self._names.get(value)
        return value

    def external(self, value: int) -> tuple[str, str] | None:
        """(kind, DingTalk id) of a number, or None for one DingTalk never gave us."""
        return self._external.get(value)

    def name(self, value: int) -> str | None:
        return self._names.get(value)


class SentTexts:
    """What each message of ours shows now, by chat and message number, for a card press
    (which names the card) and a quoted reply (which gives the quoted text)."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine

    async def note(self, chat_id: int, message_id: int, text: str | None,
                   markup: dict[str, Any] | None) -> None:
        """A message sent or edited; `text` None: only its buttons changed."""
        values: dict[str, Any] = {"markup": markup or None}
        if text is not None:
            values["text"] = text
        insert = (postgresql.insert if self.engine.dialect.name == "postgresql"
                  else sqlite.insert)(_messages).values(
            {"key": out_track_id(chat_id, message_id), "chat_id": chat_id,
             "message_id": message_id, "text": "", **values})
        async with self.engine.begin() as connection:
            await connection.execute(insert.on_conflict_do_update(index_elements=["key"],
                                                                  set_=values))

    async def text(self, chat_id: int, message_id: int) -> str | None:
        async with self.engine.connect() as connection:
            return await connection.scalar(select(_messages.c.text).where(
                _messages.c.key == out_track_id(chat_id, message_id)))

    async def quoted(self, chat_id: int, text: str
                     ) -> tuple[int, str, dict[str, Any] | None] | None:
        """The newest message of ours in the chat that the quoted text is (or begins: a
        quote of a long message may be cut), with its whole text."""
        text = text.strip()
        if not text:
            return None
        async with self.engine.connect() as connection:
            rows = (await connection.execute(
                select(_messages.c.message_id, _messages.c.text, _messages.c.markup)
                .where(_messages.c.chat_id == chat_id)
                .order_by(_messages.c.message_id.desc()).limit(_QUOTE_WINDOW))).all()
        for row in rows:
            if row.text.strip() == text or row.text.startswith(text):
                return row.message_id, row.text, row.markup
        return None
