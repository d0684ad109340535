"""Real bot processes (`gendan run`) against an emulator in the test's own process."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

from bot.sandbox.emulator import DEFAULT_TOKEN, BotApiEmulator

ROOT = Path(__file__).resolve().parents[2]


def _api_root(emulator: BotApiEmulator) -> str:
    return emulator.base_url.removesuffix("/bot")


class BotProcess:
    """`gendan run` with a bot token, talking to the emulator as to Telegram."""

    def __init__(self, emulator: BotApiEmulator, database_url: str, log: Path, *,
                 lease_seconds: float = 60, admin_ids: str = "1") -> None:
        self.env = {
            **os.environ,
            "BOT_TOKEN": DEFAULT_TOKEN,
            "BOT_API_URL": _api_root(emulator),
            "DATABASE_URL": database_url,
            "ADMIN_IDS": admin_ids,
            "LEASE_SECONDS": str(lease_seconds),
            "LOG_LEVEL": os.environ.get("BOT_LOG_LEVEL", "WARNING"),
        }
        self.log = log
        self.process: subprocess.Popen[bytes] | None = None

    def start(self) -> BotProcess:
        with self.log.open("ab") as out:
            self.process = subprocess.Popen([sys.executable, "-m", "bot.cli", "run"], cwd=ROOT,
                                            env=self.env, stdout=out, stderr=subprocess.STDOUT)
        return self

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def kill(self) -> None:
        """kill -9: no handler runs, nothing is flushed or handed back."""
        if self.running:
            assert self.process is not None
            self.process.send_signal(signal.SIGKILL)
            self.process.wait()

    def terminate(self) -> None:
        if self.running:
            assert self.process is not None
            self.process.send_signal(signal.SIGTERM)

    async def exited(self, timeout: float) -> int | None:
        """The exit code, or None if it is still running after `timeout` seconds."""
        assert self.process is not None
        deadline = asyncio.get_running_loop().time() + timeout
        while self.process.poll() is None:
            if asyncio.get_running_loop().time() > deadline:
                return None
            await asyncio.sleep(0.05)
        return self.process.returncode


async def until(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = asyncio.get_running_loop().time() + timeout
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, f"never happened: {what}"
        await asyncio.sleep(0.05)
