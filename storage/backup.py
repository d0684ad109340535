"""Backups: a consistent copy of the database taken while the bot runs, checked, and pruned.

**SQLite.** The copy is made on a connection of its own, in a worker thread, never on the
bot's engine: that engine has one connection that runs statements on the event loop, and a
copy there would stop the bot for as long as it takes. The worker opens a read transaction,
counts the rows of every table, and copies every page with SQLite's backup API in one step
inside that same transaction. In WAL mode a reader neither blocks the bot's writes nor sees
them, so the copy is exactly the snapshot that was counted, whatever the bot commits
meanwhile. (`VACUUM INTO` would make as consistent a copy, but it cannot run inside a
transaction, so its rows could not be counted in the snapshot it copied; the backup API also
copies pages as they are instead of rebuilding every index.) The copy is switched to a
rollback journal so that it is one self-contained file.

**PostgreSQL.** A REPEATABLE READ transaction exports its snapshot, counts the rows of every
table in it, and `pg_dump --snapshot` dumps exactly that snapshot (custom format) while the
transaction is held open.

**Checked after writing.** The written file is opened again and read in full: a SQLite copy
must pass `PRAGMA integrity_check` and hold the counted rows, table by table; a dump must list
every table and `pg_restore` must read back the counted rows from it. A file is named only
once it passed (it is written as `….partial` until then), so a file named like a backup is a
good one.

**Names and retention.** `<database>-<UTC time>.sqlite3` or `.pgdump`, e.g.
`gendan-20261124T180000Z.sqlite3`. Pruning keeps the newest backup of each of the last
`daily` days that have one, of each of the last `weekly` ISO weeks and of each of the last
`monthly` months (UTC), and never the one just written; files named otherwise are not
touched.
"""

from __future__ import annotations

import asyncio
import contextlib
import glob
import os
import re
import shutil
import sqlite3
import subprocess
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal

from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine

from storage.db import create_engine, normalize_url

STAMP = "%Y%m%dT%H%M%SZ"
EXTENSIONS = {"sqlite": "sqlite3", "postgresql": "pgdump"}
_NAME = re.compile(r"^(?P<name>.+)-(?P<stamp>\d{8}T\d{6}Z)\.(?P<ext>sqlite3|pgdump)$")
_SQLITE_MAGIC = b"SQLite format 3\x00"
_PGDUMP_MAGIC = b"PGDMP"
# The schema's own bookkeeping: a database with rows only here holds no data.
BOOKKEEPING = frozenset({"alembic_version"})
PG_BIN_GLOB = "/usr/lib/postgresql/*/bin"
URL_HINT = "write sqlite:///path/to/gendan.db or postgresql://user:password@host/database"


class BackupError(Exception):
    """What went wrong and what to do instead, in a sentence fit for a person."""


@dataclass(frozen=True)
class Database:
    kind: Literal["sqlite", "postgresql"]
    url: str  # with the async driver the engine needs
    shown: str  # as it was written, without its password, for messages
    name: str  # backups are named after it: the file's stem, or the database's name
    path: Path | None = None  # a SQLite database's file


def database(url: str) -> Database:
    """What `url` names; a BackupError saying how to write it when it names nothing we know."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise BackupError(f"cannot read {url!r} as a database URL; {URL_HINT}") from None
    backend, shown = parsed.get_backend_name(), parsed.render_as_string(hide_password=True)
    if backend == "sqlite":
        if not parsed.database or parsed.database == ":memory:":
            raise BackupError(f"{shown} names no database file; {URL_HINT}")
        path = Path(parsed.database)
        return Database("sqlite", normalize_url(url), shown, path.stem, path)
    if backend == "postgresql":
        if not parsed.database:
            raise BackupError(f"{shown} names no database; write postgresql://user@host/gendan")
        return Database("postgresql", normalize_url(url), shown, parsed.database)
    raise BackupError(f"{parsed.drivername}: not a database Gendan knows; {URL_HINT}")


def default_directory(url: str) -> Path:
    """`backups/` beside a SQLite database's file; in the working directory for PostgreSQL."""
    db = database(url)
    return db.path.parent / "backups" if db.path is not None else Path("backups")


@dataclass(frozen=True)
class Backup:
    path: Path
    counts: dict[str, int]  # rows per table, as read back from the written file

    @property
    def rows(self) -> int:
        return sum(self.counts.values())


# ---- taking a backup --------------------------------------------------------------------


