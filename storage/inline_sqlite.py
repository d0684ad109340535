"""SQLite for the async engine, run on the event loop's own thread, without the async layers.

aiosqlite runs every call on a worker thread, and SQLAlchemy's asyncio extension runs every
session call in a greenlet that hands each driver call back to the loop. A statement on a local
file takes a few microseconds; the hand-offs around it took ten times that, and a command's
units of work spent most of their time in them.

So SQLite gets SQLAlchemy's own synchronous dialect (`InlineDialect`, the standard library's
`sqlite3` called directly) declared usable by the async engine, and sessions that call the
synchronous session directly (`InlineSession`). The async engine stays the one owner of the
connection: it is the pool's single connection, and a unit of work that must wait for it waits
on the loop, as before.

The statements every turn runs (`storage/prepared.py`) skip the session and run on `sqlite3`:
through the session such a statement costs about ten times what SQLite takes to run it.

It is safe because the engine keeps one SQLite connection (SQLite has one writer anyway), so no
coroutine of this process ever waits on SQLite's lock while holding the loop; only another
process writing to the same file can make a statement wait, for at most `busy_timeout`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Sequence
from typing import Any

from sqlalchemy import pool
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import URL
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.util.concurrency import await_, in_greenlet

from storage.prepared import announce, flush_pending, plan_for

DRIVER = "inline"


class _Cursor(sqlite3.Cursor):
    """Reads a statement's rows as soon as it runs, as the async drivers do: a statement left
    half-read would keep its snapshot of the database open, across commits, while other
    processes write to the file."""

    _rows: list[Any] = []
    _next = 0

    def execute(self, sql: str, parameters: Any = (), /) -> _Cursor:  # type: ignore[override]
        super().execute(sql, parameters)
        self._rows, self._next = (super().fetchall() if self.description else []), 0
        return self

    def executemany(self, sql: str, parameters: Any, /) -> _Cursor:  # type: ignore[override]
        super().executemany(sql, parameters)
        self._rows, self._next = [], 0
        return self

    def __next__(self) -> Any:
        row = self.fetchone()
        if row is None:
            raise StopIteration
        return row

    def fetchone(self) -> Any:
        return self.fetchmany(1)[0] if self._next < len(self._rows) else None

    def fetchmany(self, size: int | None = None) -> list[Any]:
        start = self._next
        self._next = min(len(self._rows), start + (self.arraysize if size is None else size))
        return self._rows[start:self._next]

    def fetchall(self) -> list[Any]:
        return self.fetchmany(len(self._rows))

    async def _async_soft_close(self) -> None:
        """What the async engine calls on a result it hands out: the rows are read already."""


async def _nothing() -> None:
    return None


class _Connection(sqlite3.Connection):
    def cursor(self, factory: Any = _Cursor) -> Any:  # type: ignore[override]
        if in_greenlet():
            # The async engine's own connections (migrations, `engine.begin()`) check that
            # each statement handed control to the loop, as an async driver does: a hand-off
            # that finishes at once satisfies it. Sessions run outside greenlets and skip it.
            await_(_nothing())
        return super().cursor(factory)


class InlineDialect(SQLiteDialect_pysqlite):
    driver = DRIVER
    is_async = True  # its calls never wait for IO, so they may run inside or outside greenlets
    supports_statement_cache = True

    @classmethod
    def get_pool_class(cls, url: URL) -> type[pool.Pool]:
        # Waiting for the connection must happen on the loop, never blocking it.
        return pool.AsyncAdaptedQueuePool

    def create_connect_args(self, url: URL) -> Any:
        args, kwargs = super().create_connect_args(url)
        # The pool may close the connection from a clean-up that runs elsewhere.
        return args, {**kwargs, "factory": _Connection, "check_same_thread": False}


registry.register(f"sqlite.{DRIVER}", __name__, "InlineDialect")


class InlineSession(AsyncSession):
    """An `AsyncSession` whose calls run the synchronous session directly.

    Only taking the connection may have to wait (another unit of work holds it); that one
    step goes through the asyncio extension. After it, the session keeps the connection until
    its transaction ends, and nothing it does can wait."""

    _holding = False

    async def _ready(self) -> Session:
        if not self._holding:
            idle = self.sync_session.get_bind().pool
            if idle.checkedin():  # type: ignore[union-attr]
                self.sync_session.connection()  # taken without waiting
            else:
                await self.connection()
            self._holding = True
        return self.sync_session

    async def execute(self, statement: Any, params: Any = None, **kwargs: Any) -> Any:
        session = await self._ready()
        plan = plan_for(statement, params, kwargs, session.get_bind().dialect)
        if plan is None:
            return session.execute(statement, params, **kwargs)
        if flush_pending(session):
            session.flush()
        connection = session.connection()
        arguments = plan.arguments(params)
        announce(connection, plan.sql, arguments)
        try:
            cursor = connection.connection.driver_connection.execute(  # type: ignore[union-attr]
                plan.sql, arguments)
        except sqlite3.Error as error:
            connection._handle_dbapi_exception(error, plan.sql, arguments, None, None)
        return plan.result(cursor.fetchall(), cursor.rowcount)

    async def scalar(self, statement: Any, params: Any = None, **kwargs: Any) -> Any:
        return (await self._ready()).scalar(statement, params, **kwargs)

    async def scalars(self, statement: Any, params: Any = None, **kwargs: Any) -> Any:
        return (await self._ready()).scalars(statement, params, **kwargs)

    async def get(self, entity: Any, ident: Any, **kwargs: Any) -> Any:
        return (await self._ready()).get(entity, ident, **kwargs)

    async def delete(self, instance: object) -> None:
        (await self._ready()).delete(instance)

    async def flush(self, objects: Sequence[Any] | None = None) -> None:
        (await self._ready()).flush(objects)

    async def commit(self) -> None:
        session = self.sync_session
        if session.new or session.dirty or session.deleted:
            await self._ready()  # the flush needs the connection
        try:
            session.commit()
        finally:
            self._holding = False

    async def rollback(self) -> None:
        try:
            self.sync_session.rollback()
        finally:
            self._holding = False

    async def close(self) -> None:
        try:
            self.sync_session.close()
        finally:
            self._holding = False
