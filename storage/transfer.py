"""`gendan migrate-data`: every row of one database copied into another, e.g. SQLite to
PostgreSQL.

The target is brought to the newest schema and must hold no data. Rows go table by table in
the order foreign keys need, ids and all, through the models' column types, so times stay
aware UTC, JSON stays JSON (a JSON `null` stays apart from an SQL NULL), booleans stay
booleans and bytes stay bytes. The source is read in one snapshot and the target written in
one transaction: a failure leaves the target as it was. PostgreSQL's sequences are then set
past the copied ids, and every table's rows are counted on both sides.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Column, Table, func, null, select, text
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.backup import (
    BackupError,
    Database,
    database,
    existing_counts,
    holding_data,
    reachable,
)
from storage.backup import row_counts as count_rows
from storage.db import create_engine
from storage.migrate import revisions, upgrade
from storage.models import Base

BATCH = 1000


async def migrate_data(source_url: str, target_url: str) -> dict[str, int]:
    """Copy every row; returns the rows per table, counted alike in both databases."""
    source, target = database(source_url), database(target_url)
    if source.url == target.url:
        raise BackupError("--from and --to name the same database; give another one to --to")
    if source.path is not None and not source.path.is_file():
        raise BackupError(f"no database at {source.path}; check --from")
    occupied = holding_data(await existing_counts(target))
    if occupied:
        raise BackupError(f"{target.shown} already holds data (in {', '.join(occupied)}); "
                          "give an empty database to --to")
    reading, writing = create_engine(source.url), create_engine(target.url)
    try:
        await reachable(reading, source)
        await _at_head(reading, source)
        await upgrade(writing)
        async with reading.connect() as src, writing.begin() as dst:
            await _one_snapshot(src)
            counts = await count_rows(src)
            for table in Base.metadata.sorted_tables:
                copied = await _copy(src, dst, table)
                if copied != counts.get(table.name):
                    raise BackupError(f"table {table.name}: {copied} rows copied of "
                                      f"{counts.get(table.name)}")
            if dst.dialect.name == "postgresql":
                await _sequences_past_ids(dst)
        async with writing.connect() as dst:
            landed = await count_rows(dst)
    finally:
        await reading.dispose()
        await writing.dispose()
    wanted = {table.name: counts[table.name] for table in Base.metadata.sorted_tables}
    for table, rows in wanted.items():
        if landed.get(table) != rows:
            raise BackupError(f"table {table}: {rows} rows in the source, "
                              f"{landed.get(table)} in the target")
    return wanted


async def _at_head(engine: AsyncEngine, source: Database) -> None:
    """The source's tables must be the models' tables: copying from an older schema would
    drop or misplace columns."""
    head = revisions()[-1]
    async with engine.connect() as connection:
        tables = await count_rows(connection)
        version = (await connection.scalar(text("SELECT version_num FROM alembic_version"))
                   if "alembic_version" in tables else None)
    if version != head:
        raise BackupError(f"{source.shown} is at schema revision {version or 'none'}, not "
                          f"{head}; start the bot on it once (or run gendan migrate with it "
                          "as the database) and try again")


async def _one_snapshot(connection: AsyncConnection) -> None:
    """Every table read as of one moment, even should something write meanwhile."""
    if connection.dialect.name == "sqlite":
        # Python's sqlite3 starts no transaction for a SELECT; this one holds a snapshot.
        await connection.exec_driver_sql("BEGIN")
    else:
        await connection.execution_options(isolation_level="REPEATABLE READ")


async def _copy(src: AsyncConnection, dst: AsyncConnection, table: Table) -> int:
    (key,) = table.primary_key.columns
    json_columns = [column for column in table.columns if isinstance(column.type, JSON)]
    sql_nulls = [column.is_(None).label(f"{column.name} is sql null")
                 for column in json_columns]
    copied, last = 0, None
    while True:
        query = select(table, *sql_nulls).order_by(key).limit(BATCH)
        if last is not None:
            query = query.where(key > last)
        rows = (await src.execute(query)).mappings().all()
        if not rows:
            return copied
        await dst.execute(table.insert(), [_values(row, table, json_columns) for row in rows])
        copied += len(rows)
        last = rows[-1][key.name]


def _values(row: Any, table: Table, json_columns: list[Column[Any]]) -> dict[str, Any]:
    values = {column.name: row[column.name] for column in table.columns}
    for column in json_columns:
        # Read back, SQL NULL and JSON null are both None; the JSON type writes None as
        # JSON null, and null() as SQL NULL.
        if row[f"{column.name} is sql null"]:
            values[column.name] = null()
    return values


async def _sequences_past_ids(connection: AsyncConnection) -> None:
    """Rows came with their ids; the next id a sequence hands out must come after them."""
    for table in Base.metadata.sorted_tables:
        for column in table.primary_key.columns:
            sequence = await connection.scalar(
                select(func.pg_get_serial_sequence(table.name, column.name)))
            if sequence is None:
                continue
            highest = await connection.scalar(select(func.max(column)))
            await connection.execute(select(func.setval(sequence, (highest or 0) + 1, False)))
