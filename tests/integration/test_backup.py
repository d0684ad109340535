"""Backups and restores of a real database: SQLite per test, PostgreSQL (pg_dump, pg_restore)
when TEST_DATABASE_URL is set."""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sqlalchemy import delete, insert
from sqlalchemy.engine import make_url

from storage.backup import BackupError, Retention, find_tool, prune, restore, take_backup
from storage.db import create_engine
from storage.models import Base, CatalogEntryRow
from tests.databases import another_database
from tests.integration import every_table

NOW = datetime(2026, 11, 24, 18, 0, 5, tzinfo=UTC)


@pytest.fixture
async def filled(database_url: str) -> str:
    return await every_table.fill(database_url)


@pytest.fixture
async def copy_url(database_url: str, tmp_path: Path) -> AsyncIterator[str]:
    async with another_database(database_url, tmp_path) as url:
        yield url


async def test_a_backup_is_named_by_its_time_checked_and_restores_every_row(
        filled: str, copy_url: str, tmp_path: Path, on_postgres: bool) -> None:
    folder = tmp_path / "backups"
    backup = await take_backup(filled, folder, NOW)

    name = "test" if not on_postgres else make_url(filled).database  # the database's name
    extension = "pgdump" if on_postgres else "sqlite3"
    assert [p.name for p in folder.iterdir()] == [f"{name}-20261124T180005Z.{extension}"]
    assert backup.path == folder / f"{name}-20261124T180005Z.{extension}"
    assert {t: n for t, n in backup.counts.items() if t != "alembic_version"} == {
        table: len(rows) for table, rows in every_table.ROWS.items()}

    restored = await restore(backup.path, copy_url)
    assert restored == backup.counts
    assert await every_table.rows(copy_url) == await every_table.rows(filled)


async def test_restore_refuses_a_database_with_data_unless_forced(
        filled: str, tmp_path: Path, on_postgres: bool) -> None:
    backup = await take_backup(filled, tmp_path / "backups", NOW)
    backed_up = await every_table.rows(filled)
    engine = create_engine(filled)
    try:
        async with engine.begin() as connection:  # written after the backup
            await connection.execute(insert(CatalogEntryRow).values(kind="product", name="电机"))
            await connection.execute(delete(Base.metadata.tables["leases"]))
        with pytest.raises(BackupError, match=r"is not empty \(rows in .*catalog_entries 2.*"
                                              r"add --force"):
            await restore(backup.path, filled)
        assert len((await every_table.rows(filled))["catalog_entries"]) == 2  # untouched
        if not on_postgres:  # SQLite cannot be replaced under a connection that has it open
            with pytest.raises(BackupError, match="is in use; stop the bot"):
                await restore(backup.path, filled, force=True)
    finally:
        await engine.dispose()

    await restore(backup.path, filled, force=True)
    assert await every_table.rows(filled) == backed_up


