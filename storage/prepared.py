"""The statements every turn runs, compiled once and run straight on the driver.

Through the session a statement costs several times what the database takes to run it: the
ORM's execution, the compiled cache's lookup, the result's set-up, and on PostgreSQL a greenlet
that hands the driver call back to the loop. A turn runs the same few statements (claim the
update, read the sender and chat, write the audit row and the answers, mark them sent), so
those are marked `prepared`: each is compiled once per set of parameters, its values and rows
converted by the same types SQLAlchemy uses, and run on the driver's connection that the
session holds, inside the session's transaction. Pending ORM rows are flushed first, as the
session would. A statement that needs SQLAlchemy's own execution (defaults computed in Python,
lists expanded into the SQL) takes the usual way.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.engine import Connection, Dialect, IteratorResult
from sqlalchemy.engine.result import SimpleResultMetaData
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.sql import Executable
from sqlalchemy.util.concurrency import greenlet_spawn

PREPARED = "gendan_prepared"  # the execution option that marks a statement `prepared`

Statement = TypeVar("Statement", bound=Executable)
Convert = Callable[[Any], Any] | None


def prepared(statement: Statement) -> Statement:
    """Mark a statement built once at import that a turn runs."""
    return statement.execution_options(**{PREPARED: True})


@dataclass(frozen=True)
class Plan:
    statement: Executable  # holds the id the plan is filed under
    sql: str
    compiled: Any
    binds: tuple[tuple[str, Convert], ...]  # in the order of the SQL's placeholders
    columns: tuple[str, ...]
    results: tuple[Convert, ...]

    def arguments(self, params: Mapping[str, Any]) -> list[Any]:
        values = self.compiled.construct_params(params)
        return [convert(values[name]) if convert else values[name]
                for name, convert in self.binds]

    def result(self, rows: Sequence[Sequence[Any]], rowcount: int) -> IteratorResult:
        converted = [tuple(convert(value) if convert else value
                           for convert, value in zip(self.results, row, strict=True))
                     for row in rows] if self.columns else []
        result = IteratorResult(SimpleResultMetaData(self.columns), iter(converted))
        result.rowcount = rowcount  # type: ignore[attr-defined]
        return result


_plans: dict[tuple[int, str, frozenset[str]], Plan | None] = {}


def plan_for(statement: Any, params: Any, kwargs: Mapping[str, Any],
             dialect: Dialect) -> Plan | None:
    """The statement's plan on this dialect, or None when it takes the usual way."""
    if not (isinstance(params, Mapping) and not kwargs
            and statement.get_execution_options().get(PREPARED)):
        return None
    key = (id(statement), dialect.name, frozenset(params))
    if key not in _plans:
        _plans[key] = _compile(statement, dialect, key[2])
    return _plans[key]


