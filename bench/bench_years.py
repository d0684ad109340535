"""Years of history must not slow today's work: the example order, command by command, and the
morning digest, on a database holding 100,000 finished orders (1,000,000 tasks, 5,000,000 audit
rows) against the same on an empty one, side by side. Each step's median wall clock is judged
against the floor; the CPU time beside it shows what others' load on the machine did to it.

Run: .venv/bin/python -m bench.bench_years   (HISTORY_ORDERS=10000 for a quick look,
BENCH_ROUNDS for more or fewer rounds)
"""

from __future__ import annotations

import asyncio
import gc
import os
import shutil
import sqlite3
import statistics
import struct
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterable
from contextlib import AsyncExitStack
from dataclasses import dataclass
from pathlib import Path

from bot.simulate import Scenario, Stack, _set_up, load_scenario
from bot.simulate import Step as ScenarioStep
from bot.ticks import DigestJob
from storage.db import create_engine
from storage.migrate import upgrade

SCENARIO = Path(__file__).parent.parent / "examples" / "scenarios" / "regular_order_to_closing.yaml"
ORDERS = int(os.environ.get("HISTORY_ORDERS", 100_000))
TASKS_PER_ORDER = 10
EVENTS_PER_ORDER = 50
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 11))
FLOOR = 1.3

_KINDS = ("feasibility_review", "quote", "production_order", "planning", "assembly_start",
          "purchase", "supplier_contact", "payment_check", "shipping_notice", "after_sales")
_ROLES = ("tech", "manufacturing", "market", "manufacturing", "manufacturing", "procurement",
          "procurement", "finance", "market", "market")
_ACTIONS = ("task.open", "task.close", "task.acknowledged", "order.transition", "order.facts")


def _fill_statements(people: list[int], chat: int) -> list[str]:
    """Finished orders from 2021 to 2025 with their tasks and audit trails, generated inside
    SQLite (a recursive count), which fills millions of rows in seconds. The orders are archived,
    as the morning archive has long done with them: left live, the first morning of every run
    archives all of them at once (minutes, outside the timed steps)."""
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
        "unit, due_date, facts, chat_id, created_by, created_at, complete_set, order_class, "
        "archived_at) "
        f"SELECT n, 'SO-' || strftime('%Y%m%d', {created}) || '-' || printf('%06d', n), "
        "CASE n % 5 WHEN 3 THEN 'declined' WHEN 4 THEN 'cancelled' ELSE 'closed' END, "
        "'客户' || (n % 3000), '产品' || (n % 500), 10.0, '台', "
        f"date({created}, '+30 days'), '{{}}', {chat}, {person}, {created}, 0, 'regular', "
        f"datetime({created}, '+75 days') FROM c",
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


@dataclass
class Timing:
    wall: float  # seconds
    cpu: float  # seconds of this process: others' load on a shared machine barely moves it
    checkpointed: bool  # SQLite wrote the WAL back into the database during the step


Run = tuple[dict[str, Timing], Timing]  # the example order's steps, and the morning digest


def _wal(database: Path) -> tuple[int, int]:
    """Frames in the WAL and frames of them written back, from the wal-index header (the
    -shm file): read, not asked of SQLite, which would checkpoint to answer."""
    try:
        header = Path(f"{database}-shm").read_bytes()[:100]
    except FileNotFoundError:
        return 0, 0
    if len(header) < 100:
        return 0, 0
    return struct.unpack_from("=I", header, 16)[0], struct.unpack_from("=I", header, 96)[0]


