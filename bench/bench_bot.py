"""Command -> reply through the real Application and the emulator; start-up time and idle memory.

Run: .venv/bin/python -m bench.bench_bot
"""

from __future__ import annotations

import asyncio
import gc
import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

from sqlalchemy import event
from sqlalchemy.dialects.postgresql.asyncpg import AsyncAdapt_asyncpg_connection
from sqlalchemy.engine import Engine
from telegram import Update
from telegram.ext import Application, CommandHandler, ContextTypes

from bot.outbox import Pacer
from bot.runner import serve
from bot.sandbox.emulator import DEFAULT_TOKEN, BotApiEmulator, OutgoingEvent
from bot.settings import Settings
from bot.updates import PerChatUpdateProcessor
from storage.db import empty_schema

ADMIN = 1
ROUNDS = int(os.environ.get("BENCH_ROUNDS", 5))
LATENCY_SAMPLES = 60  # per round and handler
BURST = 200  # updates per throughput burst
BURSTS = 3  # per round: one burst's rate swings by a third on a shared machine
# The burst is spread over groups: inside one chat Telegram answers about one message a
# second, so a real burst is many chats talking at once.
CHATS = [-1001 - i for i in range(20)]


async def _echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
    """The floor: PTB's own cost with no database and no domain."""
    await context.bot.send_message(update.effective_chat.id, update.effective_message.text)


class _Statements:
    """SQL statements and transactions (BEGIN ... COMMIT, a round trip each on PostgreSQL)
    of this process while `on`: a command's round trips are its statements plus two for each
    transaction. Transactions are counted as the driver begins them: a unit of work whose
    statements are each atomic by itself begins none."""

    def __init__(self) -> None:
        self.on = False
        self.statements = self.transactions = 0
        event.listen(Engine, "before_cursor_execute", self._statement)
        begin = AsyncAdapt_asyncpg_connection._start_transaction

        async def counted_begin(adapter: AsyncAdapt_asyncpg_connection) -> None:
            self.transactions += self.on and adapter.isolation_level != "autocommit"
            await begin(adapter)

        AsyncAdapt_asyncpg_connection._start_transaction = counted_begin  # type: ignore[method-assign]

    def _statement(self, *_args: object) -> None:
        self.statements += self.on


COUNTED = _Statements()


class _Replies:
    """The bot's messages to the groups, counted as the emulator takes them, waking the
    measurement when the count it waits for is reached. Polling the emulator's lists instead
    took the CPU the bot runs on, and the more so the longer the bot took."""

    def __init__(self, emulator: BotApiEmulator) -> None:
        self.count = 0
        self._awaited = 0
        self._reached = asyncio.Event()
        emulator.subscribe(self._taken)

    def _taken(self, event: OutgoingEvent) -> None:
        if not event.edit and event.chat_id in CHATS:
            self.count += 1
            if self.count >= self._awaited:
                self._reached.set()

    async def reach(self, count: int) -> None:
        self._awaited = count
        self._reached.clear()
        if self.count < count:
            await self._reached.wait()


async def _measure(emulator: BotApiEmulator, text: str) -> tuple[list[float], list[float]]:
    """Latencies of one-at-a-time commands, then the rates of bursts over all the groups."""
    replies = _Replies(emulator)
    latencies = []
    for i in range(LATENCY_SAMPLES):
        expected = replies.count + 1
        started = time.perf_counter()
        COUNTED.on = i >= LATENCY_SAMPLES // 2  # the first commands of a round warm it up
        emulator.send_text(CHATS[i % len(CHATS)], ADMIN, text)
        await replies.reach(expected)
        latencies.append(time.perf_counter() - started)
    await asyncio.sleep(0.05)  # the last answer's sent mark is written after it arrived
    COUNTED.on = False
    rates = []
    for _ in range(BURSTS):
        expected = replies.count + BURST
        started = time.perf_counter()
        for i in range(BURST):
            emulator.send_text(CHATS[i % len(CHATS)], ADMIN, text)
        await replies.reach(expected)
        rates.append(BURST / (time.perf_counter() - started))
    return latencies, rates


async def _echo_running(emulator: BotApiEmulator) -> Callable[[], Awaitable[None]]:
    """A bare PTB bot polling as PTB does, answering with the text it got."""
    app = (Application.builder().token(DEFAULT_TOKEN).base_url(emulator.base_url)
           .concurrent_updates(PerChatUpdateProcessor()).build())
    app.add_handler(CommandHandler("bind", _echo))
    await app.initialize()
    await app.updater.start_polling(poll_interval=0, timeout=1)
    await app.start()

    async def stop() -> None:
        await app.updater.stop()
        await app.stop()
        await app.shutdown()

    return stop


async def _gendan_running(emulator: BotApiEmulator,
                          settings: Settings) -> Callable[[], Awaitable[None]]:
    """Gendan as `gendan run` runs it: its own poller storing each update before handling it,
    the answer in the outbox with the work and sent right after the commit."""
    stop = asyncio.Event()
    # Telegram's limits are off in the emulator, and our side of them is off too: this
    # measures what a command costs, as the echo bot beside it does.
    unlimited = Pacer(per_chat_gap=0, per_group_per_minute=10**9, global_per_second=10**9)
    bot = asyncio.create_task(serve(settings, DEFAULT_TOKEN, emulator.base_url, stop=stop,
                                    pacer=unlimited))
    while not emulator.calls_to("getMe"):
        await asyncio.sleep(0.005)

    async def stopped() -> None:
        stop.set()
        await bot

    return stopped


