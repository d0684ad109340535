"""The morning digest, /report for the month and a /status lookup with years of history:
100,000 archived orders beside 1,000 live ones, against the same 1,000 live orders alone.

Run: .venv/bin/python -m bench.bench_history

Both databases are SQLite files filled by bulk inserts (one INSERT … SELECT per table). The live
orders are the same in both: in production, three tasks each (two open, due from two days ago
to eight days ahead, one done), delivery dates spread over the next 40 days. The archived
orders are closed years ago, each with three done tasks and two audit events, as the archive
leaves them. A digest sample is `digest.send_digests` in one unit of work, rolled back so every
sample starts from the same state (the outbox rows it queues are the digest's own cost); a
status sample is what /status reads (the order by number, its tasks) for a live order, a
different one each time; a report sample is what /report 本月 does (the figures from the
audit trail and the tasks, the summary, the chart picture and the workbook). Samples alternate between the two databases so both see the same
machine load; each figure is a median and the floor is with-history / live-only ≤ 1.5.
"""

from __future__ import annotations

import asyncio
import statistics
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime

from sqlalchemy import text

from bot.app import Gendan, bootstrap
from bot.settings import Settings
from handlers.reports import evaluation_for, pieces
from workflow import digest, evaluation, orders
from workflow.roles import Role

LIVE, ARCHIVED = 1_000, 100_000
TASKS_PER_ORDER = 3
WARMUP = 3
DIGEST_SAMPLES = 15
STATUS_SAMPLES = 300
REPORT_SAMPLES = 7
RATIO_FLOOR = 1.5
NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)  # Tuesday 09:00 in Shanghai: digest time
_SQLITE_NOW = NOW.strftime("%Y-%m-%d %H:%M:%S")
GM_ID = 301

_ORDERS = """
INSERT INTO orders (number, status, customer, product, model, quantity, unit, unit_price,
                    amount, due_date, complete_set, order_class, notes, facts, chat_id,
                    created_by, created_at, archived_at)
WITH RECURSIVE seq(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM seq WHERE i < :count)
SELECT :prefix || printf('%06d', i), :status, '客户' || (i % 500), '产品' || (i % 50), NULL,
       10, '台', 1000, 10000,
       date(:now, (CASE WHEN :archived THEN -1000 ELSE 0 END + i % 40) || ' days'),
       0, 'regular', NULL, '{}', -1001, 101,
       strftime('%Y-%m-%d %H:%M:%S', :now,
                (CASE WHEN :archived THEN -1100 ELSE -10 END) || ' days') || '.000000',
       CASE WHEN :archived THEN strftime('%Y-%m-%d %H:%M:%S', :now, '-900 days') || '.000000'
            END
FROM seq
"""
# Three tasks an order; a live order's first two are open, due from two days ago to eight
# days ahead (7919 is prime: the due times scatter instead of following the ids).
_TASKS = """
INSERT INTO tasks (order_id, kind, role, title, status, due_at, created_at)
SELECT o.id, 'assembly_start',
       CASE k WHEN 0 THEN 'manufacturing' WHEN 1 THEN 'procurement' ELSE 'tech' END, NULL,
       CASE WHEN o.archived_at IS NULL AND k < 2 THEN 'open' ELSE 'done' END,
       strftime('%Y-%m-%d %H:%M:%S', :now,
                CASE WHEN o.archived_at IS NULL THEN -172800 + (o.id * 7919 + k) % 864000
                     ELSE -80000000 END || ' seconds') || '.000000',
       o.created_at
FROM orders AS o, (SELECT 0 AS k UNION ALL SELECT 1 UNION ALL SELECT 2)
WHERE o.number LIKE :prefix || '%'
"""
# Every order was registered; the archived ones were closed too.
_AUDIT = """
INSERT INTO audit_events (at, actor_id, action, subject_type, subject_id, before, after)
SELECT o.created_at, 101, a.action, 'order', o.number, NULL, NULL
FROM orders AS o, (SELECT 'order.register' AS action UNION ALL SELECT 'order.close') AS a
WHERE a.action = 'order.register' OR o.archived_at IS NOT NULL
"""


class FixedClock:
    def now(self) -> datetime:
        return NOW


@dataclass
class Store:
    label: str
    gendan: Gendan
    numbers: list[str]
    digests: list[float]
    lookups: list[float]
    reports: list[float]


async def fill(gendan: Gendan, archived: int) -> list[str]:
    """The company (a group per department, a general manager) and the orders; the live
    orders' numbers."""
    async with gendan.engine.begin() as connection:
        for index, role in enumerate(Role):
            await connection.execute(text(
                "INSERT INTO chats (id, title, department, active) VALUES (:id, :t, :d, 1)"),
                {"id": -2000 - index, "t": role.value, "d": role.value})
        await connection.execute(text(
            "INSERT INTO people (id, name) VALUES (:id, '赵总')"), {"id": GM_ID})
        await connection.execute(text(
            "INSERT INTO role_grants (person_id, role, leader) VALUES (:id, 'gm', 0)"),
            {"id": GM_ID})
        for prefix, count, status, is_archived in (
                ("SO-20230101-", archived, "closed", True),
                ("SO-20261114-", LIVE, "production", False)):
            if not count:
                continue
            params = {"count": count, "prefix": prefix, "status": status,
                      "archived": is_archived, "now": _SQLITE_NOW}
            await connection.execute(text(_ORDERS), params)
            await connection.execute(text(_TASKS), {"prefix": prefix, "now": _SQLITE_NOW})
        await connection.execute(text(_AUDIT))
        await connection.execute(text("ANALYZE"))
    return [f"SO-20261114-{i:06d}" for i in range(1, LIVE + 1)]


