"""The cost of one timer poll with 10,000 and with 1,000,000 pending timers.

Run: .venv/bin/python -m bench.bench_timers
     BENCH_DATABASE_URL=postgresql+asyncpg://… .venv/bin/python -m bench.bench_timers

A poll is what the bot does every tick: one transaction that claims up to 100 due timers and
completes each of them. Afterwards (untimed) the same timers are put back, so every sample
starts from the same state. One timer in twenty is overdue, the rest are due within 90 days,
so the backlog grows with the table too: a poll that sorted or scanned the due rows would show.
Both sizes live side by side (two SQLite files, or two schemas on the PostgreSQL of
BENCH_DATABASE_URL) and their polls alternate, so both see the same machine load. The figure
is the median of each size's polls; the floor is large/small ≤ 1.5.
"""

from __future__ import annotations

import asyncio
import os
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import text, update
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker

from storage.db import create_engine, is_sqlite, session_factory
from storage.migrate import upgrade
from storage.repositories.timers import PENDING, timers
from storage.uow import SqlUnitOfWork

SIZES = (10_000, 1_000_000)
OVERDUE_ONE_IN = 20
BATCH = 100
WARMUP = 5
SAMPLES = 40
RATIO_FLOOR = 1.5
NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
LEASE = timedelta(minutes=1)
HORIZON_SECONDS = 90 * 86_400

# Timer i is overdue by up to an hour when i % 20 == 0, else due within the next 90 days; 7919 is
# prime, so the future due times scatter over the horizon instead of following insertion order.
_SQLITE_FILL = """
INSERT INTO timers (kind, subject, due_at, dedupe_key, status, attempts)
WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < :size)
SELECT 'remind', 'task:' || i,
       strftime('%Y-%m-%d %H:%M:%S', :now,
                CASE WHEN i % :one_in = 0 THEN -60 - (i % 3600)
                     ELSE 3600 + (i * 7919) % :horizon END || ' seconds') || '.000000',
       'bench:' || i, 'pending', 0
FROM seq
"""
_POSTGRES_FILL = """
INSERT INTO timers (kind, subject, due_at, dedupe_key, status, attempts)
SELECT 'remind', 'task:' || i,
       CAST(:now AS timestamptz) + make_interval(secs => CASE WHEN i % :one_in = 0
           THEN -60 - (i % 3600) ELSE 3600 + (i::bigint * 7919) % :horizon END),
       'bench:' || i, 'pending', 0
FROM generate_series(1, :size) AS i
"""


@dataclass
class Store:
    size: int
    engine: AsyncEngine
    sessions: async_sessionmaker
    schema: str | None
    polls: list[float]
    claims: list[float]


async def open_store(size: int, url: str | None, scratch: str) -> Store:
    schema = None
    if url is None:
        engine = create_engine(f"sqlite+aiosqlite:///{scratch}/timers_{size}.db")
    else:
        schema = f"bench_timers_{size}"
        admin = create_engine(url)
        async with admin.begin() as connection:
            await connection.execute(text(f"DROP SCHEMA IF EXISTS {schema} CASCADE"))
            await connection.execute(text(f"CREATE SCHEMA {schema}"))
        await admin.dispose()
        engine = create_engine(url, connect_args={"server_settings": {"search_path": schema}})
    await upgrade(engine)
    params = {"size": size, "one_in": OVERDUE_ONE_IN, "horizon": HORIZON_SECONDS}
    async with engine.begin() as connection:
        if schema is None:
            await connection.execute(text(_SQLITE_FILL),
                                     {**params, "now": NOW.strftime("%Y-%m-%d %H:%M:%S")})
        else:
            await connection.execute(text(_POSTGRES_FILL), {**params, "now": NOW})
    if schema is not None:
        # Autovacuum would gather these statistics soon after a real load; don't make the
        # planner guess in its first minute.
        async with engine.connect() as connection:
            await connection.execution_options(isolation_level="AUTOCOMMIT")
            await connection.execute(text("VACUUM ANALYZE timers"))
    return Store(size, engine, session_factory(engine), schema, [], [])


async def poll(store: Store) -> None:
    """One timed poll, then the untimed put-back."""
    started = time.perf_counter()
    async with SqlUnitOfWork(store.sessions) as uow:
        claimed = await uow.timers.claim_due(NOW, BATCH, LEASE)
        claimed_at = time.perf_counter()
        for timer in claimed:
            await uow.timers.complete(timer.id, attempt=timer.attempts)
        await uow.commit()
    finished = time.perf_counter()
    if len(claimed) != BATCH:
        raise RuntimeError(f"expected {BATCH} due timers, claimed {len(claimed)}")
    store.polls.append(finished - started)
    store.claims.append(claimed_at - started)
    async with SqlUnitOfWork(store.sessions) as uow:
        await uow.session.execute(
            update(timers)
            .where(timers.c.id.in_([timer.id for timer in claimed]))
            .values(status=PENDING, lease_until=None, attempts=timers.c.attempts - 1)
        )
        await uow.commit()


async def close_store(store: Store) -> None:
    if store.schema is not None:
        async with store.engine.begin() as connection:
            await connection.execute(text(f"DROP SCHEMA IF EXISTS {store.schema} CASCADE"))
    await store.engine.dispose()


async def measure() -> dict[str, float | str]:
    url = os.environ.get("BENCH_DATABASE_URL") or None
    if url is not None and is_sqlite(url):
        url = None  # a SQLite URL means the default: fresh files in a scratch directory
    with tempfile.TemporaryDirectory() as scratch:
        stores = []
        try:
            for size in SIZES:
                loading = time.perf_counter()
                stores.append(await open_store(size, url, scratch))
                print(f"  loaded {size:>9,} timers in {time.perf_counter() - loading:5.1f} s",
                      flush=True)
            for round_number in range(WARMUP + SAMPLES):
                for store in stores:
                    await poll(store)
                if round_number == WARMUP - 1:
                    for store in stores:
                        store.polls.clear()
                        store.claims.clear()
        finally:
            for store in stores:
                await close_store(store)
    small, large = stores
    small_ms = statistics.median(small.polls) * 1000
    large_ms = statistics.median(large.polls) * 1000
    return {
        "backend": "postgresql" if url else "sqlite",
        "small_poll_ms": small_ms,
        "large_poll_ms": large_ms,
        "small_claim_ms": statistics.median(small.claims) * 1000,
        "large_claim_ms": statistics.median(large.claims) * 1000,
        "ratio": large_ms / small_ms,
    }


def main() -> None:
    print(f"timer poll: claim ≤{BATCH} due timers + complete them, one transaction "
          f"(median of {SAMPLES}, interleaved)")
    result = asyncio.run(measure())
    small, large = SIZES
    print(f"  backend {result['backend']}")
    print(f"  {small:>9,} pending: poll {result['small_poll_ms']:7.2f} ms "
          f"(claim {result['small_claim_ms']:6.2f} ms)")
    print(f"  {large:>9,} pending: poll {result['large_poll_ms']:7.2f} ms "
          f"(claim {result['large_claim_ms']:6.2f} ms)")
    verdict = "ok" if result["ratio"] <= RATIO_FLOOR else "MISSED"
    print(f"  ratio large/small {result['ratio']:.2f} (floor ≤ {RATIO_FLOOR}) {verdict}")


if __name__ == "__main__":
    main()
