"""The webhook endpoint: Telegram POSTs updates here with our secret token in a header.

An update is answered 200 once it is stored; Telegram retries anything else, so an update is
never lost to a crash. Every process may serve the webhook: the inbox keeps each update once.
"""

from __future__ import annotations

import hmac
import json
import logging
from typing import Any
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update

from bot.intake import Intake

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
MAX_BODY = 1024 * 1024


def read_update(body: bytes) -> dict[str, Any] | None:
    """The body as an update, or None: valid JSON that is an object with a whole-number id."""
    try:
        payload = json.loads(body)
    except (ValueError, RecursionError):  # not JSON, or nested past any real update
        return None
    if not isinstance(payload, dict):
        return None
    update_id = payload.get("update_id")
    if isinstance(update_id, bool) or not isinstance(update_id, int) or update_id < 0:
        return None
    return payload


def webhook_app(intake: Intake, path: str, secret: str) -> web.Application:
    expected = secret.encode()
    bot = intake.application.bot

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER)
        if given is None:
            return web.Response(status=401, text="missing secret token")
        # compare_digest takes the same time wherever the strings differ, so the secret
        # cannot be guessed byte by byte from response times.
        if not hmac.compare_digest(given.encode(), expected):
            return web.Response(status=403, text="wrong secret token")
        payload = read_update(await request.read())
        try:
            update = Update.de_json(payload, bot) if payload is not None else None
        except (ValueError, TypeError, KeyError, AttributeError):
            update = None
        if update is None:
            log.warning("webhook body is not an update; refused")
            return web.Response(status=400, text="not an update")
        for fresh in await intake.receive([update], {update.update_id: payload}):
            intake.dispatch(fresh)
        return web.Response(text="ok")

    app = web.Application(client_max_size=MAX_BODY)
    app.router.add_post(path, receive)
    return app


def webhook_path(url: str) -> str:
    return urlsplit(url).path or "/"
