"""A second, empty database beside a test's own: a SQLite file, or a database of its own on
the PostgreSQL server of TEST_DATABASE_URL (named after the test database, `_copy` added)."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from pathlib import Path

from sqlalchemy import text
from sqlalchemy.engine import make_url

from storage.db import create_engine, is_sqlite


@contextlib.asynccontextmanager
async def another_database(database_url: str, folder: Path) -> AsyncIterator[str]:
    if is_sqlite(database_url):
        yield f"sqlite:///{folder}/copy.db"
        return
    url = make_url(database_url)
    name = f"{url.database}_copy"
    server = create_engine(url.set(database="postgres").render_as_string(hide_password=False),
                           isolation_level="AUTOCOMMIT")

    async def drop() -> None:
        async with server.connect() as connection:
            await connection.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))

    try:
        await drop()
        async with server.connect() as connection:
            await connection.execute(text(f'CREATE DATABASE "{name}"'))
        yield url.set(database=name).render_as_string(hide_password=False)
        await drop()
    finally:
        await server.dispose()
