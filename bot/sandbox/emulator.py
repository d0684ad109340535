"""A local Telegram Bot API server for tests, scripted scenarios and the offline console.

The real python-telegram-bot ``Bot``/``Application`` is pointed at it with ``base_url``, so the
code under test runs unmodified: same HTTP encoding, same error mapping, same polling loop.
The emulator plays the users' side (``send_text``, ``press``) and records what the bot did.

Fidelity choices worth knowing:

* Errors use Telegram's wording and HTTP status codes, because PTB turns them into its
  exception classes (400 -> BadRequest, 401/404 -> InvalidToken, 409 -> Conflict,
  ``parameters.retry_after`` -> RetryAfter) and bot code matches on the descriptions.
* Flood limits and message dates use the injected clock, so a scenario on a virtual clock sees
  the same 429s it would see in production without really waiting. Long-poll timeouts and
  webhook retries stay on real time, because the HTTP client on the other end waits in real time.
* ``parse_mode="HTML"`` is parsed as strictly as Telegram does: an unescaped ``<`` or an
  unknown tag is a 400, which is the classic production failure with user-supplied text.
  Markdown modes are accepted and stored verbatim.
* Webhook URLs must point at this machine; the emulator never talks to the internet.

Faults, to be injected on purpose by tests, benchmarks, scenarios and the console. Each one
answers as Telegram does, in wording, HTTP status and updates, so PTB raises what it raises in
production:

* ``migrate_group(old_id, new_id, by_user=None)``: a basic group becomes a supergroup. The bot
  gets, in Telegram's order, ``my_chat_member`` for the new supergroup (left -> member), a
  service message in the old group carrying ``migrate_to_chat_id`` and message 1 of the new
  supergroup, from GroupAnonymousBot, carrying ``migrate_from_chat_id``. From then on sends,
  edits, deletions and getChatMember about others naming the old id answer 400 "Bad Request:
  group chat was upgraded to a supergroup chat" with ``parameters.migrate_to_chat_id`` (PTB:
  ChatMigrated). getChat still describes the old group: Telegram's server refuses only writes
  and member lists there; that its edits fail the same way is a guess. The old group's messages
  stay under the old id, since the supergroup numbers its own messages from 1: an old message id
  used with the new chat id is "message to edit not found" (or names the supergroup's own
  message of that number). People post in the new id only.
* ``block(user_id)`` / ``unblock(user_id)``: the person blocks the bot. ``my_chat_member`` in
  their private chat (member -> kicked and back); sends and chat actions there answer 403
  "Forbidden: bot was blocked by the user", while edits and deletions of earlier messages still
  work. Writing to the bot in private unblocks, since a person must unblock to write at all.
* ``add_user(..., started=False)``: a person who never pressed Start. Sends to them answer 403
  "Forbidden: bot can't initiate conversation with a user" until their first private message.
* ``kick(chat_id, by_user=None)`` / ``readd(chat_id, by_user=None)``: the bot is removed from a
  group and added back. ``my_chat_member`` as Telegram sends it: a basic group reports "left" and
  still shows the bot its own ``left_chat_member`` notice; a supergroup reports "kicked" with
  ``until_date`` 0. While removed, a supergroup refuses every call naming it with 403
  "Forbidden: bot was kicked from the supergroup chat"; a basic group answers getChat and
  getChatMember about the bot but refuses the rest with "Forbidden: bot was kicked from the
  group chat". What people post meanwhile stays in the chat but reaches no bot (``send_text``
  returns None); button presses still do, as callback queries go to the bot directly. ``readd``
  reports "member" again and posts the ``new_chat_members`` notice naming the bot.
* ``uneditable(chat_id, message_id)``: edits of that message answer 400 "Bad Request: message
  can't be edited", as Telegram answers for a message it no longer lets the bot edit.
* ``outage(status=502)`` / ``outage(None)``: Telegram's front end answers every call, getUpdates
  and file downloads included, with its own nginx error page instead of JSON (PTB: NetworkError
  "Bad Gateway (502)..."); nothing takes effect and webhook deliveries wait. A long poll that is
  waiting when the outage begins is answered with the page at once.
* ``slow(seconds)`` / ``slow(None)``: each call takes effect at once (a send is stored and
  numbered) but its HTTP answer is written ``seconds * real_time_scale`` real seconds later, so a
  client with a shorter read timeout gives up on a message that did go through. A virtual-clock
  simulation sets ``real_time_scale`` (e.g. 0.01) to shrink that wait; long polls keep real time.
  An outage that begins while an answer is held back replaces the answer with its page.

``calls`` records what the Bot API server decided (``ok``, ``error_code``, ``description``), also
when the client never saw the answer; ``accepted_sends`` lists every message Telegram accepted,
as it was sent, so a duplicate delivery is two entries.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import enum
import itertools
import json
import logging
import math
import re
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from aiohttp import ClientError, ClientSession, ClientTimeout, web

__all__ = [
    "DEFAULT_TOKEN",
    "ApiCall",
    "BotApiEmulator",
    "BotMessage",
    "Button",
    "CallbackAnswer",
    "FloodLimits",
    "OutgoingEvent",
]

logger = logging.getLogger(__name__)

DEFAULT_TOKEN = "123456:SANDBOX"

MAX_TEXT_LENGTH = 4096
MAX_CAPTION_LENGTH = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_CALLBACK_ANSWER_LENGTH = 200
# Telegram's own cap for bot uploads; aiohttp's 1 MiB default would turn exports into 413s.
MAX_UPLOAD_BYTES = 50 * 1024 * 1024

# Update types Telegram withholds unless a bot asks for them explicitly.
_OPT_IN_UPDATE_TYPES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

_WEBHOOK_RETRY_FIRST = 0.05
_WEBHOOK_RETRY_MAX = 1.0

# The account Telegram names as the sender of service messages a group posts as itself.
_GROUP_ANONYMOUS_BOT = {
    "id": 1087968824,
    "is_bot": True,
    "first_name": "Group",
    "username": "GroupAnonymousBot",
}

# Statuses Telegram's nginx front end answers by itself when the Bot API behind it is down,
# with nginx's own reason phrases.
_FRONT_END_REASONS = {
    500: "Internal Server Error",
    502: "Bad Gateway",
    503: "Service Temporarily Unavailable",
    504: "Gateway Time-out",
}
_FRONT_END_SERVER = "nginx/1.18.0"

_COMMAND_RE = re.compile(r"(?<!\S)/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?(?![\w@/])")
_MENTION_RE = re.compile(r"(?<![\w@])@[A-Za-z0-9_]{3,32}(?![\w@])")
_SECRET_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]{1,256}")
_BOT_COMMAND_NAME_RE = re.compile(r"[a-z0-9_]{1,32}")


# --------------------------------------------------------------------------- public records


@dataclass(frozen=True)
class Button:
    text: str
    callback_data: str | None = None
    url: str | None = None


@dataclass
class BotMessage:
    """A message the bot sent; edits update it in place so it always shows the current state."""

    message_id: int
    chat_id: int
    text: str
    buttons: list[list[Button]]
    date: float
    edited: bool = False
    reply_to_message_id: int | None = None
    kind: str = "text"  # "text" | "document" | "photo"
    entities: list[dict] = field(default_factory=list)
    file_id: str | None = None
    file_name: str | None = None
    file_size: int | None = None

    @property
    def labels(self) -> list[str]:
        return [button.text for row in self.buttons for button in row]


@dataclass(frozen=True)
class OutgoingEvent:
    method: str
    chat_id: int
    message_id: int
    text: str
    buttons: list[list[Button]]
    edit: bool
    at: float


@dataclass(frozen=True)
class CallbackAnswer:
    """The bot's answer to a button press, shown only to the person who pressed it."""

    chat_id: int
    user_id: int
    text: str
    alert: bool


@dataclass(frozen=True)
class ApiCall:
    method: str
    params: dict
    at: float
    ok: bool
    error_code: int | None
    description: str | None


@dataclass
class FloodLimits:
    per_chat_rate: float = 1.0  # messages per second, refill rate of the per-chat bucket
    per_chat_burst: int = 3
    per_group_per_minute: int = 20
    global_per_second: int = 30
    enabled: bool = True

    def __post_init__(self) -> None:
        if self.per_chat_rate <= 0 or self.per_chat_burst < 1:
            raise ValueError("per-chat limits need a positive rate and a burst of at least 1")
        if self.per_group_per_minute < 1 or self.global_per_second < 1:
            raise ValueError("group and global limits must allow at least one message")


# --------------------------------------------------------------------------- internals


class _ApiError(Exception):
    def __init__(
        self, code: int, description: str, parameters: dict[str, int] | None = None
    ) -> None:
        super().__init__(description)
        self.code = code
        self.description = description
        self.parameters = parameters


