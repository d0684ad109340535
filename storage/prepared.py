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

On PostgreSQL every statement is a round trip, and a turn's writes whose results nobody reads
(the audit row, a group's binding) need not each take one: `write_behind` holds them until the
next statement of the transaction, or its commit, and sends them with it in one statement, as
data-modifying WITH clauses. They are sent before anything that could see what they change.

BEGIN and COMMIT are a round trip each too, and a unit of work need not pay them: one that
starts with a statement atomic by itself (marked `alone`) runs it outside any transaction, and
when everything it writes then goes as the one statement sent at its commit, that statement is
atomic by itself as well. Anything else begins the transaction first, as usual.
"""

from __future__ import annotations

import re
import weakref
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy import Table, event
from sqlalchemy.engine import Connection, Dialect, Engine, IteratorResult
from sqlalchemy.engine.result import SimpleResultMetaData
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession
from sqlalchemy.orm import Session, SessionTransaction
from sqlalchemy.sql import Executable
from sqlalchemy.sql.util import find_tables
from sqlalchemy.util.concurrency import await_only, greenlet_spawn

PREPARED = "gendan_prepared"  # the execution option that marks a statement `prepared`
ALONE = "gendan_alone"  # and one that may run outside a transaction when it comes first

Statement = TypeVar("Statement", bound=Executable)
Convert = Callable[[Any], Any] | None


def prepared(statement: Statement) -> Statement:
    """Mark a statement built once at import that a turn runs."""
    return statement.execution_options(**{PREPARED: True})


def alone(statement: Statement) -> Statement:
    """Mark a prepared statement that, as the first of a unit of work, runs outside any
    transaction: what it writes is meant to hold whatever the unit of work does after it."""
    return statement.execution_options(**{PREPARED: True, ALONE: True})


@dataclass(frozen=True)
class Plan:
    statement: Executable  # holds the id the plan is filed under
    sql: str
    compiled: Any
    binds: tuple[tuple[str, Convert], ...]  # in the order of the SQL's placeholders
    columns: tuple[str, ...]
    results: tuple[Convert, ...]
    tables: frozenset[str]  # every table it reads or writes
    # A write that can ride in a WITH clause: PostgreSQL allows data-modifying WITH only at
    # the top level, so not one that has a WITH of its own.
    rides: bool
    alone: bool  # see `alone`

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
    tables = find_tables(statement, check_columns=True, include_aliases=True,  # type: ignore[arg-type]
                         include_joins=True, include_selects=True, include_crud=True)
    return Plan(
        statement, compiled.string, compiled,
        tuple((name, compiled.binds[name].type.dialect_impl(dialect).bind_processor(dialect))
              for name in compiled.positiontup),
        tuple(columns.keys()) if columns else (),
        tuple(column.type.dialect_impl(dialect).result_processor(dialect, None)
              for column in columns),
        frozenset(table.name for table in tables if isinstance(table, Table)),
        bool(getattr(statement, "is_dml", False)) and not compiled.string.startswith("WITH"),
        bool(statement.get_execution_options().get(ALONE)))


def announce(connection: Connection, sql: str, arguments: list[Any]) -> None:
    """Tell the engine's statement listeners, as SQLAlchemy's execution does: tests and
    benchmarks count a command's statements."""
    if connection._has_events or connection.engine._has_events:
        for listener in connection.dispatch.before_cursor_execute:
            listener(connection, None, sql, arguments, None, False)


def flush_pending(session: Session) -> bool:
    return session.autoflush and bool(session.new or session.dirty or session.deleted)


_STATUS_COUNT = re.compile(r"(?:SELECT|UPDATE|DELETE|INSERT \d+) (\d+)")
_PLACEHOLDER = re.compile(r"\$(\d+)")
Rows = Callable[[IteratorResult], None]  # given the rows a held-back write returns


@dataclass(frozen=True)
class Write:
    plan: Plan
    arguments: list[Any]
    on_rows: Rows | None = None  # only the last write of a statement returns its rows


_together_sql: dict[tuple[int, ...], str] = {}


async def write_behind(session: AsyncSession, statement: Executable,
                       params: Mapping[str, Any], on_rows: Rows | None = None) -> None:
    """A write whose result is not read before the commit: on PostgreSQL it is sent with the
    transaction's next statement, or at the commit; elsewhere a statement costs no round
    trip, and it runs at once. `on_rows` is given what it returns, once it has run."""
    if isinstance(session, AsyncpgSession):
        await session.hold_back(statement, params, on_rows)
        return
    result = await session.execute(statement, params)
    if on_rows is not None:
        on_rows(result)


def _fits(held_back: Sequence[Write], plan: Plan) -> bool:
    """Whether `plan` can go in one statement with the writes held back: every part of a
    statement sees the database as it was before the statement, and the order of its writes is
    not defined, so no two parts may touch the same table; and the rows of a write waiting for
    them come back only when it is the statement's last part."""
    return plan.rides and all(plan.tables.isdisjoint(held.plan.tables) and held.on_rows is None
                              for held in held_back)


def _together(writes: Sequence[Write]) -> tuple[str, list[Any]]:
    """One statement for them all: the last, with the others before it as WITH clauses; the
    placeholders of each numbered on from the one before."""
    key = tuple(id(write.plan) for write in writes)
    sql = _together_sql.get(key)
    if sql is None:
        parts, offset = [], 0
        for write in writes:
            parts.append(_renumbered(write.plan.sql, offset))
            offset += len(write.plan.binds)
        *riders, last = parts
        clauses = ", ".join(f"held_back_{number} AS ({rider})"
                            for number, rider in enumerate(riders))
        sql = _together_sql[key] = f"WITH {clauses} {last}" if riders else last
    return sql, [value for write in writes for value in write.arguments]


def _renumbered(sql: str, by: int) -> str:
    return _PLACEHOLDER.sub(lambda placeholder: f"${int(placeholder.group(1)) + by}", sql)


# The session holding writes back on a connection, for the statements that go the usual way.
_holding_back: weakref.WeakKeyDictionary[Connection, AsyncpgSession] = weakref.WeakKeyDictionary()


def watch_held_back(engine: Engine) -> None:
    """Whatever SQLAlchemy runs on a connection that holds writes back (a query, the ORM's
    flush, a savepoint, the commit) comes after them; a rollback drops them."""
    for name, listener in (("before_cursor_execute", _send_held_back_first),
                           ("commit", _send_held_back_first), ("rollback", _drop_held_back)):
        if not event.contains(engine, name, listener):
            event.listen(engine, name, listener)


def _send_held_back_first(connection: Connection, *_args: Any) -> None:
    session = _holding_back.get(connection)
    if session is not None and session._held_back:
        # SQLAlchemy runs its statements and commits in the session's greenlet, where the
        # send can be awaited.
        await_only(session._send_held_back(connection))


def _drop_held_back(connection: Connection) -> None:
    session = _holding_back.pop(connection, None)
    if session is not None:
        session._held_back = []


class AsyncpgSession(AsyncSession):
    """An `AsyncSession` that runs `prepared` statements on asyncpg itself, awaited on the loop
    without a greenlet, through the statement cache and transaction of SQLAlchemy's adapter.
    Errors come out as SQLAlchemy's, and a lost connection is invalidated, as they would from
    the session."""

    _held: tuple[SessionTransaction, Connection] | None = None

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._held_back: list[Write] = []  # in the order they were written

    async def execute(self, statement: Any, params: Any = None, **kwargs: Any) -> Any:
        plan = plan_for(statement, params, kwargs, self.bind.dialect)  # type: ignore[union-attr]
        if plan is None:
            return await super().execute(statement, params, **kwargs)
        connection = await self._connection()
        sql, arguments = plan.sql, plan.arguments(params)
        outside = plan.alone and not self._held_back
        if self._held_back:
            if _fits(self._held_back, plan):
                sql, arguments = _together([*self._held_back, Write(plan, arguments)])
                self._held_back = []
            else:
                await self._send_held_back(connection)
        return await _run(connection, plan, sql, arguments, begin=not outside)

    async def hold_back(self, statement: Executable, params: Mapping[str, Any],
                        on_rows: Rows | None = None) -> None:
        plan = plan_for(statement, params, {}, self.bind.dialect)  # type: ignore[union-attr]
        if plan is None or not plan.rides:
            result = await self.execute(statement, params)
            if on_rows is not None:
                on_rows(result)
            return
        connection = await self._connection()
        if not _fits(self._held_back, plan):
            await self._send_held_back(connection)
        self._held_back = [*self._held_back, Write(plan, plan.arguments(params), on_rows)]
        _holding_back[connection] = self

    async def _send_held_back(self, connection: Connection, *, begin: bool = True) -> None:
        """Send the writes held back, as one statement; `begin=False` only at a commit, where
        that statement is all that is left to write."""
        held_back, self._held_back = self._held_back, []
        if held_back:
            last = held_back[-1]
            result = await _run(connection, last.plan, *_together(held_back), begin=begin)
            if last.on_rows is not None:
                last.on_rows(result)

    def _held_connection(self) -> Connection | None:
        """The connection prepared statements took in this transaction, if they did. Inside a
        savepoint there is none: the session's own way begins the savepoint on it."""
        session = self.sync_session
        transaction = session.get_transaction()
        if (transaction is None or self._held is None or self._held[0] is not transaction
                or session.get_nested_transaction() is not None):
            return None
        return self._held[1]

    async def connection(self, *args: Any, **kwargs: Any) -> AsyncConnection:
        """The session's connection, held for the prepared statements and the commit of this
        transaction however it was first taken (a unit of work that is one statement takes
        it in autocommit)."""
        connection = await super().connection(*args, **kwargs)
        if self.sync_session.get_nested_transaction() is None:
            self._held = (self.sync_session.get_transaction(),  # type: ignore[assignment]
                          connection.sync_connection)
        return connection

    async def _connection(self) -> Connection:
        """The session's connection in this transaction, with the ORM rows added before now
        written first, as the session would; taking it the first time may wait for the pool,
        which goes through the asyncio extension."""
        if flush_pending(self.sync_session):
            await self.flush()
        connection = self._held_connection()
        if connection is None:
            connection = (await self.connection()).sync_connection  # type: ignore[assignment]
        return connection  # type: ignore[return-value]

    async def commit(self) -> None:
        """A turn's commit with nothing left to flush ends asyncpg's transaction here, on the
        loop; the session's own commit then finds no transaction on the driver, so nothing in
        it waits and it needs no greenlet."""
        session = self.sync_session
        connection = self._held_connection()
        more = bool(session.new or session.dirty or session.deleted
                    or session.get_nested_transaction() is not None)
        if connection is not None:
            # Without the ORM's flush to come, the held-back writes are the last statement:
            # atomic by itself, it needs no transaction if none was begun.
            await self._send_held_back(connection, begin=more)
        adapter = _working_adapter(connection)
        if adapter is None or more:
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
        self._held, self._held_back = None, []
        if transaction is None or (adapter is not None and adapter._transaction is None):
            self.sync_session.close()
        else:
            await super().close()


async def _run(connection: Connection, plan: Plan, sql: str, arguments: list[Any], *,
               begin: bool) -> IteratorResult:
    """One statement on asyncpg, on the loop, in the session's transaction (begun first unless
    `begin` is False), its rows as `plan` gives them."""
    announce(connection, sql, arguments)
    adapter: Any = connection.connection.dbapi_connection
    try:
        async with adapter._execute_mutex:
            if adapter._transaction is None and begin:
                await adapter._start_transaction()  # BEGIN, as the adapter's cursor does
            on_server, _ = await adapter._prepare(
                sql, connection.dialect._invalidate_schema_cache_asof)  # type: ignore[attr-defined]
            rows, status = await on_server.fetch(*arguments), on_server.get_statusmsg()
    except Exception as error:
        await greenlet_spawn(_raise_as_sqlalchemy, connection, adapter, error, sql, arguments)
        raise  # not reached: the line above raises
    counted = _STATUS_COUNT.match(status or "")
    return plan.result(rows, int(counted.group(1)) if counted else -1)


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