class _Example:
    """The example order played on one database, a step at a time."""

    def __init__(self, database: Path, scenario: Scenario) -> None:
        self.database = database
        self.scenario = scenario
        self.stack = Stack(scenario.start, database_url=f"sqlite+aiosqlite:///{database}",
                           admin_ids=frozenset(p.id for p in scenario.people if p.admin),
                           policy=scenario.policy)

    async def __aenter__(self) -> _Example:
        await self.stack.__aenter__()
        await _set_up(self.stack, self.scenario)
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stack.__aexit__(*exc_info)

    async def _timed(self, act: Callable[[], Awaitable[None]]) -> Timing:
        frames, written = _wal(self.database)
        started, cpu = time.perf_counter(), time.process_time()
        await act()
        wall, cpu = time.perf_counter() - started, time.process_time() - cpu
        frames_after, written_after = _wal(self.database)
        return Timing(wall, cpu, written_after != written or frames_after < frames)

    async def play(self, step: ScenarioStep) -> Timing | None:
        """A command or a press and all it sets off; None for a step that only lets time pass
        (untimed, like the time before every step)."""
        stack = self.stack
        await stack.advance_to(step.at)
        if step.chat is None or step.sender is None:
            return None
        chat, sender = step.chat, step.sender
        replied = (stack.emulator.newest_message(chat, step.reply_to).message_id
                   if step.reply_to is not None else None)

        async def act() -> None:
            if step.text is not None:
                stack.emulator.send_text(chat, sender, step.text, reply_to_message_id=replied)
            else:
                stack.emulator.press(chat, sender, step.press, on=step.on)
            await stack.pump()

        return await self._timed(act)

    async def digest(self) -> Timing:
        return await self._timed(DigestJob(self.stack.gendan.runtime).run)


def _label(step: ScenarioStep) -> str:
    return (f"{step.index:02d} {step.text.split()[0][:24]}" if step.text is not None
            else f"{step.index:02d} [{step.press}]")


async def _round(databases: dict[str, Path]) -> dict[str, Run]:
    """The example order on every database at once, step by step, so that each step meets the
    same machine (others' load comes and goes within seconds)."""
    scenario = load_scenario(SCENARIO)
    steps: dict[str, dict[str, Timing]] = {name: {} for name in databases}
    async with AsyncExitStack() as running:
        examples = {name: await running.enter_async_context(_Example(database, scenario))
                    for name, database in databases.items()}
        # Starting two bots leaves the next full collection a heap of new objects to go
        # through: 100–300 ms that would fall in the first step of either database.
        gc.collect()
        for step in scenario.steps:
            for name, example in examples.items():
                if (timed := await example.play(step)) is not None:
                    steps[name][_label(step)] = timed
        return {name: (steps[name], await example.digest()) for name, example in examples.items()}


def _copy(source: Path, target: Path) -> None:
    """A copy already on disk: a fresh copy of the history sits in the page cache unwritten, and
    the first checkpoint's fsync would pay for writing it all (seconds, billed to whichever
    command happens to commit it) – a cost of the benchmark, not of the bot."""
    shutil.copyfile(source, target)
    with target.open("rb+") as copy:
        os.fsync(copy.fileno())


def _rows(database: Path) -> dict[str, int]:
    db = sqlite3.connect(database)
    try:
        return {table: db.execute(f"SELECT count(*) FROM {table}").fetchone()[0]  # noqa: S608
                for table in ("orders", "tasks", "audit_events")}
    finally:
        db.close()


def _verdict(ratio: float) -> str:
    return "ok" if ratio <= FLOOR else "OVER"


