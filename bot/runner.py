"""`gendan run`: Telegram by long polling or webhook, or the sandbox when there is no token."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable
from typing import Protocol

from aiohttp import web
from telegram import Update
from telegram.error import InvalidToken, NetworkError
from telegram.ext import Application
from telegram.request import BaseRequest

from bot.app import Gendan, bootstrap, build_application, make_sender
from bot.backups import BACKUP_JOB, DailyBackup
from bot.clock import SystemClock
from bot.intake import Intake, Poller
from bot.outbox import Pacer
from bot.settings import Settings
from bot.ticks import (
    DeliveryReport,
    DigestJob,
    MonthlyEvaluation,
    TimerPoller,
    start_scheduler,
    wake,
)
from bot.webhook import webhook_app, webhook_path
from workflow import parsing
from workflow.ports import Clock
from workflow.services import warn_admins_of_unknown_years

log = logging.getLogger(__name__)
SANDBOX_ADMIN_ID = 1


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
        emulator = BotApiEmulator()
        await emulator.start(port=settings.sandbox_port)
        log.info("sandbox: Bot API emulator on %s", emulator.base_url)
        try:
            await serve(settings, DEFAULT_TOKEN, emulator.base_url, stop=_stop_on_signals(),
                        foreground=lambda app: run_console(emulator, SANDBOX_ADMIN_ID))
        finally:
            await emulator.stop()
        return
    assert settings.bot_token
    base_url = f"{settings.bot_api_url.rstrip('/')}/bot" if settings.bot_api_url else None
    await serve(settings, settings.bot_token, base_url, stop=_stop_on_signals())


async def serve(
    settings: Settings,
    token: str,
    base_url: str | None,
    *,
    stop: asyncio.Event,
    clock: Clock | None = None,
    foreground: Callable[[Application], Awaitable[None]] | None = None,
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
                                    MonthlyEvaluation(gendan.runtime))
        gendan.runtime.wake_sender = lambda: wake(scheduler)
        backups = DailyBackup.from_settings(gendan.runtime, settings)
        scheduler.add_job(backups.run, backups.trigger, id=BACKUP_JOB, max_instances=1,
                          coalesce=True, misfire_grace_time=3600)
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
            if foreground is not None:
                console = asyncio.create_task(foreground(application))
                await asyncio.wait({console, asyncio.create_task(stop.wait())},
                                   return_when=asyncio.FIRST_COMPLETED)
                console.cancel()
            else:
                await stop.wait()
        finally:
            # Prompt: stop taking updates, give handlers a moment, hand back what is unsent.
            stop.set()
            receiving.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await receiving
            scheduler.shutdown(wait=False)
            await intake.settle(timeout=SETTLE_SECONDS)
            await sender.shutdown()
            if runner is not None:
                await runner.cleanup()
    finally:
        await application.shutdown()
    await gendan.close()
    log.info("gendan stopped")


SETTLE_SECONDS = 3.0


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
