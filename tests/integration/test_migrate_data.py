"""`gendan migrate-data`: SQLite into the test's database (PostgreSQL with TEST_DATABASE_URL,
else another SQLite file), every row exact, and back again."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import insert

from storage.backup import BackupError
from storage.db import create_engine
from storage.migrate import downgrade, revisions
from storage.models import AuditEventRow, CatalogEntryRow, UrgeSlipRow
from storage.transfer import migrate_data
from tests.integration import every_table


async def _sqlite_source(tmp_path: Path, name: str = "source.db") -> str:
    return await every_table.fill(f"sqlite:///{tmp_path}/{name}")


async def test_every_row_of_every_table_arrives_exactly_and_ids_go_on_after_them(
        database_url: str, tmp_path: Path) -> None:
    source = await _sqlite_source(tmp_path)
    counts = await migrate_data(source, database_url)

    assert counts == {table: len(rows) for table, rows in every_table.ROWS.items()}
    copied = await every_table.rows(database_url)
    assert copied == await every_table.rows(source)
    assert [row["before IS NULL"] for row in copied["audit_events"]] == [True, False]
    assert [row["after IS NULL"] for row in copied["audit_events"]] == [False, True]
    assert copied["outbox"][0]["document"] == every_table.EVERY_BYTE

    engine = create_engine(database_url)  # new rows take the ids after the copied ones
    try:
        async with engine.begin() as connection:
            for model, values in (
                    (AuditEventRow, {"at": every_table.T1, "action": "x", "subject_type": "order",
                                     "subject_id": "1"}),
                    (CatalogEntryRow, {"kind": "customer", "name": "浙江正泰"}),
                    (UrgeSlipRow, {"number": "CC-20261125-001", "order_id": 12, "status": "draft",
                                   "late": [], "created_at": every_table.T1})):
                highest = max(row["id"] for row in every_table.ROWS[model.__tablename__])
                added = await connection.scalar(insert(model).values(values).returning(model.id))
                assert added == highest + 1, model.__tablename__
    finally:
        await engine.dispose()

    # And back into SQLite: the copy holds the same rows as the original.
    back = f"sqlite:///{tmp_path}/back.db"
    await migrate_data(database_url, back)
    returned = await every_table.rows(back)
    for table, rows in (await every_table.rows(source)).items():
        assert returned[table][:len(rows)] == rows


async def test_a_target_with_data_is_refused_and_left_alone(database_url: str,
                                                            tmp_path: Path) -> None:
    source = await _sqlite_source(tmp_path)
    await migrate_data(source, database_url)
    other = await _sqlite_source(tmp_path, "other.db")
    with pytest.raises(BackupError, match="already holds data .*; give an empty database to --to"):
        await migrate_data(other, database_url)
    assert await every_table.rows(database_url) == await every_table.rows(source)


async def test_a_source_on_an_older_schema_is_refused_with_what_to_do(tmp_path: Path) -> None:
    source = await _sqlite_source(tmp_path)
    engine = create_engine(source)
    try:
        await downgrade(engine, revisions()[-2])
    finally:
        await engine.dispose()
    target = f"sqlite:///{tmp_path}/target.db"
    with pytest.raises(BackupError, match=f"is at schema revision {revisions()[-2]}, not "
                                          f"{revisions()[-1]}; start the bot on it once"):
        await migrate_data(source, target)
    assert not (tmp_path / "target.db").exists()  # refused before the target was touched


async def test_bad_input_is_named(tmp_path: Path) -> None:
    source = await _sqlite_source(tmp_path)
    for args, message in (
        ((source, source), "--from and --to name the same database"),
        ((f"sqlite:///{tmp_path}/none.db", f"sqlite:///{tmp_path}/t.db"),
         "no database at .*none.db; check --from"),
        ((source, "oracle://x/y"), "oracle: not a database Gendan knows"),
    ):
        with pytest.raises(BackupError, match=message):
            await migrate_data(*args)
    assert not (tmp_path / "none.db").exists() and not (tmp_path / "t.db").exists()
