"""The evaluation reads one period through indexes: none of its statements scans a table."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import event
from sqlalchemy.ext.asyncio import AsyncEngine

from storage.db import session_factory
from storage.repositories.reports import SqlReports
from tests.conftest import SHANGHAI
from workflow import evaluation
from workflow.evaluation import Period

NOVEMBER = Period(datetime(2026, 11, 1).date(), datetime(2026, 11, 30).date())
TABLES = ("audit_events", "tasks", "orders", "change_notices", "urge_slips", "people")


async def test_no_statement_of_the_evaluation_scans_a_table(engine: AsyncEngine,
                                                             on_postgres: bool) -> None:
    statements: list[tuple[str, Any]] = []

    def seen(_conn: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append((statement, parameters))

    event.listen(engine.sync_engine, "before_cursor_execute", seen)
    now = datetime(2026, 12, 1, 9, tzinfo=SHANGHAI)
    async with session_factory(engine)() as session:
        reports = SqlReports(session)
        await evaluation.collect(reports, NOVEMBER, SHANGHAI, now)
        # What collect asks for by key, with keys to ask for (an empty period asks none).
        await reports.events_of("order", ["SO-20261102-001"], evaluation.ORDER_HISTORY)
        await reports.events_of("task", ["1", "2"])
        for read in (reports.tasks_by_id, reports.tasks_of_orders, reports.orders_by_id,
                     reports.notices_of_orders, reports.slips_of_orders, reports.names):
            await read([1, 2])
        await reports.orders_by_number(["SO-20261102-001"])
        await reports.notices_by_number(["CN-20261102-002-1"])
    event.remove(engine.sync_engine, "before_cursor_execute", seen)
    assert len(statements) >= 12

    async with engine.connect() as conn:
        if on_postgres:
            # With sequential scans priced out, a plan that still scans has no index to use.
            await conn.exec_driver_sql("SET enable_seqscan = off")
        for statement, parameters in statements:
            explain = "EXPLAIN " if on_postgres else "EXPLAIN QUERY PLAN "
            plan = [" ".join(map(str, row))
                    for row in await conn.exec_driver_sql(explain + statement, parameters)]
            scans = [line for line in plan for table in TABLES
                     if f"SCAN {table}" in line or f"Seq Scan on {table}" in line]
            assert not scans, (statement, plan)
