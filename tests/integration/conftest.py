"""The emulator's tests share one small world: two people, a supergroup and a real PTB Bot."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from telegram import Bot

from bot.sandbox.emulator import DEFAULT_TOKEN, BotApiEmulator, FloodLimits

ALICE = 1001
BOB = 1002
GROUP = -1001234567890


def populate(emu: BotApiEmulator) -> None:
    emu.add_user(ALICE, "Alice", "alice_w", "zh-hans")
    emu.add_user(BOB, "Bob")
    emu.add_group(GROUP, "生产部")


@pytest.fixture
async def emu() -> AsyncIterator[BotApiEmulator]:
    # Flood control has its own tests; elsewhere it would only make assertions timing-dependent.
    emulator = BotApiEmulator(limits=FloodLimits(enabled=False))
    populate(emulator)
    await emulator.start()
    try:
        yield emulator
    finally:
        await emulator.stop()


@pytest.fixture
async def bot(emu: BotApiEmulator) -> AsyncIterator[Bot]:
    async with Bot(DEFAULT_TOKEN, base_url=emu.base_url, base_file_url=emu.base_file_url) as b:
        yield b
