"""Storage against a real database: SQLite per test, PostgreSQL when TEST_DATABASE_URL is set."""

from __future__ import annotations

import asyncio
import contextlib
import sqlite3
import subprocess
import sys
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import event, inspect, select, text
from sqlalchemy.exc import DBAPIError, IntegrityError

from storage.db import create_engine, normalize_url, session_factory
from storage.migrate import downgrade, revisions, upgrade
from storage.models import Base, InboxRow
from storage.repositories.audit import _INSERT_AUDIT
from storage.uow import SqlUnitOfWork
from tests.conftest import SHANGHAI
from tests.e2e.processes import ROOT
from workflow.model import (
    Answer,
    AnswerTo,
    ButtonAnswer,
    ButtonSpec,
    Notification,
    OrderDraft,
    Text,
)
from workflow.ports import TakenElsewhere
from workflow.roles import Role

NOW = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
# A turn's taker and how long it holds its update (on PostgreSQL).
A_WHILE = ("this process", NOW + timedelta(minutes=1))


async def test_stairway_every_revision_goes_up_down_and_up(database_url: str) -> None:
    engine = create_engine(database_url)
    try:
        previous = "base"
        for revision in revisions():
            await upgrade(engine, revision)
            await downgrade(engine, previous)
            await upgrade(engine, revision)
            previous = revision
        async with engine.connect() as connection:
            tables = await connection.run_sync(lambda c: set(inspect(c).get_table_names()))
        assert set(Base.metadata.tables) <= tables
    finally:
        await engine.dispose()


def test_the_head_read_from_the_files_is_alembics() -> None:
    from alembic.script import ScriptDirectory

    from storage.migrate import alembic_config, head_of_files

    assert [head_of_files()] == ScriptDirectory.from_config(alembic_config()).get_heads()


def test_a_database_already_migrated_starts_without_alembic(tmp_path) -> None:
    """`gendan run` migrates at start-up; when there is nothing to do, alembic (11 MB with
    Mako) is not even imported. A database one revision behind is brought up by it."""
    program = (
        "import asyncio, sys\n"
        "from storage.db import create_engine\n"
        "from storage.migrate import upgrade\n"
        "async def main():\n"
        f"    engine = create_engine('sqlite:///{tmp_path}/x.db')\n"
        "    await upgrade(engine)\n"
        "    await engine.dispose()\n"
        "asyncio.run(main())\n"
        "print('alembic' in sys.modules)\n")

    def alembic_imported() -> bool:
        done = subprocess.run([sys.executable, "-c", program], cwd=ROOT, capture_output=True,
                              text=True, check=True)
        return done.stdout.strip() == "True"

    assert alembic_imported()  # a new database: migrated
    assert not alembic_imported()  # at the head: nothing to do
    second_to_last = revisions()[-2]
    asyncio.run(_downgrade_to(f"sqlite:///{tmp_path}/x.db", second_to_last))
    assert alembic_imported()  # one behind: migrated
    assert not alembic_imported()


async def _downgrade_to(url: str, revision: str) -> None:
    engine = create_engine(url)
    try:
        await downgrade(engine, revision)
    finally:
        await engine.dispose()


async def test_migrations_match_the_models(engine) -> None:
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    async with engine.connect() as connection:
        diff = await connection.run_sync(
            lambda c: compare_metadata(MigrationContext.configure(c), Base.metadata)
        )
    assert diff == []


async def test_sqlite_runs_in_wal_with_foreign_keys(tmp_path) -> None:
    engine = create_engine(f"sqlite:///{tmp_path}/x.db")
    async with engine.connect() as connection:
        assert (await connection.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await connection.execute(text("PRAGMA foreign_keys"))).scalar() == 1
        assert (await connection.execute(text("PRAGMA busy_timeout"))).scalar() == 5000
    await engine.dispose()


async def test_interleaved_writers_in_one_process_all_commit(sessions) -> None:
    """SQLite statements run on the loop: a writer that yields mid-transaction must not lock
    the others out (they wait for the one connection instead)."""

    async def writer(person_id: int) -> None:
        async with SqlUnitOfWork(sessions) as uow:
            await uow.people.upsert(person_id, f"人{person_id}", None)
            await asyncio.sleep(0.001)  # another writer gets the loop here
            await uow.audit.append(at=NOW, actor_id=person_id, action="x", subject_type="t",
                                   subject_id=person_id)
            await uow.commit()

    await asyncio.wait_for(asyncio.gather(*(writer(i) for i in range(1, 41))), timeout=30)
    async with SqlUnitOfWork(sessions) as uow:
        assert await uow.audit.count() == 40
        assert [p.id for p in [await uow.people.get(i) for i in range(1, 41)] if p] == list(
            range(1, 41))


