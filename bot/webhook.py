"""The webhook endpoint: Telegram POSTs updates here with our secret token in a header."""

from __future__ import annotations

import hmac
import json
import logging
from urllib.parse import urlsplit

from aiohttp import web
from telegram import Update
from telegram.ext import Application

log = logging.getLogger(__name__)
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"


def webhook_app(application: Application, path: str, secret: str) -> web.Application:
    expected = secret.encode()

    async def receive(request: web.Request) -> web.Response:
        given = request.headers.get(SECRET_HEADER)
        if given is None:
            return web.Response(status=401, text="missing secret token")
        # compare_digest takes the same time wherever the strings differ, so the secret
        # cannot be guessed byte by byte from response times.
        if not hmac.compare_digest(given.encode(), expected):
            return web.Response(status=403, text="wrong secret token")
        try:
            payload = await request.json(loads=json.loads)
            update = Update.de_json(payload, application.bot)
        except (ValueError, TypeError, KeyError):
            log.warning("webhook body is not an update; dropped")
            return web.Response(status=400, text="not an update")
        await application.update_queue.put(update)
        return web.Response(text="ok")

    app = web.Application(client_max_size=1024 * 1024)
    app.router.add_post(path, receive)
    return app


def webhook_path(url: str) -> str:
    return urlsplit(url).path or "/"
