"""Years of history must not slow today's work: the example order, command by command, and the
morning digest, on a database holding 100,000 finished orders (1,000,000 tasks, 5,000,000 audit
rows) against the same on an empty one, side by side.

Run: .venv/bin/python -m bench.bench_years   (HISTORY_ORDERS=10000 for a quick look)
"""

from __future__ import annotations

import asyncio
import os
import shutil
import sqlite3
import statistics
import tempfile
import time
from pathlib import Path

from bot.simulate import Stack, _set_up, load_scenario
from bot.ticks import DigestJob
from storage.db import create_engine
from storage.migrate import upgrade

SCENARIO = Path(__file__).parent.parent / "examples" / "scenarios" / "regular_order_to_closing.yaml"
ORDERS = int(os.environ.get("HISTORY_ORDERS", 100_000))
TASKS_PER_ORDER = 10
EVENTS_PER_ORDER = 50
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 3))
FLOOR = 1.3

_KINDS = ("feasibility_review", "quote", "production_order", "planning", "assembly_start",
          "purchase", "supplier_contact", "payment_check", "shipping_notice", "after_sales")
_ROLES = ("tech", "manufacturing", "market", "manufacturing", "manufacturing", "procurement",
          "procurement", "finance", "market", "market")
_ACTIONS = ("task.open", "task.close", "task.acknowledged", "order.transition", "order.facts")


def _fill_statements(people: list[int], chat: int) -> list[str]:
    """Finished orders from 2021 to 2025 with their tasks and audit trails, generated inside
    SQLite (a recursive count), which fills millions of rows in seconds."""
    span = 5 * 365 * 86400 // ORDERS  # seconds between two orders
    person = f"(CASE n % {len(people)} " + " ".join(
        f"WHEN {i} THEN {p}" for i, p in enumerate(people)) + " END)"
    kinds = " ".join(f"WHEN {i} THEN '{k}'" for i, k in enumerate(_KINDS))
    roles = " ".join(f"WHEN {i} THEN '{r}'" for i, r in enumerate(_ROLES))
    actions = " ".join(f"WHEN {i} THEN '{a}'" for i, a in enumerate(_ACTIONS))
    created = f"datetime('2021-01-04 01:00:00', '+' || (n * {span}) || ' seconds')"

    def count(to: int) -> str:
        return (f"WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c "
                f"WHERE n < {to}) ")

    return [
        count(ORDERS) + "INSERT INTO orders (id, number, status, customer, product, quantity, "
        "unit, due_date, facts, chat_id, created_by, created_at, complete_set, order_class) "
        f"SELECT n, 'SO-' || strftime('%Y%m%d', {created}) || '-' || printf('%06d', n), "
        "CASE n % 5 WHEN 3 THEN 'declined' WHEN 4 THEN 'cancelled' ELSE 'closed' END, "
        "'客户' || (n % 3000), '产品' || (n % 500), 10.0, '台', "
        f"date({created}, '+30 days'), '{{}}', {chat}, {person}, {created}, 0, 'regular' FROM c",
        count(ORDERS * TASKS_PER_ORDER) + "INSERT INTO tasks (id, order_id, kind, role, status, "
        "due_at, created_at, closed_at) SELECT n, (n - 1) / "
        f"{TASKS_PER_ORDER} + 1, CASE n % {TASKS_PER_ORDER} {kinds} END, "
        f"CASE n % {TASKS_PER_ORDER} {roles} END, "
        "CASE ((n - 1) / {t} + 1) % 5 WHEN 3 THEN 'cancelled' WHEN 4 THEN 'cancelled' "
        "ELSE 'done' END, ".format(t=TASKS_PER_ORDER) +
        f"datetime('2021-01-05 01:00:00', '+' || (n * {span // TASKS_PER_ORDER}) || ' seconds'), "
        f"datetime('2021-01-04 01:00:00', '+' || (n * {span // TASKS_PER_ORDER}) || ' seconds'), "
        f"datetime('2021-01-05 00:00:00', '+' || (n * {span // TASKS_PER_ORDER}) || ' seconds') "
        "FROM c",
        count(ORDERS * EVENTS_PER_ORDER) + "INSERT INTO audit_events (id, at, actor_id, action, "
        "subject_type, subject_id, after) SELECT n, "
        f"datetime('2021-01-04 01:00:00', '+' || (n * {span // EVENTS_PER_ORDER}) || ' seconds'), "
        f"{person}, CASE n % {len(_ACTIONS)} {actions} END, "
        "CASE WHEN n % 5 < 3 THEN 'task' ELSE 'order' END, "
        f"CASE WHEN n % 5 < 3 THEN CAST((n - 1) / 5 + 1 AS TEXT) ELSE CAST((n - 1) / "
        f"{EVENTS_PER_ORDER} + 1 AS TEXT) END, '{{\"status\": \"done\"}}' FROM c",
    ]


