"""The DingTalk sandbox console: people, groups and faults from typed lines, and what it says
when a line names something that is not there."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from bot.sandbox.dingtalk import DingTalkEmulator
from bot.sandbox.dingtalk_console import HELP, DingTalkConsole


@pytest.fixture
def emulator() -> Iterator[DingTalkEmulator]:
    emulator = DingTalkEmulator()
    emulator.start()
    yield emulator
    emulator.stop()


async def test_lines_switch_people_and_groups_and_inject_faults(
        emulator: DingTalkEmulator) -> None:
    console = DingTalkConsole(emulator)
    assert await console.handle(":help") == HELP
    assert await console.handle("@liming #市场部") == "now @liming in #市场部"
    cid = console.groups["市场部"]
    assert emulator.groups == {cid: "市场部"} and "liming" in emulator.users
    assert await console.handle("#me") == "now @liming in @liming (private)"
    await console.handle(":kick #市场部")
    assert cid in emulator.removed
    await console.handle(":readd #市场部")
    assert cid not in emulator.removed
    await console.handle(":outage 503")
    assert emulator.down == 503
    await console.handle(":outage off")
    assert emulator.down is None
    await console.handle(":limit 2")
    assert emulator.group_per_minute == 2
    emulator.tokens.add("t")
    await console.handle(":expire")
    assert emulator.tokens == set()


async def test_mistakes_are_explained(emulator: DingTalkEmulator) -> None:
    console = DingTalkConsole(emulator)
    assert await console.handle(":kick #仓库") == "no group #仓库 yet"
    assert await console.handle("#市场部 [确认]") == "no card with a button '确认'"
    await console.handle(":kick #市场部")
    assert "doesn't hear this" in (await console.handle("/order 客户:华东电力") or "")
