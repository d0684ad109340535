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

The statements every turn runs are marked `prepared`: on SQLite each is compiled once and then
run straight on the driver, its values and rows converted by the same types SQLAlchemy uses.
Through the session such a statement costs about ten times what SQLite takes to run it.

It is safe because the engine keeps one SQLite connection (SQLite has one writer anyway), so no
coroutine of this process ever waits on SQLite's lock while holding the loop; only another
process writing to the same file can make a statement wait, for at most `busy_timeout`.
"""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import pool
from sqlalchemy.dialects import registry
from sqlalchemy.dialects.sqlite.pysqlite import SQLiteDialect_pysqlite
from sqlalchemy.engine import URL, Dialect, IteratorResult
from sqlalchemy.engine.result import SimpleResultMetaData
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session
from sqlalchemy.sql import Executable
from sqlalchemy.util.concurrency import await_, in_greenlet

DRIVER = "inline"
PREPARED = "gendan_prepared"  # the execution option that marks a statement `prepared`

Statement = TypeVar("Statement", bound=Executable)


def prepared(statement: Statement) -> Statement:
    """Mark a statement built once at import that a turn runs: on SQLite it is compiled once
    and run straight on the driver. Elsewhere it runs as any other."""
    return statement.execution_options(**{PREPARED: True})


Convert = Callable[[Any], Any] | None


@dataclass(frozen=True)
class _Plan:
    statement: Executable  # holds the id the plan is filed under
    compiled: Any
    binds: tuple[tuple[str, Convert], ...]  # in the order of the SQL's placeholders
    columns: tuple[str, ...]
    results: tuple[Convert, ...]

    def run(self, connection: sqlite3.Connection, params: Mapping[str, Any]) -> IteratorResult:
        values = self.compiled.construct_params(params)
        cursor = connection.execute(self.compiled.string, [
            convert(values[name]) if convert else values[name] for name, convert in self.binds])
        rows = [tuple(convert(value) if convert else value
                      for convert, value in zip(self.results, row, strict=True))
                for row in cursor.fetchall()] if self.columns else []
        result = IteratorResult(SimpleResultMetaData(self.columns), iter(rows))
        result.rowcount = cursor.rowcount  # type: ignore[attr-defined]
        return result


_plans: dict[tuple[int, frozenset[str]], _Plan | None] = {}


def _plan(statement: Executable, dialect: Dialect, keys: frozenset[str]) -> _Plan | None:
    """None when the statement needs what only SQLAlchemy's execution does: defaults computed
    in Python, or lists expanded into the SQL."""
    compiled = statement.compile(dialect=dialect, column_keys=sorted(keys))
    if (compiled.insert_prefetch or compiled.update_prefetch or compiled.post_compile_params
            or compiled.literal_execute_params or compiled.positiontup is None):
        return None
    columns = getattr(statement, "exported_columns", ())
    return _Plan(
        statement, compiled,
        tuple((name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
              for name in compiled.positiontup),
        tuple(columns.keys()) if columns else (),
        tuple(column.type.dialect_impl(dialect).result_processor(dialect, None)
              for column in columns))


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
        if isinstance(params, Mapping) and not kwargs and statement.get_execution_options().get(
                PREPARED):
            key = (id(statement), frozenset(params))
            if key not in _plans:
                _plans[key] = _plan(statement, session.get_bind().dialect, key[1])
            plan = _plans[key]
            if plan is not None:
                if session.autoflush and (session.new or session.dirty or session.deleted):
                    session.flush()  # as the session does before every statement
                connection = session.connection().connection.driver_connection
                return plan.run(connection, params)  # type: ignore[arg-type]
        return session.execute(statement, params, **kwargs)

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