async def _migrated(path: Path) -> str:
    url = f"sqlite+aiosqlite:///{path}"
    engine = create_engine(url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()
    return url


async def _with_history(path: Path, people: list[int], chat: int) -> tuple[str, float]:
    url = await _migrated(path)
    started = time.perf_counter()
    db = sqlite3.connect(path)
    db.execute("PRAGMA journal_mode=WAL")
    db.execute("PRAGMA synchronous=OFF")
    for statement in _fill_statements(people, chat):
        db.execute(statement)
    db.commit()
    db.execute("ANALYZE")
    db.close()
    return url, time.perf_counter() - started


async def _run_example(url: str) -> tuple[dict[str, float], float]:
    """Seconds per step of the example order (a command and all it sets off), and the
    morning digest's seconds."""
    scenario = load_scenario(SCENARIO)
    steps: dict[str, float] = {}
    stack = Stack(scenario.start, database_url=url,
                  admin_ids=frozenset(p.id for p in scenario.people if p.admin),
                  policy=scenario.policy)
    async with stack:
        await _set_up(stack, scenario)
        for step in scenario.steps:
            await stack.advance_to(step.at)
            if step.chat is None or step.sender is None:
                continue
            replied = (stack.emulator.newest_message(step.chat, step.reply_to).message_id
                       if step.reply_to is not None else None)
            started = time.perf_counter()
            if step.text is not None:
                stack.emulator.send_text(step.chat, step.sender, step.text,
                                         reply_to_message_id=replied)
                label = f"{step.index:02d} {step.text.split()[0][:24]}"
            else:
                stack.emulator.press(step.chat, step.sender, step.press, on=step.on)
                label = f"{step.index:02d} [{step.press}]"
            await stack.pump()
            steps[label] = time.perf_counter() - started
        started = time.perf_counter()
        await DigestJob(stack.gendan.runtime).run()
        digest = time.perf_counter() - started
    return steps, digest


def main() -> None:
    scenario = load_scenario(SCENARIO)
    people = [p.id for p in scenario.people]
    chat = scenario.groups[0].id
    with tempfile.TemporaryDirectory() as scratch:
        empty_url = asyncio.run(_migrated(Path(scratch) / "empty.db"))
        full_url, fill = asyncio.run(_with_history(Path(scratch) / "history.db", people, chat))
        print(f"history: {ORDERS:,} finished orders, {ORDERS * TASKS_PER_ORDER:,} tasks, "
              f"{ORDERS * EVENTS_PER_ORDER:,} audit rows (filled in {fill:.0f} s)")
        runs: dict[str, list[tuple[dict[str, float], float]]] = {"empty": [], "history": []}
        for round_no in range(ROUNDS):  # alternate, so both see the same machine
            for name, url in (("empty", empty_url), ("history", full_url)):
                # Every run starts from the same database: the example order must not meet
                # the one the run before registered (it would be taken for a duplicate).
                run = Path(scratch) / f"{name}-{round_no}.db"
                shutil.copyfile(url.removeprefix("sqlite+aiosqlite:///"), run)
                runs[name].append(asyncio.run(_run_example(f"sqlite+aiosqlite:///{run}")))
                run.unlink()
    labels = list(runs["empty"][0][0])
    print(f"{'step':<32}{'empty ms':>10}{'history ms':>12}{'ratio':>8}")
    totals = {}
    for name in runs:
        totals[name] = statistics.median(sum(steps.values()) for steps, _ in runs[name])
    for label in labels:
        empty = statistics.median(steps[label] for steps, _ in runs["empty"]) * 1000
        full = statistics.median(steps[label] for steps, _ in runs["history"]) * 1000
        print(f"{label:<32}{empty:>10.1f}{full:>12.1f}{full / empty:>8.2f}")
    digest = {name: statistics.median(d for _, d in runs[name]) * 1000 for name in runs}
    print(f"{'morning digest':<32}{digest['empty']:>10.1f}{digest['history']:>12.1f}"
          f"{digest['history'] / digest['empty']:>8.2f}")
    ratio = totals["history"] / totals["empty"]
    print(f"whole example order: empty {totals['empty'] * 1000:.0f} ms, history "
          f"{totals['history'] * 1000:.0f} ms, ratio {ratio:.2f} (floor {FLOOR})")


if __name__ == "__main__":
    main()