def main() -> None:
    scenario = load_scenario(SCENARIO)
    people = [p.id for p in scenario.people]
    chat = scenario.groups[0].id
    runs: dict[str, list[Run]] = {"empty": [], "history": []}
    with tempfile.TemporaryDirectory() as scratch:
        databases = {"empty": Path(scratch) / "empty.db", "history": Path(scratch) / "history.db"}
        asyncio.run(_migrated(databases["empty"]))
        _, fill = asyncio.run(_with_history(databases["history"], people, chat))
        rows = {name: _rows(database) for name, database in databases.items()}
        print(f"rows in the database (filled in {fill:.0f} s): " + ", ".join(
            f"{table} {rows['history'][table]:,} (empty: {rows['empty'][table]})"
            for table in rows["history"]))
        print(f"{ROUNDS} rounds, each step on the empty database and on the history in turn; "
              f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores", flush=True)
        for round_no in range(ROUNDS):
            # Every round starts from the same databases: the example order must not meet the
            # one the round before registered (it would be taken for a duplicate). Which goes
            # first at each step changes from round to round.
            names = list(databases) if round_no % 2 == 0 else list(reversed(databases))
            copies = {name: Path(scratch) / f"{name}-{round_no}.db" for name in names}
            for name, copy in copies.items():
                _copy(databases[name], copy)
            for name, run in asyncio.run(_round(copies)).items():
                runs[name].append(run)
            for copy in copies.values():
                for leftover in (copy, Path(f"{copy}-wal"), Path(f"{copy}-shm")):
                    leftover.unlink(missing_ok=True)
    _report(runs)


def _checkpoints(runs: dict[str, list[Run]], pick: Callable[[Run], Timing]) -> list[int]:
    return [sum(pick(run).checkpointed for run in runs[name]) for name in runs]


def _line(title: str, runs: dict[str, list[Run]], pick: Callable[[Run], Timing]) -> float:
    """Print one line of medians (wall clock, and CPU time in brackets); the wall ratio."""
    wall = [statistics.median(pick(run).wall for run in runs[name]) * 1000 for name in runs]
    cpu = [statistics.median(pick(run).cpu for run in runs[name]) * 1000 for name in runs]
    ratio = wall[1] / wall[0]
    note = ""
    checkpoints = _checkpoints(runs, pick)
    if checkpoints[0] != checkpoints[1]:
        note = (f"  (WAL checkpoint in {checkpoints[0]} of {len(runs['empty'])} empty runs, "
                f"{checkpoints[1]} of {len(runs['history'])} history runs)")
    print(f"{title:<24}{wall[0]:>8.1f} ({cpu[0]:>6.1f}){wall[1]:>8.1f} ({cpu[1]:>6.1f})"
          f"{ratio:>7.2f}{cpu[1] / cpu[0]:>7.2f}  {_verdict(ratio)}{note}")
    return ratio


def _sum(timings: Iterable[Timing]) -> Timing:
    timings = list(timings)
    return Timing(sum(t.wall for t in timings), sum(t.cpu for t in timings),
                  any(t.checkpointed for t in timings))


def _spans(runs: dict[str, list[Run]], labels: list[str]) -> list[list[str]]:
    """Runs of steps from one that had a WAL checkpoint on one database only to the one where
    the other database had it: each holds as many checkpoints on either side."""
    spans: list[list[str]] = []
    owed = 0
    for label in labels:
        empty, history = _checkpoints(runs, lambda run, label=label: run[0][label])
        if owed == 0 and empty != history:
            spans.append([])
        if owed != 0 or empty != history:
            spans[-1].append(label)
        owed += history - empty
    return spans


def _report(runs: dict[str, list[Run]]) -> None:
    print(f"median per step, ms: wall clock (CPU time of this process); ratio history/empty "
          f"(of wall clock, of CPU time), floor {FLOOR}")
    print(f"{'step':<24}{'empty':>17}{'history':>17}{'ratio':>7}{'(CPU)':>7}  floor")
    labels = list(runs["empty"][0][0])
    over = [label for label in labels
            if _verdict(_line(label, runs, lambda run, label=label: run[0][label])) != "ok"]
    digest = _line("morning digest", runs, lambda run: run[1])
    whole = _line("whole example order", runs, lambda run: _sum(run[0].values()))
    # SQLite writes the WAL back into the database every 1,000 pages, in the command whose
    # commit crosses the mark. The deeper indexes of a large database write a few more pages
    # per command, so it crosses the mark a step or two sooner: that step pays a checkpoint the
    # empty database pays a little later. From the one to the other, both pay one.
    joint: dict[str, str] = {}
    for span in _spans(runs, labels):
        together = f"{span[0][:2]}–{span[-1][:2]} together"
        ratio = _line(together, runs,
                      lambda run, span=span: _sum(run[0][label] for label in span))
        print(f"  ({', '.join(span)}: a WAL checkpoint on each database, at different steps)")
        joint |= {label: f" ({together} {ratio:.2f}, {_verdict(ratio)})" for label in span}
    print(f"commands within the floor: {len(labels) - len(over)} of {len(labels)}"
          + (f" (over: {', '.join(label + joint.get(label, '') for label in over)})"
             if over else "")
          + f"; morning digest {_verdict(digest)} ({digest:.2f}); whole order "
          f"{_verdict(whole)} ({whole:.2f}); load average now {os.getloadavg()[0]:.1f}")


if __name__ == "__main__":
    main()
