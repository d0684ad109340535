"""`gendan run`: Telegram by long polling or webhook, or the sandbox when there is no token."""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
import signal
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from aiohttp import web
from telegram import Update
from telegram.error import InvalidToken, NetworkError
from telegram.ext import Application
from telegram.request import BaseRequest

from bot.app import Gendan, bootstrap, build_application, make_sender
from bot.backups import BACKUP_JOB, DailyBackup
from bot.clock import ShiftedClock, SystemClock
from bot.intake import Intake, Poller
from bot.outbox import OutboxSender, Pacer
from bot.settings import Settings, listen_address
from bot.ticks import (
    ArchiveJob,
    DeliveryReport,
    DigestJob,
    MonthlyEvaluation,
    TimePassing,
    TimerPoller,
    start_scheduler,
    wake,
)
from bot.webhook import webhook_app, webhook_path
from handlers.runtime import Runtime
from workflow import parsing
from workflow.ports import Clock
from workflow.services import warn_admins_of_unknown_years

if TYPE_CHECKING:
    from bot.sandbox.emulator import BotApiEmulator

log = logging.getLogger(__name__)
SANDBOX_ADMIN_ID = 1


@dataclass(frozen=True)
class Running:
    """What a foreground task (the sandbox's console) may use of the running bot."""

    application: Application
    runtime: Runtime
    sender: OutboxSender


class Platform(Protocol):
    """Another chat platform than Telegram (bot/dingtalk): its Bot API calls and its updates."""

    def request(self, gendan: Gendan) -> BaseRequest: ...

    async def receive(self, intake: Intake, stop: asyncio.Event) -> None: ...


async def run(settings: Settings) -> None:
    if settings.transport == "dingtalk":
        from bot.dingtalk.run import run_dingtalk

        await run_dingtalk(settings, _stop_on_signals())
        return
    if settings.sandbox:
        from bot.sandbox.console import run_console
        from bot.sandbox.emulator import DEFAULT_TOKEN, BotApiEmulator

        settings = Settings(**{**vars(settings),
                               "admin_ids": settings.admin_ids | {SANDBOX_ADMIN_ID}})
        # One clock for the bot and the emulator's message dates, which `:wait` moves forward.
        clock = ShiftedClock()
        emulator = BotApiEmulator(clock=clock.timestamp)
        await emulator.start(port=settings.sandbox_port)
        log.info("sandbox: Bot API emulator on %s", emulator.base_url)

        async def console(running: Running) -> None:
            await resume_ids(emulator, running.runtime)
            async with running.runtime.unit_of_work() as uow:
                people, groups = await uow.people.everyone(), await uow.chats.groups()
            time = TimePassing(clock, running.runtime, running.sender)
            await run_console(emulator, SANDBOX_ADMIN_ID, time=time, tz=running.runtime.tz,
                              people=people, groups=groups, sent=await running.sender.as_sent())

        try:
            await serve(settings, DEFAULT_TOKEN, emulator.base_url, stop=_stop_on_signals(),
                        clock=clock, foreground=console)
        finally:
            await emulator.stop()
        return
    assert settings.bot_token
    base_url = f"{settings.bot_api_url.rstrip('/')}/bot" if settings.bot_api_url else None
    await serve(settings, settings.bot_token, base_url, stop=_stop_on_signals())


async def resume_ids(emulator: BotApiEmulator, runtime: Runtime) -> None:
    """A sandbox started again on the same database: the emulator's update ids go on from the
    inbox's, as Telegram's do, so that nothing typed after a restart looks already handled;
    and each chat's message ids go on from the bot's last message there, as Telegram never
    gives a chat's message id twice, so that the bot's edits of its messages from before
    the restart (buttons withdrawn) cannot land on new ones."""
    async with runtime.unit_of_work() as uow:
        emulator.continue_update_ids(await uow.inbox.highest_update_id())
        for chat_id, message_id in (await uow.outbox.last_message_ids()).items():
            emulator.continue_message_ids(chat_id, message_id)


