"""`gendan roster import FILE`: the roster from a TOML file."""

from __future__ import annotations

from pathlib import Path

import pytest

from bot.admin import RosterError, import_roster, read_roster
from bot.cli import main
from bot.dingtalk.ids import DingTalkIds, number
from bot.settings import Settings
from storage.db import create_engine, session_factory
from storage.uow import SqlUnitOfWork
from workflow.roles import Role

ROSTER = """
[[people]]
id = 101
name = "李明"
username = "liming"
roles = ["market"]

[[people]]
id = 201
name = "王强"
roles = ["制造中心", "oem"]
leads = ["manufacturing"]

[[groups]]
id = -1001
title = "市场部"
department = "市场部"
"""


async def test_import_people_roles_and_groups(tmp_path: Path, database_url: str) -> None:
    path = tmp_path / "roster.toml"
    path.write_text(ROSTER, encoding="utf-8")
    settings = Settings(database_url=database_url)
    assert await import_roster(settings, path) == "imported 2 people and 1 groups"
    assert await import_roster(settings, path)  # again: nothing doubles
    engine = create_engine(database_url)
    async with SqlUnitOfWork(session_factory(engine)) as uow:
        wang = await uow.people.get(201)
        market = await uow.chats.get(-1001)
        everyone = await uow.people.with_any_role()
    await engine.dispose()
    assert wang.roles == {Role.MANUFACTURING: True, Role.OEM: False}
    assert market.department is Role.MARKET
    assert len(everyone) == 2


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ('[[people]]\nname = "x"', "people[0].id"),
        ('[[people]]\nid = 5\nname = "x"\nroles = ["chef"]', "people[0].roles: unknown role 'chef'"),
        ('[[groups]]\nid = 5', "groups[0].id"),
        ("[staff]\n", "unknown tables"),
        ("people = [", "not valid TOML"),
    ],
)
def test_bad_roster_names_the_entry(tmp_path: Path, text: str, message: str) -> None:
    path = tmp_path / "roster.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(RosterError, match=message.replace("[", r"\[").replace("]", r"\]")):
        read_roster(path)


def test_cli_reports_a_bad_roster(tmp_path: Path, capsys, monkeypatch) -> None:
    path = tmp_path / "roster.toml"
    path.write_text('[[people]]\nid = "abc"\nname = "x"', encoding="utf-8")
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///{tmp_path}/r.db")
    assert main(["roster", "import", str(path)]) == 2
    assert "people[0].id" in capsys.readouterr().err


DINGTALK_ROSTER = """
[[people]]
staff_id = "manager4711"
name = "王强"
leads = ["manufacturing"]

[[groups]]
conversation_id = "cidAbC+/dEf=="
title = "制造中心"
department = "manufacturing"
"""


async def test_dingtalk_people_and_groups_by_their_dingtalk_ids(
        tmp_path: Path, database_url: str) -> None:
    path = tmp_path / "roster.toml"
    path.write_text(DINGTALK_ROSTER, encoding="utf-8")
    settings = Settings(database_url=database_url)
    assert await import_roster(settings, path) == "imported 1 people and 1 groups"
    engine = create_engine(database_url)
    try:
        async with SqlUnitOfWork(session_factory(engine)) as uow:
            person = await uow.people.get(number("manager4711"))
            chat = await uow.chats.get(-number("cidAbC+/dEf=="))
        ids = DingTalkIds(engine)
        await ids.load()
    finally:
        await engine.dispose()
    assert person is not None and person.username == "manager4711"
    assert chat is not None and chat.department is Role.MANUFACTURING
    # The bot can write to both before either has written to it.
    assert ids.external(number("manager4711")) == ("person", "manager4711")
    assert ids.external(-number("cidAbC+/dEf==")) == ("group", "cidAbC+/dEf==")


def test_a_staff_id_must_be_text(tmp_path: Path) -> None:
    path = tmp_path / "roster.toml"
    path.write_text('[[people]]\nstaff_id = 4711\nname = "王强"\n', encoding="utf-8")
    with pytest.raises(RosterError, match=r"people\[0\]\.staff_id"):
        read_roster(path)
