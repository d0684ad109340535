"""Engines and sessions: SQLite (WAL, busy_timeout, foreign keys) by default, PostgreSQL by URL."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

from storage import inline_sqlite
from storage.prepared import AsyncpgSession, watch_held_back

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///gendan.db"


def database_away(error: BaseException) -> bool:
    """The database restarting, refusing or dropping connections, or every pooled connection
    busy past the pool's timeout, as opposed to a statement it refused (a bug, whose traceback
    is wanted)."""
    if isinstance(error, ConnectionError | PoolTimeout):  # refused or reset, or all busy
        return True
    if not isinstance(error, DBAPIError):
        return False
    return error.connection_invalidated or type(error) in (DBAPIError, OperationalError,
                                                           InterfaceError)


def reason(error: BaseException) -> str:
    """An error in one line, for the log and administrators: its kind and the driver's words,
    without SQLAlchemy's statement and parameters (a KeyError's words alone are a bare key)."""
    cause = error.orig if isinstance(error, DBAPIError) else error
    words = str(cause).splitlines()
    kind = type(cause).__name__
    return f"{kind}: {words[0]}"[:200] if words and words[0] else kind


def normalize_url(url: str) -> str:
    """Accept the plain driver-less URLs people write and pick the async driver for them."""
    parsed = make_url(url)
    driver = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg",
              "postgres": "postgresql+asyncpg"}.get(parsed.drivername)
    if driver:
        parsed = parsed.set(drivername=driver)
    return parsed.render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    return make_url(url).get_backend_name() == "sqlite"


def _on_sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets the poller read while a handler writes; busy_timeout waits out a writer
    # instead of failing with "database is locked".
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.close()


def create_engine(url: str, **kwargs: Any) -> AsyncEngine:
    url = normalize_url(url)
    if is_sqlite(url):
        # One connection: SQLite has one writer, and inline statements must never wait on a
        # lock another coroutine of ours holds.
        kwargs = {"pool_size": 1, "max_overflow": 0, "pool_reset_on_return": None, **kwargs}
        url = make_url(url).set(drivername=f"sqlite+{inline_sqlite.DRIVER}").render_as_string(
            hide_password=False)
    else:
        # As many connections kept as may be in use (SQLAlchemy's default is 5 kept and 10 more
        # opened when busy): a burst over many chats used to open and close connections all
        # along, and each new one costs PostgreSQL a process and asyncpg its type set-up.
        kwargs = {"pool_size": 15, "max_overflow": 0, **kwargs}
    engine = create_async_engine(url, **kwargs)
    if is_sqlite(url):
        event.listen(engine.sync_engine, "connect", _on_sqlite_connect)
    return engine


async def empty_schema(url: str) -> None:
    """Drop every table of a PostgreSQL database, for tests and benchmarks that start afresh."""
    engine = create_engine(url)
    try:
        async with engine.begin() as connection:
            await connection.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
            await connection.execute(text("CREATE SCHEMA public"))
    finally:
        await engine.dispose()


def session_factory(engine: AsyncEngine) -> async_sessionmaker:
    session_class = {inline_sqlite.DRIVER: inline_sqlite.InlineSession,
                     "asyncpg": AsyncpgSession}.get(engine.dialect.driver, AsyncSession)
    if session_class is AsyncpgSession:
        watch_held_back(engine.sync_engine)
    return async_sessionmaker(engine, expire_on_commit=False, class_=session_class)