async def test_units_of_work_that_begin_with_a_flush_a_get_or_a_savepoint_wait_their_turn(
        sessions, on_postgres: bool) -> None:
    """On SQLite a unit of work takes the one connection at its first statement, whatever
    that statement is: an ORM flush, a primary-key get, the savepoint of a new day's order
    counter. While another unit holds it, each waits on the loop (never blocking it, never
    failing for want of a greenlet) and all of them commit."""
    if on_postgres:
        pytest.skip("PostgreSQL's units of work each have a connection of their own")
    day = NOW.date()

    async def holder(release: asyncio.Event) -> None:
        async with SqlUnitOfWork(sessions) as uow:
            await uow.people.upsert(99, "占用", None)
            await uow.chats.upsert(-5, "销售部")
            await release.wait()
            await uow.commit()

    async def flush_first(n: int) -> None:
        async with SqlUnitOfWork(sessions) as uow:
            draft = await uow.drafts.add(OrderDraft(None, -5, 99, {"customer": f"客户{n}"}, NOW))
            await uow.commit()
        drafts.append(draft.id)

    async def get_first() -> None:
        async with SqlUnitOfWork(sessions) as uow:
            assert await uow.people.get(99) is not None  # the holder's row, committed by now
            await uow.commit()

    async def savepoint_first() -> int:
        async with SqlUnitOfWork(sessions) as uow:
            number = await uow.orders.next_sequence(day)
            await uow.commit()
            return number

    drafts: list[int | None] = []
    release = asyncio.Event()
    held = asyncio.create_task(holder(release))
    await asyncio.sleep(0.01)  # the holder has the connection
    waiting = [asyncio.create_task(job) for job in (
        flush_first(1), get_first(), savepoint_first(), savepoint_first(), flush_first(2))]
    await asyncio.sleep(0.05)
    assert not any(task.done() for task in waiting)  # they wait, and the loop still runs
    release.set()
    await asyncio.wait_for(held, timeout=10)
    results = await asyncio.wait_for(asyncio.gather(*waiting), timeout=10)
    assert sorted(r for r in results if r is not None) == [1, 2]
    async with SqlUnitOfWork(sessions) as uow:
        kept = [await uow.drafts.get(draft_id) for draft_id in drafts if draft_id is not None]
    assert sorted(d.fields["customer"] for d in kept if d) == ["客户1", "客户2"]


def test_plain_urls_get_async_drivers() -> None:
    assert normalize_url("sqlite:///sim.db") == "sqlite+aiosqlite:///sim.db"
    assert normalize_url("postgresql://u:p@h/db") == "postgresql+asyncpg://u:p@h/db"
    assert normalize_url("sqlite+aiosqlite:///x.db") == "sqlite+aiosqlite:///x.db"


async def test_times_come_back_in_utc(sessions) -> None:
    local = datetime(2026, 11, 24, 9, 30, tzinfo=SHANGHAI)
    async with SqlUnitOfWork(sessions) as uow:
        await uow.audit.append(at=local, actor_id=1, action="x", subject_type="t", subject_id=1)
        await uow.commit()
    async with SqlUnitOfWork(sessions) as uow:
        [event] = await uow.audit.for_subject("t", 1)
    assert event.at == local and event.at.tzinfo is not None and event.at.utcoffset() == timedelta(0)


async def test_unit_of_work_rolls_back_what_was_not_committed(sessions) -> None:
    with pytest.raises(RuntimeError):
        async with SqlUnitOfWork(sessions) as uow:
            await uow.people.upsert(7, "临时", None)
            raise RuntimeError("boom")
    async with SqlUnitOfWork(sessions) as uow:
        await uow.people.upsert(8, "没提交", None)  # leaving without commit drops it too
    async with SqlUnitOfWork(sessions) as uow:
        assert await uow.people.get(7) is None
        assert await uow.people.get(8) is None


async def test_roles_accumulate_and_leadership_updates(sessions) -> None:
    async with SqlUnitOfWork(sessions) as uow:
        await uow.people.upsert(5, "王强", "WangQiang")
        await uow.people.grant(5, Role.MANUFACTURING, False)
        await uow.people.grant(5, Role.OEM, False)
        await uow.people.grant(5, Role.MANUFACTURING, True)
        await uow.commit()
    async with SqlUnitOfWork(sessions) as uow:
        person = await uow.people.by_username("wangqiang")
    assert person is not None
    assert person.roles == {Role.MANUFACTURING: True, Role.OEM: False}


async def test_an_update_is_kept_once_and_handled_once(sessions) -> None:
    payload = {"update_id": 42, "message": {"text": "/start"}}
    async with SqlUnitOfWork(sessions) as uow:
        assert await uow.inbox.store(42, payload, NOW)
        assert not await uow.inbox.store(42, payload, NOW)  # redelivered while unhandled
        await uow.commit()
    async with SqlUnitOfWork(sessions) as uow:
        assert await uow.inbox.unhandled() == [payload]
        assert await uow.inbox.claim(42, NOW)
        assert not await uow.inbox.claim(42, NOW)
        await uow.commit()
    async with SqlUnitOfWork(sessions) as uow:
        assert not await uow.inbox.store(42, payload, NOW)  # redelivered after handling
        assert await uow.inbox.unhandled() == []


async def test_an_old_update_id_with_new_content_is_a_new_update(sessions) -> None:
    """Telegram restarts its ids after a long pause; a sandbox restart starts them at 1."""
    async with SqlUnitOfWork(sessions) as uow:
        await uow.inbox.store(1, {"update_id": 1, "message": {"text": "first"}}, NOW)
        await uow.inbox.claim(1, NOW)
        await uow.commit()
    later = {"update_id": 1, "message": {"text": "after a restart"}}
    async with SqlUnitOfWork(sessions) as uow:
        assert await uow.inbox.store(1, later, NOW + timedelta(days=9))
        await uow.commit()
    async with SqlUnitOfWork(sessions) as uow:
        assert await uow.inbox.unhandled() == [later]
        assert await uow.inbox.claim(1, NOW + timedelta(days=9))
        assert await uow.inbox.prune(NOW + timedelta(days=8)) == 0
        assert await uow.inbox.prune(NOW + timedelta(days=12)) == 1
        await uow.commit()