async def _fresh_database(scratch: str, round_no: int) -> str:
    """BENCH_DATABASE_URL (PostgreSQL) with its schema emptied, else a new SQLite file."""
    url = os.environ.get("BENCH_DATABASE_URL")
    if not url:
        return f"sqlite+aiosqlite:///{scratch}/{round_no}.db"
    await empty_schema(url)
    return url


def _p99(values: list[float]) -> float:
    return statistics.quantiles(values, n=100)[98]


async def command_latency() -> dict[str, float]:
    with tempfile.TemporaryDirectory() as scratch:
        results: dict[str, dict[str, list[float]]] = {
            "echo": {"lat": [], "rate": []}, "register": {"lat": [], "rate": []}}
        for round_no in range(ROUNDS):  # alternate so both see the same machine load
            # Each round's emulator numbers its updates from 1 again; a database that saw
            # them would rightly drop them as redeliveries, so every round gets its own.
            settings = Settings(database_url=await _fresh_database(scratch, round_no),
                                admin_ids=frozenset({ADMIN}))
            for name in ("echo", "register"):
                gc.collect()  # neither bot pays for the garbage of the one before it
                async with BotApiEmulator() as emulator:
                    emulator.limits.enabled = False  # measure the bot, not the flood limits
                    emulator.add_user(ADMIN, "管理员", "admin")
                    for chat in CHATS:
                        emulator.add_group(chat, f"部门{chat}")
                    stop = await (_echo_running(emulator) if name == "echo"
                                  else _gendan_running(emulator, settings))
                    latencies, rates = await _measure(emulator, "/bind market")
                    await stop()
                results[name]["lat"] += latencies
                results[name]["rate"] += rates
    echo, register = results["echo"], results["register"]
    counted = ROUNDS * (LATENCY_SAMPLES - LATENCY_SAMPLES // 2)
    return {
        "statements_per_command": COUNTED.statements / counted,
        "transactions_per_command": COUNTED.transactions / counted,
        "echo_median_ms": statistics.median(echo["lat"]) * 1000,
        "echo_p99_ms": _p99(echo["lat"]) * 1000,
        "echo_per_s": statistics.median(echo["rate"]),
        "register_median_ms": statistics.median(register["lat"]) * 1000,
        "register_p99_ms": _p99(register["lat"]) * 1000,
        "register_per_s": statistics.median(register["rate"]),
    }


def _rss_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


async def startup_and_memory(idle_seconds: float = 5.0) -> dict[str, float]:
    """Start `gendan run` against the emulator as a company would run it against Telegram."""
    gendan_bin = Path(sys.executable).with_name("gendan")
    async with BotApiEmulator() as emulator:
        with tempfile.TemporaryDirectory() as scratch:
            env = {**os.environ, "BOT_TOKEN": DEFAULT_TOKEN,
                   "BOT_API_URL": emulator.base_url.removesuffix("/bot"),
                   "DATABASE_URL": f"sqlite:///{scratch}/start.db", "LOG_LEVEL": "WARNING"}
            subprocess.run([str(gendan_bin), "migrate"], env=env, check=True)
            started = time.time()  # the emulator stamps calls with the wall clock
            process = subprocess.Popen([str(gendan_bin), "run"], env=env,
                                       stdin=subprocess.DEVNULL)
            try:
                # A call is recorded when it is answered, and the first getUpdates is a long
                # poll: its stamp, not the moment we see it, is when the bot began polling.
                while not emulator.calls_to("getUpdates"):
                    if process.poll() is not None:
                        raise RuntimeError(f"gendan run exited with {process.returncode}")
                    await asyncio.sleep(0.005)
                first_poll = emulator.calls_to("getUpdates")[0].at - started
                await asyncio.sleep(idle_seconds)
                rss = _rss_mb(process.pid)
            finally:
                process.terminate()
                # Wait off the event loop: the emulator must answer the bot's last poll.
                await asyncio.to_thread(process.wait, 15)
    return {"startup_s": first_poll, "idle_rss_mb": rss}


def main() -> None:
    latency = asyncio.run(command_latency())
    on_postgres = bool(os.environ.get("BENCH_DATABASE_URL"))
    print("command -> reply through PTB and the emulator "
          f"({ROUNDS} alternating rounds, each {LATENCY_SAMPLES} one-at-a-time and {BURSTS} "
          f"bursts of {BURST} over {len(CHATS)} groups; "
          f"{'PostgreSQL' if on_postgres else 'SQLite'})")
    for name in ("echo", "register"):
        print(f"  {name:9s} median {latency[f'{name}_median_ms']:6.2f} ms   "
              f"p99 {latency[f'{name}_p99_ms']:6.2f} ms   "
              f"throughput {latency[f'{name}_per_s']:7.1f} /s")
    ratio = latency["register_per_s"] / latency["echo_per_s"]
    floor = 0.6 if on_postgres else 0.7
    print(f"  throughput ratio register/echo = {ratio:.3f}  (floor {floor}: "
          f"{'met' if ratio >= floor else 'NOT met'})")
    if on_postgres:  # SQLite's statements cost no round trip
        statements, transactions = (latency["statements_per_command"],
                                    latency["transactions_per_command"])
        print(f"  register one at a time: {statements:.1f} statements, {transactions:.1f} "
              f"transactions a command = {statements + 2 * transactions:.1f} round trips "
              "(a transaction's BEGIN and COMMIT are one each)")
    start = asyncio.run(startup_and_memory())
    print(f"start-up: gendan run -> first getUpdates {start['startup_s']:.2f} s")
    print(f"idle resident memory: {start['idle_rss_mb']:.1f} MB  (target <= 100 MB)")


if __name__ == "__main__":
    main()
