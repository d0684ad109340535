"""`gendan catalog import FILE.csv`: names the parser knows before any order mentions them."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

import pytest

from bot.admin import CatalogError, import_catalog, lexicon_loader, read_catalog
from bot.cli import main
from bot.settings import Settings
from tests.conftest import SHANGHAI
from workflow.parsing import parse_message

NOW = datetime(2026, 11, 24, 9, 0, tzinfo=SHANGHAI)


def _csv(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "catalog.csv"
    path.write_text(text, encoding="utf-8")
    return path


async def test_imported_names_are_recognised_whole(tmp_path: Path, database_url: str) -> None:
    # Typed together, the two names cannot be told apart without the catalog (since issue 13
    # the parser reads "宁波海天塑机要20台注塑机冷却塔" whole on its own).
    sentence = "宁波海天塑机注塑机冷却塔20台，下个月15号交"
    before = parse_message(sentence, NOW)
    path = _csv(tmp_path, "kind,name\n客户,宁波海天塑机\nproduct,注塑机冷却塔\n")
    settings = Settings(database_url=database_url)
    assert await import_catalog(settings, path) == "imported 2 new names (0 known already)"
    assert await import_catalog(settings, path) == "imported 0 new names (2 known already)"
    after = parse_message(sentence, NOW, await _lexicon(settings))
    assert after.fields.customer == "宁波海天塑机" and after.fields.product == "注塑机冷却塔"
    assert (before.fields.customer, before.fields.product) != ("宁波海天塑机", "注塑机冷却塔")


async def _lexicon(settings: Settings):
    import asyncio

    return await asyncio.to_thread(lexicon_loader(settings))


def test_one_column_per_kind(tmp_path: Path) -> None:
    path = _csv(tmp_path, "客户,产品\n华东电力,GGD低压开关柜\n浙江正泰新能源,\n")
    assert read_catalog(path) == [("customer", "华东电力"), ("product", "GGD低压开关柜"),
                                  ("customer", "浙江正泰新能源")]


@pytest.mark.parametrize(("text", "message"), [
    ("", "empty"),
    ("名字\n华东电力\n", ":1: write a header"),
    ("kind,name\nsupplier,宝钢\n", ":2: kind 'supplier'"),
    ("kind,name\ncustomer,\n", ":2: the name is empty"),
])
def test_bad_catalog_names_the_line(tmp_path: Path, text: str, message: str) -> None:
    with pytest.raises(CatalogError, match=message):
        read_catalog(_csv(tmp_path, text))


def test_cli(tmp_path: Path, capsys, monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/c.db")
    assert main(["catalog", "import", str(_csv(tmp_path, "kind,name\ncustomer,华东电力\n"))]) == 0
    assert "imported 1 new names" in capsys.readouterr().out
    assert main(["catalog", "import", str(tmp_path / "missing.csv")]) == 2
