"""Schema migrations, run from code on a live async engine.

Alembic (with Mako) is about 11 MB of a process that idles near 100 MB, and `gendan run`
needs it only when the schema is behind. So the start-up check reads the database's revision
and the migration files' heads first, and brings alembic in only to migrate.
"""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy import inspect, text
from sqlalchemy.engine import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

if TYPE_CHECKING:
    from alembic.config import Config

MIGRATIONS = Path(__file__).parent / "migrations"
_REVISION = re.compile(r'^revision\s*(?::[^=]*)?=\s*"([^"]+)"', re.M)
_DOWN_REVISION = re.compile(r"^down_revision\s*(?::[^=]*)?=\s*(.+)$", re.M)


def alembic_config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    if connection is not None:
        config.attributes["connection"] = connection
    return config


def revisions() -> list[str]:
    """Every revision id, oldest first."""
    from alembic.script import ScriptDirectory

    script = ScriptDirectory.from_config(alembic_config())
    return [rev.revision for rev in reversed(list(script.walk_revisions()))]


@cache
def head_of_files() -> str | None:
    """The one revision no other revises, read from the migration files; None when they do
    not say it plainly (several heads, a revision written otherwise): alembic decides then."""
    revised: set[str] = set()
    found: set[str] = set()
    for path in (MIGRATIONS / "versions").glob("*.py"):
        source = path.read_text(encoding="utf-8")
        revision, down = _REVISION.search(source), _DOWN_REVISION.search(source)
        if revision is None or down is None:
            return None
        found.add(revision[1])
        revised.update(re.findall(r'"([^"]+)"', down[1]))
    heads = found - revised
    return heads.pop() if len(heads) == 1 else None


def _revision_of(connection: Connection) -> str | None:
    if not inspect(connection).has_table("alembic_version"):
        return None
    rows = connection.execute(text("SELECT version_num FROM alembic_version")).all()
    return rows[0][0] if len(rows) == 1 else None


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    async with engine.begin() as connection:
        if revision == "head":
            head = head_of_files()
            if head is not None and await connection.run_sync(_revision_of) == head:
                return
        from alembic import command

        await connection.run_sync(lambda c: command.upgrade(alembic_config(c), revision))


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    from alembic import command

    async with engine.begin() as connection:
        await connection.run_sync(lambda c: command.downgrade(alembic_config(c), revision))