async def test_an_update_failing_every_round_is_counted_then_set_aside(sessions) -> None:
    """Rounds count only while the update waits; at the last it is set aside (`failed`): no
    longer unhandled, kept like a handled one, and its id free for new content."""
    payload = {"update_id": 3, "message": {"text": "/whoami"}}
    async with SqlUnitOfWork(sessions) as uow:
        await uow.inbox.store(3, payload, NOW)
        assert await uow.inbox.note_failure(3, NOW, "ValueError: a bad value", 3) == 1
        assert await uow.inbox.note_failure(3, NOW, "ValueError: a bad value", 3) == 2
        assert await uow.inbox.unhandled() == [payload]
        assert await uow.inbox.note_failure(3, NOW, "KeyError: 'x'", 3) == 3
        assert await uow.inbox.unhandled() == []
        assert await uow.inbox.note_failure(3, NOW, "KeyError: 'x'", 3) is None
        assert not await uow.inbox.claim(3, NOW)  # a sweep elsewhere cannot take it now
        assert not await uow.inbox.store(3, payload, NOW)  # redelivered: still set aside
        await uow.commit()
    async with SqlUnitOfWork(sessions) as uow:
        row = (await uow.session.execute(
            select(InboxRow.status, InboxRow.failures, InboxRow.failure))).one()
        assert tuple(row) == ("failed", 3, "KeyError: 'x'")
        later = {"update_id": 3, "message": {"text": "after a restart"}}
        assert await uow.inbox.store(3, later, NOW + timedelta(days=9))
        assert await uow.inbox.unhandled() == [later]
        assert await uow.inbox.claim(3, NOW)
        assert await uow.inbox.note_failure(3, NOW, "too late", 3) is None  # handled already
        await uow.commit()


async def test_a_turn_claims_its_update_and_reads_sender_and_chat_at_once(sessions) -> None:
    async with SqlUnitOfWork(sessions) as uow:
        await uow.inbox.store(7, {"update_id": 7}, NOW)
        await uow.inbox.store(8, {"update_id": 8}, NOW)
        await uow.commit()
    async with SqlUnitOfWork(sessions) as uow:  # both seen for the first time: written
        started = await uow.turns.begin(7, NOW, 5, "王强", "wq", -100, "制造中心", *A_WHILE)
        assert started is not None
        person, chat = started
        assert (person.id, person.name, person.username, person.roles) == (5, "王强", "wq", {})
        assert (chat.id, chat.title, chat.department) == (-100, "制造中心", None)
        await uow.people.grant(5, Role.OEM, False)
        await uow.people.grant(5, Role.MANUFACTURING, True)
        await uow.chats.bind(-100, Role.MANUFACTURING)
        await uow.commit()
    async with SqlUnitOfWork(sessions) as uow:
        assert await uow.turns.begin(7, NOW, 5, "王强", "wq", -100, "制造中心", *A_WHILE) is None
        started = await uow.turns.begin(8, NOW, 5, "王强强", None, -100, "制造", *A_WHILE)
        assert started is not None
        person, chat = started
        assert person.roles == {Role.MANUFACTURING: True, Role.OEM: False}
        assert (person.name, person.username) == ("王强强", None)
        assert (chat.title, chat.department) == ("制造", Role.MANUFACTURING)
        # The chat is known in this unit of work until it changes.
        assert await uow.chats.get(-100) == chat
        await uow.chats.bind(-100, Role.OEM)
        assert (await uow.chats.get(-100)).department is Role.OEM
        await uow.commit()
    async with SqlUnitOfWork(sessions) as uow:
        assert (await uow.people.get(5)).name == "王强强"
        chat = await uow.chats.get(-100)
        assert (chat.title, chat.department) == ("制造", Role.OEM)
        await uow.chats.set_locale(-100, "en")
        await uow.rollback()
        assert (await uow.chats.get(-100)).locale is None  # nothing kept from before it


async def test_on_postgres_a_turn_takes_its_update_for_a_while(sessions, on_postgres) -> None:
    """On PostgreSQL a turn's first statement takes its update for its process until a time,
    outside any transaction, and the mark that it was handled goes with the turn's writes. A
    turn that died in between leaves the update taken: another process hears whose hold it is
    and until when, the same process may take it again, and once the time is past anyone may.
    On SQLite the claim belongs to the turn's transaction: a turn that died leaves nothing."""
    async with SqlUnitOfWork(sessions) as uow:
        await uow.inbox.store(9, {"update_id": 9}, NOW)
        await uow.commit()
    hold = NOW + timedelta(minutes=1)
    later = hold + timedelta(seconds=1)

    async def begin(at: datetime, taker: str, until: datetime, *, commit: bool = False) -> Any:
        async with SqlUnitOfWork(sessions) as uow:
            started = await uow.turns.begin(9, at, 5, "王强", "wq", -100, "制造中心", taker,
                                            until)
            if commit:
                await uow.commit()
        return started if started is None or isinstance(started, TakenElsewhere) else "taken"

    assert await begin(NOW, "a", hold) == "taken"  # and the turn dies before its commit
    assert await begin(NOW + timedelta(seconds=10), "b", later) == (
        TakenElsewhere(hold) if on_postgres else "taken")
    assert await begin(NOW + timedelta(seconds=20), "a", hold) == "taken"
    assert await begin(later, "b", later + timedelta(minutes=1), commit=True) == "taken"
    assert await begin(later, "a", later + timedelta(minutes=1)) is None  # handled
    async with SqlUnitOfWork(sessions) as uow:
        assert await uow.session.scalar(select(InboxRow.status)) == "done"


