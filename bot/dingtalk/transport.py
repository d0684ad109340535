"""DingTalk for `gendan run`: the request class that sends, and the Stream connection that
receives, over the official SDK."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import Callable
from urllib.parse import quote_plus

import dingtalk_stream
import websockets

from bot.app import Gendan
from bot.dingtalk.ids import DingTalkIds, SentTexts
from bot.dingtalk.openapi import CARD_TEMPLATE, OpenApi
from bot.dingtalk.request import DingTalkRequest
from bot.dingtalk.stream import Receiver
from bot.intake import Intake
from bot.settings import Settings

log = logging.getLogger(__name__)

# Nothing in Gendan reads a Telegram token on DingTalk; PTB's Bot wants one all the same.
TOKEN = "0:DINGTALK"


class DingTalk:
    def __init__(self, settings: Settings, *, clock: Callable[[], float] = time.time) -> None:
        assert settings.dingtalk_client_id and settings.dingtalk_client_secret
        self.settings = settings
        self.clock = clock
        self.ids: DingTalkIds | None = None
        self.sent: SentTexts | None = None
        self.connected = asyncio.Event()

    def request(self, gendan: Gendan) -> DingTalkRequest:
        settings = self.settings
        assert settings.dingtalk_client_id and settings.dingtalk_client_secret
        api = OpenApi(settings.dingtalk_client_id, settings.dingtalk_client_secret,
                      api_url=settings.dingtalk_api_url, oapi_url=settings.dingtalk_oapi_url,
                      card_template=settings.dingtalk_card_template or CARD_TEMPLATE,
                      timeout=settings.send_timeout)
        self.ids = DingTalkIds(gendan.engine)
        self.sent = SentTexts(gendan.engine)
        return DingTalkRequest(api, self.ids, self.sent, clock=self.clock)

    async def receive(self, intake: Intake, stop: asyncio.Event) -> None:
        assert self.ids is not None and self.sent is not None, "request() first: both share them"
        settings = self.settings
        assert settings.dingtalk_client_id and settings.dingtalk_client_secret
        client = Receiver(intake, self.ids, self.sent).client(settings.dingtalk_client_id,
                                                   settings.dingtalk_client_secret,
                                                   settings.dingtalk_api_url)
        await stream(client, stop, self.connected)


async def stream(client: dingtalk_stream.DingTalkStreamClient, stop: asyncio.Event,
                 connected: asyncio.Event | None = None) -> None:
    """The SDK client's own loop (`start`), made stoppable: `start` takes a cancellation for
    a network error and reconnects, and opens its connection with blocking `requests`, which
    would stall every chat while DingTalk is slow. Frames, acknowledgements and handlers are
    the SDK's."""
    client.pre_start()
    pause = 1.0
    running: set[asyncio.Task[None]] = set()
    while not stop.is_set():
        connection = await asyncio.to_thread(client.open_connection)
        if connection:
            uri = f'{connection["endpoint"]}?ticket={quote_plus(connection["ticket"])}'
            try:
                async with websockets.connect(uri) as websocket:
                    client.websocket = websocket
                    pause = 1.0
                    if connected is not None:
                        connected.set()
                    keepalive = asyncio.create_task(client.keepalive(websocket))
                    try:
                        async for raw in websocket:
                            task = asyncio.create_task(client.background_task(json.loads(raw)))
                            running.add(task)
                            task.add_done_callback(running.discard)
                    finally:
                        keepalive.cancel()
            except (websockets.exceptions.WebSocketException, OSError) as exc:
                log.warning("DingTalk's Stream connection failed (%s)", exc)
        else:
            log.warning("DingTalk did not open a Stream connection")
        if connected is not None:
            connected.clear()
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), pause)
        pause = min(pause * 2, 60.0)
