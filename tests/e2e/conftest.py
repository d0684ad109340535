from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.sandbox.emulator import BotApiEmulator
from bot.simulate import Stack
from tests.conftest import START

ADMIN, LIMING, WANGQIANG, ZHANGWEI, ZHAOZONG, STRANGER = 1, 101, 201, 202, 301, 999
MARKET, TECH, MANUFACTURING, UNBOUND = -1001, -1002, -1003, -1009


def populate(emulator: BotApiEmulator) -> None:
    """The people and groups of the test company, as Telegram knows them."""
    for user_id, name, username in (
        (ADMIN, "管理员", "admin"),
        (LIMING, "李明", "liming"),
        (WANGQIANG, "王强", "wangqiang"),
        (ZHANGWEI, "张伟", "zhangwei"),
        (ZHAOZONG, "赵总", "zhaozong"),
        (STRANGER, "路人", "stranger"),
    ):
        emulator.add_user(user_id, name, username)
    for chat_id, title in ((MARKET, "市场部"), (TECH, "技术中心"),
                           (MANUFACTURING, "制造中心"), (UNBOUND, "闲聊群")):
        emulator.add_group(chat_id, title)


@pytest.fixture
async def stack(database_url: str) -> AsyncIterator[Stack]:
    async with Stack(START, database_url=database_url, admin_ids=frozenset({ADMIN})) as stack:
        populate(stack.emulator)
        yield stack


async def set_up_company(stack: Stack) -> None:
    """What an administrator does on the first day, all through chat commands."""
    for chat, key in ((MARKET, "market"), (TECH, "技术中心"), (MANUFACTURING, "manufacturing")):
        await stack.say(chat, ADMIN, f"/bind {key}")
    for user in (LIMING, WANGQIANG, ZHANGWEI, ZHAOZONG):
        await stack.say(user, user, "/start")
    await stack.say(MARKET, ADMIN, "/role @liming market")
    await stack.say(MANUFACTURING, ADMIN, "/role @wangqiang manufacturing leader")
    await stack.say(TECH, ADMIN, "/role @zhangwei 技术中心")
    await stack.say(MARKET, ADMIN, "/role @zhaozong gm")