async def test_a_turn_whose_writes_all_go_at_its_commit_begins_no_transaction_and_is_atomic(
        sessions, engine, on_postgres: bool, monkeypatch: pytest.MonkeyPatch) -> None:
    """A turn that takes its update, binds the group, writes the audit row and one answer
    sends PostgreSQL two statements and neither BEGIN nor COMMIT: the first takes the update,
    the second, at the commit, is all the writes, atomic by itself. When that statement fails,
    nothing of it is kept and the update waits to be handled. (SQLite keeps its transaction,
    whose BEGIN and COMMIT cost no round trip.)"""
    from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection

    begun: list[str] = []
    start = AsyncAdapt_asyncpg_connection._start_transaction

    async def counted(adapter: AsyncAdapt_asyncpg_connection) -> None:
        begun.append(adapter.isolation_level)
        await start(adapter)

    monkeypatch.setattr(AsyncAdapt_asyncpg_connection, "_start_transaction", counted)
    async with SqlUnitOfWork(sessions) as uow:
        for update_id in (11, 12):
            await uow.inbox.store(update_id, {"update_id": update_id}, NOW)
        await uow.chats.upsert(-5, "市场部")
        await uow.people.upsert(1, "管理员", None)
        await uow.commit()
    sent: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute",
                 lambda _conn, _cursor, sql, *_rest: sent.append(sql))
    begun.clear()

    async def turn(update_id: int, role: Role, answer_to: int | None) -> list[Any]:
        async with SqlUnitOfWork(sessions) as uow:
            assert await uow.turns.begin(update_id, NOW, 1, "管理员", None, -5, "市场部",
                                         *A_WHILE) is not None
            await uow.chats.bind(-5, role)
            await uow.audit.append(**BIND_AUDIT)
            rows = await uow.outbox.add_answers(
                [Answer(answer_to, "好", [], "reply", None)],
                NOW, timedelta(minutes=1), 1)
            await uow.commit()
        return rows

    rows = await turn(11, Role.MARKET, -5)
    if on_postgres:
        assert (len(sent), begun) == (2, [])
    with pytest.raises(IntegrityError):  # an answer to no chat: the outbox refuses it
        await turn(12, Role.QUALITY, None)
    async with SqlUnitOfWork(sessions) as uow:
        assert await _department(uow) == "market"
        assert (await uow.session.scalars(text("SELECT action FROM audit_events"))
                ).all() == ["chat.bind"]
        assert (await uow.session.execute(text("SELECT id, chat_id FROM outbox"))).all() == [
            (rows[0].id, -5)]
        assert (await uow.session.execute(select(InboxRow.update_id, InboxRow.status)
                                          .order_by(InboxRow.update_id))).all() == [
            (11, "done"), (12, "new")]


async def test_one_holder_at_a_time_until_the_lease_runs_out(sessions) -> None:
    until = NOW + timedelta(seconds=30)
    async with SqlUnitOfWork(sessions) as uow:
        assert await uow.leases.hold("poller", "a", NOW, until)
        assert not await uow.leases.hold("poller", "b", NOW + timedelta(seconds=29), until)
        assert await uow.leases.hold("poller", "a", NOW + timedelta(seconds=10), until)
        assert await uow.leases.hold("poller", "b", until + timedelta(seconds=1),
                                     until + timedelta(seconds=31))
        await uow.leases.release("poller", "a")  # not a's any more: nothing happens
        assert not await uow.leases.hold("poller", "a", until + timedelta(seconds=2), until)
        await uow.leases.release("poller", "b")
        assert await uow.leases.hold("poller", "a", until + timedelta(seconds=3), until)
        await uow.commit()


async def test_order_numbers_count_per_day(sessions) -> None:
    day = datetime(2026, 11, 24).date()
    async with SqlUnitOfWork(sessions) as uow:
        numbers = [await uow.orders.next_sequence(day) for _ in range(3)]
        other = await uow.orders.next_sequence(day + timedelta(days=1))
        await uow.commit()
    assert numbers == [1, 2, 3] and other == 1


async def _enqueue(sessions, count: int) -> None:
    async with SqlUnitOfWork(sessions) as uow:
        for i in range(count):
            await uow.outbox.enqueue(
                Notification(-1001, Text("bind.done", {"role": "market"}), "notice", f"SO-{i}",
                             ((ButtonSpec(Text("button.confirm"),
                                          ButtonAnswer(AnswerTo.DRAFT, i, "ok")),),)),
                NOW,
            )
        await uow.commit()


