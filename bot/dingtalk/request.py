"""The Bot API calls the bot makes, carried out on DingTalk: python-telegram-bot sends through
this request class, so handlers, the outbox and its delivery rules run unchanged.

Every message with buttons is an interactive card whose buttons carry the same short codes
as Telegram's ``callback_data``; its ``outTrackId`` names the chat and message number, so an
edit finds it again after a restart. A message without buttons is a robot markdown message,
which DingTalk cannot edit: editing one answers Telegram's "message can't be edited", and the
outbox sends the new text instead.

DingTalk's refusals are raised as the Bot API errors for the same situation: a token refused
twice is InvalidToken, a rate limit is RetryAfter, an unknown staff id and a group the robot
left are Forbidden (the outbox reroutes), everything that is not an answer is NetworkError.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Callable
from typing import Any

from aiohttp import ClientError
from telegram.error import BadRequest, Forbidden, InvalidToken, NetworkError, RetryAfter, TimedOut
from telegram.request import BaseRequest, RequestData

from bot.dingtalk.ids import GROUP, DingTalkIds, SentTexts, out_track_id
from bot.dingtalk.openapi import DingTalkError, OpenApi

BOT_ID = 1
# DingTalk publishes 20 robot messages a minute per group; a refusal means the minute is full.
RATE_LIMIT_WAIT = 60
_GONE_GROUP = ("invalidParameter.robotCode.empty", "group.disbanded", "bot.stopped",
               "invalid.openConversationId")
_GONE_PERSON = ("staffId.notExisted", "invalidParameter.userIds.empty")


class DingTalkRequest(BaseRequest):
    def __init__(self, api: OpenApi, ids: DingTalkIds, sent: SentTexts, *,
                 name: str = "跟单", clock: Callable[[], float] = time.time) -> None:
        self.api = api
        self.ids = ids
        self.sent = sent
        self.name = name
        self.clock = clock
        # Message numbers from the wall clock in milliseconds: increasing across restarts
        # without a table, and never reused within one process.
        self._last = 0

    @property
    def read_timeout(self) -> float | None:
        return self.api.timeout

    async def initialize(self) -> None:
        """Load the ids and check the credentials, as PTB's getMe checks a Telegram token: a
        refusal stops the start with its reason, a network error is waited out."""
        await self.ids.load()
        try:
            await self.api.token()
        except DingTalkError as exc:
            if exc.status >= 500:
                raise NetworkError(f"Bad Gateway: DingTalk answered {exc}") from exc
            raise InvalidToken("DingTalk refuses DINGTALK_CLIENT_ID and DINGTALK_CLIENT_SECRET "
                               f"({exc})") from exc
        except (ClientError, OSError, TimeoutError) as exc:
            raise NetworkError(f"cannot reach DingTalk: {exc!r}") from exc

    async def shutdown(self) -> None:
        await self.api.close()

    def _message_id(self) -> int:
        self._last = max(self._last + 1, int(time.time() * 1000))
        return self._last

    async def do_request(self, url: str, method: str, request_data: RequestData | None = None,
                         read_timeout: Any = None, write_timeout: Any = None,
                         connect_timeout: Any = None, pool_timeout: Any = None
                         ) -> tuple[int, bytes]:
        endpoint = url.rsplit("/", 1)[-1]
        params: dict[str, Any] = dict(request_data.parameters) if request_data else {}
        try:
            result = await self._call(endpoint, params, request_data)
        except DingTalkError as exc:
            raise _as_telegram(exc, edit=endpoint.startswith("edit")) from exc
        except TimeoutError as exc:
            raise TimedOut(f"DingTalk did not answer in time: {exc}") from exc
        except (ClientError, OSError) as exc:
            raise NetworkError(f"cannot reach DingTalk: {exc!r}") from exc
        return 200, json.dumps({"ok": True, "result": result}).encode()

    async def _call(self, endpoint: str, params: dict[str, Any],
                    request_data: RequestData | None) -> Any:
        if endpoint == "getMe":
            return {"id": BOT_ID, "is_bot": True, "first_name": self.name,
                    "username": "gendan_dingtalk_bot", "can_join_groups": True,
                    "can_read_all_group_messages": False, "supports_inline_queries": False}
        if endpoint == "sendMessage":
            chat_id = int(params["chat_id"])
            message_id = self._message_id()
            buttons = _buttons(params.get("reply_markup"))
            space = self._space(chat_id)
            if buttons:
                await self.api.send_card(space, out_track_id(chat_id, message_id),
                                         params["text"], buttons)
            else:
                await self.api.send_text(space, params["text"])
            await self.sent.note(chat_id, message_id, params["text"],
                                 _markup(params.get("reply_markup")))
            return self._message(chat_id, message_id, text=params["text"],
                                 markup=params.get("reply_markup"))
        if endpoint in ("editMessageText", "editMessageReplyMarkup"):
            chat_id, message_id = int(params["chat_id"]), int(params["message_id"])
            self._space(chat_id)
            text = params.get("text") if endpoint == "editMessageText" else None
            await self.api.update_card(out_track_id(chat_id, message_id), text,
                                       _buttons(params.get("reply_markup")))
            await self.sent.note(chat_id, message_id, text, _markup(params.get("reply_markup")))
            if text is None:
                text = await self.sent.text(chat_id, message_id)
            return self._message(chat_id, message_id, text=text or "",
                                 markup=params.get("reply_markup"), edited=True)
        if endpoint in ("sendDocument", "sendPhoto"):
            chat_id = int(params["chat_id"])
            files = request_data.multipart_data if request_data else {}
            filename, content = "file", b""
            for value in files.values():
                filename, content = value[0] or filename, value[1]
                if not isinstance(content, bytes):
                    content = await asyncio.to_thread(content.read)
            space = self._space(chat_id)
            await self.api.send_file(space, filename, content)
            if params.get("caption"):
                await self.api.send_text(space, params["caption"])
            return self._message(chat_id, self._message_id(), text=None,
                                 caption=params.get("caption"),
                                 document={"file_id": filename, "file_unique_id": filename,
                                           "file_name": filename})
        if endpoint in ("answerCallbackQuery", "sendChatAction", "setMyCommands",
                        "deleteMyCommands", "deleteWebhook"):
            # A press was acknowledged on arrival (DingTalk waits about 2 s); a handler's
            # errors reach the person as messages too, so the answer has nothing left to say.
            return True
        raise BadRequest(f"Bad Request: DingTalk has no counterpart of {endpoint}")

    def _space(self, chat_id: int) -> tuple[str, str]:
        found = self.ids.external(chat_id)
        if found is None:
            raise BadRequest("Bad Request: chat not found")
        return found

    def _message(self, chat_id: int, message_id: int, *, markup: Any = None,
                 edited: bool = False, **fields: Any) -> dict[str, Any]:
        kind, _external = self.ids.external(chat_id) or (GROUP, "")
        message: dict[str, Any] = {
            "message_id": message_id, "date": int(self.clock()),
            "chat": {"id": chat_id, "type": "group" if kind == GROUP else "private"},
            "from": {"id": BOT_ID, "is_bot": True, "first_name": self.name},
            **{key: value for key, value in fields.items() if value is not None},
        }
        if markup:
            message["reply_markup"] = markup
        if edited:
            message["edit_date"] = int(self.clock())
        return message


def _markup(markup: Any) -> dict[str, Any] | None:
    return json.loads(markup) if isinstance(markup, str) else markup


def _buttons(markup: Any) -> list[dict[str, str]]:
    rows = (_markup(markup) or {}).get("inline_keyboard", [])
    return [{"text": button["text"], "code": button.get("callback_data", "")}
            for row in rows for button in row]


def _as_telegram(exc: DingTalkError, *, edit: bool) -> Exception:
    code = exc.code
    if exc.status == 401 or code == "InvalidAuthentication":
        return InvalidToken(f"DingTalk refuses the app's credentials: {exc}")
    if exc.status == 429 or "QpsLimit" in code or "flowcontrol" in code.lower() \
            or "Throttling" in code:
        return RetryAfter(RATE_LIMIT_WAIT)
    if code in _GONE_GROUP:
        return Forbidden(f"Forbidden: bot was kicked from the group chat ({exc})")
    if code in _GONE_PERSON:
        return Forbidden(f"Forbidden: user is deactivated ({exc})")
    if edit and code == "param.cardInstanceNotExist":
        return BadRequest("Bad Request: message can't be edited")
    if exc.status == 0 or exc.status >= 500:
        return NetworkError(f"Bad Gateway: DingTalk answered {exc}")
    return BadRequest(f"Bad Request: DingTalk refused: {exc}")
