"""Shared fixtures. TEST_DATABASE_URL (PostgreSQL in CI) replaces the per-test SQLite file."""

from __future__ import annotations

import contextlib
import os
import socket
from collections.abc import AsyncIterator
from datetime import datetime
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy.ext.asyncio import AsyncEngine

from bot.cli import quiet_outage_pages
from storage.db import create_engine, empty_schema, is_sqlite, session_factory
from storage.migrate import upgrade

quiet_outage_pages()  # outage tests would bury a failure's log in Telegram's 502 pages

SHANGHAI = ZoneInfo("Asia/Shanghai")
START = datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)  # a Tuesday, a working day


@pytest.fixture(autouse=True)
def _no_network(monkeypatch: pytest.MonkeyPatch) -> None:
    """No test may reach past this machine: connections go to loopback only."""
    real_connect = socket.socket.connect

    def guarded(sock: socket.socket, address: object) -> object:
        host = address[0] if isinstance(address, tuple) else address
        if isinstance(host, str) and sock.family in (socket.AF_INET, socket.AF_INET6):
            if not (host.startswith("127.") or host in ("::1", "localhost")):
                raise OSError(f"test tried to reach {host}; only loopback is allowed")
        return real_connect(sock, address)

    monkeypatch.setattr(socket.socket, "connect", guarded)


def postgres_url() -> str | None:
    return os.environ.get("TEST_DATABASE_URL") or None


async def fresh(url: str) -> None:
    """Empty a test's database, for a test that runs two companies one after the other."""
    if is_sqlite(url):
        path = url.split("///", 1)[1]
        for suffix in ("", "-wal", "-shm"):
            with contextlib.suppress(FileNotFoundError):
                os.remove(path + suffix)
    else:
        await empty_schema(url)


@pytest.fixture
async def database_url(tmp_path) -> AsyncIterator[str]:
    """A fresh, empty database for one test."""
    url = postgres_url()
    if url is None:
        yield f"sqlite+aiosqlite:///{tmp_path}/test.db"
        return
    await empty_schema(url)
    yield url


@pytest.fixture
async def engine(database_url: str) -> AsyncIterator[AsyncEngine]:
    engine = create_engine(database_url)
    await upgrade(engine)
    yield engine
    await engine.dispose()


@pytest.fixture
def sessions(engine: AsyncEngine):
    return session_factory(engine)


@pytest.fixture
def on_postgres(database_url: str) -> bool:
    return not is_sqlite(database_url)
