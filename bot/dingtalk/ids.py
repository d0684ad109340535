"""DingTalk's string ids as the numbers the rest of Gendan uses: a group below zero, a person
(and their private chat) above, as on Telegram."""

from __future__ import annotations

import hashlib

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.models import DingTalkCardRow, DingTalkIdRow

GROUP, PERSON = "group", "person"
_ids = DingTalkIdRow.__table__
_cards = DingTalkCardRow.__table__


def number(external: str) -> int:
    """A stable number for a DingTalk id: the same after a restart and on every process, so a
    redelivered frame names the same chat; 52 bits keep it exact in JSON and JavaScript."""
    return int.from_bytes(hashlib.sha256(external.encode()).digest()[:8], "big") >> 12 or 1


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


class CardTexts:
    """What each card of ours shows now, for the press that names only the card."""

    def __init__(self, engine: AsyncEngine) -> None:
        self.engine = engine
        self._recent: dict[str, str] = {}

    async def note(self, out_track_id: str, text: str) -> None:
        insert = (postgresql.insert if self.engine.dialect.name == "postgresql"
                  else sqlite.insert)(_cards).values(out_track_id=out_track_id, text=text)
        async with self.engine.begin() as connection:
            await connection.execute(insert.on_conflict_do_update(
                index_elements=["out_track_id"], set_={"text": text}))
        self._recent[out_track_id] = text

    async def text(self, out_track_id: str) -> str | None:
        if out_track_id not in self._recent:
            async with self.engine.connect() as connection:
                found = await connection.scalar(
                    select(_cards.c.text).where(_cards.c.out_track_id == out_track_id))
            if found is None:
                return None
            self._recent[out_track_id] = found
        return self._recent[out_track_id]