async def serve(
    settings: Settings,
    token: str,
    base_url: str | None,
    *,
    stop: asyncio.Event,
    clock: Clock | None = None,
    foreground: Callable[[Running], Awaitable[None]] | None = None,
    pacer: Pacer | None = None,
    platform: Platform | None = None,
) -> None:
    """The bot as it runs: polling (or the webhook), the outbox, timers and digests, until
    `stop` is set; then it stops taking updates and hands back what it holds, in seconds."""
    gendan = await bootstrap(settings, clock or SystemClock())
    parsing.warm_up()
    await _warn_unknown_years(gendan)
    application = build_application(gendan, token, base_url=base_url,
                                    request=platform.request(gendan) if platform else None)
    if not await _reach_telegram(application, stop):
        await gendan.close()
        return
    try:
        sender = make_sender(gendan, application, pacer)
        intake = Intake(gendan.runtime, application)
        scheduler = start_scheduler(sender, TimerPoller(gendan.runtime),
                                    DigestJob(gendan.runtime), intake,
                                    DeliveryReport(gendan.runtime),
                                    MonthlyEvaluation(gendan.runtime),
                                    ArchiveJob(gendan.runtime))
        gendan.runtime.wake_sender = lambda: wake(scheduler)
        backups = DailyBackup.from_settings(gendan.runtime, settings)
        scheduler.add_job(backups.run, backups.trigger, id=BACKUP_JOB, max_instances=1,
                          coalesce=True, misfire_grace_time=3600)
        pages = await start_pages(gendan, settings, announce=foreground is not None)
        runner = None
        if platform is not None:
            receiving = asyncio.create_task(platform.receive(intake, stop))
        elif settings.webhook_url and not settings.sandbox:
            runner = await _start_webhook(intake, settings)
            receiving = asyncio.create_task(_handle_backlog(intake))
        else:
            receiving = asyncio.create_task(Poller(intake).run(stop))
        log.info("gendan is running")
        try:
            _keep_start_up_out_of_collections()
            if foreground is not None:
                console = asyncio.create_task(foreground(
                    Running(application, gendan.runtime, sender)))
                await asyncio.wait({console, asyncio.create_task(stop.wait())},
                                   return_when=asyncio.FIRST_COMPLETED)
                console.cancel()
                if console.done() and not console.cancelled() and console.exception():
                    log.error("the console stopped", exc_info=console.exception())
            else:
                await stop.wait()
        finally:
            # Prompt: stop taking updates, give handlers a moment, hand back what is unsent.
            stop.set()
            receiving.cancel()

            async def received() -> None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await receiving

            # Side by side: the poller's last write may wait for a connection that a turn
            # being settled holds (SQLite has one).
            await asyncio.gather(received(), scheduler.stop(SETTLE_SECONDS),
                                 intake.settle(timeout=SETTLE_SECONDS))
            await sender.shutdown()
            if runner is not None:
                await runner.cleanup()
            if pages is not None:
                await pages.cleanup()
    finally:
        gc.unfreeze()  # tests start many bots in one process: all is collected again
        await application.shutdown()
    await gendan.close()
    log.info("gendan stopped")


SETTLE_SECONDS = 3.0


def _keep_start_up_out_of_collections() -> None:
    """What start-up built (modules, mappings, compiled statements, the policy, the catalogs)
    lives as long as the process, and every full collection walked all of it: a pause of about
    50 ms each time, stalling every chat's commands (in the benchmark's bursts, a tenth of a
    burst's time, now and then). So the garbage of start-up is collected, and the rest is
    frozen: left out of the collector's passes from now on."""
    gc.collect()
    gc.freeze()


async def start_pages(gendan: Gendan, settings: Settings, *, announce: bool = False
                      ) -> web.AppRunner | None:
    """The web pages on WEB_LISTEN. An address already taken (another process of the same
    bot serves them) is logged and skipped: the pages are a view, the bot goes on."""
    if settings.web_listen == "off":
        return None
    from web.server import start_web

    host, port = listen_address(settings.web_listen)
    try:
        runner, address = await start_web(gendan.runtime, host, port)
    except OSError as exc:
        log.warning("web pages not served: %s is taken (%s)", settings.web_listen, exc.strerror)
        return None
    log.info("web pages on %s (links say %s)", address, settings.web_url)
    if announce:
        print(f"Web pages: {settings.web_url}/desk (log in with /web in #me), "
              f"tracking links from /track SO-…", flush=True)
    return runner


async def serve_pages(settings: Settings) -> None:
    """`gendan web`: the pages alone, for a machine that serves them apart from the bot."""
    gendan = await bootstrap(settings, SystemClock())
    settings = Settings(**{**vars(settings), "web_listen": settings.web_listen
                           if settings.web_listen != "off" else "127.0.0.1:8080"})
    pages = await start_pages(gendan, settings)
    try:
        if pages is not None:
            await _stop_on_signals().wait()
    finally:
        if pages is not None:
            await pages.cleanup()
        await gendan.close()


async def _reach_telegram(application: Application, stop: asyncio.Event) -> bool:
    """Start once Telegram answers: a network that is down at start-up is waited out, not a
    reason to exit. False when stopped first."""
    pause = 1.0
    while not stop.is_set():
        try:
            await application.initialize()
            return True
        except InvalidToken:
            raise
        except NetworkError as exc:
            log.warning("cannot reach Telegram (%s); trying again in %.0f s", exc.message, pause)
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(stop.wait(), pause)
            pause = min(pause * 2, 60.0)
    return False  # what a handler has not finished by then is handled after the restart


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    return stop


async def _handle_backlog(intake: Intake) -> None:
    for update in await intake.backlog():
        intake.dispatch(update)


async def _start_webhook(intake: Intake, settings: Settings) -> web.AppRunner:
    assert settings.webhook_url and settings.webhook_secret
    host, _, port = settings.webhook_listen.rpartition(":")
    runner = web.AppRunner(webhook_app(intake, webhook_path(settings.webhook_url),
                                       settings.webhook_secret))
    await runner.setup()
    await web.TCPSite(runner, host or "0.0.0.0", int(port)).start()
    await intake.application.bot.set_webhook(settings.webhook_url,
                                             secret_token=settings.webhook_secret,
                                             allowed_updates=Update.ALL_TYPES)
    log.info("webhook listening on %s for %s", settings.webhook_listen, settings.webhook_url)
    return runner


async def _warn_unknown_years(gendan: Gendan) -> None:
    years = gendan.calendar.unknown_years_ahead(gendan.runtime.clock.now())
    if not years:
        return
    log.warning(
        "the holiday calendar does not know %s: counting Mon-Fri plus the holidays listed "
        "in the policy file; add that year's holidays under [holidays] in policy.toml",
        ", ".join(map(str, years)),
    )
    async with gendan.runtime.unit_of_work() as uow:
        ctx = gendan.runtime.context(uow, gendan.runtime.clock.now())
        await warn_admins_of_unknown_years(ctx, sorted(gendan.settings.admin_ids), years)
        await uow.commit()
