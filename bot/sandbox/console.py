"""The sandbox console: type as any person in any group, see the bot's answers, press buttons."""

from __future__ import annotations

import asyncio
import contextlib
import re
import signal
import sys
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from bot.sandbox.emulator import BotApiEmulator, OutgoingEvent

HELP = """\
Type a message as the current person in the current chat. Prefixes switch them (and stay):
  @李明 #市场部 /order 客户:华东电力 产品:开关柜 数量:12台 交期:12月20日
  @name   be that person (new names are created)      #group  speak in that group (#me: private)
  [确认]  press the button with that label on the newest message that has one
  >采购到货 完成 47个   reply to the newest bot message containing 采购到货 (how a task is
          reported on); `📷` first in the text sends it as a photo with that caption
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


@dataclass
class ConsoleState:
    emulator: BotApiEmulator
    user_id: int
    chat_id: int
    users: dict[str, int] = field(default_factory=dict)
    groups: dict[str, int] = field(default_factory=dict)

    def user(self, name: str) -> int:
        if name not in self.users:
            user_id = 100000 + len(self.users) + 1
            self.users[name] = user_id
            self.emulator.add_user(user_id, name, username=name if name.isascii() else None)
        return self.users[name]

    def group(self, title: str) -> int:
        if title not in self.groups:
            # A basic group, as Telegram creates one, so that :migrate can upgrade it.
            chat_id = -200100 - len(self.groups)
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
        reply = re.fullmatch(r">(\S+)\s+(.+)", line)
        if reply:
            try:
                reply_to = self.emulator.newest_message(self.chat_id, reply[1]).message_id
            except LookupError:
                return f"no bot message containing {reply[1]!r} here"
            line = reply[2]
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


async def run_console(emulator: BotApiEmulator, admin_id: int) -> None:
    state = ConsoleState(emulator, admin_id, admin_id)
    state.users["admin"] = admin_id
    emulator.add_user(admin_id, "admin", username="admin")
    emulator.subscribe(lambda event: print(format_event(state, event), flush=True))
    print("Gendan sandbox. You are @admin (an administrator). :help for help.", flush=True)
    print(HELP, flush=True)
    await read_lines(lambda line: _handled(state, line))


async def _handled(state: ConsoleState, line: str) -> str | None:
    return state.handle(line)


async def read_lines(handle: Callable[[str], Awaitable[str | None]]) -> None:
    """Give each typed line to `handle` and print what it answers, until :quit, a signal,
    or the end of input (then the bot stays up for whoever drives the emulator)."""
    loop = asyncio.get_running_loop()
    stop = asyncio.Event()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, stop.set)
    reader = asyncio.StreamReader()
    try:
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), sys.stdin)
    except (ValueError, OSError):
        await stop.wait()  # no usable stdin: keep serving until stopped
        return
    while not stop.is_set():
        read = asyncio.ensure_future(reader.readline())
        stopped = asyncio.ensure_future(stop.wait())
        done, _ = await asyncio.wait({read, stopped}, return_when=asyncio.FIRST_COMPLETED)
        if stopped in done:
            read.cancel()
            return
        stopped.cancel()
        raw = read.result()
        if not raw:
            await stop.wait()
            return
        line = raw.decode("utf-8", "replace")
        if line.strip() in (":quit", ":q", "exit"):
            return
        output = await handle(line)
        if output:
            print(output, flush=True)
