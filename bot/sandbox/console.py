"""The sandbox console: type as any person in any group, see the bot's answers, press buttons."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import signal
import stat
import sys
import threading
import zlib
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta, tzinfo
from pathlib import Path
from time import monotonic
from typing import Any, Protocol

from bot.sandbox.emulator import BotApiEmulator, BotMessage, CallbackAnswer, OutgoingEvent
from workflow.model import Chat, Person

HELP = """\
Type a message as the current person in the current chat. Prefixes switch them (and stay):
  @李明 #市场部 /order 客户:华东电力 产品:开关柜 数量:12台 交期:12月20日
  @name   be that person (new names are created)      #group  speak in that group (#me: private)
  [确认]  press the button with that label on the newest message that has one
  >采购到货 完成 47个   reply to the newest bot message containing 采购到货 (how a task is
          reported on); `📷` first in the text sends it as a photo with that caption
  >"采购到货 断路器" 完成   the piece may have spaces: quoted, or the longest that matches
          (a task's message, with its buttons, before the bot's acknowledgements)
  :wait 2h   :wait 30m   :wait 12-20 09:00   :wait 09:00   let time pass: reminders,
          escalations, digests and notices fall due on the way, each at its moment
  A line ending in \\ goes on in the next line (a plan of several lines); a paste is taken
  whole. Up and down arrows bring back earlier lines.
  :who    people and groups      :help  this text      :quit  leave
Faults, answered as Telegram answers them (the current person is who does it):
  :migrate #group   the group becomes a supergroup with a new id (the name follows it)
  :block @name  :unblock @name   that person blocks / unblocks the bot
  :kick #group  :readd #group    the bot is removed from / added back to the group
  :outage 502  :outage off       Telegram is down (502, 503, 504 or 500) / back
  :slow 8s  :slow off            answers come 8 s late although the calls take effect / on time
