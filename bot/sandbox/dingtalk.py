"""A local DingTalk server for tests and the offline console: Stream mode and the OpenAPI calls
Gendan makes, so the official ``dingtalk_stream`` client runs against it unmodified.

What it follows, from the SDK's own source (dingtalk-stream 0.24):

* ``POST /v1.0/gateway/connections/open`` with ``clientId``, ``clientSecret`` and the
  subscriptions answers ``endpoint`` and ``ticket``; the client opens a websocket to
  ``endpoint?ticket=…``.
* Frames to the client: ``{"specVersion", "type": "SYSTEM"|"EVENT"|"CALLBACK", "headers":
  {"appId", "connectionId", "contentType", "messageId", "time", "topic"}, "data": "<json>"}``.
  The client answers each with an ACK frame ``{"code", "headers": {"messageId",
  "contentType"}, "message", "data"}``; a frame is delivered until it is acknowledged.
* Robot messages come on the topic ``/v1.0/im/bot/messages/get`` (a group's only when the
  robot is @-mentioned, as on DingTalk), card button presses on
  ``/v1.0/card/instances/callback``.
* OpenAPI: ``POST /v1.0/oauth2/accessToken``; ``POST /v1.0/robot/groupMessages/send``;
  ``POST /v1.0/robot/oToMessages/batchSend``; ``POST /v1.0/card/instances/createAndDeliver``;
  ``PUT /v1.0/card/instances``; ``POST /media/upload`` (oapi, for files). Calls carry the
  token in ``x-acs-dingtalk-access-token``.

It runs in a thread of its own because the SDK opens its connection with blocking
``requests``: a server on the caller's event loop could never answer it.

Failures answer with DingTalk's bodies (``{"code", "message", "requestid"}``): an unknown or
expired token is 401 ``InvalidAuthentication``; more than ``group_per_minute`` robot messages
to one group in a minute (DingTalk publishes 20) is 403
``Forbidden.AccessDenied.QpsLimitForApi``; a private message to an unknown staff id is 400
``staffId.notExisted``; a group the robot was removed from is 400
``invalidParameter.robotCode.empty`` ("check that the robot is in the group"). Which code
DingTalk really answers for the per-group limit was not verified against a tenant.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import threading
import time
import uuid
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from aiohttp import WSMsgType, web

MESSAGE_TOPIC = "/v1.0/im/bot/messages/get"
CARD_TOPIC = "/v1.0/card/instances/callback"
CLIENT_ID = "dingsandbox"
CLIENT_SECRET = "sandbox-secret"
CORP_ID = "dingcorpsandbox"
TOKEN_SECONDS = 7200


@dataclass
class RobotMessage:
    """What the robot put in a conversation; a card keeps its current content."""

    space: str  # openConversationId of a group, or a staff id for a private chat
    text: str
    buttons: list[dict[str, str]] = field(default_factory=list)  # {"text", "code"}
    out_track_id: str | None = None
    kind: str = "text"  # "text" | "card" | "file"
    file_name: str | None = None
    edits: int = 0

    @property
    def labels(self) -> list[str]:
        return [button["text"] for button in self.buttons]


@dataclass(frozen=True)
class Call:
    method: str
    path: str
    body: dict[str, Any]
    status: int
    code: str | None


class DingTalkEmulator:
    def __init__(self, *, clock: Callable[[], float] = time.time, group_per_minute: int = 20,
                 client_id: str = CLIENT_ID, client_secret: str = CLIENT_SECRET) -> None:
        self.clock = clock
        self.group_per_minute = group_per_minute
        self.client_id, self.client_secret = client_id, client_secret
        self.users: dict[str, str] = {}  # staff id -> nick
        self.groups: dict[str, str] = {}  # openConversationId -> title
        self.removed: set[str] = set()  # groups the robot was removed from
        self.tokens: set[str] = set()
        self.calls: list[Call] = []
        self.messages: list[RobotMessage] = []
        self.cards: dict[str, RobotMessage] = {}
        self.files: dict[str, tuple[str, bytes]] = {}
        self.acks: dict[str, dict[str, Any]] = {}  # messageId -> the client's ACK frame
        self.topics: dict[str, str] = {}  # messageId -> the topic it was delivered on
        self.connections = 0
        self.down: int | None = None
        self._sent_at: dict[str, deque[float]] = {}
        self._unacked: dict[str, dict[str, Any]] = {}
        self._last_call = 0.0
        self._ids = itertools.count(1)
        self._sockets: list[web.WebSocketResponse] = []
        self._tickets: set[str] = set()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._thread: threading.Thread | None = None
        self._runner: web.AppRunner | None = None
        self.base_url = ""

    # ---- the company ------------------------------------------------------------------

    def add_user(self, staff_id: str, nick: str) -> None:
        self.users[staff_id] = nick

    def add_group(self, conversation_id: str, title: str) -> None:
        self.groups[conversation_id] = title

    def remove_robot(self, conversation_id: str) -> None:
        self.removed.add(conversation_id)

    def readd_robot(self, conversation_id: str) -> None:
        self.removed.discard(conversation_id)

    def expire_tokens(self) -> None:
        self.tokens.clear()

    def outage(self, status: int | None) -> None:
        """DingTalk's gateway answers every OpenAPI call with this status and its own page
        (None: back); the Stream connection stays, as it is another service."""
        self.down = status

    # ---- running ----------------------------------------------------------------------

    def start(self, port: int = 0) -> None:
        started = threading.Event()

        def serve() -> None:
            loop = asyncio.new_event_loop()
            self._loop = loop
            loop.run_until_complete(self._start(port))
            started.set()
            loop.run_forever()
            loop.run_until_complete(self._stop())
            loop.close()

        self._thread = threading.Thread(target=serve, name="dingtalk-emulator", daemon=True)
        self._thread.start()
        started.wait(10)

    def stop(self) -> None:
        if self._loop is not None and self._thread is not None:
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(10)
            self._loop = None

    async def _start(self, port: int) -> None:
        app = web.Application(client_max_size=50 * 1024 * 1024, middlewares=[self._gateway])
        app.router.add_post("/v1.0/oauth2/accessToken", self._access_token)
        app.router.add_post("/v1.0/gateway/connections/open", self._open_connection)
        app.router.add_get("/connect", self._connect)
        app.router.add_post("/v1.0/robot/groupMessages/send", self._group_send)
        app.router.add_post("/v1.0/robot/oToMessages/batchSend", self._batch_send)
        app.router.add_post("/v1.0/card/instances/createAndDeliver", self._card_deliver)
        app.router.add_put("/v1.0/card/instances", self._card_update)
        app.router.add_post("/media/upload", self._media_upload)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", port)
        await site.start()
        bound = self._runner.addresses[0][1]
        self.base_url = f"http://127.0.0.1:{bound}"

    async def _stop(self) -> None:
        for socket in list(self._sockets):
            await socket.close()
        if self._runner is not None:
            await self._runner.cleanup()

    # ---- people's side ----------------------------------------------------------------

    async def send_text(self, staff_id: str, text: str, conversation_id: str | None = None,
                        *, at_robot: bool = True, picture: bool = False,
                        quoting: RobotMessage | None = None) -> str | None:
        """A person writes; in a group the robot hears it only when @-mentioned (None then).
        The id of the frame is returned once the client has acknowledged it."""
        if conversation_id is not None and (not at_robot or conversation_id in self.removed):
            return None
        now_ms = int(self.clock() * 1000)
        message_id = f"msg{uuid.uuid4().hex}"
        data: dict[str, Any] = {
            "conversationId": conversation_id or f"cid-private-{staff_id}",
            "conversationType": "2" if conversation_id else "1",
            "msgId": message_id,
            "msgtype": "text",
            "text": {"content": f" {text}" if conversation_id else text},
            "createAt": now_ms,
            "senderNick": self.users.get(staff_id, staff_id),
            "senderStaffId": staff_id,
            "senderId": f"$:LWCP_v1:${staff_id}",
            "senderCorpId": CORP_ID,
            "chatbotCorpId": CORP_ID,
            "chatbotUserId": f"$:LWCP_v1:${self.client_id}",
            "robotCode": self.client_id,
            "isAdmin": False,
            "isInAtList": bool(conversation_id),
            "atUsers": [{"dingtalkId": f"$:LWCP_v1:${self.client_id}"}] if conversation_id
            else [],
            "sessionWebhook": f"{self.base_url}/robot/sendBySession?session={message_id}",
            "sessionWebhookExpiredTime": now_ms + 90 * 60 * 1000,
        }
        if conversation_id:
            data["conversationTitle"] = self.groups.get(conversation_id, conversation_id)
        if quoting is not None:  # a quoted reply (引用) of one of the robot's messages
            card = quoting.kind == "card"
            data["text"]["isReplyMsg"] = True
            data["text"]["repliedMsg"] = {
                "msgId": f"robotmsg{self.messages.index(quoting)}",
                "msgType": "interactiveCard" if card else "text",
                "senderId": data["chatbotUserId"], "createdAt": now_ms,
                "content": {"cardData": {"cardParamMap": {"markdown": quoting.text}}} if card
                else {"text": quoting.text}}
        if picture:  # text with a picture in it comes as rich text
            del data["text"]
            data["msgtype"] = "richText"
            data["content"] = {"richText": [{"text": text},
                                            {"pictureDownloadCode": "pic1",
                                             "downloadCode": "pic1", "type": "picture"}]}
        return await self._deliver("CALLBACK", MESSAGE_TOPIC, data)

    async def press(self, staff_id: str, label: str, space: str | None = None,
                    on: str | None = None) -> str:
        """Press the button with this label on the newest card that has one (in `space`, and
        showing `on`)."""
        for message in reversed(self.messages):
            card = self.cards.get(message.out_track_id or "")
            if card is None or (space is not None and card.space != space) \
                    or (on is not None and on not in card.text):
                continue
            for button in card.buttons:
                if button["text"] == label:
                    group = card.space in self.groups
                    content = {"cardPrivateData": {"actionIds": [button["code"]],
                                                   "params": {"code": button["code"]}}}
                    data = {"outTrackId": card.out_track_id, "corpId": CORP_ID,
                            "userId": staff_id, "type": "actionCallback",
                            "spaceType": "IM_GROUP" if group else "IM_ROBOT",
                            "spaceId": card.space, "userIdType": 1,
                            "content": json.dumps(content, ensure_ascii=False)}
                    return await self._deliver("CALLBACK", CARD_TOPIC, data)
        raise LookupError(f"no card with a button {label!r}")

    async def disconnect(self) -> str:
        """DingTalk's notice before it closes a connection (a server restart): the client
        closes and connects again; frames it had not acknowledged come again there."""
        return await self._deliver("SYSTEM", "disconnect", {"reason": "server restart"})

    async def _deliver(self, kind: str, topic: str, data: dict[str, Any]) -> str:
        assert self._loop is not None
        frame_id = f"frame{next(self._ids)}"
        frame = {"specVersion": "1.0", "type": kind,
                 "headers": {"appId": self.client_id, "connectionId": "conn1",
                             "contentType": "application/json", "messageId": frame_id,
                             "time": str(int(self.clock() * 1000)), "topic": topic},
                 "data": json.dumps(data, ensure_ascii=False)}
        self.topics[frame_id] = topic
        future = asyncio.run_coroutine_threadsafe(self._push(frame), self._loop)
        await asyncio.wrap_future(future)
        return frame_id

    async def _push(self, frame: dict[str, Any]) -> None:
        self._unacked[frame["headers"]["messageId"]] = frame
        for _ in range(200):  # the client may be connecting still
            if self._sockets:
                await self._sockets[-1].send_str(json.dumps(frame, ensure_ascii=False))
                return
            await asyncio.sleep(0.05)
        raise RuntimeError("no Stream client is connected")

    async def wait_until_acked(self, timeout: float = 10.0) -> None:
        """Every frame pushed so far is acknowledged: the bot has what was typed."""
        deadline = time.monotonic() + timeout
        while self._unacked:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{len(self._unacked)} frames not acknowledged")
            await asyncio.sleep(0.01)

    def last_call(self) -> float:
        """When the bot last called the OpenAPI (to say something), on the monotonic clock."""
        return self._last_call

    async def wait_acked(self, frame_id: str, timeout: float = 10.0) -> dict[str, Any]:
        deadline = time.monotonic() + timeout
        while frame_id not in self.acks:
            if time.monotonic() > deadline:
                raise TimeoutError(f"{frame_id} was not acknowledged")
            await asyncio.sleep(0.01)
        return self.acks[frame_id]

    # ---- Stream mode ------------------------------------------------------------------

    @web.middleware
    async def _gateway(self, request: web.Request, handler: Any) -> web.StreamResponse:
        if self.down is not None and request.path != "/connect":
            self.calls.append(Call(request.method, request.path, {}, self.down, None))
            return web.Response(status=self.down, content_type="text/html",
                                text=f"<html><body><h1>{self.down}</h1>Tengine</body></html>")
        response: web.StreamResponse = await handler(request)
        return response

    async def _open_connection(self, request: web.Request) -> web.Response:
        body = await request.json()
        if (body.get("clientId"), body.get("clientSecret")) != (self.client_id,
                                                                self.client_secret):
            return self._error(request, body, 401, "InvalidAuthentication",
                               "clientId or clientSecret is invalid")
        ticket = uuid.uuid4().hex
        self._tickets.add(ticket)
        self._record(request, body, 200, None)
        return web.json_response({"endpoint": f"{self.base_url.replace('http', 'ws')}/connect",
                                  "ticket": ticket})

    async def _connect(self, request: web.Request) -> web.StreamResponse:
        if request.query.get("ticket") not in self._tickets:
            return web.Response(status=401)
        self._tickets.discard(request.query["ticket"])
        socket = web.WebSocketResponse()
        await socket.prepare(request)
        self._sockets.append(socket)
        self.connections += 1
        # Frames not yet acknowledged are delivered again on a new connection, as DingTalk does.
        for frame in list(self._unacked.values()):
            await socket.send_str(json.dumps(frame, ensure_ascii=False))
        try:
            async for message in socket:
                if message.type != WSMsgType.TEXT:
                    continue
                ack = json.loads(message.data)
                frame_id = ack.get("headers", {}).get("messageId")
                if frame_id:
                    self._unacked.pop(frame_id, None)
                    self.acks[frame_id] = ack
        finally:
            self._sockets.remove(socket)
        return socket

    # ---- OpenAPI ----------------------------------------------------------------------

    async def _access_token(self, request: web.Request) -> web.Response:
        body = await request.json()
        if (body.get("appKey"), body.get("appSecret")) != (self.client_id, self.client_secret):
            return self._error(request, body, 400, "invalidClientIdOrSecret",
                               "无效的clientId或者clientSecret")
        token = uuid.uuid4().hex
        self.tokens.add(token)
        self._record(request, body, 200, None)
        return web.json_response({"accessToken": token, "expireIn": TOKEN_SECONDS})

    def _authorized(self, request: web.Request) -> bool:
        token = (request.headers.get("x-acs-dingtalk-access-token")
                 or request.query.get("access_token"))
        return token in self.tokens

    def _throttled(self, space: str) -> bool:
        now = self.clock()
        window = self._sent_at.setdefault(space, deque())
        while window and window[0] <= now - 60:
            window.popleft()
        if len(window) >= self.group_per_minute:
            return True
        window.append(now)
        return False

    def _checked(self, request: web.Request, body: dict[str, Any], group: str | None,
                       user: str | None) -> web.Response | None:
        """DingTalk's refusal for this send, or None when it goes through."""
        if not self._authorized(request):
            return self._error(request, body, 401, "InvalidAuthentication",
                               "不合法的access_token")
        if body.get("robotCode", self.client_id) != self.client_id:
            return self._error(request, body, 400, "invalidParameter.robotCode.auth",
                               "此应用appkey和机器人robotCode不匹配")
        if group is not None and (group not in self.groups or group in self.removed):
            return self._error(request, body, 400, "invalidParameter.robotCode.empty",
                               "机器人robotCode为空,机器人robotCode无效,请检查机器人是否在群内")
        if user is not None and user not in self.users:
            return self._error(request, body, 400, "staffId.notExisted", "staffId不存在")
        if group is not None and self._throttled(group):
            return self._error(request, body, 403, "Forbidden.AccessDenied.QpsLimitForApi",
                               f"机器人发送群消息超过限制({self.group_per_minute}条/分钟)")
        return None

    def _store(self, space: str, body: dict[str, Any]) -> None:
        param = json.loads(body.get("msgParam") or "{}")
        if body.get("msgKey") == "sampleFile":
            name = param.get("fileName")
            self.messages.append(RobotMessage(space, name or "", kind="file", file_name=name))
            return
        self.messages.append(RobotMessage(space, param.get("text") or param.get("content", "")))

    async def _group_send(self, request: web.Request) -> web.Response:
        body = await request.json()
        group = body.get("openConversationId", "")
        refused = self._checked(request, body, group, None)
        if refused is not None:
            return refused
        self._store(group, body)
        self._record(request, body, 200, None)
        return web.json_response({"processQueryKey": uuid.uuid4().hex})

    async def _batch_send(self, request: web.Request) -> web.Response:
        body = await request.json()
        users = body.get("userIds") or []
        refused = self._checked(request, body, None, users[0] if users else "")
        if refused is not None:
            return refused
        for user in users:
            self._store(user, body)
        self._record(request, body, 200, None)
        return web.json_response({"processQueryKey": uuid.uuid4().hex,
                                  "invalidStaffIdList": [], "flowControlledStaffIdList": []})

    async def _card_deliver(self, request: web.Request) -> web.Response:
        body = await request.json()
        kind, _, space = body.get("openSpaceId", "").removeprefix("dtv1.card//").partition(".")
        group = space if kind == "IM_GROUP" else None
        robot = (body.get("imGroupOpenDeliverModel") or {}).get("robotCode", self.client_id)
        refused = self._checked(request, {**body, "robotCode": robot}, group,
                                      None if group else space)
        if refused is not None:
            return refused
        out_track_id = body["outTrackId"]
        params = body.get("cardData", {}).get("cardParamMap", {})
        card = RobotMessage(space, params.get("markdown", ""),
                            json.loads(params.get("buttons") or "[]"), out_track_id, "card")
        self.cards[out_track_id] = card
        self.messages.append(card)
        self._record(request, body, 200, None)
        return web.json_response({"success": True, "result": {
            "outTrackId": out_track_id,
            "deliverResults": [{"spaceType": kind, "spaceId": space, "success": True}]}})

    async def _card_update(self, request: web.Request) -> web.Response:
        body = await request.json()
        if not self._authorized(request):
            return self._error(request, body, 401, "InvalidAuthentication",
                               "不合法的access_token")
        card = self.cards.get(body.get("outTrackId", ""))
        if card is None:
            return self._error(request, body, 400, "param.cardInstanceNotExist",
                               "卡片实例不存在")
        params = body.get("cardData", {}).get("cardParamMap", {})
        if "markdown" in params:
            card.text = params["markdown"]
        if "buttons" in params:
            card.buttons = json.loads(params["buttons"] or "[]")
        card.edits += 1
        self._record(request, body, 200, None)
        return web.json_response({"success": True, "result": True})

    async def _media_upload(self, request: web.Request) -> web.Response:
        if not self._authorized(request):
            return web.json_response({"errcode": 40014, "errmsg": "不合法的access_token"})
        form = await request.post()
        media = form.get("media")
        if not isinstance(media, web.FileField):
            return web.json_response({"errcode": 40004, "errmsg": "不合法的媒体文件类型"})
        media_id = f"@media{next(self._ids)}"
        self.files[media_id] = (media.filename, media.file.read())
        self._record(request, {"type": form.get("type"), "filename": media.filename}, 200, None)
        return web.json_response({"errcode": 0, "errmsg": "ok", "type": form.get("type"),
                                  "media_id": media_id, "created_at": int(self.clock() * 1000)})

    def _record(self, request: web.Request, body: dict[str, Any], status: int,
                code: str | None) -> None:
        self.calls.append(Call(request.method, request.path, body, status, code))
        self._last_call = time.monotonic()

    def _error(self, request: web.Request, body: dict[str, Any], status: int, code: str,
               message: str) -> web.Response:
        self._record(request, body, status, code)
        return web.json_response({"code": code, "message": message,
                                  "requestid": uuid.uuid4().hex.upper()}, status=status)

    # ---- reading ----------------------------------------------------------------------

    def newest(self, space: str, fragment: str) -> RobotMessage:
        """The robot's newest message in the space that contains `fragment`."""
        for message in reversed(self.in_space(space)):
            if fragment in message.text:
                return message
        raise LookupError(f"no robot message containing {fragment!r}")

    def in_space(self, space: str) -> list[RobotMessage]:
        return [message for message in self.messages if message.space == space]
