"""`gendan simulate`: a scripted conversation through the real stack under a virtual clock."""

from __future__ import annotations

import json
import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta, tzinfo
from pathlib import Path
from typing import Any

import yaml
from telegram.error import NetworkError
from telegram.ext import Application

from bot.app import Gendan, bootstrap, build_application, make_sender
from bot.clock import VirtualClock
from bot.intake import Intake
from bot.sandbox.emulator import DEFAULT_TOKEN, BotApiEmulator
from bot.settings import Settings
from bot.ticks import TimePassing
from locales import normalize_locale
from storage.repositories.outbox import WITHDRAWN
from workflow import services
from workflow.context import Actor
from workflow.model import Person
from workflow.roles import Role, parse_role

_RELATIVE = re.compile(r"^\+(\d+(?:\.\d+)?)([smhd])$")
_UNITS = {"s": "seconds", "m": "minutes", "h": "hours", "d": "days"}


class ScenarioError(ValueError):
    pass


@dataclass(frozen=True)
class PersonSpec:
    id: int
    name: str
    roles: tuple[tuple[Role, bool], ...]
    admin: bool
    username: str | None
    started: bool = True  # pressed Start in a private chat with the bot


@dataclass(frozen=True)
class Fault:
    """One of Telegram's failures, switched on at `at` (and off at `until`)."""

    index: int
    at: datetime
    until: datetime | None
    kind: str  # migrate | block | kick | outage | slow
    target: int | None = None  # the group or person it hits
    to: int | None = None  # a migrated group's new id
    value: float | None = None  # an outage's HTTP status, a slow answer's seconds


@dataclass(frozen=True)
class GroupSpec:
    id: int
    title: str
    role: Role | None


@dataclass(frozen=True)
class Step:
    index: int
    at: datetime
    chat: int | None = None
    sender: int | None = None
    text: str | None = None
    press: str | None = None
    on: str | None = None
    reply_to: str | None = None  # the text is a reply to the newest bot message with this in it


@dataclass
class Scenario:
    start: datetime
    people: list[PersonSpec]
    groups: list[GroupSpec]
    steps: list[Step]
    policy: dict[str, Any] = field(default_factory=dict)
    locale: str | None = None
    faults: list[Fault] = field(default_factory=list)


def _aware(value: Any, where: str) -> datetime:
    try:
        moment = value if isinstance(value, datetime) else datetime.fromisoformat(str(value))
    except ValueError as exc:
        raise ScenarioError(f"{where}: cannot read {value!r} as an ISO 8601 time, "
                            f"e.g. 2026-11-24T09:05:00+08:00 or +10m") from exc
    if moment.tzinfo is None:
        raise ScenarioError(f"{where}: {value!r} needs a UTC offset, e.g. +08:00")
    return moment


def _int(mapping: dict[str, Any], key: str, where: str) -> int:
    value = mapping.get(key)
    if isinstance(value, bool) or not isinstance(value, int):
        raise ScenarioError(f"{where}.{key}: expected a whole number, got {value!r}")
    return value