async def test_outbox_claims_lease_and_reclaims_after_expiry(sessions) -> None:
    await _enqueue(sessions, 3)
    async with SqlUnitOfWork(sessions) as uow:
        claimed = await uow.outbox.claim_due(NOW, 10, timedelta(seconds=60))
        await uow.commit()
    assert [row.order_number for row in claimed] == ["SO-0", "SO-1", "SO-2"]
    assert claimed[0].buttons == [[{"key": "button.confirm", "params": {}, "answer": {
        "to": "draft", "id": 0, "choice": "ok", "detail": None}}]]
    async with SqlUnitOfWork(sessions) as uow:
        assert await uow.outbox.claim_due(NOW + timedelta(seconds=30), 10,
                                          timedelta(seconds=60)) == []
        assert await uow.outbox.mark_sent(claimed[0].id, claimed[0].attempts, 77, NOW)
        await uow.commit()
    async with SqlUnitOfWork(sessions) as uow:  # a crashed sender's lease runs out
        again = await uow.outbox.claim_due(NOW + timedelta(seconds=61), 10, timedelta(seconds=60))
        await uow.commit()
    assert [row.order_number for row in again] == ["SO-1", "SO-2"]
    assert again[0].attempts == 2
    async with SqlUnitOfWork(sessions) as uow:  # the first sender comes back too late
        assert not await uow.outbox.mark_sent(claimed[1].id, claimed[1].attempts, 78, NOW)
        assert await uow.outbox.mark_sent(again[0].id, again[0].attempts, 79, NOW)
        await uow.commit()


async def test_sent_marks_written_together_skip_rows_another_sender_holds(sessions) -> None:
    await _enqueue(sessions, 4)
    async with SqlUnitOfWork(sessions) as uow:
        first = await uow.outbox.claim_due(NOW, 10, timedelta(seconds=60))
        await uow.commit()
    async with SqlUnitOfWork(sessions) as uow:  # the lease of the last two runs out
        again = await uow.outbox.claim_due(NOW + timedelta(seconds=61), 2, timedelta(seconds=60))
        await uow.commit()
    assert [row.id for row in again] == [row.id for row in first[:2]]
    marks = [(row.id, row.attempts, 100 + row.id, NOW) for row in first]
    async with SqlUnitOfWork(sessions) as uow:
        await uow.one_statement()
        assert await uow.outbox.mark_all_sent(marks) == [row.id for row in first[:2]]
        await uow.commit()
    async with SqlUnitOfWork(sessions) as uow:
        assert await uow.outbox.mark_all_sent(
            [(row.id, row.attempts, 7, NOW) for row in again]) == []
        assert await uow.outbox.mark_all_sent([(first[3].id, first[3].attempts, 8, NOW)]) == [
            first[3].id]  # marked already
        await uow.commit()
        assert (await uow.outbox.counts())["sent"] == 4


async def test_updates_of_one_poll_are_kept_together(sessions) -> None:
    async with SqlUnitOfWork(sessions) as uow:
        await uow.one_statement()
        assert await uow.inbox.store_all(
            [(1, {"update_id": 1}), (2, {"update_id": 2}), (3, {"update_id": 3})], NOW) == [
            True, True, True]
        await uow.commit()
    async with SqlUnitOfWork(sessions) as uow:
        assert await uow.inbox.claim(2, NOW)
        await uow.commit()
    async with SqlUnitOfWork(sessions) as uow:
        # Redelivered, handled with new content (a new update), and new.
        assert await uow.inbox.store_all(
            [(1, {"update_id": 1}), (2, {"update_id": 2, "x": 1}), (4, {"update_id": 4})],
            NOW) == [False, True, True]
        # The same id twice in one poll is taken as `store` takes it, one after the other.
        assert await uow.inbox.store_all(
            [(5, {"update_id": 5}), (5, {"update_id": 5})], NOW) == [True, False]
        await uow.commit()
        assert [p["update_id"] for p in await uow.inbox.unhandled()] == [1, 2, 3, 4, 5]


async def test_concurrent_claimers_never_share_a_row(database_url: str, sessions) -> None:
    await _enqueue(sessions, 300)
    engines = [create_engine(database_url) for _ in range(3)]
    from storage.db import session_factory

    async def claimer(engine) -> list[int]:
        taken: list[int] = []
        factory = session_factory(engine)
        while True:
            async with SqlUnitOfWork(factory) as uow:
                rows = await uow.outbox.claim_due(NOW, 7, timedelta(minutes=5))
                await uow.commit()
            if not rows:
                return taken
            taken += [row.id for row in rows]
            await asyncio.sleep(0)

    try:
        results = await asyncio.gather(*(claimer(e) for e in engines))
    finally:
        for engine in engines:
            await engine.dispose()
    every = [row_id for taken in results for row_id in taken]
    assert len(every) == 300 and len(set(every)) == 300


async def test_administrators_hear_of_an_unknown_year_once(sessions) -> None:
    from bot.app import PolicyDeadlines
    from workflow.calendar import WorkingCalendar
    from workflow.context import Context
    from workflow.policy import load_policy
    from workflow.services import warn_admins_of_unknown_years

    policy = load_policy()
    calendar = WorkingCalendar(policy)
    for _ in range(2):  # a second start-up says nothing new
        async with SqlUnitOfWork(sessions) as uow:
            ctx = Context(uow, NOW, PolicyDeadlines(policy, calendar), SHANGHAI, policy, calendar)
            await warn_admins_of_unknown_years(ctx, [11, 12], [2027])
            await uow.commit()
    async with SqlUnitOfWork(sessions) as uow:
        rows = await uow.outbox.claim_due(NOW, 10, timedelta(seconds=60))
    assert sorted(r.chat_id for r in rows) == [11, 12]
    assert {r.text_key for r in rows} == {"admin.unknown_year"}


