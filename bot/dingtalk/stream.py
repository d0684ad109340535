"""DingTalk in: the official Stream client's frames become python-telegram-bot Updates for the
same Application, stored in the inbox before DingTalk is told they arrived."""

from __future__ import annotations

import logging
import re
from typing import Any

import dingtalk_stream
from dingtalk_stream import AckMessage, CallbackMessage, ChatbotMessage
from telegram import Update
from telegram.ext import Application

from bot.dingtalk.ids import GROUP, PERSON, DingTalkIds, SentTexts, message_of, number
from bot.dingtalk.request import BOT_ID
from bot.intake import Intake

log = logging.getLogger(__name__)

CARD_TOPIC = dingtalk_stream.Card_Callback_Router_Topic
_COMMAND = re.compile(r"/[A-Za-z0-9_]{1,32}")
_USERNAME = re.compile(r"[A-Za-z0-9_]{3,32}")


class _Topic(dingtalk_stream.CallbackHandler):
    def __init__(self, receiver: Receiver, topic: str) -> None:
        super().__init__()
        self.receiver, self.topic = receiver, topic

    async def process(self, message: CallbackMessage) -> tuple[int, str]:
        """Acknowledge once the update is stored (a card press within DingTalk's ~2 s); the
        handlers run after, and a refused store leaves the frame to be delivered again."""
        try:
            await self.receiver.receive(self.topic, message)
        except Exception:
            log.exception("a DingTalk frame on %s could not be kept", self.topic)
            return AckMessage.STATUS_SYSTEM_EXCEPTION, "not stored"
        return AckMessage.STATUS_OK, "OK"