async def test_a_backup_lists_only_finished_checked_files(filled: str, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    first = await take_backup(filled, folder, NOW)
    with pytest.raises(BackupError, match="exists already"):
        await take_backup(filled, folder, NOW)
    assert sorted(folder.iterdir()) == [first.path]  # no .partial left behind


def test_restore_says_what_is_wrong_and_what_to_give_instead(tmp_path: Path) -> None:
    import asyncio

    not_a_backup = tmp_path / "notes.txt"
    not_a_backup.write_text("hello")
    sqlite_backup = tmp_path / "gendan-20261124T180000Z.sqlite3"
    sqlite_backup.write_bytes(b"SQLite format 3\x00" + bytes(100))
    target = f"sqlite:///{tmp_path}/gendan.db"
    for file, url, message in (
        (tmp_path / "missing.sqlite3", target, "no such file; give a file `gendan backup` wrote"),
        (not_a_backup, target, "neither a SQLite database nor a PostgreSQL dump"),
        (sqlite_backup, "postgresql://gendan:secret@db.example/gendan",
         r"is a SQLite backup and postgresql://gendan:\*\*\*@db.example/gendan is PostgreSQL; "
         r"restore it into a SQLite database .* gendan migrate-data"),
        (sqlite_backup, "mysql://x/y", "mysql: not a database Gendan knows; write sqlite:///"),
        (sqlite_backup, "sqlite://", "names no database file"),
    ):
        with pytest.raises(BackupError, match=message):
            asyncio.run(restore(file, url))
    assert not (tmp_path / "gendan.db").exists()


async def test_a_damaged_backup_is_refused_before_the_target_is_touched(
        tmp_path: Path) -> None:
    source = await every_table.fill(f"sqlite:///{tmp_path}/source.db")
    backup = await take_backup(source, tmp_path / "backups", NOW)
    damaged = bytearray(backup.path.read_bytes())
    damaged[4096 * 3: 4096 * 3 + 200] = bytes(200)  # a page of the middle zeroed
    backup.path.write_bytes(bytes(damaged))
    with pytest.raises(BackupError, match="damaged|cannot be read"):
        await restore(backup.path, f"sqlite:///{tmp_path}/target.db")
    assert not (tmp_path / "target.db").exists()


async def test_backing_up_a_database_that_is_not_there_writes_nothing(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match=r"no database at .*missing.db; check the URL"):
        await take_backup(f"sqlite:///{tmp_path}/missing.db", tmp_path / "backups", NOW)
    assert not (tmp_path / "missing.db").exists()
    assert list((tmp_path / "backups").iterdir()) == []


async def test_a_folder_that_cannot_be_made_is_named(filled: str, tmp_path: Path) -> None:
    in_the_way = tmp_path / "backups"
    in_the_way.write_text("a file where the folder should be")
    with pytest.raises(BackupError, match=f"cannot create the backup folder {in_the_way}"):
        await take_backup(filled, in_the_way, NOW)


def test_missing_postgresql_tools_are_named_with_what_to_install(tmp_path: Path) -> None:
    with pytest.raises(BackupError, match=r"pg_dump was not found on PATH or in .*; install the "
                                          r"PostgreSQL 15 client tools .*postgresql-client-15"):
        find_tool("pg_dump", 15, path=str(tmp_path), pattern=str(tmp_path))


@pytest.mark.skipif(shutil.which("pg_dump") is None, reason="no pg_dump on this machine")
def test_a_pg_dump_older_than_the_server_is_refused_by_name() -> None:
    with pytest.raises(BackupError, match=r"pg_dump is older than the server \(PostgreSQL 99\): "
                                          r"found .*postgresql-client-99"):
        find_tool("pg_dump", 99)


def test_pruning_removes_what_the_rule_does_not_keep_and_nothing_else(tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    days = [datetime(2026, 11, day, 18, 0, tzinfo=UTC) for day in range(1, 25)]
    for moment in days:
        (folder / f"gendan-{moment:%Y%m%dT%H%M%SZ}.sqlite3").write_bytes(b"x")
    others = ["other-20261101T180000Z.sqlite3",  # another database's
              "gendan-20261101T180000Z.sqlite3.partial",  # one being written
              "gendan.db", "notes.txt"]
    for name in others:
        (folder / name).write_bytes(b"x")
    newest = folder / "gendan-20261124T180000Z.sqlite3"

    removed = prune(folder, Retention(daily=3, weekly=3, monthly=1), newest)

    kept_days = [15, 22, 23, 24]  # three days; the newest of three weeks: Sundays 15, 22, and 24
    assert sorted(p.name for p in folder.iterdir()) == sorted(
        [f"gendan-202611{day:02d}T180000Z.sqlite3" for day in kept_days] + others)
    assert len(removed) == len(days) - len(kept_days)


def test_the_backup_just_written_is_never_pruned(tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    folder.mkdir()
    written = folder / "gendan-20261101T180000Z.sqlite3"  # older than the rest: a clock set back
    for name in (written.name, "gendan-20261124T180000Z.sqlite3"):
        (folder / name).write_bytes(b"x")
    prune(folder, Retention(daily=1, weekly=0, monthly=0), written)
    assert sorted(p.name for p in folder.iterdir()) == [
        "gendan-20261101T180000Z.sqlite3", "gendan-20261124T180000Z.sqlite3"]
    prune(folder, Retention(daily=0, weekly=0, monthly=0), written)
    assert [p.name for p in folder.iterdir()] == [written.name]


async def test_a_database_that_cannot_be_reached_is_named_with_the_reason(
        tmp_path: Path) -> None:
    nowhere = "postgresql://gendan:secret@127.0.0.1:1/gendan"
    with pytest.raises(BackupError, match=r"cannot reach postgresql://gendan:\*\*\*@127.0.0.1:1/"
                                          r"gendan: .*Connect call failed"):
        await take_backup(nowhere, tmp_path / "backups", NOW)
    assert list((tmp_path / "backups").iterdir()) == []