def parse_scenario(data: Any) -> Scenario:
    """Validate a scenario; every error names the step and field at fault."""
    if not isinstance(data, dict):
        raise ScenarioError("scenario: expected a mapping with start, people, groups, steps")
    unknown = set(data) - {"start", "people", "groups", "steps", "policy", "locale", "faults"}
    if unknown:
        raise ScenarioError(f"scenario: unknown keys {sorted(unknown)}")
    if "start" not in data:
        raise ScenarioError("start: missing; write e.g. start: \"2026-11-24T09:00:00+08:00\"")
    start = _aware(data["start"], "start")
    people = []
    for i, raw in enumerate(data.get("people") or []):
        where = f"people[{i}]"
        if not isinstance(raw, dict):
            raise ScenarioError(f"{where}: expected a mapping like {{id: 101, name: 李明, role: market}}")
        roles_raw = raw.get("roles", [raw["role"]] if "role" in raw else [])
        roles = []
        for name in roles_raw if isinstance(roles_raw, list) else [roles_raw]:
            role = parse_role(str(name))
            if role is None:
                raise ScenarioError(f"{where}.role: unknown role {name!r}; use one of "
                                    f"{', '.join(r.value for r in Role)}")
            roles.append((role, bool(raw.get("leader", False))))
        if not isinstance(raw.get("name"), str):
            raise ScenarioError(f"{where}.name: missing")
        person_id = _int(raw, "id", where)
        if person_id <= 0:
            raise ScenarioError(f"{where}.id: a person's id is positive")
        people.append(PersonSpec(person_id, raw["name"], tuple(roles), bool(raw.get("admin")),
                                 raw.get("username"), bool(raw.get("started", True))))
    groups = []
    for i, raw in enumerate(data.get("groups") or []):
        where = f"groups[{i}]"
        if not isinstance(raw, dict):
            raise ScenarioError(f"{where}: expected a mapping like {{id: -1001, title: 市场部, role: market}}")
        group_id = _int(raw, "id", where)
        if group_id >= 0:
            raise ScenarioError(f"{where}.id: a group's id is negative")
        role = None
        if raw.get("role") is not None:
            role = parse_role(str(raw["role"]))
            if role is None:
                raise ScenarioError(f"{where}.role: unknown role {raw['role']!r}")
        groups.append(GroupSpec(group_id, str(raw.get("title") or group_id), role))
    known_people = {p.id for p in people}
    faults = _faults(data.get("faults") or [], start, known_people, {g.id for g in groups})
    known_chats = ({g.id for g in groups} | known_people
                   | {f.to for f in faults if f.to is not None})
    steps: list[Step] = []
    previous = start
    raw_steps = data.get("steps") or []
    if not isinstance(raw_steps, list):
        raise ScenarioError("steps: expected a list")
    for i, raw in enumerate(raw_steps):
        where = f"steps[{i}]"
        if not isinstance(raw, dict):
            raise ScenarioError(f"{where}: expected a mapping")
        if True in raw:  # YAML 1.1 reads a bare `on:` key as the boolean true
            raw = {("on" if key is True else key): value for key, value in raw.items()}
        unknown = set(raw) - {"at", "chat", "from", "text", "press", "on", "reply_to"}
        if unknown:
            raise ScenarioError(f"{where}: unknown keys {sorted(unknown)}")
        at_raw = raw.get("at")
        if at_raw is None:
            raise ScenarioError(f"{where}.at: missing; write a time or +10m")
        at = _moment(at_raw, previous, f"{where}.at")
        if at < previous:
            raise ScenarioError(f"{where}.at: {at.isoformat()} is before the previous step")
        previous = at
        text, press = raw.get("text"), raw.get("press")
        if text is not None and press is not None:
            raise ScenarioError(f"{where}: give either text or press, not both")
        if raw.get("reply_to") is not None and text is None:
            raise ScenarioError(f"{where}.reply_to: a reply needs its text")
        chat = sender = None
        if text is not None or press is not None:
            for key in ("chat", "from"):
                if key not in raw:
                    raise ScenarioError(f"{where}.{key}: missing")
            chat, sender = _int(raw, "chat", where), _int(raw, "from", where)
            if sender not in known_people:
                raise ScenarioError(f"{where}.from: {sender} is not among people")
            if chat not in known_chats:
                raise ScenarioError(f"{where}.chat: {chat} is neither a group nor a person")
        steps.append(Step(i, at, chat, sender, None if text is None else str(text),
                          None if press is None else str(press), raw.get("on"),
                          None if raw.get("reply_to") is None else str(raw["reply_to"])))
    policy = data.get("policy") or {}
    if not isinstance(policy, dict):
        raise ScenarioError("policy: expected a mapping of policy keys")
    locale = None
    if data.get("locale") is not None:
        locale = normalize_locale(str(data["locale"]))
        if locale is None:
            raise ScenarioError(f"locale: {data['locale']!r} is not zh_CN or en")
    return Scenario(start, people, groups, steps, policy, locale, faults)


def _moment(raw: Any, previous: datetime, where: str) -> datetime:
    """An ISO time, or `+10m` after `previous`."""
    relative = _RELATIVE.match(str(raw).strip())
    if relative:
        return previous + timedelta(**{_UNITS[relative[2]]: float(relative[1])})
    return _aware(raw, where)


_FAULT_KINDS = ("migrate", "block", "kick", "outage", "slow")