async def test_prepared_statements_write_and_read_what_the_session_would(
        sessions, on_postgres: bool) -> None:
    """The turn's statements skip SQLAlchemy's execution and run on the driver
    (storage/prepared.py). Each, run both ways with awkward values (a whole second, a time
    from another zone, JSON with nulls and Chinese, True and False, None), must leave the same
    rows and give the same answers; pending ORM rows are flushed first, as the session would;
    a statement missing a column whose default SQLAlchemy computes takes the usual way."""
    from storage.models import AuditEventRow, OutboxRow, PersonRow
    from storage.prepared import PREPARED, _plans
    from storage.repositories.outbox import _INSERT
    from storage.repositories.turns import _SENDER_AND_CHAT

    def usual(statement: Any) -> Any:
        return statement.execution_options(**{PREPARED: False})

    shanghai_noon = datetime(2026, 11, 24, 12, 0, 0, tzinfo=SHANGHAI)
    audits = [
        {"at": NOW, "actor_id": 1, "action": "chat.bind", "subject_type": "chat",
         "subject_id": "-5", "before": {"department": None}, "after": {"department": "市场"}},
        {"at": shanghai_noon + timedelta(microseconds=7), "actor_id": None, "action": "x",
         "subject_type": "t", "subject_id": "1", "before": None, "after": {"a": [1, None, "乙"]}},
    ]
    outbox = {"chat_id": -5, "kind": "reply", "order_number": None, "text_key": "",
              "params": {"text": "好的\n第二行"}, "buttons": [[{"key": "k", "params": {}}]],
              "status": "leased", "attempts": 1, "not_before": shanghai_noon,
              "lease_until": None, "created_at": NOW, "edit_message_id": None,
              "markup_only": True, "document_name": None, "document": None, "as_photo": False,
              "parts_sent": 0, "origin_id": None, "task_id": None}
    async with SqlUnitOfWork(sessions) as uow:
        await uow.chats.upsert(-5, "市场部")
        uow.session.add(PersonRow(id=5, name="王强", username=None,
                                  unreachable_since=shanghai_noon))  # pending, not flushed
        rows = {way: (await uow.session.execute(statement, {"person_id": 5, "chat_id": -5}))
                .all() for way, statement in (("prepared", _SENDER_AND_CHAT),
                                              ("usual", usual(_SENDER_AND_CHAT)))}
        for params in audits:
            await uow.session.execute(_INSERT_AUDIT, params)
            await uow.session.execute(usual(_INSERT_AUDIT), params)
        ids = [(await uow.session.execute(statement, outbox)).scalar_one()
               for statement in (_INSERT, usual(_INSERT))]
        defaults = {k: v for k, v in outbox.items() if k not in ("status", "attempts")}
        ids.append((await uow.session.execute(_INSERT, defaults)).scalar_one())
        await uow.commit()
    dialect = "postgresql" if on_postgres else "sqlite"
    assert _plans[(id(_INSERT), dialect, frozenset(outbox))] is not None  # the driver's way
    assert _plans[(id(_INSERT), dialect, frozenset(defaults))] is None  # defaults: the usual
    assert rows["prepared"] == rows["usual"]
    assert rows["prepared"][0].unreachable_since == shanghai_noon
    assert rows["prepared"][0].active is True
    async with SqlUnitOfWork(sessions) as uow:
        written = [(e.at, e.actor_id, e.action, e.subject_type, e.subject_id, e.before, e.after)
                   for e in (await uow.session.scalars(
                       select(AuditEventRow).order_by(AuditEventRow.id))).all()]
        assert written[0::2] == written[1::2]
        assert written[2][0] == shanghai_noon + timedelta(microseconds=7)
        kept = [(await uow.session.get(OutboxRow, row_id)) for row_id in ids]
        columns = [c.key for c in OutboxRow.__table__.c if c.key != "id"]
        assert [getattr(kept[0], c) for c in columns] == [getattr(kept[1], c) for c in columns]
        assert (kept[0].not_before, kept[0].markup_only, kept[0].params) == (
            shanghai_noon, True, {"text": "好的\n第二行"})
        assert (kept[2].status, kept[2].attempts) == ("pending", 0)


BIND_AUDIT = {"at": NOW, "actor_id": 1, "action": "chat.bind", "subject_type": "chat",
              "subject_id": "-5", "before": None, "after": None}


async def test_a_prepared_statement_fails_as_the_session_would_and_the_unit_goes_on(
        sessions) -> None:
    """An error on the driver's way comes out as SQLAlchemy's, with the statement; the unit of
    work rolls back and the next statement, and the next commit, work."""
    missing_action = {**BIND_AUDIT, "action": None}
    async with SqlUnitOfWork(sessions) as uow:
        with pytest.raises(IntegrityError) as failed:
            await uow.session.execute(_INSERT_AUDIT, missing_action)
        assert "audit_events" in str(failed.value.statement)
        await uow.rollback()
        await uow.session.execute(_INSERT_AUDIT, BIND_AUDIT)
        await uow.commit()
    async with SqlUnitOfWork(sessions) as uow:
        assert await uow.session.scalar(text("SELECT count(*) FROM audit_events")) == 1


