"""`gendan run` with GENDAN_TRANSPORT=dingtalk: the app's credentials, or the DingTalk sandbox
when there are none."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import replace

from bot.dingtalk.ids import number
from bot.dingtalk.transport import TOKEN, DingTalk
from bot.runner import serve
from bot.settings import Settings

log = logging.getLogger(__name__)
SANDBOX_ADMIN = "admin"


async def run_dingtalk(settings: Settings, stop: asyncio.Event) -> None:
    if not settings.sandbox:
        await serve(_with_admins(settings), TOKEN, None, stop=stop, platform=DingTalk(settings))
        return
    from bot.sandbox.dingtalk import DingTalkEmulator
    from bot.sandbox.dingtalk_console import run_dingtalk_console

    emulator = DingTalkEmulator()
    emulator.start(port=settings.sandbox_port)
    log.info("sandbox: DingTalk emulator on %s", emulator.base_url)
    settings = replace(settings, dingtalk_client_id=emulator.client_id,
                       dingtalk_client_secret=emulator.client_secret,
                       dingtalk_api_url=emulator.base_url, dingtalk_oapi_url=emulator.base_url,
                       dingtalk_admins=(*settings.dingtalk_admins, SANDBOX_ADMIN))
    try:
        await serve(_with_admins(settings), TOKEN, None, stop=stop,
                    platform=DingTalk(settings),
                    foreground=lambda running: run_dingtalk_console(emulator, SANDBOX_ADMIN,
                                                                    running))
    finally:
        emulator.stop()


def _with_admins(settings: Settings) -> Settings:
    """DINGTALK_ADMINS names staff ids; the bot knows people by their numbers."""
    return replace(settings, admin_ids=settings.admin_ids
                   | {number(staff_id) for staff_id in settings.dingtalk_admins})