def _faults(raw: Any, start: datetime, people: set[int], groups: set[int]) -> list[Fault]:
    """Telegram's failures on purpose; `at` counts from the start for the first fault and
    from the fault before for the others, `until` from the fault's own `at`."""
    if not isinstance(raw, list):
        raise ScenarioError("faults: expected a list, e.g. - {at: \"+0s\", block: 301}")
    faults: list[Fault] = []
    previous = start
    for i, entry in enumerate(raw):
        where = f"faults[{i}]"
        if not isinstance(entry, dict):
            raise ScenarioError(f"{where}: expected a mapping like {{at: \"+1h\", kick: -1002}}")
        kinds = [kind for kind in _FAULT_KINDS if kind in entry]
        unknown = set(entry) - {"at", "until", "to", *_FAULT_KINDS}
        if unknown or len(kinds) != 1:
            raise ScenarioError(f"{where}: give at, one of {', '.join(_FAULT_KINDS)}, and "
                                f"optionally until (and to for migrate); got {sorted(entry)}")
        kind = kinds[0]
        if "at" not in entry:
            raise ScenarioError(f"{where}.at: missing; write a time or +10m")
        at = _moment(entry["at"], previous, f"{where}.at")
        if at < previous:
            raise ScenarioError(f"{where}.at: {at.isoformat()} is before the fault before it")
        previous = at
        until = _moment(entry["until"], at, f"{where}.until") if "until" in entry else None
        if until is not None and until <= at:
            raise ScenarioError(f"{where}.until: it must come after at")
        faults.append(_fault(i, where, kind, entry, at, until, people, groups))
    return faults


def _fault(index: int, where: str, kind: str, entry: dict[str, Any], at: datetime,
           until: datetime | None, people: set[int], groups: set[int]) -> Fault:
    if kind in ("outage", "slow"):
        value = entry[kind]
        if kind == "slow":
            seconds = _RELATIVE.match(f"+{value}".replace("++", "+"))
            if seconds is None:
                raise ScenarioError(f"{where}.slow: write how slow, e.g. \"8s\"")
            return Fault(index, at, until, kind, value=timedelta(**{
                _UNITS[seconds[2]]: float(seconds[1])}).total_seconds())
        if value not in (500, 502, 503, 504):
            raise ScenarioError(f"{where}.outage: an HTTP status 500, 502, 503 or 504")
        return Fault(index, at, until, kind, value=float(value))
    target = _int(entry, kind, where)
    if kind == "block" and target not in people:
        raise ScenarioError(f"{where}.block: {target} is not among people")
    if kind in ("kick", "migrate") and target not in groups:
        raise ScenarioError(f"{where}.{kind}: {target} is not among groups")
    if kind == "migrate":
        to = _int(entry, "to", where)
        if not str(to).startswith("-100") or to in groups:
            raise ScenarioError(f"{where}.to: a new supergroup id, e.g. -100{-target}")
        if until is not None:
            raise ScenarioError(f"{where}.until: a migration is not undone")
        return Fault(index, at, until, kind, target, to)
    return Fault(index, at, until, kind, target)


def load_scenario(path: str | Path) -> Scenario:
    try:
        data = yaml.safe_load(Path(path).read_text(encoding="utf-8"))
    except yaml.YAMLError as exc:
        raise ScenarioError(f"{path}: not valid YAML: {exc}") from exc
    return parse_scenario(data)


@dataclass
class SimulationResult:
    messages: list[dict[str, Any]]
    state: dict[str, Any]