async def open_store(label: str, archived: int, scratch: str) -> Store:
    url = f"sqlite+aiosqlite:///{scratch}/history_{label}.db"
    gendan = await bootstrap(Settings(database_url=url), FixedClock())
    loading = time.perf_counter()
    numbers = await fill(gendan, archived)
    print(f"  {label}: {LIVE:,} live + {archived:,} archived orders loaded in "
          f"{time.perf_counter() - loading:5.1f} s", flush=True)
    return Store(label, gendan, numbers, [], [], [])


async def digest_once(store: Store) -> int:
    runtime = store.gendan.runtime
    started = time.perf_counter()
    async with runtime.unit_of_work() as uow:
        sent = await digest.send_digests(runtime.context(uow, NOW))
        await uow.rollback()
    store.digests.append(time.perf_counter() - started)
    return sent


async def status_once(store: Store, index: int) -> None:
    runtime = store.gendan.runtime
    number = store.numbers[(index * 7919) % len(store.numbers)]
    started = time.perf_counter()
    async with runtime.unit_of_work() as uow:
        order = await orders.order_by_number(runtime.context(uow, NOW), number)
        tasks = await uow.tasks.for_order(order.id or 0)
    store.lookups.append(time.perf_counter() - started)
    if len(tasks) != TASKS_PER_ORDER:
        raise RuntimeError(f"{number}: {len(tasks)} tasks")


async def report_once(store: Store) -> int:
    """/report 本月: the month's evaluation, its summary, picture and workbook; the orders it
    counted."""
    runtime, calendar = store.gendan.runtime, store.gendan.calendar
    period = evaluation.parse_period("本月", NOW.astimezone(runtime.tz).date())
    assert period is not None
    started = time.perf_counter()
    async with runtime.unit_of_work() as uow:
        result = await evaluation_for(uow.reports, calendar, period, NOW)
    pieces(result, "zh_CN", runtime.tz)
    store.reports.append(time.perf_counter() - started)
    return result.received


async def measure() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as scratch:
        stores = [await open_store("live-only", 0, scratch),
                  await open_store("with-history", ARCHIVED, scratch)]
        try:
            for round_number in range(WARMUP + DIGEST_SAMPLES):
                sent = [await digest_once(store) for store in stores]
                if sent[0] != sent[1] or not sent[0]:
                    raise RuntimeError(f"the digests differ: {sent}")
                if round_number == WARMUP - 1:
                    for store in stores:
                        store.digests.clear()
            for round_number in range(1 + REPORT_SAMPLES):
                received = [await report_once(store) for store in stores]
                if received[0] != received[1] or received[0] != LIVE:
                    raise RuntimeError(f"the reports differ: {received}")
                if round_number == 0:
                    for store in stores:
                        store.reports.clear()
            for index in range(WARMUP + STATUS_SAMPLES):
                for store in stores:
                    await status_once(store, index)
                if index == WARMUP - 1:
                    for store in stores:
                        store.lookups.clear()
        finally:
            for store in stores:
                await store.gendan.close()
    small, large = stores
    figures = {
        "digest_live_ms": statistics.median(small.digests) * 1000,
        "digest_history_ms": statistics.median(large.digests) * 1000,
        "status_live_ms": statistics.median(small.lookups) * 1000,
        "status_history_ms": statistics.median(large.lookups) * 1000,
        "report_live_ms": statistics.median(small.reports) * 1000,
        "report_history_ms": statistics.median(large.reports) * 1000,
    }
    for what in WHAT:
        figures[f"{what}_ratio"] = figures[f"{what}_history_ms"] / figures[f"{what}_live_ms"]
    return figures


WHAT = ("digest", "report", "status")


def main() -> None:
    print(f"history: the morning digest (median of {DIGEST_SAMPLES}), /report 本月 (median of "
          f"{REPORT_SAMPLES}) and a /status lookup (median of {STATUS_SAMPLES}), {LIVE:,} live "
          "orders alone and beside "
          f"{ARCHIVED:,} archived ones, SQLite, interleaved")
    result = asyncio.run(measure())
    for what in WHAT:
        ratio = result[f"{what}_ratio"]
        verdict = "ok" if ratio <= RATIO_FLOOR else "MISSED"
        print(f"  {what:<6} live only {result[f'{what}_live_ms']:8.2f} ms   with history "
              f"{result[f'{what}_history_ms']:8.2f} ms   ratio {ratio:.2f} "
              f"(floor ≤ {RATIO_FLOOR}) {verdict}")


if __name__ == "__main__":
    main()