"""

_PREFIX = re.compile(r"^\s*(?:(?P<kind>[@#])(?P<name>[^\s]+)\s*)")
_FAULT = re.compile(
    r":(?P<command>migrate|block|unblock|kick|readd|outage|slow)(?:\s+(?P<argument>\S+))?"
)
_SECONDS = re.compile(r"(?P<seconds>\d+(?:\.\d+)?)s?")
_WAIT = re.compile(r":wait(?:\s+(?P<argument>.*))?", re.S)
_DURATION = re.compile(r"(?:\d+(?:\.\d+)?\s*[dhms]\s*)+")
_DURATION_PART = re.compile(r"(?P<amount>\d+(?:\.\d+)?)\s*(?P<unit>[dhms])")
_UNIT_SECONDS = {"d": 86400, "h": 3600, "m": 60, "s": 1}
_MOMENT = re.compile(r"(?:(?:(?P<year>\d{4})-)?(?P<month>\d{1,2})-(?P<day>\d{1,2})\s+)?"
                     r"(?P<hour>\d{1,2}):(?P<minute>\d{2})")
WAIT_USAGE = ":wait 2h (or 30m, 1d, 1h30m), :wait 12-20 09:00, or :wait 09:00 (the next 09:00)"


class Waiting(Protocol):
    """Lets time pass to a moment (`bot.ticks.TimePassing`)."""

    clock: Any

    async def advance_to(self, moment: datetime) -> None: ...

    async def next_send(self) -> datetime | None: ...


def wait_target(argument: str, now: datetime, tz: tzinfo) -> datetime:
    """The moment `:wait` moves to: a span from now, or a (date and) time of day on the
    bot's clock. A date that has passed is refused rather than taken as next year's."""
    argument = argument.strip()
    if _DURATION.fullmatch(argument):
        seconds = sum(float(m["amount"]) * _UNIT_SECONDS[m["unit"]]
                      for m in _DURATION_PART.finditer(argument))
        return now + timedelta(seconds=seconds)
    moment = _MOMENT.fullmatch(argument)
    if moment is None:
        raise ValueError(WAIT_USAGE)
    local = now.astimezone(tz)
    try:
        target = local.replace(year=int(moment["year"] or local.year),
                               month=int(moment["month"] or local.month),
                               day=int(moment["day"] or local.day), hour=int(moment["hour"]),
                               minute=int(moment["minute"]), second=0, microsecond=0)
    except ValueError as exc:
        raise ValueError(f"no such moment {argument!r}; {WAIT_USAGE}") from exc
    if moment["month"] is None and target <= local:
        target += timedelta(days=1)  # a time of day alone: its next coming
    if target <= local:
        raise ValueError(f"{argument} has passed (it is {local:%Y-%m-%d %H:%M} now); "
                         f"{WAIT_USAGE}")
    return target


def _stable_id(name: str, base: int) -> int:
    """An id for a console name that is the same in every run: a sandbox started again on its
    database finds each person and group (their roles, the group's department) where it left
    them, whatever order the names come in."""
    return base + zlib.crc32(name.encode("utf-8")) % 900_000_000


class Lines:
    """Typed lines into messages: a line ending in \\ goes on in the next one."""

    def __init__(self) -> None:
        self._held: list[str] = []

    def feed(self, raw: str) -> str | None:
        text = raw.rstrip("\r\n")
        if text.endswith("\\"):
            self._held.append(text[:-1].rstrip())
            return None
        whole = "\n".join([*self._held, text])
        self._held = []
        return whole


@dataclass
class ConsoleState:
    emulator: BotApiEmulator
    user_id: int
    chat_id: int
    users: dict[str, int] = field(default_factory=dict)
    groups: dict[str, int] = field(default_factory=dict)
    time: Waiting | None = None
    tz: tzinfo = UTC

    def user(self, name: str) -> int:
        if name not in self.users:
            user_id = _stable_id(name, 100_001)
            self.users[name] = user_id
            self.emulator.add_user(user_id, name, username=name if name.isascii() else None)
        return self.users[name]

    def group(self, title: str) -> int:
        if title not in self.groups:
            # A basic group, as Telegram creates one, so that :migrate can upgrade it.
            chat_id = -_stable_id(title, 200_100)
            self.groups[title] = chat_id
            self.emulator.add_group(chat_id, title)
        return self.groups[title]

    def chat_name(self, chat_id: int) -> str:
        for title, gid in self.groups.items():
            if gid == chat_id:
                return f"#{title}"
        for name, uid in self.users.items():
            if uid == chat_id:
                return f"@{name} (private)"
        return str(chat_id)

    def handle(self, line: str) -> str | None:
        """Apply one typed line; returns text to print for console commands."""
        line = line.strip()
        if not line:
            return None
        if _WAIT.fullmatch(line):
            return "time moves only in the running sandbox"
        if line in (":help", ":h", "?"):
            return HELP
        if line == ":who":
            people = ", ".join(f"@{n}={i}" for n, i in self.users.items())
            groups = ", ".join(f"#{t}={i}" for t, i in self.groups.items())
            return f"people: {people}\ngroups: {groups or '-'}"
        fault = _FAULT.fullmatch(line)
        if fault:
            try:
                return self._fault(fault["command"], fault["argument"] or "")
            except (LookupError, ValueError) as exc:
                return str(exc)
        while match := _PREFIX.match(line):
            if match["kind"] == "@":
                self.user_id = self.user(match["name"])
                if self.chat_id > 0:
                    self.chat_id = self.user_id
            elif match["name"] in ("me", "私聊"):
                self.chat_id = self.user_id
            else:
                self.chat_id = self.group(match["name"])
            line = line[match.end() :]
        if not line:
            return f"now {self.chat_name(self.user_id)} in {self.chat_name(self.chat_id)}"
        button = re.fullmatch(r"\[(.+)\]", line)
        if button:
            try:
                self.emulator.press(self.chat_id, self.user_id, button[1])
            except LookupError as exc:
                return str(exc)
            return None
        reply_to = None
        if line.startswith(">"):
            try:
                reply_to, line = self._reply(line[1:])
            except LookupError as exc:
                return str(exc)
        if line.startswith("📷"):
            update_id = self.emulator.send_photo(self.chat_id, self.user_id,
                                                 line.removeprefix("📷").strip(),
                                                 reply_to_message_id=reply_to)
        else:
            update_id = self.emulator.send_text(self.chat_id, self.user_id, line,
                                                reply_to_message_id=reply_to)
        if update_id is None:
            return f"(the bot is not in {self.chat_name(self.chat_id)}; it doesn't see this)"
        return None

    async def run_line(self, line: str) -> str | None:
        """Apply one message typed at the console, `:wait` included."""
        wait = _WAIT.fullmatch(line.strip())
        if wait is None:
            return self.handle(line)
        if self.time is None:
            return "time moves only in the running sandbox"
        try:
            target = wait_target(wait["argument"] or "", self.time.clock.now(), self.tz)
        except ValueError as exc:
            return str(exc)
        await self.time.advance_to(target)
        return f"⏩ {target.astimezone(self.tz):%Y-%m-%d %H:%M %a} ({self.tz})"

    def _reply(self, body: str) -> tuple[int, str]:
        """The message a `>piece text` replies to, and the text. The piece may be quoted;
        unquoted, the longest run of words that some bot message here contains."""
        quoted = re.match(r'\s*"(?P<piece>[^"]+)"\s+(?P<text>.+)', body, re.S)
        if quoted:
            return self._replied(quoted["piece"]).message_id, quoted["text"]
        words = list(re.finditer(r"\S+", body))
        first_line = body.find("\n") if "\n" in body else len(body)
        for n in range(len(words) - 1, 0, -1):
            if words[n - 1].end() > first_line:
                continue
            with contextlib.suppress(LookupError):
                piece = body[words[0].start():words[n - 1].end()]
                return self._replied(piece).message_id, body[words[n].start():]
        piece = words[0][0] if words else ""
        raise LookupError(f"no bot message containing {piece!r} here")

    def _replied(self, piece: str) -> BotMessage:
        """The newest bot message here containing `piece`: one with buttons (a task's
        message) before one without (the bot's acknowledgement that quotes the task)."""
        found = [m for m in self.emulator.messages(self.chat_id) if piece in m.text]
        if not found:
            raise LookupError(f"no bot message containing {piece!r} here")
        with_buttons = [m for m in found if m.buttons]
        return (with_buttons or found)[-1]

    def _fault(self, command: str, argument: str) -> str:
        """Inject one of the emulator's faults; returns the line that confirms it."""
        emulator = self.emulator
        if command in ("outage", "slow"):
            return self._service_fault(command, argument)
        if command in ("block", "unblock"):
            name = self._named(self.users, "@", argument, command)
            getattr(emulator, command)(self.users[name])
            return f"@{name} {command}ed the bot"
        title = self._named(self.groups, "#", argument, command)
        chat_id = self.groups[title]
        if command == "migrate":
            new_id = int(f"-100{-chat_id}")
            emulator.migrate_group(chat_id, new_id, by_user=self.user_id)
            self.groups[title] = new_id
            if self.chat_id == chat_id:
                self.chat_id = new_id
            return f"#{title} is now the supergroup {new_id} (it was {chat_id})"
        getattr(emulator, command)(chat_id, by_user=self.user_id)
        return (f"the bot was removed from #{title}" if command == "kick"
                else f"the bot is back in #{title}")

    @staticmethod
    def _named(known: dict[str, int], kind: str, argument: str, command: str) -> str:
        name = argument.removeprefix(kind)
        if not argument.startswith(kind) or name not in known:
            noun = "person" if kind == "@" else "group"
            raise LookupError(f"no {noun} {argument!r} yet; :{command} {kind}name")
        return name

    def _service_fault(self, command: str, argument: str) -> str:
        if command == "outage":
            if argument == "off":
                self.emulator.outage(None)
                return "Telegram is back"
            if not argument.isdigit():
                raise ValueError(":outage 502 (or 503, 504, 500), or :outage off")
            self.emulator.outage(int(argument))
            return f"Telegram answers every call with {argument} until :outage off"
        if argument == "off":
            self.emulator.slow(None)
            return "answers come at once again"
        delay = _SECONDS.fullmatch(argument)
        if delay is None:
            raise ValueError(":slow 8s (seconds each answer is late), or :slow off")
        self.emulator.slow(float(delay["seconds"]))
        return f"every answer now comes {delay['seconds']}s late, though the calls take effect"


def format_event(state: ConsoleState, event: OutgoingEvent) -> str:
    head = f"{state.chat_name(event.chat_id)} 🤖{' (edited)' if event.edit else ''}"
    lines = [head, *("  " + part for part in event.text.splitlines())]
    if event.buttons:
        lines.append("  " + "  ".join(f"[{b.text}]" for row in event.buttons for b in row))
    return "\n".join(lines)


def format_answer(state: ConsoleState, answer: CallbackAnswer) -> str:
    """A button's pop-up, shown only to who pressed it, as the console prints it."""
    who = next((f"@{name}" for name, uid in state.users.items() if uid == answer.user_id),
               str(answer.user_id))
    kind = "pop-up" if answer.alert else "toast"
    return f"{state.chat_name(answer.chat_id)} 💬 {kind} to {who}: {answer.text}"


HISTORY = Path.home() / ".gendan_history"


def _read_lines_with_history(loop: asyncio.AbstractEventLoop,
                             queue: asyncio.Queue[str | None]) -> None:
    """Read the terminal with readline: editing, a history kept between runs, and a paste
    of several lines taken whole (bracketed paste). Runs in its own thread: input() blocks."""
    import readline

    try:
        readline.read_history_file(HISTORY)
    except FileNotFoundError:
        with contextlib.suppress(OSError):
            readline.write_history_file(HISTORY)  # appending needs the file to be there
    except OSError:
        pass
    readline.parse_and_bind("set enable-bracketed-paste on")
    prompt = "» "
    while True:
        try:
            line = input(prompt)
        except (EOFError, KeyboardInterrupt):
            loop.call_soon_threadsafe(queue.put_nowait, None)
            return
        with contextlib.suppress(OSError):
            readline.append_history_file(1, HISTORY)
        # Asked for before the console has read this line: the line itself tells.
        prompt = "… " if line.endswith("\\") else "» "
        loop.call_soon_threadsafe(queue.put_nowait, line + "\n")


async def _lines_from_pipe(queue: asyncio.Queue[str | None]) -> None:
    if not _is_pipe(sys.stdin):
        # A file or /dev/null cannot be watched by the event loop: read it in a thread.
        while raw := await asyncio.to_thread(sys.stdin.readline):
            await queue.put(raw)
        await queue.put(None)
        return
    loop = asyncio.get_running_loop()
    reader = asyncio.StreamReader()
    try:
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    except (ValueError, OSError):
        return  # no usable stdin: the bot serves whoever drives the emulator until stopped
    while raw := await reader.readline():
        await queue.put(raw.decode("utf-8", "replace"))
    await queue.put(None)


def _is_pipe(stream: Any) -> bool:
    try:
        mode = os.fstat(stream.fileno()).st_mode
    except (OSError, ValueError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode)


async def run_console(emulator: BotApiEmulator, admin_id: int, *, time: Waiting | None = None,
                      tz: tzinfo = UTC, people: Sequence[Person] = (),
                      groups: Sequence[Chat] = (),
                      sent: Sequence[tuple[int, int, str, dict[str, Any] | None]] = ()) -> None:
    """`people`, `groups` and the messages `sent` are those the bot already knows (a sandbox
    started again on its database): they are in the emulator from the start, as they were in
    Telegram all along, so that what the bot sends them before anyone types there arrives,
    and the buttons of its messages from before can be pressed."""
    state = ConsoleState(emulator, admin_id, admin_id, time=time, tz=tz)
    state.users["admin"] = admin_id
    emulator.add_user(admin_id, "admin", username="admin")
    for person in people:
        if person.id != admin_id:
            state.users.setdefault(person.name, person.id)
            emulator.add_user(person.id, person.name, username=person.username,
                              started=person.unreachable_since is None)
    for group in groups:
        if group.title:
            state.groups.setdefault(group.title, group.id)
            emulator.add_group(group.id, group.title)
    for chat_id, message_id, text, keyboard in sent:
        emulator.keep_sent(chat_id, message_id, text, keyboard)
    emulator.subscribe(lambda event: print(format_event(state, event), flush=True))
    emulator.subscribe_answers(lambda answer: print(format_answer(state, answer), flush=True))
    print("Gendan sandbox. You are @admin (an administrator). :help for help.", flush=True)
    print(HELP, flush=True)
    heard = Heard()
    emulator.subscribe(heard)
    emulator.subscribe_answers(heard)
    owed = owing(time.next_send, time.clock.now) if time is not None else None
    await read_lines(state.run_line,
                     settle=BotQuiet(emulator.wait_until_delivered, lambda: heard.at, owed).wait)


class Heard:
    """When the bot last said anything (a listener of the emulator's)."""

    def __init__(self) -> None:
        self.at = 0.0

    def __call__(self, _said: object) -> None:
        self.at = monotonic()


def owing(next_send: Callable[[], Awaitable[datetime | None]],
          now: Callable[[], datetime]) -> Callable[[float], Awaitable[bool]]:
    """Whether the bot owes a message it sends within so many seconds."""

    async def owes(within: float) -> bool:
        due = await next_send()
        return due is not None and due <= now() + timedelta(seconds=within)

    return owes


class BotQuiet:
    """The bot has answered: it has what was typed, it has said nothing for a moment, and it
    holds back nothing it owes soon (a group gets about one message a second after a short
    burst, so the fourth answer in a row waits its turn). A script piped into a console waits
    for this after each line, as a person reads the answers before typing on; without it
    `[确认]` would look for a card not yet sent."""

    QUIET = 0.3  # seconds without a word from the bot
    LIMIT = 10.0  # a line's answers that take longer are printed when they come

    def __init__(self, delivered: Callable[[float], Awaitable[object]],
                 heard: Callable[[], float],
                 owed: Callable[[float], Awaitable[bool]] | None = None) -> None:
        self.delivered = delivered  # waits until the bot has taken what was typed
        self.heard = heard  # when the bot last spoke, on the monotonic clock
        self.owed = owed

    async def wait(self) -> None:
        deadline = monotonic() + self.LIMIT
        with contextlib.suppress(TimeoutError):
            await self.delivered(self.LIMIT)
        started = monotonic()
        while (now := monotonic()) < deadline:
            silent = now - max(self.heard(), started)
            if silent >= self.QUIET and not (self.owed and await self.owed(deadline - now)):
                return
            await asyncio.sleep(max(self.QUIET - silent, self.QUIET / 3))


async def read_lines(handle: Callable[[str], Awaitable[str | None]],
                     settle: Callable[[], Awaitable[None]] | None = None) -> None:
    """Give each typed line to `handle` and print what it answers, until :quit, a signal,
    or the end of input (then the bot stays up for whoever drives the emulator). Lines that
    come from a pipe or a file wait for `settle` after each one."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    queue: asyncio.Queue[str | None] = asyncio.Queue()
    reading: asyncio.Task[None] | None = None
    if sys.stdin.isatty():
        # A daemon thread: a pending input() must not hold the process open at exit.
        threading.Thread(target=_read_lines_with_history, args=(loop, queue),
                         daemon=True).start()
    else:
        reading = asyncio.create_task(_lines_from_pipe(queue))
    lines = Lines()
    try:
        while not stop.is_set():
            read = asyncio.ensure_future(queue.get())
            stopped = asyncio.ensure_future(stop.wait())
            done, _ = await asyncio.wait({read, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if stopped in done:
                read.cancel()
                return
            stopped.cancel()
            raw = read.result()
            if raw is None:  # end of input: keep the bot up for whoever drives the emulator
                await stop.wait()
                return
            line = lines.feed(raw)
            if line is None:
                continue
            if line.strip() in (":quit", ":q", "exit"):
                return
            output = await handle(line)
            if output:
                print(output, flush=True)
            if settle is not None and reading is not None:
                await settle()
    finally:
        if reading is not None:
            reading.cancel()