class Stack:
    """The whole bot under a virtual clock: emulator, database, the real PTB Application.

    Updates are fetched with the real getUpdates and handled by Application.process_update,
    one at a time, so a run is deterministic.
    """

    def __init__(
        self,
        start: datetime,
        *,
        database_url: str | None = None,
        admin_ids: frozenset[int] = frozenset(),
        policy: dict[str, Any] | None = None,
        migrate: bool = True,
        time_scale: float = 0.1,
    ) -> None:
        self.clock = VirtualClock(start)
        # Real seconds per virtual second where real time cannot be avoided: a slow Telegram's
        # answer and the bot's read timeout are scaled alike, so a slow answer times out (or
        # not) just as it would, in a tenth of the time.
        self.time_scale = time_scale
        self._faults: list[tuple[datetime, int, Callable[[], object]]] = []
        self.offset: tzinfo = start.tzinfo  # type: ignore[assignment]
        self.database_url = database_url
        self.admin_ids = admin_ids
        self.policy = policy or {}
        self.migrate = migrate
        self.typing = timedelta(seconds=5)
        self._step_start = 0
        self.messages: list[dict[str, Any]] = []
        self._next_update = 0
        self._scratch: tempfile.TemporaryDirectory[str] | None = None

    def _record(self, *, chat_id: int, message_id: int, text: str, buttons: list[list[str]],
                kind: str, order: str | None, edit: bool, at: datetime) -> None:
        self.messages.append({
            "at": at.astimezone(self.offset).isoformat(),
            "chat": chat_id,
            "text": text,
            "buttons": buttons,
            "kind": kind,
            "order": order,
            "edit": edit,
        })

    async def __aenter__(self) -> Stack:
        url = self.database_url
        if url is None:
            self._scratch = tempfile.TemporaryDirectory(prefix="gendan-sim-")
            url = f"sqlite+aiosqlite:///{self._scratch.name}/sim.db"
        settings = await self._start_platform(Settings(database_url=url,
                                                       admin_ids=self.admin_ids))
        self.gendan = await bootstrap(settings, self.clock, recorder=self._record,
                                      policy_overrides=self.policy, migrate=self.migrate)
        self.application = self._application(settings)
        await self.application.initialize()
        self.sender = make_sender(self.gendan, self.application)
        self.intake = Intake(self.gendan.runtime, self.application)
        self.time = TimePassing(self.clock, self.gendan.runtime, self.sender)
        await self._receive()
        return self

    async def _start_platform(self, settings: Settings) -> Settings:
        """Start the platform's emulator; the settings that reach it."""
        self.emulator = BotApiEmulator(clock=self.clock.timestamp,
                                       real_time_scale=self.time_scale)
        await self.emulator.start()
        return settings

    def _application(self, settings: Settings) -> Application:
        return build_application(self.gendan, DEFAULT_TOKEN, base_url=self.emulator.base_url,
                                 send_timeout=settings.send_timeout * self.time_scale)

    async def _receive(self) -> None:
        """Updates are fetched step by step (`pump`), nothing runs in the background."""

    async def _stop_platform(self) -> None:
        await self.emulator.stop()

    async def __aexit__(self, *exc_info: object) -> None:
        try:
            await self.application.shutdown()
        finally:
            await self._stop_platform()
            await self.gendan.close()
            if self._scratch is not None:
                self._scratch.cleanup()

    async def say(self, chat: int, sender: int, text: str,
                  reply_to_message_id: int | None = None) -> None:
        """Send as a person would: a few seconds after the previous step."""
        await self.advance(self.typing)
        self._step_start = len(self.messages)
        self.emulator.send_text(chat, sender, text, reply_to_message_id=reply_to_message_id)
        await self.pump()

    async def press(self, chat: int, sender: int, label: str, on: str | None = None) -> None:
        await self.advance(self.typing)
        self._step_start = len(self.messages)
        self.emulator.press(chat, sender, label, on=on)
        await self.pump()

    def add_user(self, user_id: int, name: str, username: str | None, *,
                 started: bool = True) -> None:
        self.emulator.add_user(user_id, name, username, started=started)

    def add_group(self, chat_id: int, title: str) -> None:
        self.emulator.add_group(chat_id, title)

    def chat_id(self, chat: int) -> int:
        """The id the bot knows a scenario's person or group by (on Telegram, the same)."""
        return chat

    async def play(self, step: Step) -> None:
        """One scenario step that a person takes: a message or a press, then its effects."""
        assert step.chat is not None and step.sender is not None
        if step.text is not None:
            replied = None
            if step.reply_to is not None:
                try:
                    replied = self.emulator.newest_message(step.chat, step.reply_to).message_id
                except LookupError as exc:
                    raise ScenarioError(f"steps[{step.index}].reply_to: {exc}") from exc
            try:
                self.emulator.send_text(step.chat, step.sender, step.text,
                                        reply_to_message_id=replied)
            except LookupError as exc:  # e.g. a group that has become a supergroup
                raise ScenarioError(f"steps[{step.index}].chat: {exc}") from exc
        elif step.press is not None:
            try:
                self.emulator.press(step.chat, step.sender, step.press, on=step.on)
            except LookupError as exc:
                raise ScenarioError(f"steps[{step.index}].press: {exc}") from exc
        await self.pump()

    async def pump(self) -> None:
        """Fetch, store and handle every waiting update (real getUpdates), one at a time so a
        run is deterministic, then send what is due. While Telegram answers with errors the
        updates wait there, as they would."""
        for update in await self.intake.backlog():
            await self.intake.handle(update)
        while True:
            try:
                updates = await self.application.bot.get_updates(offset=self._next_update,
                                                                  timeout=0)
            except NetworkError:
                break
            if not updates:
                break
            for update in await self.intake.receive(updates, self.intake.as_polled()):
                await self.intake.handle(update)
            self._next_update = updates[-1].update_id + 1
        await self.sender.drain()

    async def advance_to(self, moment: datetime) -> None:
        """Let virtual time pass (see `TimePassing`); Telegram's faults strike at their
        moments on the way, after what falls due at the same moment."""
        while self._faults and self._faults[0][0] <= moment:
            at, _, strike = self._faults.pop(0)
            await self.time.advance_to(at)
            strike()
            await self.pump()
        await self.time.advance_to(moment)

    def inject(self, faults: list[Fault]) -> None:
        """Telegram fails as each fault says, at its moment of virtual time."""
        for fault in faults:
            on, off = self._fault_switches(fault)
            self._faults.append((fault.at, 2 * fault.index, on))
            if fault.until is not None and off is not None:
                self._faults.append((fault.until, 2 * fault.index + 1, off))
        self._faults.sort(key=lambda event: event[:2])

    def _fault_switches(self, fault: Fault) -> tuple[Callable[[], object],
                                                     Callable[[], object] | None]:
        emulator = self.emulator
        if fault.kind == "migrate":
            assert fault.target is not None and fault.to is not None
            target, to = fault.target, fault.to
            return (lambda: emulator.migrate_group(target, to)), None
        if fault.kind == "block":
            person = fault.target
            return (lambda: emulator.block(person)), (lambda: emulator.unblock(person))
        if fault.kind == "kick":
            group = fault.target
            return (lambda: emulator.kick(group)), (lambda: emulator.readd(group))
        if fault.kind == "outage":
            status = int(fault.value or 502)
            return (lambda: emulator.outage(status)), (lambda: emulator.outage(None))
        seconds = fault.value
        return (lambda: emulator.slow(seconds)), (lambda: emulator.slow(None))

    async def flush_outbox(self, within: timedelta = timedelta(minutes=1)) -> None:
        """What the last steps left owed only because of Telegram's pace (an edit taking a
        closed task's buttons away, right behind the answer in the same chat) goes before the
        run ends: virtual time runs on to it, a minute at most."""
        limit = self.clock.now() + within
        while (due := await self.sender.next_due()) is not None and due <= limit:
            await self.advance_to(max(due, self.clock.now() + timedelta(seconds=1)))

    async def advance(self, delta: timedelta) -> None:
        await self.advance_to(self.clock.now() + delta)

    def texts(self, chat: int) -> list[str]:
        """What the bot said in `chat`; a closed task's buttons taken off an earlier message
        (kind ``withdrawn``) says nothing new."""
        return [m["text"] for m in self.messages if m["chat"] == chat and m["kind"] != WITHDRAWN]

    def heard(self, chat: int, fragment: str) -> bool:
        """Whether the bot said `fragment` in `chat` in answer to the last step."""
        return any(m["chat"] == chat and m["kind"] != WITHDRAWN and fragment in m["text"]
                   for m in self.messages[self._step_start:])

    async def state(self) -> dict[str, Any]:
        return await collect_state(self.gendan)