def _compile(statement: Executable, dialect: Dialect, keys: frozenset[str]) -> Plan | None:
    compiled = statement.compile(dialect=dialect, column_keys=sorted(keys))
    if (compiled.insert_prefetch or compiled.update_prefetch or compiled.post_compile_params
            or compiled.literal_execute_params or compiled.positiontup is None):
        return None
    columns = getattr(statement, "exported_columns", ())
    return Plan(
        statement, compiled.string, compiled,
        tuple((name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
              for name in compiled.positiontup),
        tuple(columns.keys()) if columns else (),
        tuple(column.type.dialect_impl(dialect).result_processor(dialect, None)
              for column in columns))


def announce(connection: Connection, plan: Plan, arguments: list[Any]) -> None:
    """Tell the engine's statement listeners, as SQLAlchemy's execution does: tests and
    benchmarks count a command's statements."""
    if connection._has_events or connection.engine._has_events:
        for listener in connection.dispatch.before_cursor_execute:
            listener(connection, None, plan.sql, arguments, None, False)


def flush_pending(session: Session) -> bool:
    return session.autoflush and bool(session.new or session.dirty or session.deleted)


_STATUS_COUNT = re.compile(r"(?:SELECT|UPDATE|DELETE|INSERT \d+) (\d+)")


class AsyncpgSession(AsyncSession):
    """An `AsyncSession` that runs `prepared` statements on asyncpg itself, awaited on the loop
    without a greenlet, through the statement cache and transaction of SQLAlchemy's adapter.
    Errors come out as SQLAlchemy's, and a lost connection is invalidated, as they would from
    the session."""

    _held: tuple[SessionTransaction, Connection] | None = None

    async def execute(self, statement: Any, params: Any = None, **kwargs: Any) -> Any:
        plan = plan_for(statement, params, kwargs, self.bind.dialect)  # type: ignore[union-attr]
        if plan is None:
            return await super().execute(statement, params, **kwargs)
        if flush_pending(self.sync_session):
            await self.flush()
        connection = await self._connection()
        arguments = plan.arguments(params)
        announce(connection, plan, arguments)
        adapter: Any = connection.connection.dbapi_connection
        try:
            async with adapter._execute_mutex:
                if adapter._transaction is None:
                    await adapter._start_transaction()  # BEGIN, as the adapter's cursor does
                on_server, _ = await adapter._prepare(
                    plan.sql, connection.dialect._invalidate_schema_cache_asof)  # type: ignore[attr-defined]
                rows = await on_server.fetch(*arguments)
                status = on_server.get_statusmsg()
        except Exception as error:
            await greenlet_spawn(_raise_as_sqlalchemy, connection, adapter, error, plan.sql,
                                 arguments)
            raise  # not reached: the line above raises
        counted = _STATUS_COUNT.match(status or "")
        return plan.result(rows, int(counted.group(1)) if counted else -1)

    def _held_connection(self) -> Connection | None:
        """The connection prepared statements took in this transaction, if they did."""
        transaction = self.sync_session.get_transaction()
        if transaction is None or self._held is None or self._held[0] is not transaction:
            return None
        return self._held[1]

    async def _connection(self) -> Connection:
        """The session's connection in this transaction; taking it the first time may wait
        for the pool, which goes through the asyncio extension."""
        connection = self._held_connection()
        if connection is None:
            connection = (await self.connection()).sync_connection
            self._held = (self.sync_session.get_transaction(), connection)  # type: ignore[assignment]
        return connection

    async def commit(self) -> None:
        """A turn's commit with nothing left to flush ends asyncpg's transaction here, on the
        loop; the session's own commit then finds no transaction on the driver, so nothing in
        it waits and it needs no greenlet."""
        session = self.sync_session
        connection = self._held_connection()
        adapter = _working_adapter(connection)
        if (adapter is None or session.new or session.dirty or session.deleted
                or session.get_nested_transaction() is not None):
            await super().commit()
            return
        if adapter._transaction is not None:
            try:
                await adapter._call_and_discard(adapter._transaction.commit)
            except Exception as error:
                await greenlet_spawn(_raise_as_sqlalchemy, connection, adapter, error, None,
                                     None)
        session.commit()

    async def close(self) -> None:
        """Handing back a connection whose driver transaction is over cannot wait: done
        directly, without a greenlet."""
        transaction = self.sync_session.get_transaction()
        adapter = _working_adapter(self._held_connection())
        self._held = None
        if transaction is None or (adapter is not None and adapter._transaction is None):
            self.sync_session.close()
        else:
            await super().close()


def _working_adapter(connection: Connection | None) -> Any:
    """The driver adapter under a held connection that still works (else None: the session's
    own way is the safe one)."""
    if connection is None or connection.invalidated:
        return None
    return connection.connection.dbapi_connection


def _raise_as_sqlalchemy(connection: Connection, adapter: Any, error: Exception,
                         sql: str | None, arguments: list[Any] | None) -> None:
    try:
        adapter._handle_exception(error)  # asyncpg's error as the adapter's DB-API error
    except Exception as translated:
        connection._handle_dbapi_exception(translated, sql, arguments, None, None)
