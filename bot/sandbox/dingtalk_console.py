"""The sandbox console on DingTalk: type as anyone in any group (the robot hears a group only
when @-mentioned, so every group line here is sent as one), press card buttons."""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.sandbox.console import BotQuiet, owing, read_lines
from bot.sandbox.dingtalk import DingTalkEmulator, RobotMessage

if TYPE_CHECKING:
    from bot.runner import Running

HELP = """\
Type a message as the current person in the current chat; the robot is @-mentioned for you.
  @liming #市场部 /order 客户:华东电力 产品:开关柜 数量:12台 交期:12月20日
  @name   be that person (their staff id; new ones are created)   #group  that group (#me: private)
  [确认]  press the button with that label on the newest card that has one here
  :who    people and groups      :help  this text      :quit  leave
Faults, answered with DingTalk's error bodies:
  :kick #group  :readd #group    the robot is removed from / added back to the group
  :expire                        DingTalk revokes the access token
  :limit 2  :limit 20            robot messages a minute per group (DingTalk publishes 20)
  :outage 503  :outage off       DingTalk's OpenAPI answers every call with that status / back
"""

_PREFIX = re.compile(r"^\s*(?P<kind>[@#])(?P<name>\S+)\s*")


@dataclass
class DingTalkConsole:
    emulator: DingTalkEmulator
    staff_id: str = "admin"
    space: str = "admin"  # a conversation id, or a staff id for a private chat
    groups: dict[str, str] = field(default_factory=dict)  # title -> openConversationId

    def group(self, title: str) -> str:
        if title not in self.groups:
            self.groups[title] = f"cidsandbox{len(self.groups) + 1}=="
            self.emulator.add_group(self.groups[title], title)
        return self.groups[title]

    def name(self, space: str) -> str:
        titles = {cid: title for title, cid in self.groups.items()}
        return f"#{titles[space]}" if space in titles else f"@{space} (private)"

    async def handle(self, line: str) -> str | None:
        line = line.strip()
        if line in (":help", ":h", "?"):
            return HELP
        if line == ":who":
            return (f"people: {', '.join('@' + s for s in self.emulator.users)}\n"
                    f"groups: {', '.join('#' + t for t in self.groups) or '-'}")
        if line == ":expire":
            self.emulator.expire_tokens()
            return "DingTalk answers the current token with 401 InvalidAuthentication"
        if fault := re.fullmatch(r":(kick|readd)\s+#(\S+)", line):
            if fault[2] not in self.groups:
                return f"no group #{fault[2]} yet"
            cid = self.groups[fault[2]]
            if fault[1] == "kick":
                self.emulator.remove_robot(cid)
                return f"the robot was removed from #{fault[2]}"
            self.emulator.readd_robot(cid)
            return f"the robot is back in #{fault[2]}"
        if outage := re.fullmatch(r":outage\s+(\d{3}|off)", line):
            self.emulator.outage(None if outage[1] == "off" else int(outage[1]))
            return ("DingTalk is back" if outage[1] == "off"
                    else f"DingTalk's OpenAPI answers every call with {outage[1]}")
        if limit := re.fullmatch(r":limit\s+(\d+)", line):
            self.emulator.group_per_minute = max(1, int(limit[1]))
            return f"{self.emulator.group_per_minute} robot messages a minute per group"
        while match := _PREFIX.match(line):
            if match["kind"] == "@":
                private = self.space == self.staff_id
                self.staff_id = match["name"]
                if self.staff_id not in self.emulator.users:
                    self.emulator.add_user(self.staff_id, self.staff_id)
                if private:
                    self.space = self.staff_id
            elif match["name"] in ("me", "私聊"):
                self.space = self.staff_id
            else:
                self.space = self.group(match["name"])
            line = line[match.end():]
        if not line:
            return f"now @{self.staff_id} in {self.name(self.space)}"
        if button := re.fullmatch(r"\[(.+)\]", line):
            try:
                await self.emulator.press(self.staff_id, button[1], self.space)
            except LookupError as exc:
                return str(exc)
            return None
        group = None if self.space == self.staff_id else self.space
        if await self.emulator.send_text(self.staff_id, line, group) is None:
            return f"(the robot is not in {self.name(self.space)}; it doesn't hear this)"
        return None


def _format(console: DingTalkConsole, message: RobotMessage, edited: bool) -> str:
    head = f"{console.name(message.space)} 🤖{' (card updated)' if edited else ''}"
    lines = [head, *("  " + part for part in message.text.splitlines())]
    if message.labels:
        lines.append("  " + "  ".join(f"[{label}]" for label in message.labels))
    return "\n".join(lines)


async def _show(console: DingTalkConsole) -> None:
    """Print what the robot posts, and cards again when they change."""
    shown, edits = 0, {}
    while True:
        messages = console.emulator.messages
        for message in messages[shown:]:
            print(_format(console, message, False), flush=True)
            edits[id(message)] = message.edits
        shown = len(messages)
        for message in messages:
            if message.kind == "card" and message.edits != edits.get(id(message), 0):
                edits[id(message)] = message.edits
                print(_format(console, message, True), flush=True)
        await asyncio.sleep(0.2)


async def run_dingtalk_console(emulator: DingTalkEmulator, admin: str,
                               running: Running | None = None) -> None:
    console = DingTalkConsole(emulator, admin, admin)
    owed = owing(running.sender.next_due, running.runtime.clock.now) if running else None
    quiet = BotQuiet(emulator.wait_until_acked, emulator.last_call, owed)
    emulator.add_user(admin, admin)
    print("Gendan sandbox on DingTalk. You are @admin (an administrator). :help for help.",
          flush=True)
    print(HELP, flush=True)
    shower = asyncio.create_task(_show(console))
    try:
        await read_lines(console.handle, settle=quiet.wait)
    finally:
        shower.cancel()