async def run_scenario(scenario: Scenario, database_url: str | None = None,
                       transport: str = "telegram") -> SimulationResult:
    stack_class = Stack
    if transport == "dingtalk":
        from bot.dingtalk.stack import DingTalkStack

        stack_class = DingTalkStack
    stack = stack_class(
        scenario.start,
        database_url=database_url,
        admin_ids=frozenset(p.id for p in scenario.people if p.admin),
        policy=scenario.policy,
    )
    async with stack:
        await _set_up(stack, scenario)
        stack.inject(scenario.faults)
        for step in scenario.steps:
            await stack.advance_to(step.at)
            if step.chat is not None and step.sender is not None:
                await stack.play(step)
        await stack.flush_outbox()
        state = await stack.state()
    return SimulationResult(stack.messages, state)


async def _set_up(stack: Stack, scenario: Scenario) -> None:
    """People, roles, groups and languages as the scenario states them, before the first step."""
    for person in scenario.people:
        stack.add_user(person.id, person.name, person.username, started=person.started)
    for group in scenario.groups:
        stack.add_group(group.id, group.title)
    runtime = stack.gendan.runtime
    async with runtime.unit_of_work() as uow:
        ctx = runtime.context(uow, stack.clock.now())
        system = Actor(Person(0, "scenario"), is_admin=True)
        for person in scenario.people:
            person_id = stack.chat_id(person.id)
            record = await uow.people.upsert(person_id, person.name, person.username)
            for role, leader in person.roles:
                await services.grant_role(ctx, system, record, role, leader)
            if scenario.locale:
                await uow.people.set_locale(person_id, scenario.locale)
        for group in scenario.groups:
            group_id = stack.chat_id(group.id)
            await uow.chats.upsert(group_id, group.title)
            if group.role:
                await services.bind_chat(ctx, system, group_id, group.role)
            if scenario.locale:
                await uow.chats.set_locale(group_id, scenario.locale)
        await uow.commit()