async def take_backup(url: str, directory: str | Path, now: datetime) -> Backup:
    """A checked copy of the database at `url` in `directory`, named by `now` (UTC)."""
    db = database(url)
    folder = Path(directory)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise BackupError(f"cannot create the backup folder {folder}: {_why(exc)}") from exc
    final = folder / f"{db.name}-{now.astimezone(UTC):{STAMP}}.{EXTENSIONS[db.kind]}"
    if final.exists():
        raise BackupError(f"{final} exists already; backups are one a second, try again")
    partial = final.with_name(final.name + ".partial")
    try:
        if db.kind == "sqlite":
            counts = await asyncio.to_thread(_copy_sqlite, db, partial)
        else:
            counts = await _dump_postgres(db, partial)
        try:
            os.replace(partial, final)
        except OSError as exc:
            raise BackupError(f"cannot write {final}: {_why(exc)}") from exc
        _sync_folder(folder)
    finally:
        with contextlib.suppress(OSError):
            partial.unlink(missing_ok=True)
    return Backup(final, counts)


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _sync_folder(folder: Path) -> None:
    """The rename survives a power cut only once the folder itself is on disk."""
    with contextlib.suppress(OSError):
        handle = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(handle)
        finally:
            os.close(handle)


_SQLITE_TABLES = "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
_POSTGRES_TABLES = "SELECT tablename FROM pg_tables WHERE schemaname = current_schema()"


