"""`gendan run`: Telegram by long polling or webhook, or the sandbox when there is no token."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
from collections.abc import Awaitable, Callable

from aiohttp import web
from telegram import Update
from telegram.ext import Application

from bot.app import Gendan, bootstrap, build_application, make_sender
from bot.clock import SystemClock
from bot.settings import Settings
from bot.ticks import DigestJob, TimerPoller, start_scheduler, wake
from bot.webhook import webhook_app, webhook_path
from storage.uow import SqlUnitOfWork
from workflow import parsing
from workflow.services import warn_admins_of_unknown_years

log = logging.getLogger(__name__)
SANDBOX_ADMIN_ID = 1


async def run(settings: Settings) -> None:
    if settings.sandbox:
        from bot.sandbox.console import run_console
        from bot.sandbox.emulator import DEFAULT_TOKEN, BotApiEmulator

        settings = Settings(**{**vars(settings),
                               "admin_ids": settings.admin_ids | {SANDBOX_ADMIN_ID}})
        emulator = BotApiEmulator()
        await emulator.start(port=settings.sandbox_port)
        log.info("sandbox: Bot API emulator on %s", emulator.base_url)
        try:
            await _serve(settings, DEFAULT_TOKEN, emulator.base_url,
                         lambda app: run_console(emulator, SANDBOX_ADMIN_ID))
        finally:
            await emulator.stop()
        return
    assert settings.bot_token
    base_url = f"{settings.bot_api_url.rstrip('/')}/bot" if settings.bot_api_url else None
    await _serve(settings, settings.bot_token, base_url, None)


async def _serve(
    settings: Settings,
    token: str,
    base_url: str | None,
    foreground: Callable[[Application], Awaitable[None]] | None,
) -> None:
    gendan = await bootstrap(settings, SystemClock())
    parsing.warm_up()
    await _warn_unknown_years(gendan)
    application = build_application(gendan, token, base_url=base_url)
    async with application:
        sender = make_sender(gendan, application)
        scheduler = start_scheduler(sender, TimerPoller(gendan.runtime), DigestJob(gendan.runtime))
        gendan.runtime.wake_sender = lambda: wake(scheduler)
        runner = None
        if settings.webhook_url and not settings.sandbox:
            runner = await _start_webhook(application, settings)
        else:
            await application.updater.start_polling(allowed_updates=Update.ALL_TYPES)
        await application.start()
        log.info("gendan is running")
        try:
            if foreground is not None:
                await foreground(application)
            else:
                await _until_stopped()
        finally:
            scheduler.shutdown(wait=False)
            if application.updater.running:
                await application.updater.stop()
            await application.stop()
            if runner is not None:
                await runner.cleanup()
    await gendan.close()


async def _start_webhook(application: Application, settings: Settings) -> web.AppRunner:
    assert settings.webhook_url and settings.webhook_secret
    host, _, port = settings.webhook_listen.rpartition(":")
    runner = web.AppRunner(webhook_app(application, webhook_path(settings.webhook_url),
                                       settings.webhook_secret))
    await runner.setup()
    await web.TCPSite(runner, host or "0.0.0.0", int(port)).start()
    await application.bot.set_webhook(settings.webhook_url,
                                      secret_token=settings.webhook_secret,
                                      allowed_updates=Update.ALL_TYPES)
    log.info("webhook listening on %s for %s", settings.webhook_listen, settings.webhook_url)
    return runner


async def _until_stopped() -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    await stop.wait()


async def _warn_unknown_years(gendan: Gendan) -> None:
    years = gendan.calendar.unknown_years_ahead(gendan.runtime.clock.now())
    if not years:
        return
    log.warning(
        "the holiday calendar does not know %s: counting Mon-Fri plus the holidays listed "
        "in the policy file; add that year's holidays under [holidays] in policy.toml",
        ", ".join(map(str, years)),
    )
    async with SqlUnitOfWork(gendan.runtime.sessions) as uow:
        ctx = gendan.runtime.context(uow, gendan.runtime.clock.now())
        await warn_admins_of_unknown_years(ctx, sorted(gendan.settings.admin_ids), years)
        await uow.commit()