async def collect_state(gendan: Gendan) -> dict[str, Any]:
    async with gendan.runtime.unit_of_work() as uow:
        orders = await uow.orders.all()
        tasks = await uow.tasks.all()
        slips = await uow.urge_slips.all()
        notices = await uow.changes.all()
        audit_events = await uow.audit.count()
        pending = await uow.outbox.pending_count()
        counts = await uow.outbox.counts()
        unreachable = await uow.people.unreachable()
    return {
        "orders": [
            {"number": o.number, "status": o.status.value, "customer": o.customer,
             "product": o.product, "model": o.model, "quantity": o.quantity, "unit": o.unit,
             "due_date": o.due_date.isoformat(), "order_class": o.order_class,
             "complete_set": o.complete_set,
             "archived_at": o.archived_at.isoformat() if o.archived_at else None}
            for o in orders
        ],
        "tasks": [
            {"id": t.id, "order": next((o.number for o in orders if o.id == t.order_id), None),
             "kind": t.kind.value, "role": t.role.value, "status": t.status.value,
             "title": t.title, "outcome": t.outcome, "note": t.note, "progress": t.progress,
             "quantity": t.quantity, "photo": t.photo,
             "due_at": t.due_at.isoformat() if t.due_at else None}
            for t in tasks
        ],
        "change_notices": [
            {"number": n.number, "order": next((o.number for o in orders if o.id == n.order_id),
                                               None),
             "status": n.status.value, "level": n.level, "changes": n.changes,
             "answers": n.facts.get("answers", {})}
            for n in notices
        ],
        "urge_slips": [
            {"number": s.number, "order": next((o.number for o in orders if o.id == s.order_id),
                                               None),
             "status": s.status.value, "late": s.late, "note": s.note,
             "sent_at": s.sent_at.isoformat() if s.sent_at else None}
            for s in slips
        ],
        "audit_events": audit_events,
        "outbox_pending": pending,
        "outbox": {"sent": counts["sent"], "pending": pending, "failed": counts["failed"]},
        "unreachable": [person.id for person in unreachable],
    }


async def simulate(path: str | Path, database_url: str | None = None,
                   transport: str = "telegram") -> SimulationResult:
    return await run_scenario(load_scenario(path), database_url, transport)


def write_outputs(result: SimulationResult, out: str | None, state: str | None) -> None:
    lines = "\n".join(json.dumps(m, ensure_ascii=False) for m in result.messages)
    if out:
        Path(out).write_text(lines + "\n" if lines else "", encoding="utf-8")
    else:
        print(lines)
    if state:
        Path(state).write_text(json.dumps(result.state, ensure_ascii=False, indent=2),
                               encoding="utf-8")