class Receiver:
    def __init__(self, intake: Intake, ids: DingTalkIds, sent: SentTexts) -> None:
        self.intake = intake
        self.ids = ids
        self.sent = sent

    @property
    def application(self) -> Application:
        return self.intake.application

    def client(self, client_id: str, client_secret: str, api_url: str
               ) -> dingtalk_stream.DingTalkStreamClient:
        # The SDK reads its endpoint once, at import, from DINGTALK_OPENAPI_ENDPOINT; a process
        # talks to one DingTalk, so setting it here for the class is setting it for us.
        dingtalk_stream.DingTalkStreamClient.OPEN_CONNECTION_API = (
            api_url.rstrip("/") + "/v1.0/gateway/connections/open")
        client = dingtalk_stream.DingTalkStreamClient(
            dingtalk_stream.Credential(client_id, client_secret), logger=log)
        client.register_callback_handler(ChatbotMessage.TOPIC, _Topic(self, ChatbotMessage.TOPIC))
        client.register_callback_handler(CARD_TOPIC, _Topic(self, CARD_TOPIC))
        return client

    async def receive(self, topic: str, frame: CallbackMessage) -> None:
        if topic == CARD_TOPIC:
            update = await self._press(frame)
        else:
            update = await self._message(ChatbotMessage.from_dict(frame.data))
        if update is None:
            return
        updates = [update]
        if update.message is not None and update.message.chat.type == "group" \
                and await self._lost(update.message.chat.id):
            updates.insert(0, self._back(update))
        for fresh in await self.intake.receive(updates):
            self.intake.dispatch(fresh)

    async def _lost(self, chat_id: int) -> bool:
        """Whether the bot took this group for lost (DingTalk refused a send there)."""
        async with self.intake.runtime.unit_of_work() as uow:
            chat = await uow.chats.get(chat_id)
        return chat is not None and not chat.active

    def _back(self, update: Update) -> Update:
        """DingTalk tells a robot nothing when it is added back to a group; a message from
        the group shows it is there, and is given to the handlers as Telegram's news of it."""
        message = update.message
        assert message is not None and message.from_user is not None
        bot = {"id": BOT_ID, "is_bot": True, "first_name": self.application.bot.first_name}
        return Update.de_json({"update_id": number(f"back:{update.update_id}"),
                               "my_chat_member": {
            "chat": message.chat.to_dict(), "from": message.from_user.to_dict(),
            "date": int(message.date.timestamp()),
            "old_chat_member": {"user": bot, "status": "left"},
            "new_chat_member": {"user": bot, "status": "member"},
        }}, self.application.bot)

    async def _user(self, staff_id: str, nick: str | None) -> dict[str, Any]:
        value = await self.ids.chat(staff_id, PERSON, nick)
        user: dict[str, Any] = {"id": value, "is_bot": False,
                                "first_name": nick or self.ids.name(value) or staff_id}
        # `/role @liming …` names people by username; a staff id that could be one serves.
        if _USERNAME.fullmatch(staff_id):
            user["username"] = staff_id
        return user

    async def _message(self, incoming: ChatbotMessage) -> Update | None:
        # Rich text is what DingTalk sends for text with pictures or formatting: its words
        # are read as the message. A picture alone is passed by, as Telegram's handlers pass
        # by a photo that answers no task.
        words = incoming.get_text_list() if incoming.message_type in ("text", "richText") \
            else None
        if not words:
            return None
        sender = await self._user(incoming.sender_staff_id, incoming.sender_nick)
        if incoming.conversation_type == "2":
            title = incoming.conversation_title or None
            group = await self.ids.chat(incoming.conversation_id, GROUP, title)
            chat = {"id": group, "type": "group", "title": title or self.ids.name(group)}
        else:
            chat = {"id": sender["id"], "type": "private",
                    "first_name": sender["first_name"]}
        # DingTalk leaves the space where the @-mention of the robot was.
        text = "".join(part or "" for part in words).strip()
        message: dict[str, Any] = {"message_id": number(incoming.message_id),
                                   "date": int(incoming.create_at) // 1000,
                                   "chat": chat, "from": sender, "text": text}
        if command := _COMMAND.match(text):
            message["entities"] = [{"type": "bot_command", "offset": 0,
                                    "length": command.end()}]
        if incoming.text is not None and incoming.text.extensions.get("isReplyMsg"):
            replied = await self._replied(chat, incoming.text.extensions.get("repliedMsg"))
            if replied is not None:
                message["reply_to_message"] = replied
        return Update.de_json({"update_id": number(incoming.message_id), "message": message},
                              self.application.bot)

    async def _replied(self, chat: dict[str, Any], quoted: Any) -> dict[str, Any] | None:
        """The bot's message a quoted reply (引用) answers, found by the quoted text: DingTalk
        names the quote by its own message id, which the bot's sends never learn."""
        found = await self.sent.quoted(chat["id"], _quoted_text(quoted))
        if found is None:
            return None  # someone else's message: read as a plain message, as on Telegram
        message_id, text, markup = found
        replied = {"message_id": message_id, "date": 1, "chat": chat, "text": text,
                   "from": {"id": BOT_ID, "is_bot": True,
                            "first_name": self.application.bot.first_name}}
        if markup:  # the handlers find a task by its message's buttons
            replied["reply_markup"] = markup
        return replied

    async def _press(self, frame: CallbackMessage) -> Update | None:
        press = dingtalk_stream.CardCallbackMessage.from_dict(frame.data)
        card = message_of(press.card_instance_id)
        code = (press.content.get("cardPrivateData", {}).get("params", {}).get("code"))
        if card is None or not code:
            log.info("a press on a card that is not ours (%s) was ignored",
                     press.card_instance_id)
            return None
        chat_id, message_id = card
        user = await self._user(press.user_id, None)
        kind, _ = self.ids.external(chat_id) or (GROUP, "")
        chat: dict[str, Any] = {"id": chat_id, "type": "group" if kind == GROUP else "private"}
        if kind == GROUP:
            chat["title"] = self.ids.name(chat_id)
        else:
            chat["first_name"] = user["first_name"]
        update_id = number(frame.headers.message_id or "")
        return Update.de_json({"update_id": update_id, "callback_query": {
            "id": str(update_id), "from": user, "chat_instance": str(chat_id), "data": code,
            "message": {"message_id": message_id, "date": int(frame.headers.time or 0) // 1000
                        or 1, "chat": chat,
                        "text": await self.sent.text(chat_id, message_id) or ""},
        }}, self.application.bot)


def _quoted_text(quoted: Any) -> str:
    """The words of a quoted message, from the shapes DingTalk is reported to send: a text's
    ``content.text`` (or ``content.content``), a card's parameters or its element tree."""
    if not isinstance(quoted, dict):
        return ""
    content = quoted.get("content")
    if isinstance(content, str):
        return content
    if not isinstance(content, dict):
        return ""
    for key in ("text", "content", "markdown"):
        if isinstance(content.get(key), str):
            return str(content[key])
    params = (content.get("cardData") or {}).get("cardParamMap") or {}
    if isinstance(params.get("markdown"), str):
        return str(params["markdown"])
    texts: list[str] = []

    def walk(node: Any) -> None:
        if isinstance(node, dict):
            if node.get("elementType") == "TEXT" and isinstance(node.get("value"), str):
                texts.append(node["value"])
            for child in node.get("children") or []:
                walk(child)
        elif isinstance(node, list):
            for child in node:
                walk(child)

    walk(content.get("cardContent"))
    return "\n".join(texts)
