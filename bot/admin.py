"""Administration from the shell: migrations, the roster file, the parser's lexicon."""

from __future__ import annotations

import asyncio
import csv
import tomllib
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

from bot.app import Gendan, bootstrap
from bot.clock import SystemClock
from bot.dingtalk.ids import GROUP, PERSON, DingTalkIds, number
from bot.settings import Settings
from storage.db import create_engine
from storage.migrate import upgrade
from workflow import services
from workflow.context import Actor
from workflow.model import Person
from workflow.parsing import Lexicon
from workflow.roles import Role, parse_role


class RosterError(ValueError):
    pass


async def migrate(settings: Settings) -> None:
    engine = create_engine(settings.database_url)
    try:
        await upgrade(engine)
    finally:
        await engine.dispose()


def lexicon_loader(settings: Settings) -> Callable[[], Lexicon]:
    async def load() -> Lexicon:
        gendan = await bootstrap(settings, SystemClock())
        await gendan.close()
        return gendan.lexicon.current

    return lambda: asyncio.run(load())


def _role(value: Any, where: str) -> Role:
    role = parse_role(str(value))
    if role is None:
        raise RosterError(f"{where}: unknown role {value!r}; use one of "
                          f"{', '.join(r.value for r in Role)}")
    return role


def read_roster(path: str | Path) -> dict[str, list[dict[str, Any]]]:
    """Validate a roster file; errors name the entry and field at fault."""
    try:
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as exc:
        raise RosterError(f"{path}: not valid TOML: {exc}") from exc
    unknown = set(data) - {"people", "groups"}
    if unknown:
        raise RosterError(f"{path}: unknown tables {sorted(unknown)}; use [[people]] and [[groups]]")
    people = []
    for i, entry in enumerate(data.get("people", [])):
        where = f"people[{i}]"
        staff_id = _dingtalk_id(entry, "staff_id", where)
        if staff_id is not None:  # DingTalk: people are known by the number of their staff id
            entry = {**entry, "id": number(staff_id),
                     "username": entry.get("username") or staff_id}
        elif not isinstance(entry.get("id"), int) or entry["id"] <= 0:
            raise RosterError(f"{where}.id: write the person's Telegram user id, e.g. id = 123456 "
                              f"(on DingTalk their staff id: staff_id = \"manager4711\")")
        if not isinstance(entry.get("name"), str) or not entry["name"].strip():
            raise RosterError(f"{where}.name: missing")
        roles = entry.get("roles", [])
        leads = entry.get("leads", [])
        if not isinstance(roles, list) or not isinstance(leads, list):
            raise RosterError(f"{where}.roles: write a list, e.g. roles = [\"market\"]")
        people.append({
            "id": entry["id"],
            "name": entry["name"].strip(),
            "username": entry.get("username"),
            "roles": [_role(r, f"{where}.roles") for r in roles],
            "leads": [_role(r, f"{where}.leads") for r in leads],
            "staff_id": staff_id,
        })
    groups = []
    for i, entry in enumerate(data.get("groups", [])):
        where = f"groups[{i}]"
        conversation = _dingtalk_id(entry, "conversation_id", where)
        if conversation is not None:
            entry = {**entry, "id": -number(conversation)}
        elif not isinstance(entry.get("id"), int) or entry["id"] >= 0:
            raise RosterError(f"{where}.id: write the group's chat id (negative), e.g. id = -1001 "
                              f"(on DingTalk its openConversationId: conversation_id = \"cid…\")")
        groups.append({
            "id": entry["id"],
            "title": entry.get("title"),
            "department": _role(entry["department"], f"{where}.department")
            if entry.get("department") is not None else None,
            "conversation_id": conversation,
        })
    return {"people": people, "groups": groups}


def _dingtalk_id(entry: dict[str, Any], key: str, where: str) -> str | None:
    value = entry.get(key)
    if value is not None and (not isinstance(value, str) or not value.strip()):
        raise RosterError(f"{where}.{key}: write it as text in quotes, e.g. {key} = \"…\"")
    return value.strip() if value is not None else None


async def import_roster(settings: Settings, path: str | Path) -> str:
    roster = read_roster(path)
    async with _company(settings) as gendan:
        runtime = gendan.runtime
        async with runtime.unit_of_work() as uow:
            ctx = runtime.context(uow, runtime.clock.now())
            system = Actor(Person(0, "roster import"), is_admin=True)
            for entry in roster["people"]:
                person = await uow.people.upsert(entry["id"], entry["name"], entry["username"])
                for role in {*entry["roles"], *entry["leads"]}:
                    await services.grant_role(ctx, system, person, role, role in entry["leads"])
            for entry in roster["groups"]:
                await uow.chats.upsert(entry["id"], entry["title"])
                if entry["department"]:
                    await services.bind_chat(ctx, system, entry["id"], entry["department"])
            await uow.commit()
        # After the commit: SQLite has one connection, and the unit of work held it.
        ids = DingTalkIds(gendan.engine)
        for entry in roster["people"]:
            if entry["staff_id"]:
                await ids.chat(entry["staff_id"], PERSON, entry["name"])
        for entry in roster["groups"]:
            if entry["conversation_id"]:
                await ids.chat(entry["conversation_id"], GROUP, entry["title"])
    return f"imported {len(roster['people'])} people and {len(roster['groups'])} groups"


@asynccontextmanager
async def _company(settings: Settings) -> AsyncIterator[Gendan]:
    """The shell tools work on the company as the bot does: one bootstrap, its policy and zone."""
    gendan = await bootstrap(settings, SystemClock())
    try:
        yield gendan
    finally:
        await gendan.close()


