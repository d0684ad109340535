"""The working queries read live orders and open tasks through partial indexes, so years of
archived orders and done tasks do not make them slower (bench/bench_history.py measures it)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import session_factory
from storage.uow import SqlUnitOfWork
from workflow.model import UNDER_WAY_STATUSES
from workflow.roles import Role


async def test_the_digests_reads_use_the_partial_indexes(engine: AsyncEngine,
                                                         on_postgres: bool) -> None:
    statements: list[tuple[str, Any]] = []

    def seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    async with SqlUnitOfWork(session_factory(engine)) as uow:
        await uow.orders.active()
        await uow.orders.ended_live()
        await uow.orders.matching("华东电力", None, list(UNDER_WAY_STATUSES))
        await uow.tasks.open_for_roles(list(Role))
    event.remove(engine.sync_engine, "before_cursor_execute", seen)
    assert len(statements) == 4

    # A scan is fine only along a partial index (it holds live orders or open tasks alone);
    # SQLite may also search by status, which reaches the same rows.
    partial = ("ix_orders_under_way", "ix_orders_live_status", "ix_tasks_open_due")
    async with engine.connect() as conn:
        if on_postgres:
            await conn.exec_driver_sql("SET enable_seqscan = off")
        for statement, parameters in statements:
            explain = "EXPLAIN " if on_postgres else "EXPLAIN QUERY PLAN "
            plan = [" ".join(map(str, row)) for row in
                    await conn.exec_driver_sql(explain + statement, parameters)]
            scans = [line for line in plan
                     if ("Seq Scan" in line or "SCAN orders" in line or "SCAN tasks" in line)
                     and not any(index in line for index in partial)]
            assert not scans, (statement, plan)
