"""The inbox: updates from Telegram, stored before Telegram is told they arrived.

Long polling confirms updates by asking for the next ones (the offset), so an update is
written here first; a crash between fetching and handling then finds it again at start-up.
A handler marks its update handled with its work, atomically (see repositories.turns).
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, case, delete, func, literal_column, null, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import UNHANDLED, InboxRow
from storage.prepared import prepared, write_behind

NEW, DONE, FAILED = "new", "done", "failed"
_inbox = InboxRow.__table__


def digest(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, ensure_ascii=False,
                                     default=str).encode()).hexdigest()


def _store_statement(dialect: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    statement = insert(_inbox)
    # The same id with other content is a new update, once the old one is handled.
    return statement.on_conflict_do_update(
        index_elements=["update_id"],
        # Constants rendered in the SQL, not bound: a statement whose only parameters are its
        # rows' values goes as one multi-row INSERT when several updates are stored at once.
        set_={"digest": statement.excluded.digest, "payload": statement.excluded.payload,
              "status": literal_column(f"'{NEW}'"),
              "received_at": statement.excluded.received_at, "handled_at": null(),
              "taken_by": null(), "taken_until": null()},
        where=((_inbox.c.digest != statement.excluded.digest)
               & (_inbox.c.status != literal_column(f"'{NEW}'"))),
    ).returning(_inbox.c.update_id)


_STORE = {name: _store_statement(name) for name in ("postgresql", "sqlite")}
# The update `handled_id` while it waits to be handled.
WAITING = (_inbox.c.update_id == bindparam("handled_id"), _inbox.c.status == NEW)
_CLAIM = prepared(update(_inbox).where(*WAITING).values(status=DONE, handled_at=bindparam("at")))


class InboxRepository:
    def __init__(self, session: AsyncSession) -> None:
        self.session = session

    async def store(self, update_id: int, payload: dict[str, Any], now: datetime) -> bool:
        """Keep an update; False when it is a redelivery of one already here."""
        dialect = self.session.get_bind().dialect.name
        stored = await self.session.execute(_STORE[dialect], {
            "update_id": update_id, "digest": digest(payload), "payload": payload,
            "status": NEW, "received_at": now})
        return stored.scalar() is not None

    async def store_all(self, updates: list[tuple[int, dict[str, Any]]], now: datetime
                        ) -> list[bool]:
        """Keep what one poll fetched, in one statement (a multi-row INSERT); for each, whether
        it is new rather than a redelivery, as `store` says of it."""
        ids = [update_id for update_id, _ in updates]
        if len(set(ids)) < len(ids):  # one statement may not touch a row twice: one at a time
            return [await self.store(update_id, payload, now) for update_id, payload in updates]
        if not updates:
            return []
        dialect = self.session.get_bind().dialect.name
        stored = await self.session.execute(_STORE[dialect], [
            {"update_id": update_id, "digest": digest(payload), "payload": payload,
             "status": NEW, "received_at": now} for update_id, payload in updates])
        fresh = set(stored.scalars())
        return [update_id in fresh for update_id in ids]

    async def claim(self, update_id: int, now: datetime) -> bool:
        """Mark the update handled; False when it was handled before."""
        result = await self.session.execute(_CLAIM, {"handled_id": update_id, "at": now})
        return result.rowcount == 1

    async def mark_handled(self, update_id: int, now: datetime) -> None:
        """Mark the update handled along with the unit of work's other writes (on PostgreSQL
        it goes with them in one statement, see storage.prepared), by the turn that took it."""
        await write_behind(self.session, _CLAIM, {"handled_id": update_id, "at": now})

    async def let_go(self, taker: str) -> int:
        """Give up `taker`'s holds on updates not handled, so that the next process to take
        them need not wait the holds out; how many."""
        result = await self.session.execute(
            update(_inbox).where(_inbox.c.taken_by == taker, _inbox.c.status == NEW)
            .values(taken_by=null(), taken_until=null()))
        return result.rowcount

    async def note_failure(self, update_id: int, now: datetime, reason: str, give_up_after: int
                           ) -> int | None:
        """Count a round of tries that failed for a reason of the update's own; at
        `give_up_after` rounds it is given up (`failed`). The rounds so far; None when it is
        not waiting any more (handled meanwhile, or given up)."""
        failures = _inbox.c.failures + 1
        result = await self.session.execute(
            update(_inbox)
            .where(_inbox.c.update_id == update_id, _inbox.c.status == NEW)
            # Let go of it: the next round may be another process's.
            .values(failures=failures, failure=reason, taken_by=null(), taken_until=null(),
                    status=case((failures >= give_up_after, FAILED), else_=_inbox.c.status),
                    handled_at=case((failures >= give_up_after, now),
                                    else_=_inbox.c.handled_at))
            .returning(_inbox.c.failures))
        return result.scalar()

    async def unhandled(self, stored_before: datetime | None = None, limit: int = 1000
                        ) -> list[dict[str, Any]]:
        """Updates stored but not handled (a crash came between, or their turn failed),
        oldest first; only those stored before `stored_before` when given."""
        query = select(_inbox.c.payload).where(UNHANDLED)
        if stored_before is not None:
            query = query.where(_inbox.c.received_at < stored_before)
        rows = await self.session.scalars(
            query.order_by(_inbox.c.received_at, _inbox.c.update_id).limit(limit))
        return list(rows)

    async def highest_update_id(self) -> int:
        """The newest update id kept (0 for none), so that an emulator that starts again goes
        on from it instead of giving ids the inbox already holds."""
        return int(await self.session.scalar(select(func.max(_inbox.c.update_id))) or 0)

    async def prune(self, before: datetime) -> int:
        """Forget updates handled (or given up: the audit trail keeps those) older than the
        window in which Telegram may redeliver."""
        result = await self.session.execute(
            delete(_inbox).where(_inbox.c.status != NEW, _inbox.c.received_at < before))
        return result.rowcount
