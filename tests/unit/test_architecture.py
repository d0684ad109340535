"""Dependencies point one way: bot -> handlers -> workflow <- storage; workflow stays pure."""

from __future__ import annotations

import ast
from pathlib import Path

from handlers.answer_codes import VERSION

ROOT = Path(__file__).resolve().parents[2]
FRAMEWORKS = {"telegram", "sqlalchemy", "aiohttp", "apscheduler", "alembic", "asyncpg",
              "aiosqlite", "httpx"}
WALL_CLOCK = {("datetime", "now"), ("datetime", "utcnow"), ("date", "today"), ("time", "time"),
              ("time", "monotonic")}


def _imports(path: Path) -> set[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    names = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            names |= {alias.name.split(".")[0] for alias in node.names}
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            names.add(node.module.split(".")[0])
    return names


def _files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


def test_workflow_imports_no_framework_and_no_outer_layer() -> None:
    for path in _files("workflow"):
        bad = _imports(path) & (FRAMEWORKS | {"bot", "handlers", "storage"})
        assert not bad, f"{path.relative_to(ROOT)} imports {bad}"


def test_workflow_never_reads_the_wall_clock() -> None:
    for path in _files("workflow"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute):
                target = node.func.value
                name = target.id if isinstance(target, ast.Name) else getattr(target, "attr", "")
                assert (name, node.func.attr) not in WALL_CLOCK, (
                    f"{path.relative_to(ROOT)}:{node.lineno} reads the wall clock"
                )


def test_workflow_knows_no_storage_and_no_words() -> None:
    """The domain says what happened (a catalog key and its parameters); which words say it,
    in which language, is the adapter's business."""
    for path in _files("workflow"):
        assert not _imports(path) & {"locales", "babel"}, path


def test_workflow_writes_no_button_codes() -> None:
    """The domain says which answers a button gives; how a chat carries them is the adapter's
    (handlers/answer_codes.py)."""
    for path in _files("workflow"):
        assert f"{VERSION}:" not in path.read_text(encoding="utf-8"), path


def test_storage_and_handlers_do_not_reach_up() -> None:
    for path in _files("storage"):
        assert not _imports(path) & {"bot", "handlers", "telegram"}, path
    for path in _files("handlers"):
        assert not _imports(path) & {"bot", "storage", "sqlalchemy", "alembic", "aiosqlite",
                                     "asyncpg"}, path


def test_web_pages_read_through_the_workflow() -> None:
    """The pages are an adapter like the chat's: views and ports, never the tables."""
    for path in _files("web"):
        assert not _imports(path) & {"bot", "storage", "sqlalchemy", "telegram"}, path
