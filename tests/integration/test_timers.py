"""Timers against a real database: scheduling, claiming under a lease, crash recovery, and two
bot processes sharing one database.

Run as a module, this file is also the worker those processes run:
    python -m tests.integration.test_timers DATABASE_URL OUT_FILE READY_DIR WORKERS
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from storage.db import create_engine, session_factory
from storage.uow import SqlUnitOfWork

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
LEASE = timedelta(minutes=1)
ROOT = Path(__file__).resolve().parents[2]


async def _schedule(sessions, *timers: tuple[str, str, datetime, str]) -> list[bool]:
    async with SqlUnitOfWork(sessions) as uow:
        added = [await uow.timers.schedule(*timer) for timer in timers]
        await uow.commit()
    return added


async def _claim(sessions, now: datetime, limit: int = 100):
    async with SqlUnitOfWork(sessions) as uow:
        claimed = await uow.timers.claim_due(now, limit, LEASE)
        await uow.commit()
    return claimed


async def test_scheduling_twice_under_one_key_keeps_the_first(sessions) -> None:
    first, again = await _schedule(
        sessions,
        ("remind", "task:1", NOW, "remind:task:1"),
        ("remind", "task:1", NOW + timedelta(hours=5), "remind:task:1"),
    )
    assert (first, again) == (True, False)
    [timer] = await _claim(sessions, NOW)
    assert timer.due_at == NOW and timer.due_at.utcoffset() == timedelta(0)
    async with SqlUnitOfWork(sessions) as uow:
        await uow.timers.complete(timer.id)
        await uow.commit()
    # A spent key stays spent: replaying the command that scheduled it must not re-arm it.
    assert await _schedule(sessions, ("remind", "task:1", NOW, "remind:task:1")) == [False]


async def test_claims_come_oldest_due_first_and_never_early(sessions) -> None:
    await _schedule(
        sessions,
        ("remind", "task:2", NOW - timedelta(minutes=1), "b"),
        ("escalate", "task:1", NOW - timedelta(hours=1), "a"),
        ("remind", "task:3", NOW, "c"),
        ("remind", "task:4", NOW + timedelta(seconds=1), "later"),
    )
    first_two = await _claim(sessions, NOW, limit=2)
    assert [t.dedupe_key for t in first_two] == ["a", "b"]
    assert first_two[0].kind == "escalate" and first_two[0].subject == "task:1"
    assert [t.dedupe_key for t in await _claim(sessions, NOW)] == ["c"]
    assert await _claim(sessions, NOW) == []


async def test_a_lease_hides_a_timer_until_it_expires_then_another_poller_takes_it(
    sessions,
) -> None:
    await _schedule(sessions, ("escalate", "task:7", NOW, "escalate:task:7:1"))
    [crashed] = await _claim(sessions, NOW)
    assert crashed.attempts == 1
    assert await _claim(sessions, NOW + LEASE - timedelta(seconds=1)) == []
    [recovered] = await _claim(sessions, NOW + LEASE + timedelta(seconds=1))
    assert (recovered.id, recovered.attempts) == (crashed.id, 2)
    async with SqlUnitOfWork(sessions) as uow:
        # The first poller woke up after all: its stale claim may no longer finish the timer.
        assert await uow.timers.complete(crashed.id, attempt=crashed.attempts) is False
        assert await uow.timers.complete(recovered.id, attempt=recovered.attempts) is True
        await uow.commit()
    assert await _claim(sessions, NOW + timedelta(days=1)) == []


async def test_complete_cancel_and_cancel_subject_retire_timers(sessions) -> None:
    await _schedule(
        sessions,
        ("remind", "task:12", NOW, "remind:task:12"),
        ("escalate", "task:12", NOW + timedelta(hours=1), "escalate:task:12"),
        ("escalate", "task:12", NOW + timedelta(hours=2), "escalate:task:12:gm"),
        ("remind", "task:13", NOW, "remind:task:13"),
        ("remind", "task:14", NOW, "remind:task:14"),
    )
    [remind_12, remind_13, remind_14] = await _claim(sessions, NOW)
    async with SqlUnitOfWork(sessions) as uow:
        assert await uow.timers.complete(remind_12.id) is True
        assert await uow.timers.complete(remind_12.id) is False  # done is final
        assert await uow.timers.cancel("remind:task:13") is True  # cancelled while in flight
        assert await uow.timers.cancel("remind:task:13") is False
        assert await uow.timers.cancel("no-such-key") is False
        assert await uow.timers.cancel_subject("task:12") == 2  # the done one is left alone
        assert await uow.timers.cancel_subject("task:12") == 0
        await uow.commit()
    async with SqlUnitOfWork(sessions) as uow:
        # The poller holding a cancelled timer learns it may not complete it.
        assert await uow.timers.complete(remind_13.id) is False
        assert await uow.timers.complete(remind_14.id) is True
        assert await uow.timers.pending_count() == 0
        await uow.commit()
    assert await _claim(sessions, NOW + timedelta(days=1)) == []


async def test_release_hands_a_timer_back_for_a_later_try(sessions) -> None:
    await _schedule(sessions, ("digest", "chat:-1001", NOW, "digest:-1001:2026-11-24"))
    [timer] = await _claim(sessions, NOW)
    retry_at = NOW + timedelta(minutes=5)
    async with SqlUnitOfWork(sessions) as uow:
        assert await uow.timers.release(timer.id, retry_at) is True
        assert await uow.timers.release(timer.id, retry_at) is False  # no longer ours
        assert await uow.timers.next_due_at() == retry_at
        await uow.commit()
    assert await _claim(sessions, retry_at - timedelta(seconds=1)) == []
    [again] = await _claim(sessions, retry_at)
    assert (again.id, again.due_at, again.attempts) == (timer.id, retry_at, 2)


async def test_reschedule_moves_only_live_timers(sessions) -> None:
    await _schedule(sessions, ("remind", "task:5", NOW, "remind:task:5"),
                    ("remind", "task:6", NOW, "remind:task:6"))
    later = NOW + timedelta(days=2)
    async with SqlUnitOfWork(sessions) as uow:
        assert await uow.timers.reschedule("remind:task:5", later) is True
        assert await uow.timers.cancel("remind:task:6") is True
        assert await uow.timers.reschedule("remind:task:6", later) is False
        assert await uow.timers.reschedule("unknown", later) is False
        await uow.commit()
    assert await _claim(sessions, NOW) == []
    [moved] = await _claim(sessions, later)
    assert moved.dedupe_key == "remind:task:5"


async def test_next_due_at_sees_only_live_timers_and_expiring_leases(sessions) -> None:
    async with SqlUnitOfWork(sessions) as uow:
        assert await uow.timers.next_due_at() is None
    await _schedule(
        sessions,
        ("remind", "task:1", NOW - timedelta(hours=3), "done-one"),
        ("remind", "task:2", NOW - timedelta(hours=2), "cancelled-one"),
        ("remind", "task:3", NOW + timedelta(hours=4), "leased-one"),
        ("remind", "task:4", NOW + timedelta(hours=5), "pending-one"),
    )
    [done] = await _claim(sessions, NOW, limit=1)
    async with SqlUnitOfWork(sessions) as uow:
        await uow.timers.complete(done.id)
        await uow.timers.cancel("cancelled-one")
        await uow.commit()
    async with SqlUnitOfWork(sessions) as uow:
        assert await uow.timers.next_due_at() == NOW + timedelta(hours=4)
        assert await uow.timers.pending_count() == 2
    claim_time = NOW + timedelta(hours=4)
    [leased] = await _claim(sessions, claim_time)
    assert leased.dedupe_key == "leased-one"
    async with SqlUnitOfWork(sessions) as uow:
        # A lease that runs out makes its timer due again; that may come before the next one.
        assert await uow.timers.next_due_at() == claim_time + LEASE
        assert await uow.timers.pending_count() == 2


# ------------------------------------------------------------------ two bot processes

TIMERS = 3000


async def test_two_bot_processes_on_one_database_fire_no_timer_twice(
    database_url: str, sessions, tmp_path: Path
) -> None:
    """Two bot processes on one PostgreSQL with thousands of timers: no timer fires twice.

    On SQLite the same holds across processes on one file (WAL, busy_timeout): writers are
    serialised, so the conditional UPDATE alone keeps the claims disjoint.
    """
    due = datetime.now(UTC) - timedelta(minutes=1)
    async with SqlUnitOfWork(sessions) as uow:
        for i in range(TIMERS):
            await uow.timers.schedule("remind", f"task:{i}", due + timedelta(milliseconds=i),
                                      f"remind:task:{i}")
        await uow.commit()
        scheduled = await uow.timers.pending_count()
    assert scheduled == TIMERS

    ready = tmp_path / "ready"
    ready.mkdir()
    outputs = [tmp_path / f"fired-{n}.txt" for n in range(2)]
    workers = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.integration.test_timers", database_url, str(out),
             str(ready), "2"],
            cwd=ROOT, env={**os.environ, "PYTHONPATH": str(ROOT)},
            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        )
        for out in outputs
    ]
    for worker in workers:
        log, _ = worker.communicate(timeout=60)
        assert worker.returncode == 0, log

    fired = [[int(line) for line in out.read_text().split()] for out in outputs]
    first, second = set(fired[0]), set(fired[1])
    assert len(fired[0]) == len(first) and len(fired[1]) == len(second)
    assert first & second == set()
    assert [out.with_suffix(".lost").read_text() for out in outputs] == ["", ""]
    async with SqlUnitOfWork(sessions) as uow:
        assert await uow.timers.pending_count() == 0
    assert len(first | second) == TIMERS
    # Both really took part, or the test proved nothing about concurrency.
    assert first and second, (len(first), len(second))


async def _fire_until_none_left(url: str, out: Path, ready: Path, workers: int) -> None:
    engine = create_engine(url)
    sessions = session_factory(engine)
    async with SqlUnitOfWork(sessions) as uow:  # connect before the start line
        await uow.timers.next_due_at()
    (ready / str(os.getpid())).touch()
    deadline = time.monotonic() + 30
    while len(list(ready.iterdir())) < workers and time.monotonic() < deadline:
        await asyncio.sleep(0.005)
    fired: list[int] = []
    lost: list[int] = []
    try:
        while True:
            # Claim, act, complete in separate transactions, as the poller does: the lease and
            # not a held lock is what keeps the other process off a timer while it is acted on.
            async with SqlUnitOfWork(sessions) as uow:
                claimed = await uow.timers.claim_due(datetime.now(UTC), 10, LEASE)
                await uow.commit()
            if not claimed:
                async with SqlUnitOfWork(sessions) as uow:
                    if await uow.timers.pending_count() == 0:
                        break
                await asyncio.sleep(0.01)  # the rest is leased to the other process
                continue
            fired.extend(timer.id for timer in claimed)
            async with SqlUnitOfWork(sessions) as uow:
                for timer in claimed:
                    if not await uow.timers.complete(timer.id, attempt=timer.attempts):
                        lost.append(timer.id)  # claimed again by the other process meanwhile
                await uow.commit()
    finally:
        out.write_text("".join(f"{timer_id}\n" for timer_id in fired))
        out.with_suffix(".lost").write_text("".join(f"{timer_id}\n" for timer_id in lost))
        await engine.dispose()


if __name__ == "__main__":
    url, out, ready, workers = sys.argv[1:5]
    asyncio.run(_fire_until_none_left(url, Path(out), Path(ready), int(workers)))