async def _department(uow: SqlUnitOfWork) -> str | None:
    return await uow.session.scalar(text("SELECT department FROM chats WHERE id = -5"))


async def test_writes_held_back_are_seen_by_whatever_comes_next(sessions) -> None:
    """The audit row and a group's binding are held back on PostgreSQL until the next statement
    (storage/prepared.py). A query, a prepared read, the ORM's flush, a savepoint and the commit
    each come after them; a savepoint rolled back takes back only what was written inside it;
    a rollback drops them."""
    from storage.models import ChatRow, PersonRow

    async with SqlUnitOfWork(sessions) as uow:
        await uow.chats.upsert(-5, "市场部")
        await uow.commit()
    async with SqlUnitOfWork(sessions) as uow:
        await uow.chats.bind(-5, Role.MARKET)
        assert await _department(uow) == "market"  # a query the usual way
        await uow.chats.bind(-5, Role.QUALITY)
        assert (await uow.chats.get(-5)).department is Role.QUALITY  # a prepared read
        await uow.chats.bind(-5, Role.PROCUREMENT)
        assert (await uow.session.get(ChatRow, -5)).department == "procurement"  # the ORM
        await uow.audit.append(**BIND_AUDIT)
        uow.session.add(PersonRow(id=5, name="王强", username=None))
        await uow.session.flush()
        await uow.audit.append(**{**BIND_AUDIT, "action": "kept"})
        with contextlib.suppress(LookupError):
            async with uow.session.begin_nested():
                await uow.audit.append(**{**BIND_AUDIT, "action": "taken back"})
                await uow.chats.bind(-5, Role.WAREHOUSE)
                raise LookupError
        await uow.chats.bind(-5, Role.MANUFACTURING)
        await uow.commit()
    async with SqlUnitOfWork(sessions) as uow:
        assert await _department(uow) == "manufacturing"
        assert (await uow.session.scalars(text("SELECT action FROM audit_events ORDER BY id"))
                ).all() == ["chat.bind", "kept"]
        assert await uow.session.scalar(text("SELECT name FROM people")) == "王强"
        await uow.chats.bind(-5, Role.WAREHOUSE)
        await uow.audit.append(**{**BIND_AUDIT, "action": "rolled back"})
        await uow.rollback()
        assert await _department(uow) == "manufacturing"
        await uow.audit.append(**{**BIND_AUDIT, "action": "after the rollback"})
        await uow.commit()
    async with SqlUnitOfWork(sessions) as uow:
        assert (await uow.session.scalars(text("SELECT action FROM audit_events ORDER BY id"))
                ).all() == ["chat.bind", "kept", "after the rollback"]


async def test_writes_held_back_ride_with_the_next_write(sessions, engine,
                                                         on_postgres: bool) -> None:
    """A turn's binding, audit row and answer go to PostgreSQL as one statement, the answer's
    id coming back from it; two writes to one table never share a statement (their order in
    it would not be defined), so a second binding of the same group is the one that stays. On
    SQLite, where a statement costs no round trip, each runs at once."""
    from storage.repositories.outbox import _INSERT

    async with SqlUnitOfWork(sessions) as uow:
        await uow.chats.upsert(-5, "市场部")
        await uow.commit()
    answer = {"chat_id": -5, "kind": "reply", "order_number": None, "text_key": "", "params": {},
              "buttons": [], "status": "leased", "attempts": 1, "not_before": NOW,
              "lease_until": None, "created_at": NOW, "edit_message_id": None,
              "markup_only": False, "document_name": None, "document": None,
              "as_photo": False, "parts_sent": 0, "origin_id": None, "task_id": None}
    sent: list[str] = []
    event.listen(engine.sync_engine, "before_cursor_execute",
                 lambda _conn, _cursor, sql, *_rest: sent.append(sql))
    async with SqlUnitOfWork(sessions) as uow:
        await uow.chats.bind(-5, Role.MARKET)
        await uow.audit.append(**BIND_AUDIT)
        answer_id = (await uow.session.execute(_INSERT, answer)).scalar_one()
        together = list(sent)
        await uow.chats.bind(-5, Role.QUALITY)
        await uow.chats.bind(-5, Role.WAREHOUSE)
        await uow.audit.append(**{**BIND_AUDIT, "action": "first"})
        await uow.audit.append(**{**BIND_AUDIT, "action": "second"})
        await uow.commit()
    if on_postgres:
        assert len(together) == 1 and together[0].startswith("WITH held_back_0 AS (UPDATE chats")
        # then the quality binding alone, the warehouse binding with "first", "second" alone
        assert len(sent) == 4
    else:
        assert len(together) == 3 and len(sent) == 7
    async with SqlUnitOfWork(sessions) as uow:
        assert await _department(uow) == "warehouse"
        assert (await uow.session.scalars(text("SELECT action FROM audit_events ORDER BY id"))
                ).all() == ["chat.bind", "first", "second"]
        assert await uow.session.scalar(
            text("SELECT chat_id FROM outbox WHERE id = :id"), {"id": answer_id}) == -5