def _quoted(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


def _sqlite_counts(connection: sqlite3.Connection) -> dict[str, int]:
    tables = [row[0] for row in connection.execute(_SQLITE_TABLES)]
    return {table: connection.execute(f"SELECT count(*) FROM {_quoted(table)}").fetchone()[0]
            for table in sorted(tables)}


def _open_sqlite(path: Path, mode: str) -> sqlite3.Connection:
    """A connection that never creates a missing file (`mode` is ro or rw)."""
    return sqlite3.connect(f"{path.resolve().as_uri()}?mode={mode}", uri=True,
                           isolation_level=None, timeout=30, check_same_thread=False)


def _copy_sqlite(db: Database, partial: Path) -> dict[str, int]:
    assert db.path is not None
    if not db.path.is_file():
        raise BackupError(f"no database at {db.path}; check the URL given with --db or in "
                          "DATABASE_URL")
    try:
        with contextlib.closing(_open_sqlite(db.path, "rw")) as source:
            source.execute("BEGIN")
            counts = _sqlite_counts(source)  # the first read fixes the transaction's snapshot
            with contextlib.closing(sqlite3.connect(partial)) as copy:
                source.backup(copy)  # every page in one step, from the counted snapshot
                source.execute("ROLLBACK")
                copy.execute("PRAGMA journal_mode=DELETE")
        check_sqlite(partial, counts)
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite could not copy {db.path}: {exc}") from exc
    return counts


def check_sqlite(path: Path, expected: dict[str, int] | None = None) -> dict[str, int]:
    """Read a SQLite file in full: intact, and holding `expected` rows per table if given."""
    try:
        with contextlib.closing(_open_sqlite(path, "ro")) as copy:
            verdict = [row[0] for row in copy.execute("PRAGMA integrity_check")]
            if verdict != ["ok"]:
                raise BackupError(f"{path} is damaged: {'; '.join(verdict[:3])}")
            counts = _sqlite_counts(copy)
    except sqlite3.DatabaseError as exc:
        raise BackupError(f"{path} cannot be read as a SQLite database: {exc}") from exc
    if expected is not None:
        _same_counts(expected, counts, path)
    return counts


def _same_counts(expected: dict[str, int], found: dict[str, int], where: Path | str) -> None:
    for table in sorted(set(expected) | set(found)):
        if expected.get(table) != found.get(table):
            raise BackupError(
                f"{where} does not hold what was copied: table {table} has "
                f"{_rows(found.get(table))} there, {_rows(expected.get(table))} in the database")


def _rows(count: int | None) -> str:
    return "no such table" if count is None else f"{count} rows"


async def row_counts(connection: AsyncConnection) -> dict[str, int]:
    """Rows per table of the connection's database (its current schema on PostgreSQL)."""
    dialect = connection.dialect.name
    tables = (await connection.execute(text(
        _SQLITE_TABLES if dialect == "sqlite" else _POSTGRES_TABLES))).scalars().all()
    return {table: await connection.scalar(text(f"SELECT count(*) FROM {_quoted(table)}"))
            for table in sorted(tables)}


def holding_data(counts: dict[str, int]) -> dict[str, int]:
    """The tables with rows in them, the schema's bookkeeping aside."""
    return {table: rows for table, rows in counts.items() if rows and table not in BOOKKEEPING}


async def _dump_postgres(db: Database, partial: Path) -> dict[str, int]:
    engine = create_engine(db.url)
    try:
        await reachable(engine, db)
        async with engine.connect() as connection:
            connection = await connection.execution_options(isolation_level="REPEATABLE READ")
            async with connection.begin():
                # The first statement fixes the snapshot; pg_dump is handed the same one.
                snapshot = await connection.scalar(text("SELECT pg_export_snapshot()"))
                major = await _server_major(connection)
                counts = await row_counts(connection)
                pg_dump = await asyncio.to_thread(find_tool, "pg_dump", major)
                await _run([pg_dump, "--format=custom", f"--snapshot={snapshot}",
                            f"--file={partial}", "--no-password"], libpq_env(db.url))
    finally:
        await engine.dispose()
    pg_restore = await asyncio.to_thread(find_tool, "pg_restore", major)
    _same_counts(counts, await dump_counts(partial, pg_restore), partial)
    return counts


async def reachable(engine: AsyncEngine, db: Database) -> None:
    """A database that cannot be connected to is named, with the driver's reason."""
    try:
        async with engine.connect():
            pass
    except (OSError, DBAPIError) as exc:
        reason = exc.orig if isinstance(exc, DBAPIError) and exc.orig is not None else exc
        raise BackupError(f"cannot reach {db.shown}: {reason}") from exc


async def _server_major(connection: AsyncConnection) -> int:
    return int(await connection.scalar(text("SHOW server_version_num"))) // 10000


def libpq_env(url: str) -> dict[str, str]:
    """The URL as libpq's environment: a password is never on a command line others can read."""
    parsed = make_url(url)
    env = dict(os.environ)
    for key, value in (("PGHOST", parsed.host or parsed.query.get("host")),
                       ("PGPORT", parsed.port), ("PGUSER", parsed.username),
                       ("PGPASSWORD", parsed.password), ("PGDATABASE", parsed.database)):
        if value is not None:
            env[key] = str(value)
    ssl = parsed.query.get("sslmode") or parsed.query.get("ssl")
    if isinstance(ssl, str):
        env["PGSSLMODE"] = {"true": "require", "false": "disable"}.get(ssl.lower(), ssl)
    return env


def find_tool(name: str, server_major: int, *, path: str | None = None,
              pattern: str = PG_BIN_GLOB) -> str:
    """`pg_dump` or `pg_restore` able to work with a PostgreSQL `server_major` server: the same
    version if there is one, else the oldest newer one (an older one refuses the server)."""
    candidates = [*glob.glob(os.path.join(pattern, name)), shutil.which(name, path=path)]
    versions: dict[int, str] = {}
    for candidate in candidates:
        major = _tool_major(candidate) if candidate else None
        if major is not None:
            versions.setdefault(major, candidate)
    install = (f"install the PostgreSQL {server_major} client tools (on Debian or Ubuntu: "
               f"apt-get install postgresql-client-{server_major})")
    if not versions:
        raise BackupError(f"{name} was not found on PATH or in {pattern}; {install}")
    usable = sorted(major for major in versions if major >= server_major)
    if not usable:
        found = ", ".join(f"{versions[m]} ({m})" for m in sorted(versions))
        raise BackupError(f"{name} is older than the server (PostgreSQL {server_major}): "
                          f"found {found}; {install}")
    return versions[usable[0]]


def _tool_major(path: str) -> int | None:
    try:
        answer = subprocess.run([path, "--version"], capture_output=True, text=True,
                                timeout=30, check=False).stdout
    except OSError:
        return None
    match = re.search(r"\(PostgreSQL\) (\d+)", answer)
    return int(match[1]) if match else None


async def _run(command: list[str], env: dict[str, str]) -> None:
    process = await asyncio.create_subprocess_exec(
        *command, env=env, stdout=asyncio.subprocess.DEVNULL, stderr=asyncio.subprocess.PIPE)
    _, errors = await process.communicate()
    if process.returncode != 0:
        raise BackupError(f"{Path(command[0]).name} failed: {_last_lines(errors)}")


def _last_lines(output: bytes) -> str:
    lines = output.decode("utf-8", "replace").strip().splitlines()
    return " / ".join(lines[-3:]) or "no message"


_TOC_TABLE = re.compile(r"^\d+; \d+ \d+ TABLE (?!DATA )(\S+) (\S+) ")
_COPY = re.compile(r"^COPY (\S+) ")


async def dump_counts(path: Path, pg_restore: str) -> dict[str, int]:
    """Rows per table of a custom-format dump, read back from the dump itself: its list of
    contents names the tables, and its data, printed in full, holds one line per row."""
    listing = await asyncio.create_subprocess_exec(
        pg_restore, "--list", str(path), stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    contents, errors = await listing.communicate()
    if listing.returncode != 0:
        raise BackupError(f"{path} cannot be read as a PostgreSQL dump: {_last_lines(errors)}")
    counts = {match[2]: 0 for line in contents.decode().splitlines()
              if (match := _TOC_TABLE.match(line))}
    data = await asyncio.create_subprocess_exec(
        pg_restore, "--data-only", "--file=-", str(path), stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE)
    assert data.stdout is not None and data.stderr is not None
    errors_read = asyncio.create_task(data.stderr.read())
    table = None
    async for line in data.stdout:
        if table is None:
            if match := _COPY.match(line.decode("utf-8", "replace")):
                table = match[1].rsplit(".", 1)[-1].strip('"')
                counts[table] = 0
        elif line == b"\\.\n":
            table = None
        else:
            counts[table] += 1
    await data.wait()
    if data.returncode != 0:
        raise BackupError(f"{path} cannot be read in full: {_last_lines(await errors_read)}")
    return counts


# ---- restoring --------------------------------------------------------------------------


def backup_kind(path: Path) -> Literal["sqlite", "postgresql"] | None:
    with path.open("rb") as handle:
        head = handle.read(len(_SQLITE_MAGIC))
    if head.startswith(_SQLITE_MAGIC):
        return "sqlite"
    if head.startswith(_PGDUMP_MAGIC):
        return "postgresql"
    return None


async def restore(file: str | Path, url: str, *, force: bool = False) -> dict[str, int]:
    """Put a backup into the database at `url`, which must hold no data unless `force`;
    returns the rows per table it holds afterwards, checked against the backup."""
    path, db = Path(file), database(url)
    if not path.is_file():
        raise BackupError(f"{path}: no such file; give a file `gendan backup` wrote, e.g. "
                          "one from the backups folder")
    kind = backup_kind(path)
    if kind is None:
        raise BackupError(f"{path} is neither a SQLite database nor a PostgreSQL dump; give a "
                          "file `gendan backup` wrote")
    if kind != db.kind:
        raise BackupError(_mismatch(path, kind, db))
    occupied = holding_data(await existing_counts(db))
    if occupied and not force:
        raise BackupError(f"{db.shown} is not empty ({_tables(occupied)}); restore into an "
                          "empty database, or add --force to replace everything in it")
    if db.kind == "sqlite":
        return await asyncio.to_thread(_restore_sqlite, path, db)
    return await _restore_postgres(path, db)


def _mismatch(path: Path, kind: str, db: Database) -> str:
    if kind == "sqlite":
        return (f"{path} is a SQLite backup and {db.shown} is PostgreSQL; restore it into a "
                "SQLite database (--db sqlite:///gendan.db), then move that with "
                f"gendan migrate-data --from sqlite:///gendan.db --to {db.shown}")
    return (f"{path} is a PostgreSQL backup and {db.shown} is SQLite; restore it into a "
            "PostgreSQL database (--db postgresql://user@host/gendan)")


def _tables(counts: dict[str, int]) -> str:
    shown = ", ".join(f"{table} {rows}" for table, rows in list(counts.items())[:4])
    more = len(counts) - 4
    return f"rows in {shown}" + (f" and {more} more tables" if more > 0 else "")


async def existing_counts(db: Database) -> dict[str, int]:
    """Rows per table of a database that may not exist yet: a missing SQLite file has none
    (and is not created by asking)."""
    if db.path is not None and not db.path.exists():
        return {}
    engine = create_engine(db.url)
    try:
        await reachable(engine, db)
        async with engine.connect() as connection:
            return await row_counts(connection)
    finally:
        await engine.dispose()


def _restore_sqlite(path: Path, db: Database) -> dict[str, int]:
    assert db.path is not None
    counts = check_sqlite(path)  # a damaged backup is refused before the target is touched
    if not db.path.parent.is_dir():
        raise BackupError(f"{db.path.parent}: no such folder for the database")
    try:
        with contextlib.closing(_open_sqlite(path, "ro")) as backup, \
                contextlib.closing(sqlite3.connect(db.path, isolation_level=None,
                                                   timeout=30)) as target:
            # Out of WAL first: the backup API replaces the pages of a rollback-journal
            # database whatever its page size; the bot turns WAL on again when it connects.
            target.execute("PRAGMA journal_mode=DELETE")
            backup.backup(target)
            target.execute("PRAGMA journal_mode=WAL")
    except sqlite3.OperationalError as exc:
        if "locked" in str(exc):
            raise BackupError(f"{db.path} is in use; stop the bot (and whatever else has the "
                              "database open) and try again") from exc
        raise BackupError(f"SQLite could not restore into {db.path}: {exc}") from exc
    except sqlite3.Error as exc:
        raise BackupError(f"SQLite could not restore into {db.path}: {exc}") from exc
    return check_sqlite(db.path, counts)


async def _restore_postgres(path: Path, db: Database) -> dict[str, int]:
    engine = create_engine(db.url)
    try:
        async with engine.connect() as connection:
            major = await _server_major(connection)
        pg_restore = await asyncio.to_thread(find_tool, "pg_restore", major)
        counts = await dump_counts(path, pg_restore)  # the whole dump reads back first
        async with engine.begin() as connection:
            # Tables the backup does not have would outlive the restore (--clean drops only
            # what the dump holds) and trip the next migration.
            for table in set(await row_counts(connection)) - set(counts):
                await connection.execute(text(f"DROP TABLE {_quoted(table)} CASCADE"))
        await _run([pg_restore, "--clean", "--if-exists", "--no-owner", "--no-acl",
                    "--single-transaction", "--exit-on-error", "--no-password",
                    f"--dbname={make_url(db.url).database}", str(path)], libpq_env(db.url))
        async with engine.connect() as connection:
            restored = await row_counts(connection)
    finally:
        await engine.dispose()
    _same_counts(counts, restored, db.shown)
    return restored


# ---- retention --------------------------------------------------------------------------


@dataclass(frozen=True)
class Retention:
    """How many backups to keep: the newest of each of the last `daily` days, `weekly` ISO
    weeks and `monthly` months (UTC) that have one."""

    daily: int = 7
    weekly: int = 4
    monthly: int = 12

    def __str__(self) -> str:
        return f"{self.daily} daily, {self.weekly} weekly, {self.monthly} monthly"


_PERIODS: tuple[tuple[str, Callable[[datetime], tuple[int, ...]]], ...] = (
    ("daily", lambda t: (t.year, t.month, t.day)),
    ("weekly", lambda t: tuple(t.isocalendar())[:2]),
    ("monthly", lambda t: (t.year, t.month)),
)


def kept(times: Iterable[datetime], keep: Retention) -> set[datetime]:
    """The backup times the rule keeps."""
    newest_first = sorted(set(times), reverse=True)
    keeping: set[datetime] = set()
    for rule, period in _PERIODS:
        wanted, seen = getattr(keep, rule), set()
        for moment in newest_first:
            if len(seen) >= wanted:
                break
            if period(moment) not in seen:
                seen.add(period(moment))
                keeping.add(moment)
    return keeping


def backups_of(directory: Path, name: str) -> dict[datetime, Path]:
    """The finished backups of the database `name` in `directory`, by their time."""
    found = {}
    for path in directory.iterdir() if directory.is_dir() else ():
        match = _NAME.match(path.name)
        if match and match["name"] == name and path.is_file():
            found[datetime.strptime(match["stamp"], STAMP).replace(tzinfo=UTC)] = path
    return found


def prune(directory: str | Path, keep: Retention, written: Path) -> list[Path]:
    """Delete the backups of `written`'s database that the rule does not keep; returns them."""
    match = _NAME.match(written.name)
    if match is None:
        raise ValueError(f"{written} is not named like a backup")
    backups = backups_of(Path(directory), match["name"])
    keeping = kept(backups, keep)
    removed = []
    for moment, path in sorted(backups.items()):
        if moment not in keeping and path.name != written.name:
            path.unlink()
            removed.append(path)
    return removed
