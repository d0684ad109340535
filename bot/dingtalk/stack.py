"""The whole bot on DingTalk under a virtual clock, as `Stack` runs it on Telegram: the DingTalk
emulator, the real `dingtalk_stream` client over a websocket, the same Application.

People and groups keep the numbers a Telegram scenario gives them; each becomes a DingTalk
staff id (the username) or conversation id here, and the bot knows them by DingTalk's.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime
from typing import Any

from telegram.ext import Application

from bot.app import build_application
from bot.dingtalk.ids import GROUP, PERSON, DingTalkIds, number
from bot.dingtalk.transport import TOKEN, DingTalk
from bot.sandbox.dingtalk import DingTalkEmulator, RobotMessage
from bot.settings import Settings
from bot.simulate import Fault, ScenarioError, Stack, Step

SETTLE_SECONDS = 30.0


class DingTalkStack(Stack):
    emulator: DingTalkEmulator  # type: ignore[assignment]

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.staff: dict[int, str] = {}  # a scenario's person -> staff id
        self.conversations: dict[int, str] = {}  # a scenario's group -> openConversationId
        self._stop = asyncio.Event()
        self._receiving: asyncio.Task[None] | None = None
        self._scenario_ids: dict[int, int] = {}  # the bot's number -> the scenario's
        # People and groups given before they wrote, as a roster gives them: the bot learns
        # their DingTalk ids before it next acts.
        self._directory: list[tuple[str, str, str]] = []
        self._ids: DingTalkIds | None = None
        self._platform: DingTalk | None = None

    # The company, given as the Telegram emulator is given it (tests/e2e/conftest.populate).
    def add_user(self, user_id: int, name: str, username: str | None, *,
                 started: bool = True) -> None:
        # Anyone in the company's directory can be written to: `started` means nothing here.
        staff_id = username or f"staff{user_id}"
        self.staff[user_id] = staff_id
        self._scenario_ids[number(staff_id)] = user_id
        self.emulator.add_user(staff_id, name)
        self._directory.append((staff_id, PERSON, name))
        if user_id in self.admin_ids:  # the bot knows administrators by their DingTalk number
            runtime = self.gendan.runtime
            runtime.admin_ids = frozenset({*runtime.admin_ids, number(staff_id)})

    def add_group(self, chat_id: int, title: str) -> None:
        self.conversations[chat_id] = f"cid{abs(chat_id)}sandbox=="
        self._scenario_ids[-number(self.conversations[chat_id])] = chat_id
        self.emulator.add_group(self.conversations[chat_id], title)
        self._directory.append((self.conversations[chat_id], GROUP, title))

    def chat_id(self, chat: int) -> int:
        """The number the bot knows a scenario's chat by."""
        if chat in self.conversations:
            return -number(self.conversations[chat])
        return number(self.staff[chat])

    async def _start_platform(self, settings: Settings) -> Settings:
        self.emulator = DingTalkEmulator(clock=self.clock.timestamp)
        self.emulator.start()
        base = self.emulator.base_url
        return replace(settings, transport="dingtalk", dingtalk_client_id=self.emulator.client_id,
                       dingtalk_client_secret=self.emulator.client_secret,
                       dingtalk_api_url=base, dingtalk_oapi_url=base)

    def _application(self, settings: Settings) -> Application:
        self._platform = DingTalk(settings, clock=self.clock.timestamp)
        application = build_application(self.gendan, TOKEN,
                                        request=self._platform.request(self.gendan))
        self._ids = self._platform.ids
        return application

    async def _receive(self) -> None:
        """The Stream client runs in the background, as in production; each step waits for
        DingTalk's frames to be acknowledged and handled."""
        assert self._platform is not None
        self._receiving = asyncio.create_task(self._platform.receive(self.intake, self._stop))
        await asyncio.wait_for(self._platform.connected.wait(), 10)

    async def _stop_platform(self) -> None:
        self._stop.set()
        if self._receiving is not None:
            self._receiving.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await self._receiving
        self.emulator.stop()

    async def say(self, chat: int, sender: int, text: str,
                  reply_to_message_id: int | None = None) -> None:
        await self.advance(self.typing)
        self._step_start = len(self.messages)
        await self._write(chat, sender, text)

    async def press(self, chat: int, sender: int, label: str, on: str | None = None) -> None:
        await self.advance(self.typing)
        self._step_start = len(self.messages)
        await self._press(chat, sender, label, on)

    async def _write(self, chat: int, sender: int, text: str,
                     quoting: RobotMessage | None = None) -> None:
        frame = await self.emulator.send_text(self.staff[sender], text,
                                              self.conversations.get(chat), quoting=quoting)
        if frame is not None:
            await self.emulator.wait_acked(frame)
        await self.pump()

    async def _press(self, chat: int, sender: int, label: str, on: str | None) -> None:
        space = self.conversations.get(chat) or self.staff[chat]
        frame = await self.emulator.press(self.staff[sender], label, space, on=on)
        await self.emulator.wait_acked(frame)
        await self.pump()

    async def _learn_directory(self) -> None:
        assert self._ids is not None
        while self._directory:
            await self._ids.chat(*self._directory.pop(0))

    async def advance_to(self, moment: datetime) -> None:
        await self._learn_directory()
        await super().advance_to(moment)

    async def pump(self) -> None:
        """Handle what DingTalk delivered (acknowledged already), then send what is due."""
        await self._learn_directory()
        await self.intake.settle(timeout=SETTLE_SECONDS)
        await self.sender.drain()

    def _fault_switches(self, fault: Fault) -> tuple[Callable[[], object],
                                                     Callable[[], object] | None]:
        """DingTalk's counterparts of Telegram's failures: the robot removed from a group, the
        OpenAPI down. Blocking, group upgrades and slow answers have none here."""
        emulator = self.emulator
        if fault.kind == "kick" and fault.target in self.conversations:
            group = self.conversations[fault.target]
            return (lambda: emulator.remove_robot(group)), (lambda: emulator.readd_robot(group))
        if fault.kind == "outage":
            status = int(fault.value or 502)
            return (lambda: emulator.outage(status)), (lambda: emulator.outage(None))
        raise ScenarioError(f"faults[{fault.index}]: {fault.kind} has no DingTalk counterpart "
                            "in the emulator (kick and outage have)")

    def _record(self, *, chat_id: int, **fields: Any) -> None:
        """Messages are listed under the scenario's chat, as on Telegram."""
        super()._record(chat_id=self._scenario_ids.get(chat_id, chat_id), **fields)

    async def state(self) -> dict[str, Any]:
        state = await super().state()
        state["unreachable"] = [self._scenario_ids.get(person, person)
                                for person in state["unreachable"]]
        return state

    async def play(self, step: Step) -> None:
        assert step.chat is not None and step.sender is not None
        if step.text is not None:
            quoting = None
            if step.reply_to is not None:
                space = self.conversations.get(step.chat) or self.staff[step.chat]
                try:
                    quoting = self.emulator.newest(space, step.reply_to)
                except LookupError as exc:
                    raise ScenarioError(f"steps[{step.index}].reply_to: {exc}") from exc
            await self._write(step.chat, step.sender, step.text, quoting)
        elif step.press is not None:
            try:
                await self._press(step.chat, step.sender, step.press, step.on)
            except LookupError as exc:
                raise ScenarioError(f"steps[{step.index}].press: {exc}") from exc