async def test_a_held_back_write_that_fails_fails_the_unit_and_the_next_one_works(
        sessions) -> None:
    """A held-back write that breaks a rule fails where it is sent, as SQLAlchemy's error with
    the statement; nothing of its unit is kept, and the next unit of work goes on."""
    async with SqlUnitOfWork(sessions) as uow:
        await uow.chats.upsert(-5, "市场部")
        await uow.commit()
    with pytest.raises(IntegrityError) as failed:
        async with SqlUnitOfWork(sessions) as uow:
            await uow.chats.bind(-5, Role.MARKET)
            await uow.audit.append(**{**BIND_AUDIT, "action": None})
            await uow.commit()
    assert "audit_events" in str(failed.value.statement)
    async with SqlUnitOfWork(sessions) as uow:
        assert await _department(uow) is None
        await uow.chats.bind(-5, Role.QUALITY)
        await uow.audit.append(**BIND_AUDIT)
        await uow.commit()
    async with SqlUnitOfWork(sessions) as uow:
        assert (await _department(uow), await uow.audit.count()) == ("quality", 1)


async def test_a_lost_connection_is_replaced_after_a_prepared_statement_fails(
        sessions, database_url: str, on_postgres: bool) -> None:
    """PostgreSQL ends the connection under a turn (a restart, a killed backend): the prepared
    statement fails as a lost connection, the pool drops it, and the next unit of work gets a
    new one."""
    if not on_postgres:
        pytest.skip("SQLite's connection is a file: nothing can end it from outside")
    async with SqlUnitOfWork(sessions) as uow:
        await uow.session.execute(_INSERT_AUDIT, BIND_AUDIT)
        backend = await uow.session.scalar(text("SELECT pg_backend_pid()"))
        await uow.commit()
    other = create_engine(database_url)
    try:
        async with other.connect() as killer:
            await killer.execute(text("SELECT pg_terminate_backend(:pid)"), {"pid": backend})
    finally:
        await other.dispose()
    lost = None
    for _ in range(20):  # the pool hands out its connections in turn
        async with SqlUnitOfWork(sessions) as uow:
            try:
                await uow.session.execute(_INSERT_AUDIT, BIND_AUDIT)
                if await uow.session.scalar(text("SELECT pg_backend_pid()")) == backend:
                    continue
                await uow.commit()
            except DBAPIError as error:
                lost = error
                break
    assert lost is not None and lost.connection_invalidated
    async with SqlUnitOfWork(sessions) as uow:
        await uow.session.execute(_INSERT_AUDIT, BIND_AUDIT)
        assert await uow.session.scalar(text("SELECT pg_backend_pid()")) != backend
        await uow.commit()


async def test_a_prepared_statement_cancelled_midway_leaves_no_broken_connection_behind(
        sessions, on_postgres: bool) -> None:
    """A turn cancelled while its statement runs on PostgreSQL (the bot stopping, a timeout):
    the connection, in no known state, is not handed to the next unit of work."""
    if not on_postgres:
        pytest.skip("SQLite's statements run to the end before anything can cancel them")
    from sqlalchemy import func

    from storage.prepared import prepared

    slow = prepared(select(func.pg_sleep(5)))
    for _ in range(3):  # more than one connection of the pool
        async with SqlUnitOfWork(sessions) as uow:
            with pytest.raises(TimeoutError):
                await asyncio.wait_for(uow.session.execute(slow, {}), 0.2)
    for _ in range(20):
        async with SqlUnitOfWork(sessions) as uow:
            assert await asyncio.wait_for(
                uow.session.scalar(text("SELECT 1")), 2) == 1
            await uow.commit()


async def test_a_half_read_result_holds_no_snapshot_of_the_file(tmp_path) -> None:
    """SQLite's rows are read when the statement runs: a result read only in part does not
    keep a read snapshot open after the commit, which would stop another process's
    checkpoint (and pin it to old data) for as long as the result lives."""
    engine = create_engine(f"sqlite:///{tmp_path}/x.db")
    await upgrade(engine)
    sessions = session_factory(engine)
    try:
        async with SqlUnitOfWork(sessions) as uow:
            for person_id in (1, 2, 3):
                await uow.people.upsert(person_id, f"人{person_id}", None)
            await uow.commit()
        async with SqlUnitOfWork(sessions) as uow:
            result = await uow.session.execute(text("SELECT id FROM people ORDER BY id"))
            assert result.fetchone() == (1,)  # two rows left unread
            await uow.commit()
            with contextlib.closing(sqlite3.connect(tmp_path / "x.db")) as other:
                busy, _log, _done = other.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
            assert busy == 0
            assert [row.id for row in result] == [2, 3]
    finally:
        await engine.dispose()


def test_the_sqlite_cursor_hands_out_each_row_once_however_it_is_read() -> None:
    from storage.inline_sqlite import _Connection

    with contextlib.closing(sqlite3.connect(":memory:", factory=_Connection)) as connection:
        cursor = connection.execute("SELECT 1 UNION SELECT 2 UNION SELECT 3 UNION SELECT 4")
        assert cursor.fetchone() == (1,)
        assert cursor.fetchmany(2) == [(2,), (3,)]
        assert list(cursor) == [(4,)]
        assert cursor.fetchone() is None and cursor.fetchall() == []
        connection.execute("CREATE TABLE t (x)")
        cursor = connection.cursor()
        cursor.execute("SELECT 9")
        cursor.executemany("INSERT INTO t VALUES (?)", [(1,), (2,)])
        assert cursor.fetchall() == []  # nothing left over from the statement before
        assert cursor.rowcount == 2