class CatalogError(ValueError):
    pass


_KIND_WORDS = {"customer": "customer", "客户": "customer", "客户名称": "customer",
               "product": "product", "产品": "product", "产品名称": "product", "货品": "product"}
_KIND_HEADERS = ("kind", "type", "类型", "类别")
_NAME_HEADERS = ("name", "名称")


def read_catalog(path: str | Path) -> list[tuple[str, str]]:
    """Rows of (kind, name) from a CSV with a header; errors name the line at fault.

    Either a `kind,name` pair of columns (kind: customer/product or 客户/产品), or one column
    per kind (`customer`/`客户`, `product`/`产品`) with a name in each cell.
    """
    with Path(path).open(encoding="utf-8-sig", newline="") as handle:
        rows = list(csv.reader(handle))
    if not rows:
        raise CatalogError(f"{path}: empty; the first line names the columns, e.g. kind,name")
    header = [cell.strip().lower() for cell in rows[0]]
    kind_col = next((i for i, h in enumerate(header) if h in _KIND_HEADERS), None)
    name_col = next((i for i, h in enumerate(header) if h in _NAME_HEADERS), None)
    kind_cols = {i: _KIND_WORDS[h] for i, h in enumerate(header) if h in _KIND_WORDS}
    if (kind_col is None or name_col is None) and not kind_cols:
        raise CatalogError(f"{path}:1: write a header: kind,name (or 客户,产品 columns)")
    entries = []
    for line, row in enumerate(rows[1:], start=2):
        if not any(cell.strip() for cell in row):
            continue
        if kind_col is not None and name_col is not None:
            if max(kind_col, name_col) >= len(row):
                raise CatalogError(f"{path}:{line}: expected kind and name")
            kind = _KIND_WORDS.get(row[kind_col].strip().lower())
            if kind is None:
                raise CatalogError(f"{path}:{line}: kind {row[kind_col]!r} is not customer/"
                                   "product (客户/产品)")
            name = row[name_col].strip()
            if not name:
                raise CatalogError(f"{path}:{line}: the name is empty")
            entries.append((kind, name))
        else:
            entries += [(kind, row[i].strip()) for i, kind in kind_cols.items()
                        if i < len(row) and row[i].strip()]
    return entries


async def import_catalog(settings: Settings, path: str | Path) -> str:
    entries = read_catalog(path)
    async with _company(settings) as gendan, gendan.runtime.unit_of_work() as uow:
        added = 0
        for kind, name in entries:
            added += await uow.orders.add_catalog_entry(kind, name)
        await uow.commit()
    return f"imported {added} new names ({len(entries) - added} known already)"


async def outbox_report(settings: Settings, *, retry: str | None = None) -> str:
    """`gendan outbox list`: what is owed and what was given up; `retry ID|all` sends again."""
    async with _company(settings) as gendan, gendan.runtime.unit_of_work() as uow:
        if retry is not None:
            row_id = None if retry == "all" else int(retry)
            count = await uow.outbox.retry(row_id, SystemClock().now())
            await uow.commit()
            return f"{count} queued again; a running bot sends them within a second"
        counts = await uow.outbox.counts()
        rows = await uow.outbox.dead_letters(limit=200)
        lines = [f"sent {counts['sent']} · waiting {counts['pending'] + counts['leased']} · "
                 f"held {counts['held']} · rerouted {counts['rerouted']} · "
                 f"failed {counts['failed']}"]
        lines += [f"#{row.id}\t{row.status}\tchat {row.chat_id}\t"
                  f"{row.created_at:%Y-%m-%d %H:%M}Z\t{row.error or '-'}"
                  for row in rows]
        return "\n".join(lines)


# ---- backups (issue 14) -----------------------------------------------------------------


async def backup_report(settings: Settings, url: str | None, directory: str | None) -> str:
    """`gendan backup`: a checked copy now, and the old ones pruned as the settings say."""
    from storage.backup import prune, take_backup

    url = url or settings.database_url
    folder = Path(directory) if directory else settings.backups(url)
    backup = await take_backup(url, folder, SystemClock().now())
    removed = prune(folder, settings.backup_keep, backup.path)
    return (f"{backup.path}: {_size(backup.path.stat().st_size)}, {len(backup.counts)} tables, "
            f"{backup.rows} rows, checked\n"
            f"removed {len(removed)} older backups (keeping {settings.backup_keep})")


async def restore_report(settings: Settings, file: str, url: str | None, force: bool) -> str:
    from storage.backup import database, restore

    target = database(url or settings.database_url)
    counts = await restore(file, url or settings.database_url, force=force)
    return (f"restored {file} into {target.shown}: {len(counts)} tables, "
            f"{sum(counts.values())} rows, checked against the backup")


async def migrate_data_report(source: str, target: str) -> str:
    from storage.backup import database
    from storage.transfer import migrate_data

    counts = await migrate_data(source, target)
    lines = [f"{table}\t{rows}" for table, rows in counts.items()]
    return "\n".join([*lines, f"copied {sum(counts.values())} rows into "
                              f"{database(target).shown}; every table counted on both sides"])


def _size(size: float) -> str:
    unit = "B"
    for bigger in ("KB", "MB", "GB"):
        if size < 1024:
            break
        size, unit = size / 1024, bigger
    return f"{size:.0f} B" if unit == "B" else f"{size:.1f} {unit}"