class _Access(enum.IntEnum):
    """How much of a chat a method needs, graded as Telegram's Bot API server grades it.

    Each level includes those below it; the refusals of a blocked, removed or upgraded chat
    start at different levels.
    """

    READ = 0  # getChat, and getChatMember about the bot itself
    READ_MEMBERS = 1  # getChatMember about someone else
    EDIT = 2  # changing or deleting what is already in the chat
    WRITE = 3  # posting something new: send*, sendChatAction


def _bad_request(detail: str) -> _ApiError:
    return _ApiError(400, f"Bad Request: {detail}")


def _utf16_len(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _update_type(update: dict) -> str | None:
    return next((key for key in update if key != "update_id"), None)


def _for_the_record(params: dict[str, Any]) -> dict[str, Any]:
    # Uploads are recorded by name and size; raw bytes in `calls` would only bloat it.
    return {
        name: {"filename": v["filename"], "size": len(v["content"])}
        if isinstance(v, dict) and isinstance(v.get("content"), bytes)
        else v
        for name, v in params.items()
    }


def _front_end_page(status: int) -> web.Response:
    """The page Telegram's nginx serves in place of the Bot API's JSON while the API is down."""
    title = f"{status} {_FRONT_END_REASONS[status]}"
    page = (
        f"<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n"
        f"<center><h1>{title}</h1></center>\r\n<hr><center>{_FRONT_END_SERVER}</center>\r\n"
        "</body>\r\n</html>\r\n"
    )
    return web.Response(
        status=status,
        reason=_FRONT_END_REASONS[status],
        body=page.encode(),
        content_type="text/html",
        headers={"Server": _FRONT_END_SERVER},
    )


class _FloodControl:
    """Telegram's documented send limits, evaluated against an arbitrary clock."""

    def __init__(self, limits: FloodLimits) -> None:
        self.limits = limits
        self._buckets: dict[int, tuple[float, float]] = {}  # chat -> (tokens, as of)
        self._group_sends: dict[int, deque[float]] = {}
        self._global_sends: deque[float] = deque()

    def admit(self, chat_id: int, now: float) -> float:
        """Consume one send if allowed and return 0, else return seconds until it would be."""
        lim = self.limits
        if not lim.enabled:
            return 0.0
        tokens, as_of = self._buckets.get(chat_id, (float(lim.per_chat_burst), now))
        # A virtual clock may be rewound between scenarios; never refill negatively.
        tokens = min(float(lim.per_chat_burst), tokens + max(0.0, now - as_of) * lim.per_chat_rate)
        waits = [0.0 if tokens >= 1 else (1 - tokens) / lim.per_chat_rate]
        group = self._group_sends.setdefault(chat_id, deque()) if chat_id < 0 else None
        if group is not None:
            waits.append(self._window_wait(group, 60.0, lim.per_group_per_minute, now))
        waits.append(self._window_wait(self._global_sends, 1.0, lim.global_per_second, now))
        wait = max(waits)
        if wait > 0:
            self._buckets[chat_id] = (tokens, now)
            return wait
        self._buckets[chat_id] = (tokens - 1, now)
        if group is not None:
            group.append(now)
        self._global_sends.append(now)
        return 0.0

    @staticmethod
    def _window_wait(sends: deque[float], window: float, cap: int, now: float) -> float:
        while sends and sends[0] <= now - window:
            sends.popleft()
        return sends[0] + window - now if len(sends) >= cap else 0.0


# Parameters arrive as strings from form and multipart bodies (PTB sends JSON-encoded values as
# form fields) but typed from JSON bodies; both are normalised here so handlers see one shape.
_INT_PARAMS = frozenset(
    {
        "message_id",
        "reply_to_message_id",
        "user_id",
        "offset",
        "limit",
        "cache_time",
        "max_connections",
        "message_thread_id",
    }
)
_FLOAT_PARAMS = frozenset({"timeout"})
_BOOL_PARAMS = frozenset(
    {
        "show_alert",
        "drop_pending_updates",
        "disable_notification",
        "protect_content",
        "allow_sending_without_reply",
        "disable_web_page_preview",
        "has_spoiler",
        "disable_content_type_detection",
        "show_caption_above_media",
        "allow_paid_broadcast",
    }
)
_JSON_PARAMS = frozenset(
    {
        "reply_markup",
        "reply_parameters",
        "allowed_updates",
        "entities",
        "caption_entities",
        "link_preview_options",
        "commands",
        "scope",
    }
)


def _coerce_params(raw: dict[str, Any]) -> dict[str, Any]:
    params: dict[str, Any] = {}
    for name, value in raw.items():
        if isinstance(value, str):
            try:
                if name == "chat_id":
                    # "@channelusername" is legal; only digit strings become ids.
                    value = int(value) if value.lstrip("-").isdigit() else value
                elif name in _INT_PARAMS:
                    value = int(value)
                elif name in _FLOAT_PARAMS:
                    value = float(value)
                elif name in _BOOL_PARAMS:
                    value = value.lower() in ("true", "1")
                elif name in _JSON_PARAMS:
                    value = json.loads(value)
            except ValueError as exc:
                raise _bad_request(f"can't parse parameter {name!r}") from exc
        params[name] = value
    return params


@dataclass
class _Upload:
    file_id: str
    file_unique_id: str
    file_name: str | None
    mime_type: str | None
    content: bytes | None  # None when the bot referenced a file by id/URL instead of uploading


# --------------------------------------------------------------------------- HTML parse mode

_HTML_ENTITY_TYPES = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "tg-spoiler": "spoiler",
    "span": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_NAMED_CHAR_REFS = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_CHAR_REF_RE = re.compile(r"&(#[0-9]{1,7}|#[xX][0-9a-fA-F]{1,6}|[a-zA-Z]+);")
_TAG_TAIL_RE = re.compile(
    r"""((?:\s+[a-zA-Z_-]+(?:\s*=\s*(?:"[^"]*"|'[^']*'|[^\s"'>]+))?)*)\s*/?>"""
)
_ATTR_RE = re.compile(r"""\s*([a-zA-Z_-]+)(?:\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+))?""")


def _decode_char_ref(match: re.Match[str]) -> str:
    ref = match.group(1)
    if ref.startswith("#"):
        code = int(ref[2:], 16) if ref[1] in "xX" else int(ref[1:])
        return chr(code) if 0 < code <= 0x10FFFF else match.group(0)
    # Telegram supports only these four names; anything else stays literal text.
    return _NAMED_CHAR_REFS.get(ref, match.group(0))


def _unquote(value: str) -> str:
    return value[1:-1] if len(value) >= 2 and value[0] == value[-1] and value[0] in "'\"" else value


def parse_html(source: str) -> tuple[str, list[dict]]:
    """Turn Telegram-flavoured HTML into (plain text, entities) or raise like Telegram does."""
    text: list[str] = []
    entities: list[dict] = []
    pos16 = 0
    # (tag, entity type, start offset in UTF-16 units, attributes)
    stack: list[tuple[str, str, int, dict[str, str]]] = []
    i = 0
    n = len(source)

    def byte_offset(index: int) -> int:
        return len(source[:index].encode("utf-8"))

    def fail(detail: str) -> _ApiError:
        return _bad_request(f"can't parse entities: {detail}")

    while i < n:
        ch = source[i]
        if ch == "&":
            match = _CHAR_REF_RE.match(source, i)
            piece = _decode_char_ref(match) if match else "&"
            i = match.end() if match else i + 1
            text.append(piece)
            pos16 += _utf16_len(piece)
            continue
        if ch != "<":
            j = i
            while j < n and source[j] not in "<&":
                j += 1
            piece = source[i:j]
            text.append(piece)
            pos16 += _utf16_len(piece)
            i = j
            continue
        # Tag names run to whitespace or ">", as in Telegram's parser, so "<5 pcs" is an
        # unsupported tag "5" rather than text.
        name_end = i + 1
        while name_end < n and not source[name_end].isspace() and source[name_end] != ">":
            name_end += 1
        if source.startswith("</", i):
            close = source.find(">", i)
            if close == -1:
                raise fail(f"Unclosed end tag at byte offset {byte_offset(i)}")
            name = source[i + 2 : close].strip().lower()
            if not stack:
                raise fail(f"Unexpected end tag at byte offset {byte_offset(i)}")
            tag, etype, start, attrs = stack.pop()
            if name != tag:
                raise fail(
                    f'Unmatched end tag at byte offset {byte_offset(i)}, expected "</{tag}>", '
                    f'found "</{name}>"'
                )
            entity: dict[str, Any] = {"type": etype, "offset": start, "length": pos16 - start}
            if etype == "text_link":
                entity["url"] = attrs.get("href", "")
            elif etype == "custom_emoji":
                entity["custom_emoji_id"] = attrs.get("emoji-id", "")
            elif etype == "blockquote" and "expandable" in attrs:
                entity["type"] = "expandable_blockquote"
            if etype == "code" and stack and stack[-1][0] == "pre" and stack[-1][2] == start:
                # <pre><code class="language-x"> is one pre entity carrying a language.
                language = attrs.get("class", "")
                if language.startswith("language-"):
                    stack[-1][3]["language"] = language.removeprefix("language-")
            elif entity["length"] > 0:
                if etype == "pre" and attrs.get("language"):
                    entity["language"] = attrs["language"]
                entities.append(entity)
            i = close + 1
            continue
        if name_end == n:
            raise fail(f"Unclosed start tag at byte offset {byte_offset(i)}")
        name = source[i + 1 : name_end].lower()
        if name not in _HTML_ENTITY_TYPES:
            raise fail(f'Unsupported start tag "{name}" at byte offset {byte_offset(i)}')
        tail = _TAG_TAIL_RE.match(source, name_end)
        if tail is None:
            raise fail(f"Unclosed start tag at byte offset {byte_offset(i)}")
        attrs = {
            key.lower(): _CHAR_REF_RE.sub(_decode_char_ref, _unquote(value))
            for key, value in _ATTR_RE.findall(tail.group(1))
        }
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise fail(f'Tag "span" must have class "tg-spoiler" at byte offset {byte_offset(i)}')
        stack.append((name, _HTML_ENTITY_TYPES[name], pos16, attrs))
        i = tail.end()
    if stack:
        raise fail(f'Can\'t find end tag corresponding to start tag "{stack[-1][0]}"')
    entities.sort(key=lambda e: (e["offset"], -e["length"]))
    return "".join(text), entities


# --------------------------------------------------------------------------- the emulator


class BotApiEmulator:
    """An in-process Bot API server holding users, chats, messages and the update queue.

    Not thread-safe: drive it from the event loop it serves on. A console reading stdin in a
    worker thread should hop over with ``loop.call_soon_threadsafe(emu.send_text, ...)``.
    """

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        clock: Callable[[], float] | None = None,
        limits: FloodLimits | None = None,
        bot_id: int = 7000001,
        bot_username: str = "gendan_bot",
        bot_name: str = "Gendan",
        real_time_scale: float = 1.0,
    ) -> None:
        if real_time_scale < 0:
            raise ValueError("real_time_scale shrinks real waits; it can't be negative")
        self.token = token
        self.clock: Callable[[], float] = clock or time.time
        # Real seconds per second of a `slow` answer, so a virtual-clock run need not really wait.
        self.real_time_scale = real_time_scale
        self.limits = limits or FloodLimits()
        self.bot_user: dict[str, Any] = {
            "id": bot_id,
            "is_bot": True,
            "first_name": bot_name,
            "username": bot_username,
            "can_join_groups": True,
            # Every group message is delivered, i.e. privacy mode is off; say so truthfully.
            "can_read_all_group_messages": True,
            "supports_inline_queries": False,
        }

        self.calls: list[ApiCall] = []
        self.answered_callbacks: list[dict] = []
        self.rejected_429 = 0
        self.base_url = ""
        self.base_file_url = ""

        self._users: dict[int, dict[str, Any]] = {}
        self._groups: dict[int, dict[str, Any]] = {}
        self._admins: set[tuple[int, int]] = set()
        self._raw_messages: dict[tuple[int, int], dict[str, Any]] = {}
        self._bot_messages: dict[int, list[BotMessage]] = {}
        self._last_message_id: dict[int, int] = {}
        self._files: dict[str, _Upload] = {}
        self._commands: dict[tuple[str, str], list[dict]] = {}
        # Query id -> who pressed: an answer (and its alert) is shown to that person alone.
        self._open_callbacks: dict[str, int] = {}
        self._listeners: list[Callable[[OutgoingEvent], None]] = []
        self._answer_listeners: list[Callable[[CallbackAnswer], None]] = []
        self._callback_origin: dict[str, tuple[int, int]] = {}  # query id -> chat, user
        self._uneditable: set[tuple[int, int]] = set()  # (chat, message) edits are refused
        self._accepted: list[BotMessage] = []

        # Chats the bot is shut out of: private chats of people who blocked it (positive ids)
        # and groups it was removed from (negative ids).
        self._shut_out: set[int] = set()
        self._not_started: set[int] = set()
        self._migrated: dict[int, int] = {}  # basic group -> the supergroup it became
        self._outage: int | None = None  # the HTTP status the front end answers with
        self._slow: float | None = None  # seconds each answer is held back

        self._pending: list[dict] = []
        self._last_update_id = 0
        self._callback_ids = itertools.count(1)
        self._file_ids = itertools.count(1)
        self._allowed_updates: frozenset[str] | None = None
        self._poll_generation = 0

        self._webhook: dict[str, Any] | None = None
        self._webhook_error: tuple[int, str] | None = None  # (date, message)

        self._flood = _FloodControl(self.limits)
        # Broadcast wake-up: sync mutators swap in a fresh Event and set the old one, so any
        # number of async waiters (long polls, webhook sender, wait_until_delivered) wake at once.
        self._changed = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._http: ClientSession | None = None
        self._webhook_task: asyncio.Task[None] | None = None

        self._methods: dict[str, tuple[str, Callable[[dict], Awaitable[Any]]]] = {
            name.lower(): (name, handler)
            for name, handler in {
                "getMe": self._get_me,
                "getUpdates": self._get_updates,
                "sendMessage": self._send_message,
                "sendDocument": self._send_document,
                "sendPhoto": self._send_photo,
                "editMessageText": self._edit_message_text,
                "editMessageReplyMarkup": self._edit_message_reply_markup,
                "deleteMessage": self._delete_message,
                "sendChatAction": self._send_chat_action,
                "answerCallbackQuery": self._answer_callback_query,
                "setWebhook": self._set_webhook,
                "deleteWebhook": self._delete_webhook,
                "getWebhookInfo": self._get_webhook_info,
                "getChat": self._get_chat,
                "getChatMember": self._get_chat_member,
                "getFile": self._get_file,
                "setMyCommands": self._set_my_commands,
                "getMyCommands": self._get_my_commands,
                "deleteMyCommands": self._delete_my_commands,
            }.items()
        }

    # ------------------------------------------------------------------ lifecycle

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        self._closing = False
        app = web.Application(client_max_size=MAX_UPLOAD_BYTES)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_api)
        app.router.add_get("/file/bot{token}/{path:.+}", self._handle_file)
        # handler_cancellation: a long poll whose client hung up should not linger until timeout.
        self._runner = web.AppRunner(
            app, access_log=None, shutdown_timeout=1.0, handler_cancellation=True
        )
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        bound_port = self._runner.addresses[0][1]
        url_host = f"[{host}]" if ":" in host else host
        self.base_url = f"http://{url_host}:{bound_port}/bot"
        self.base_file_url = f"http://{url_host}:{bound_port}/file/bot"
        self._http = ClientSession(timeout=ClientTimeout(total=10))

    async def stop(self) -> None:
        self._closing = True
        self._notify()
        if self._webhook_task:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        if self._http:
            await self._http.close()
            self._http = None
        if self._runner:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> BotApiEmulator:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    # ------------------------------------------------------------------ the users' side

    def add_user(
        self,
        user_id: int,
        first_name: str,
        username: str | None = None,
        language_code: str | None = None,
        started: bool = True,
    ) -> None:
        """Add a person; ``started=False`` means they never pressed Start in the bot's chat."""
        if user_id <= 0:
            raise ValueError("user ids are positive; negative ids are group chats")
        user: dict[str, Any] = {"id": user_id, "is_bot": False, "first_name": first_name}
        if username:
            user["username"] = username
        if language_code:
            user["language_code"] = language_code
        self._users[user_id] = user
        if started:
            self._not_started.discard(user_id)
        else:
            self._not_started.add(user_id)

    def add_group(self, chat_id: int, title: str) -> None:
        if chat_id >= 0:
            raise ValueError("group chat ids are negative")
        chat_type = "supergroup" if str(chat_id).startswith("-100") else "group"
        self._groups[chat_id] = {"id": chat_id, "type": chat_type, "title": title}

    def set_chat_admin(self, chat_id: int, user_id: int) -> None:
        self._admins.add((chat_id, user_id))

    def send_text(
        self,
        chat_id: int,
        user_id: int,
        text: str,
        *,
        reply_to_message_id: int | None = None,
    ) -> int | None:
        """Queue a text message from a user; returns its update_id.

        None when the bot was removed from that group: the message is posted but no bot sees it.
        """
        fields: dict[str, Any] = {"text": text}
        entities = self._entities_for(text)
        if entities:
            fields["entities"] = entities
        return self._from_user(chat_id, user_id, fields, reply_to_message_id)

    def send_photo(
        self,
        chat_id: int,
        user_id: int,
        caption: str | None = None,
        *,
        reply_to_message_id: int | None = None,
    ) -> int | None:
        """Queue a photo from a user, as Telegram sends one: its sizes and an optional caption.

        Returns its update_id, or None as ``send_text`` does.
        """
        file_id = f"photo-{next(self._file_ids)}"
        fields: dict[str, Any] = {"photo": [
            {"file_id": f"{file_id}-{side}", "file_unique_id": f"{file_id}-{side}-u",
             "width": side, "height": side} for side in (90, 320, 1280)]}
        if caption:
            fields["caption"] = caption
        return self._from_user(chat_id, user_id, fields, reply_to_message_id)

    def _from_user(self, chat_id: int, user_id: int, fields: dict[str, Any],
                   reply_to_message_id: int | None) -> int | None:
        user = self._user(user_id)
        if chat_id > 0 and chat_id != user_id:
            raise ValueError(f"private chat {chat_id} belongs to user {chat_id}, not {user_id}")
        if chat_id in self._migrated:
            raise LookupError(
                f"group {chat_id} was upgraded to the supergroup {self._migrated[chat_id]}; "
                "people post there now"
            )
        chat = self._chat(chat_id)
        if chat is None:
            raise LookupError(f"unknown chat {chat_id}; call add_user/add_group first")
        if reply_to_message_id is not None:
            target = self._raw_messages.get((chat_id, reply_to_message_id))
            if target is None:
                raise LookupError(f"no message {reply_to_message_id} in chat {chat_id}")
            fields = {**fields, "reply_to_message": _without_reply(target)}
        if chat_id > 0:
            # Nobody can write to a bot without pressing Start and lifting any block first.
            self._not_started.discard(chat_id)
            self._change_bot_membership(chat, user, shut_out=False)
        message = self._post(chat, user, fields)
        if chat_id in self._shut_out:
            return None
        return self._enqueue({"message": message})

    def _post(self, chat: dict[str, Any], sender: dict[str, Any],
              fields: dict[str, Any]) -> dict[str, Any]:
        """Store a message someone other than the bot posted; the caller decides who sees it."""
        message: dict[str, Any] = {
            "message_id": self._next_message_id(chat["id"]),
            "date": int(self.clock()),
            "chat": chat,
            "from": sender,
            **fields,
        }
        self._raw_messages[(chat["id"], message["message_id"])] = message
        return message

    def press(self, chat_id: int, user_id: int, label: str, *, on: str | None = None) -> int:
        """Queue a button press on the newest bot message with buttons (containing `on`)."""
        user = self._user(user_id)
        target = self.newest_message(chat_id, on, with_buttons=True)
        button = next((b for row in target.buttons for b in row if b.text == label), None)
        if button is None:
            raise LookupError(
                f"no button {label!r} on message {target.message_id} in chat {chat_id}; "
                f"buttons: {target.labels}"
            )
        if button.callback_data is None:
            raise LookupError(f"button {label!r} has no callback_data; pressing it sends nothing")
        query_id = str(next(self._callback_ids))
        self._open_callbacks[query_id] = user_id
        self._callback_origin[query_id] = (chat_id, user_id)
        return self._enqueue(
            {
                "callback_query": {
                    "id": query_id,
                    "from": user,
                    # Stable per chat, as Telegram's is; bots use it to key inline games etc.
                    "chat_instance": str(abs(hash((self.bot_user["id"], chat_id)))),
                    "data": button.callback_data,
                    # A snapshot: later edits must not rewrite what the user pressed on.
                    "message": dict(self._raw_messages[(chat_id, target.message_id)]),
                }
            }
        )

    def press_stale(self, chat_id: int, user_id: int, message_id: int, callback_data: str
                    ) -> int:
        """Queue a press of a button the message no longer has: a phone that still shows an
        earlier screen sends it, and Telegram delivers it as any press (answerable once)."""
        user = self._user(user_id)
        query_id = str(next(self._callback_ids))
        self._open_callbacks[query_id] = user_id
        self._callback_origin[query_id] = (chat_id, user_id)
        return self._enqueue({"callback_query": {
            "id": query_id, "from": user,
            "chat_instance": str(abs(hash((self.bot_user["id"], chat_id)))),
            "data": callback_data,
            "message": dict(self._raw_messages[(chat_id, message_id)]),
        }})

    def let_presses_expire(self) -> None:
        """Telegram takes an answer to a press only for a short while: a bot that was down
        answers the presses it finds on its return too late ("query is too old")."""
        self._open_callbacks.clear()
        self._callback_origin.clear()

    def inject_raw(self, update: dict) -> int:
        """Queue any dict as an update, unvalidated, to test how the bot copes with junk."""
        update = dict(update)
        if "update_id" in update:
            self._last_update_id = max(self._last_update_id, int(update["update_id"]))
            self._pending.append(update)
            self._notify()
            return int(update["update_id"])
        return self._enqueue(update)

    # ------------------------------------------------------------------ faults

    def migrate_group(self, old_id: int, new_id: int, by_user: int | None = None) -> None:
        """Upgrade a basic group to the supergroup ``new_id`` (which must start with -100).

        ``by_user`` is who did it; by default the group's administrator with the lowest id, else
        the first person added. The module docstring lists what the bot is told and how calls
        answer.
        """
        old = self._group_for_fault(old_id)
        if old["type"] != "group":
            raise ValueError(f"chat {old_id} is already a supergroup; only basic groups upgrade")
        if old_id in self._shut_out:
            raise ValueError(f"the bot is not in group {old_id}; readd it before upgrading")
        if not str(new_id).startswith("-100") or new_id in self._groups:
            raise ValueError(f"{new_id} is no free supergroup id (they start with -100)")
        actor = self._actor(old_id, by_user)
        self.add_group(new_id, old["title"])
        self._admins |= {(new_id, user) for chat, user in self._admins if chat == old_id}
        self._migrated[old_id] = new_id
        new = self._group_for_fault(new_id)
        self._announce_membership(
            new,
            actor,
            old={"status": "left", "user": self.bot_user},
            new=self._member_status(new_id, self.bot_user),
        )
        self._enqueue({"message": self._post(old, actor, {"migrate_to_chat_id": new_id})})
        self._enqueue(
            {
                "message": self._post(
                    new, _GROUP_ANONYMOUS_BOT, {"sender_chat": new, "migrate_from_chat_id": old_id}
                )
            }
        )

    def block(self, user_id: int) -> None:
        """The person blocks the bot: sends to their private chat answer 403 until unblocked."""
        user = self._user(user_id)
        self._change_bot_membership(self._private_chat(user), user, shut_out=True)

    def unblock(self, user_id: int) -> None:
        """The person unblocks the bot (writing to it in private does the same)."""
        user = self._user(user_id)
        self._change_bot_membership(self._private_chat(user), user, shut_out=False)

    def kick(self, chat_id: int, by_user: int | None = None) -> None:
        """Remove the bot from a group, ``by_user`` (default as for ``migrate_group``)."""
        chat = self._group_for_fault(chat_id)
        actor = self._actor(chat_id, by_user)
        if self._change_bot_membership(chat, actor, shut_out=True) and chat["type"] == "group":
            # A basic group still shows the bot the notice of its own removal.
            bot = self.bot_user
            notice = {"left_chat_participant": bot, "left_chat_member": bot}
            self._enqueue({"message": self._post(chat, actor, notice)})

    def readd(self, chat_id: int, by_user: int | None = None) -> None:
        """Add the bot back to a group it was removed from, as a plain member."""
        chat = self._group_for_fault(chat_id)
        actor = self._actor(chat_id, by_user)
        if self._change_bot_membership(chat, actor, shut_out=False):
            bot = self.bot_user
            notice = {
                "new_chat_participant": bot,
                "new_chat_member": bot,
                "new_chat_members": [bot],
            }
            self._enqueue({"message": self._post(chat, actor, notice)})

    def uneditable(self, chat_id: int, message_id: int) -> None:
        """Telegram refuses every edit of this message from now on with 400 "message can't be
        edited" (as it answers for a message the bot may not edit: one sent with a reply
        keyboard, or, people report, some old ones); it stays as it is."""
        self._uneditable.add((chat_id, message_id))

    def outage(self, status: int | None = 502) -> None:
        """Telegram is down: every call answers ``status`` with nginx's page; None ends it."""
        if status is not None and status not in _FRONT_END_REASONS:
            raise ValueError(
                f"Telegram's front end answers outages with {sorted(_FRONT_END_REASONS)}, "
                f"not {status}"
            )
        self._outage = status
        self._notify()  # waiting long polls answer at once; webhook deliveries stop or resume

    def slow(self, seconds: float | None) -> None:
        """Hold every answer back ``seconds * real_time_scale`` real seconds; None ends it."""
        if seconds is not None and not 0 <= seconds < math.inf:
            raise ValueError("a slow answer takes a finite, non-negative number of seconds")
        self._slow = seconds or None

    def _group_for_fault(self, chat_id: int) -> dict[str, Any]:
        if chat_id in self._migrated:
            raise ValueError(
                f"group {chat_id} was upgraded to the supergroup {self._migrated[chat_id]}; "
                "use that id"
            )
        chat = self._chat(chat_id) if chat_id < 0 else None
        if chat is None:
            raise LookupError(f"unknown group {chat_id}; call add_group first")
        return chat

    def _actor(self, chat_id: int, by_user: int | None) -> dict[str, Any]:
        """Who changed the chat: the named person, else its first administrator, else anyone."""
        if by_user is not None:
            return self._user(by_user)
        admins = sorted(
            user for chat, user in self._admins if chat == chat_id and user in self._users
        )
        someone = admins[0] if admins else next(iter(self._users), None)
        if someone is None:
            raise LookupError("add a person first: someone has to change the chat")
        return self._users[someone]

    def _change_bot_membership(
        self, chat: dict[str, Any], actor: dict[str, Any], *, shut_out: bool
    ) -> bool:
        """Shut the bot out of a chat or let it back in, telling it so; False if no change."""
        chat_id = chat["id"]
        if (chat_id in self._shut_out) == shut_out:
            return False
        old = self._member_status(chat_id, self.bot_user)
        if shut_out:
            self._shut_out.add(chat_id)
            # Whoever is removed loses their admin rights; being added back doesn't restore them.
            self._admins.discard((chat_id, self.bot_user["id"]))
        else:
            self._shut_out.discard(chat_id)
        self._announce_membership(
            chat, actor, old=old, new=self._member_status(chat_id, self.bot_user)
        )
        return True

    def _announce_membership(
        self, chat: dict[str, Any], actor: dict[str, Any], *, old: dict, new: dict
    ) -> None:
        self._enqueue(
            {
                "my_chat_member": {
                    "chat": chat,
                    "from": actor,
                    "date": int(self.clock()),
                    "old_chat_member": old,
                    "new_chat_member": new,
                }
            }
        )

    # ------------------------------------------------------------------ inspection

    def messages(self, chat_id: int) -> list[BotMessage]:
        return list(self._bot_messages.get(chat_id, []))

    def newest_message(self, chat_id: int, containing: str | None = None, *,
                       with_buttons: bool = False) -> BotMessage:
        """The bot's newest message in the chat (with that text in it, with buttons)."""
        for message in reversed(self._bot_messages.get(chat_id, [])):
            if (containing is None or containing in message.text) and (
                    message.buttons or not with_buttons):
                return message
        kind = " with buttons" if with_buttons else ""
        where = f" containing {containing!r}" if containing is not None else ""
        raise LookupError(f"no bot message{kind}{where} in chat {chat_id}")

    def last_message(self, chat_id: int) -> BotMessage | None:
        sent = self._bot_messages.get(chat_id)
        return sent[-1] if sent else None

    def accepted_sends(self, chat_id: int | None = None) -> list[BotMessage]:
        """Every message Telegram accepted from the bot (in one chat), oldest first.

        Each is as it was sent: later edits and deletions leave this list alone, and the same
        text delivered twice is here twice, also when the bot never saw the answer.
        """
        return [m for m in self._accepted if chat_id is None or m.chat_id == chat_id]

    def calls_to(self, method: str) -> list[ApiCall]:
        return [call for call in self.calls if call.method.lower() == method.lower()]

    def subscribe_answers(self, listener: Callable[[CallbackAnswer], None]) -> None:
        """Hear what the bot shows the person who pressed a button (a toast, or an alert)."""
        self._answer_listeners.append(listener)

    def continue_update_ids(self, after: int) -> None:
        """Give update ids above `after` from now on, as Telegram's keep growing across the
        bot's restarts: a sandbox started again on the same database goes on from the ids
        its inbox already holds."""
        self._last_update_id = max(self._last_update_id, after)

    def keep_sent(self, chat_id: int, message_id: int, text: str,
                  markup: dict[str, Any] | None) -> None:
        """A message the bot sent before this emulator started (a sandbox started again on its
        database), as it shows now: Telegram keeps it, so it can be pressed, replied to and
        edited. Nobody is told: it is not new."""
        chat = self._chat(chat_id)
        if chat is None:
            return
        buttons = self._parse_markup(markup) or []
        message: dict[str, Any] = {"message_id": message_id, "date": int(self.clock()),
                                   "chat": chat, "from": self.bot_user, "text": text}
        if buttons:
            message["reply_markup"] = self._markup_dict(buttons)
        self._raw_messages[(chat_id, message_id)] = message
        self._bot_messages.setdefault(chat_id, []).append(BotMessage(
            message_id=message_id, chat_id=chat_id, text=text, buttons=buttons,
            date=self.clock()))
        self.continue_message_ids(chat_id, message_id)

    def continue_message_ids(self, chat_id: int, after: int) -> None:
        """Give the chat's messages ids above `after` from now on (see continue_update_ids)."""
        self._last_message_id[chat_id] = max(self._last_message_id.get(chat_id, 0), after)

    def subscribe(self, listener: Callable[[OutgoingEvent], None]) -> None:
        self._listeners.append(listener)

    def file_bytes(self, file_id: str) -> bytes | None:
        upload = self._files.get(file_id)
        return upload.content if upload else None

    def commands(self, scope: dict | None = None, language_code: str = "") -> list[dict]:
        return list(self._commands.get(self._commands_key(scope, language_code), []))

    @property
    def pending_updates(self) -> list[dict]:
        return list(self._pending)

    async def wait_until_delivered(self, timeout: float = 5.0) -> None:
        """Wait until the bot has confirmed every queued update (offset, or webhook 2xx).

        Confirmation means PTB has fetched the update, not that a handler has finished.
        """
        try:
            async with asyncio.timeout(timeout):
                while self._pending:
                    await self._changed.wait()
        except TimeoutError:
            ids = [u.get("update_id") for u in self._pending]
            raise TimeoutError(
                f"updates {ids} still unconfirmed after {timeout}s "
                "(is the bot polling, or is the webhook answering 200?)"
            ) from None

    # ------------------------------------------------------------------ HTTP plumbing

    async def _handle_api(self, request: web.Request) -> web.Response:
        at = self.clock()
        method_name = request.match_info["method"]
        known = self._methods.get(method_name.lower())
        method = known[0] if known else method_name
        if self._outage is not None:
            return await self._refuse_in_outage(request, method, at, self._outage)
        response = await self._answer_api(request, method, known, at)
        if self._slow:
            await asyncio.sleep(self._slow * self.real_time_scale)
        if self._outage is not None:
            # The front end lost the answer: the call took effect, the client sees the outage.
            return _front_end_page(self._outage)
        return response

    async def _refuse_in_outage(
        self, request: web.Request, method: str, at: float, status: int
    ) -> web.Response:
        recorded: dict[str, Any] = {}
        with contextlib.suppress(_ApiError):
            recorded = _for_the_record(_coerce_params(await self._read_params(request)))
        self.calls.append(
            ApiCall(method, recorded, at, False, status, _FRONT_END_REASONS[status])
        )
        return _front_end_page(status)

    async def _answer_api(
        self,
        request: web.Request,
        method: str,
        known: tuple[str, Callable[[dict], Awaitable[Any]]] | None,
        at: float,
    ) -> web.Response:
        params: dict[str, Any] = {}
        recorded: dict[str, Any] = {}
        result: Any = None
        error: _ApiError | None = None
        try:
            if request.match_info["token"] != self.token:
                raise _ApiError(401, "Unauthorized")
            if known is None:
                raise _ApiError(404, "Not Found: method not found")
            params = _coerce_params(await self._read_params(request))
            recorded = _for_the_record(params)
            result = await known[1](params)
        except _ApiError as exc:
            error = exc
        except asyncio.CancelledError:
            self.calls.append(ApiCall(method, recorded, at, False, None, "client went away"))
            raise
        except Exception as exc:
            # An emulator bug should read as one, not as PTB's "Invalid server response".
            logger.exception("sandbox failed to handle %s", method)
            error = _ApiError(500, f"Internal Server Error: sandbox bug: {exc!r}")
        if error is None:
            self.calls.append(ApiCall(method, recorded, at, True, None, None))
            return self._json({"ok": True, "result": result})
        self.calls.append(ApiCall(method, recorded, at, False, error.code, error.description))
        body: dict[str, Any] = {
            "ok": False,
            "error_code": error.code,
            "description": error.description,
        }
        if error.parameters:
            body["parameters"] = error.parameters
        return self._json(body, status=error.code)

    async def _read_params(self, request: web.Request) -> dict[str, Any]:
        # Telegram merges the query string with the body; the body wins on conflicts.
        params: dict[str, Any] = dict(request.query)
        if request.method != "POST" or not request.body_exists:
            return params
        if request.content_type == "application/json":
            try:
                body = await request.json()
            except ValueError as exc:
                raise _bad_request("can't parse JSON request body") from exc
            if not isinstance(body, dict):
                raise _bad_request("JSON request body must be an object")
            params.update(body)
            return params
        try:
            form = await request.post()
        except ValueError as exc:
            raise _bad_request("can't parse request body") from exc
        for name, value in form.items():
            if isinstance(value, web.FileField):
                params[name] = {
                    "filename": value.filename,
                    "content_type": value.content_type,
                    "content": value.file.read(),
                }
            else:
                params[name] = value
        return params

    async def _handle_file(self, request: web.Request) -> web.Response:
        if self._outage is not None:
            return _front_end_page(self._outage)
        if request.match_info["token"] != self.token:
            return self._json({"ok": False, "error_code": 401, "description": "Unauthorized"}, 401)
        file_id = request.match_info["path"].rsplit("/", 1)[-1]
        upload = self._files.get(file_id)
        if upload is None or upload.content is None:
            return self._json({"ok": False, "error_code": 404, "description": "Not Found"}, 404)
        return web.Response(
            body=upload.content, content_type=upload.mime_type or "application/octet-stream"
        )

    @staticmethod
    def _json(body: dict, status: int = 200) -> web.Response:
        return web.json_response(
            body, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False)
        )

    def _notify(self) -> None:
        changed, self._changed = self._changed, asyncio.Event()
        changed.set()

    # ------------------------------------------------------------------ chats & messages

    def _user(self, user_id: int) -> dict[str, Any]:
        try:
            return self._users[user_id]
        except KeyError:
            raise LookupError(f"unknown user {user_id}; call add_user first") from None

    def _chat(self, chat_id: Any) -> dict[str, Any] | None:
        if not isinstance(chat_id, int):
            return None
        if chat_id > 0:
            user = self._users.get(chat_id)
            return self._private_chat(user) if user else None
        group = self._groups.get(chat_id)
        return dict(group) if group else None

    @staticmethod
    def _private_chat(user: dict[str, Any]) -> dict[str, Any]:
        chat = {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        if "username" in user:
            chat["username"] = user["username"]
        return chat

    def _require_chat(self, params: dict, access: _Access) -> tuple[int, dict[str, Any]]:
        chat_id = params.get("chat_id")
        if chat_id in (None, ""):
            raise _bad_request("chat_id is empty")
        chat = self._chat(chat_id)
        if chat is None:
            raise _bad_request("chat not found")
        self._check_access(chat_id, chat["type"], access)
        return chat_id, chat

    def _check_access(self, chat_id: int, chat_type: str, access: _Access) -> None:
        """Refuse as Telegram's Bot API server does for upgraded, removed and blocked chats."""
        if chat_id in self._migrated and access >= _Access.READ_MEMBERS:
            raise _ApiError(
                400,
                "Bad Request: group chat was upgraded to a supergroup chat",
                {"migrate_to_chat_id": self._migrated[chat_id]},
            )
        shut_out = chat_id in self._shut_out
        if shut_out and chat_type == "supergroup":
            raise _ApiError(403, "Forbidden: bot was kicked from the supergroup chat")
        if shut_out and chat_type == "group" and access >= _Access.READ_MEMBERS:
            raise _ApiError(403, "Forbidden: bot was kicked from the group chat")
        if chat_type == "private" and access is _Access.WRITE:
            if shut_out:
                raise _ApiError(403, "Forbidden: bot was blocked by the user")
            if chat_id in self._not_started:
                raise _ApiError(403, "Forbidden: bot can't initiate conversation with a user")

    def _next_message_id(self, chat_id: int) -> int:
        self._last_message_id[chat_id] = self._last_message_id.get(chat_id, 0) + 1
        return self._last_message_id[chat_id]

    def _enqueue(self, payload: dict) -> int:
        self._last_update_id += 1
        update_id = self._last_update_id
        self._pending.append({"update_id": update_id, **payload})
        self._notify()
        return update_id

    @staticmethod
    def _entities_for(text: str) -> list[dict]:
        found: list[tuple[int, int, str]] = []
        for match in _COMMAND_RE.finditer(text):
            found.append((match.start(), match.end(), "bot_command"))
        for match in _MENTION_RE.finditer(text):
            found.append((match.start(), match.end(), "mention"))
        found.sort()
        return [
            {
                "type": kind,
                "offset": _utf16_len(text[:start]),
                "length": _utf16_len(text[start:end]),
            }
            for start, end, kind in found
        ]

    def _parse_markup(self, markup: Any, *, for_edit: bool = False) -> list[list[Button]] | None:
        """Validate reply_markup; returns inline buttons, or None when it isn't inline."""
        if markup is None:
            return [] if for_edit else None
        if not isinstance(markup, dict):
            raise _bad_request("can't parse reply keyboard markup JSON object")
        if "inline_keyboard" not in markup:
            if for_edit:
                raise _bad_request("inline keyboard expected")
            return None  # reply keyboards / ForceReply: accepted, not part of the message
        rows = markup["inline_keyboard"]
        if not isinstance(rows, list) or not all(isinstance(row, list) for row in rows):
            raise _bad_request(
                'field "inline_keyboard" of the InlineKeyboardMarkup must be an Array of Arrays'
            )
        parsed: list[list[Button]] = []
        for row in rows:
            buttons: list[Button] = []
            for raw in row:
                if not isinstance(raw, dict) or not isinstance(raw.get("text"), str):
                    raise _bad_request("can't parse inline keyboard button: Text must be a String")
                data = raw.get("callback_data")
                if (
                    data is not None
                    and not 1 <= len(str(data).encode("utf-8")) <= MAX_CALLBACK_DATA_BYTES
                ):
                    raise _bad_request("BUTTON_DATA_INVALID")
                if len(raw) == 1:
                    raise _bad_request(
                        "can't parse inline keyboard button: Text buttons are unallowed in the "
                        "inline keyboard"
                    )
                buttons.append(Button(raw["text"], data, raw.get("url")))
            parsed.append(buttons)
        return parsed

    @staticmethod
    def _markup_dict(buttons: list[list[Button]]) -> dict[str, Any]:
        rows = []
        for row in buttons:
            out = []
            for b in row:
                item: dict[str, Any] = {"text": b.text}
                if b.callback_data is not None:
                    item["callback_data"] = b.callback_data
                if b.url is not None:
                    item["url"] = b.url
                out.append(item)
            rows.append(out)
        return {"inline_keyboard": rows}

    def _formatted(self, params: dict, key: str, limit: int, *, required: bool) -> tuple[str, list]:
        text = params.get(key)
        if text is None or (required and not str(text).strip()):
            if required:
                raise _bad_request("message text is empty")
            return "", []
        text = str(text)
        mode = str(params.get("parse_mode") or "").lower()
        explicit = params.get("entities" if key == "text" else "caption_entities")
        if mode == "html":
            text, entities = parse_html(text)
        else:
            entities = explicit if isinstance(explicit, list) else []
        if required and not text.strip():
            raise _bad_request("message text is empty")
        if len(text) > limit:
            raise _bad_request(
                "message is too long" if key == "text" else "message caption is too long"
            )
        return text, entities

    def _reply_target(self, params: dict, chat_id: int) -> int | None:
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            message_id, lenient = (
                reply.get("message_id"),
                bool(reply.get("allow_sending_without_reply")),
            )
        else:
            message_id = params.get("reply_to_message_id")
            lenient = bool(params.get("allow_sending_without_reply"))
        if message_id is None:
            return None
        if (chat_id, int(message_id)) in self._raw_messages:
            return int(message_id)
        if lenient:
            return None
        raise _bad_request("message to be replied not found")

    def _admit(self, chat_id: int) -> None:
        wait = self._flood.admit(chat_id, self.clock())
        if wait > 0:
            self.rejected_429 += 1
            seconds = max(1, math.ceil(wait - 1e-6))
            raise _ApiError(
                429, f"Too Many Requests: retry after {seconds}", {"retry_after": seconds}
            )

    def _store_sent(
        self,
        method: str,
        chat: dict[str, Any],
        *,
        text: str,
        entities: list,
        buttons: list[list[Button]] | None,
        reply_to: int | None,
        kind: str,
        extra: dict[str, Any] | None = None,
        upload: _Upload | None = None,
    ) -> dict[str, Any]:
        chat_id = chat["id"]
        now = self.clock()
        message: dict[str, Any] = {
            "message_id": self._next_message_id(chat_id),
            "date": int(now),
            "chat": chat,
            "from": self.bot_user,
            **(extra or {}),
        }
        text_key, entities_key = (
            ("text", "entities") if kind == "text" else ("caption", "caption_entities")
        )
        if text or kind == "text":
            message[text_key] = text
        if entities:
            message[entities_key] = entities
        if buttons:
            message["reply_markup"] = self._markup_dict(buttons)
        if reply_to is not None:
            message["reply_to_message"] = _without_reply(self._raw_messages[(chat_id, reply_to)])
        self._raw_messages[(chat_id, message["message_id"])] = message
        record = BotMessage(
            message_id=message["message_id"],
            chat_id=chat_id,
            text=text,
            buttons=buttons or [],
            date=now,
            reply_to_message_id=reply_to,
            kind=kind,
            entities=list(entities),
            file_id=upload.file_id if upload else None,
            file_name=upload.file_name if upload else None,
            file_size=len(upload.content) if upload and upload.content is not None else None,
        )
        self._bot_messages.setdefault(chat_id, []).append(record)
        # A copy: what was accepted stays as it was when later edits change `record`.
        self._accepted.append(dataclasses.replace(record))
        self._emit(method, record, edit=False, at=now)
        return message

    def _emit(self, method: str, record: BotMessage, *, edit: bool, at: float) -> None:
        event = OutgoingEvent(
            method=method,
            chat_id=record.chat_id,
            message_id=record.message_id,
            text=record.text,
            buttons=[list(row) for row in record.buttons],
            edit=edit,
            at=at,
        )
        for listener in self._listeners:
            try:
                listener(event)
            except Exception:
                # An observer's bug must not change what the bot under test is told.
                logger.exception("OutgoingEvent listener %r failed", listener)

    # ------------------------------------------------------------------ Bot API methods

    async def _get_me(self, params: dict) -> dict:
        return self.bot_user

    async def _get_updates(self, params: dict) -> list[dict]:
        if self._webhook is not None:
            raise _ApiError(
                409,
                "Conflict: can't use getUpdates method while webhook is active; "
                "use deleteWebhook to delete the webhook first",
            )
        self._poll_generation += 1
        generation = self._poll_generation
        self._notify()  # so an older long poll notices at once that it has been superseded
        offset = params.get("offset")
        if offset:
            self._confirm(int(offset))
        if "allowed_updates" in params and isinstance(params["allowed_updates"], list):
            self._allowed_updates = frozenset(params["allowed_updates"]) or None
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = max(float(params.get("timeout") or 0), 0.0)
        deadline = asyncio.get_running_loop().time() + timeout
        while True:
            batch = self._servable(limit)
            # In an outage the answer becomes the front end's page; nothing here is confirmed.
            if batch or self._closing or self._outage is not None:
                return batch
            remaining = deadline - asyncio.get_running_loop().time()
            if remaining <= 0:
                return []
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(remaining):
                    await self._changed.wait()
            if generation != self._poll_generation:
                raise _ApiError(
                    409,
                    "Conflict: terminated by other getUpdates request; "
                    "make sure that only one bot instance is running",
                )
            if self._webhook is not None:
                raise _ApiError(409, "Conflict: terminated by setWebhook request")

    def _confirm(self, offset: int) -> None:
        before = len(self._pending)
        if offset < 0:
            # Telegram: a negative offset keeps only the last -offset updates.
            self._pending = self._pending[offset:]
        else:
            self._pending = [u for u in self._pending if int(u.get("update_id", 0)) >= offset]
        if len(self._pending) != before:
            self._notify()

    def _is_allowed(self, update: dict) -> bool:
        kind = _update_type(update)
        if self._allowed_updates is None:
            return kind not in _OPT_IN_UPDATE_TYPES
        return kind in self._allowed_updates

    def _servable(self, limit: int) -> list[dict]:
        kept = [u for u in self._pending if self._is_allowed(u)]
        if len(kept) != len(self._pending):
            # Telegram never stores updates the bot opted out of, so they count as delivered.
            self._pending = kept
            self._notify()
        return kept[:limit]

    async def _send_message(self, params: dict) -> dict:
        chat_id, chat = self._require_chat(params, _Access.WRITE)
        text, entities = self._formatted(params, "text", MAX_TEXT_LENGTH, required=True)
        buttons = self._parse_markup(params.get("reply_markup"))
        reply_to = self._reply_target(params, chat_id)
        self._admit(chat_id)
        return self._store_sent(
            "sendMessage",
            chat,
            text=text,
            entities=entities,
            buttons=buttons,
            reply_to=reply_to,
            kind="text",
        )

    async def _send_document(self, params: dict) -> dict:
        return self._send_file(params, "sendDocument", "document")

    async def _send_photo(self, params: dict) -> dict:
        return self._send_file(params, "sendPhoto", "photo")

    def _send_file(self, params: dict, method: str, field_name: str) -> dict:
        chat_id, chat = self._require_chat(params, _Access.WRITE)
        upload = self._take_upload(params, field_name)
        caption, entities = self._formatted(params, "caption", MAX_CAPTION_LENGTH, required=False)
        buttons = self._parse_markup(params.get("reply_markup"))
        reply_to = self._reply_target(params, chat_id)
        self._admit(chat_id)
        size = len(upload.content) if upload.content is not None else 0
        ids = {
            "file_id": upload.file_id,
            "file_unique_id": upload.file_unique_id,
            "file_size": size,
        }
        if field_name == "photo":
            # Images are not decoded; 0x0 marks the dimensions as unknown rather than invented.
            extra = {"photo": [{**ids, "width": 0, "height": 0}]}
        else:
            document = dict(ids)
            if upload.file_name:
                document["file_name"] = upload.file_name
            if upload.mime_type:
                document["mime_type"] = upload.mime_type
            extra = {"document": document}
        return self._store_sent(
            method,
            chat,
            text=caption,
            entities=entities,
            buttons=buttons,
            reply_to=reply_to,
            kind=field_name,
            extra=extra,
            upload=upload,
        )

    def _take_upload(self, params: dict, field_name: str) -> _Upload:
        value = params.get(field_name)
        if isinstance(value, str) and value.startswith("attach://"):
            value = params.get(value.removeprefix("attach://"))
        if isinstance(value, dict) and "content" in value:
            number = next(self._file_ids)
            upload = _Upload(
                file_id=f"SANDBOX-{field_name}-{number}",
                file_unique_id=f"U{number}",
                file_name=value.get("filename"),
                mime_type=value.get("content_type"),
                content=value["content"],
            )
        elif isinstance(value, str) and value:
            upload = self._files.get(value) or _Upload(
                file_id=value,
                file_unique_id=f"U{next(self._file_ids)}",
                file_name=urlsplit(value).path.rsplit("/", 1)[-1] or None,
                mime_type=None,
                content=None,
            )
        else:
            raise _bad_request(f"there is no {field_name} in the request")
        self._files[upload.file_id] = upload
        return upload

    def _editable(self, params: dict) -> tuple[int, BotMessage, dict[str, Any]]:
        if params.get("inline_message_id"):
            raise _bad_request("inline messages are not supported by the sandbox")
        chat_id, _ = self._require_chat(params, _Access.EDIT)
        message_id = params.get("message_id")
        if message_id is None:
            raise _bad_request("message identifier is not specified")
        raw = self._raw_messages.get((chat_id, message_id))
        if raw is None:
            raise _bad_request("message to edit not found")
        record = next(
            (m for m in self._bot_messages.get(chat_id, []) if m.message_id == message_id), None
        )
        if record is None or (chat_id, message_id) in self._uneditable:
            raise _bad_request("message can't be edited")
        return chat_id, record, raw

    def _apply_edit(
        self,
        method: str,
        chat_id: int,
        record: BotMessage,
        raw: dict[str, Any],
        *,
        text: str,
        entities: list,
        buttons: list[list[Button]],
    ) -> dict:
        if text == record.text and buttons == record.buttons and entities == record.entities:
            raise _bad_request(
                "message is not modified: specified new message content and reply markup are "
                "exactly the same as a current content and reply markup of the message"
            )
        self._admit(chat_id)
        now = self.clock()
        text_key, entities_key = (
            ("text", "entities") if record.kind == "text" else ("caption", "caption_entities")
        )
        if record.kind == "text" or text:
            raw[text_key] = text
        else:
            raw.pop(text_key, None)
        if entities:
            raw[entities_key] = entities
        else:
            raw.pop(entities_key, None)
        if buttons:
            raw["reply_markup"] = self._markup_dict(buttons)
        else:
            raw.pop("reply_markup", None)
        raw["edit_date"] = int(now)
        record.text, record.entities, record.buttons, record.edited = (
            text,
            list(entities),
            buttons,
            True,
        )
        self._emit(method, record, edit=True, at=now)
        return raw

    async def _edit_message_text(self, params: dict) -> dict:
        chat_id, record, raw = self._editable(params)
        if record.kind != "text":
            raise _bad_request("there is no text in the message to edit")
        text, entities = self._formatted(params, "text", MAX_TEXT_LENGTH, required=True)
        # Like Telegram: omitting reply_markup on an edit removes the keyboard.
        buttons = self._parse_markup(params.get("reply_markup"), for_edit=True) or []
        return self._apply_edit(
            "editMessageText", chat_id, record, raw, text=text, entities=entities, buttons=buttons
        )

    async def _edit_message_reply_markup(self, params: dict) -> dict:
        chat_id, record, raw = self._editable(params)
        buttons = self._parse_markup(params.get("reply_markup"), for_edit=True) or []
        return self._apply_edit(
            "editMessageReplyMarkup",
            chat_id,
            record,
            raw,
            text=record.text,
            entities=record.entities,
            buttons=buttons,
        )

    async def _delete_message(self, params: dict) -> bool:
        # Deleting adds nothing new, so someone's block doesn't stop it.
        chat_id, _ = self._require_chat(params, _Access.EDIT)
        message_id = params.get("message_id")
        if self._raw_messages.pop((chat_id, message_id), None) is None:
            raise _bad_request("message to delete not found")
        sent = self._bot_messages.get(chat_id, [])
        sent[:] = [m for m in sent if m.message_id != message_id]
        return True

    async def _send_chat_action(self, params: dict) -> bool:
        self._require_chat(params, _Access.WRITE)
        return True

    async def _answer_callback_query(self, params: dict) -> bool:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._open_callbacks:
            raise _bad_request(
                "query is too old and response timeout expired or query ID is invalid"
            )
        if len(str(params.get("text") or "")) > MAX_CALLBACK_ANSWER_LENGTH:
            raise _bad_request("MESSAGE_TOO_LONG")
        presser = self._open_callbacks.pop(query_id)
        self.answered_callbacks.append({**params, "user_id": presser})
        chat_id, user_id = self._callback_origin.pop(query_id, (0, 0))
        if params.get("text"):
            answer = CallbackAnswer(chat_id, user_id, str(params["text"]),
                                    bool(params.get("show_alert")))
            for listener in self._answer_listeners:
                try:
                    listener(answer)
                except Exception:
                    logger.exception("CallbackAnswer listener %r failed", listener)
        return True

    async def _set_webhook(self, params: dict) -> bool:
        url = str(params.get("url") or "")
        if not url:
            return await self._delete_webhook(params)
        parts = urlsplit(url)
        if parts.scheme not in ("http", "https") or parts.hostname not in (
            "127.0.0.1",
            "localhost",
            "::1",
        ):
            raise _bad_request("bad webhook: the sandbox only delivers to loopback http(s) URLs")
        secret = params.get("secret_token")
        if secret is not None and not _SECRET_TOKEN_RE.fullmatch(str(secret)):
            raise _bad_request("secret token contains unallowed characters")
        if params.get("drop_pending_updates"):
            self._pending.clear()
        if isinstance(params.get("allowed_updates"), list):
            self._allowed_updates = frozenset(params["allowed_updates"]) or None
        self._webhook = {
            "url": url,
            "secret_token": secret,
            "max_connections": int(params.get("max_connections") or 40),
        }
        self._webhook_error = None
        self._notify()
        if self._webhook_task is None or self._webhook_task.done():
            self._webhook_task = asyncio.create_task(self._deliver_webhooks())
        return True

    async def _delete_webhook(self, params: dict) -> bool:
        self._webhook = None
        self._webhook_error = None
        if params.get("drop_pending_updates"):
            self._pending.clear()
        self._notify()
        return True

    async def _get_webhook_info(self, params: dict) -> dict:
        info: dict[str, Any] = {
            "url": self._webhook["url"] if self._webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._pending),
        }
        if self._webhook:
            info["max_connections"] = self._webhook["max_connections"]
            if self._allowed_updates is not None:
                info["allowed_updates"] = sorted(self._allowed_updates)
        if self._webhook_error:
            info["last_error_date"], info["last_error_message"] = self._webhook_error
        return info

    async def _deliver_webhooks(self) -> None:
        """Post pending updates one at a time, in order, retrying until the bot answers 2xx."""
        backoff = _WEBHOOK_RETRY_FIRST
        while not self._closing and self._webhook is not None:
            changed = self._changed
            # Telegram holds deliveries back while it is down and resumes them afterwards.
            batch = self._servable(1) if self._outage is None else []
            if not batch:
                await changed.wait()
                continue
            update, hook = batch[0], self._webhook
            headers = {"Content-Type": "application/json"}
            if hook["secret_token"]:
                headers["X-Telegram-Bot-Api-Secret-Token"] = hook["secret_token"]
            try:
                assert self._http is not None
                async with self._http.post(
                    hook["url"], data=json.dumps(update, ensure_ascii=False), headers=headers
                ) as response:
                    await response.read()
                    status, reason = response.status, response.reason
            except (ClientError, TimeoutError, OSError) as exc:
                status, reason = 0, str(exc) or type(exc).__name__
            if 200 <= status < 300:
                backoff = _WEBHOOK_RETRY_FIRST
                if self._pending and self._pending[0] is update:
                    self._pending.pop(0)
                    self._notify()
                continue
            message = (
                f"Wrong response from the webhook: {status} {reason}"
                if status
                else f"Connection failed: {reason}"
            )
            self._webhook_error = (int(self.clock()), message)
            await asyncio.sleep(backoff)
            backoff = min(backoff * 2, _WEBHOOK_RETRY_MAX)

    async def _get_chat(self, params: dict) -> dict:
        _, chat = self._require_chat(params, _Access.READ)
        # Fields PTB's ChatFullInfo requires; values are what a plain chat reports.
        return {
            **chat,
            "accent_color_id": 0,
            "max_reaction_count": 11,
            "accepted_gift_types": {
                "unlimited_gifts": False,
                "limited_gifts": False,
                "unique_gifts": False,
                "premium_subscription": False,
                "gifts_from_channels": False,
            },
        }

    async def _get_chat_member(self, params: dict) -> dict:
        user_id = params.get("user_id")
        about_itself = user_id == self.bot_user["id"]
        chat_id, _ = self._require_chat(
            params, _Access.READ if about_itself else _Access.READ_MEMBERS
        )
        user = self.bot_user if about_itself else self._users.get(user_id or 0)
        if user is None:
            raise _bad_request("user not found")
        return self._member_status(chat_id, user)

    def _member_status(self, chat_id: int, user: dict[str, Any]) -> dict[str, Any]:
        """The ChatMember object Telegram reports for this person, or the bot, in this chat."""
        if user["id"] == self.bot_user["id"] and chat_id in self._shut_out:
            if self._groups.get(chat_id, {}).get("type") == "group":
                return {"status": "left", "user": user}
            return {"status": "kicked", "user": user, "until_date": 0}
        if (chat_id, user["id"]) not in self._admins:
            return {"status": "member", "user": user}
        return {
            "status": "administrator",
            "user": user,
            "can_be_edited": False,
            "is_anonymous": False,
            "can_manage_chat": True,
            "can_delete_messages": True,
            "can_manage_video_chats": True,
            "can_restrict_members": True,
            "can_promote_members": False,
            "can_change_info": True,
            "can_invite_users": True,
            "can_post_stories": False,
            "can_edit_stories": False,
            "can_delete_stories": False,
            "can_pin_messages": True,
        }

    async def _get_file(self, params: dict) -> dict:
        upload = self._files.get(str(params.get("file_id") or ""))
        if upload is None:
            raise _bad_request("invalid file_id")
        info: dict[str, Any] = {"file_id": upload.file_id, "file_unique_id": upload.file_unique_id}
        if upload.content is not None:
            info["file_size"] = len(upload.content)
            info["file_path"] = f"files/{upload.file_id}"
        return info

    @staticmethod
    def _commands_key(scope: Any, language_code: Any) -> tuple[str, str]:
        scope = scope if isinstance(scope, dict) else {"type": "default"}
        return json.dumps(scope, sort_keys=True), str(language_code or "")

    async def _set_my_commands(self, params: dict) -> bool:
        commands = params.get("commands")
        if not isinstance(commands, list) or len(commands) > 100:
            raise _bad_request("can't parse commands JSON object")
        for command in commands:
            if not (
                isinstance(command, dict)
                and _BOT_COMMAND_NAME_RE.fullmatch(str(command.get("command", "")))
                and 1 <= len(str(command.get("description", ""))) <= 256
            ):
                raise _bad_request("BOT_COMMAND_INVALID")
        key = self._commands_key(params.get("scope"), params.get("language_code"))
        self._commands[key] = [
            {"command": c["command"], "description": c["description"]} for c in commands
        ]
        return True

    async def _get_my_commands(self, params: dict) -> list[dict]:
        return self.commands(params.get("scope"), params.get("language_code") or "")

    async def _delete_my_commands(self, params: dict) -> bool:
        self._commands.pop(
            self._commands_key(params.get("scope"), params.get("language_code")), None
        )
        return True


def _without_reply(message: dict[str, Any]) -> dict[str, Any]:
    # Telegram nests replied-to messages only one level deep.
    return {key: value for key, value in message.items() if key != "reply_to_message"}
