"""Every key of `workflow/default_policy.toml` changes what the bot does when it is changed.

Each key has a probe: a short run of the whole bot (emulator, Application, database, timers,
virtual clock) and a look at the part of what happened that the key is about. The probe runs
once with the default policy and once with the key changed; the two looks must differ. A key
that is parsed but read by nothing fails here. Keys whose looks depend on nothing else that
changes with them share one changed run (their batch), which keeps the file quick; a key
whose only other valid value needs a companion change (a window's close must stay inside its
opening) names it, and its look depends on the key alone.
"""

from __future__ import annotations

import json
import re
import tempfile
import tomllib
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from bot.backups import DailyBackup
from bot.simulate import Stack
from storage.backup import Retention
from storage.models import OrderDraftRow, TimerRow, WebTokenRow
from tests.conftest import SHANGHAI
from workflow import services, web
from workflow.context import Actor
from workflow.model import Person
from workflow.policy import DEFAULT_POLICY_PATH
from workflow.roles import Role

GROUPS = {Role.MARKET: -1001, Role.TECH: -1002, Role.MANUFACTURING: -1003,
          Role.PROCUREMENT: -1004, Role.FINANCE: -1005, Role.WAREHOUSE: -1006, Role.GM: -1007,
          Role.OEM: -1008, Role.QUALITY: -1010, Role.SERVICE: -1011}
REP, MARKET_LEAD, TECH_LEAD, PLANNER, BUYER, CASHIER, STOREKEEPER = 101, 102, 202, 201, 601, 401, 501
GM, OEM_LEAD, QUALITY_LEAD, INSPECTOR, SERVICE_LEAD = 301, 801, 701, 702, 901
PEOPLE = ((REP, "李明", Role.MARKET, False), (MARKET_LEAD, "陈静", Role.MARKET, True),
          (TECH_LEAD, "张伟", Role.TECH, True), (PLANNER, "王强", Role.MANUFACTURING, True),
          (BUYER, "周采购", Role.PROCUREMENT, True), (CASHIER, "钱芳", Role.FINANCE, True),
          (STOREKEEPER, "孙库管", Role.WAREHOUSE, True), (GM, "赵总", Role.GM, False),
          (OEM_LEAD, "冯厂长", Role.OEM, True), (QUALITY_LEAD, "吴质量", Role.QUALITY, True),
          (INSPECTOR, "郑检验", Role.QUALITY, False), (SERVICE_LEAD, "何售后", Role.SERVICE, True))
MARKET, TECH, MANUFACTURING = GROUPS[Role.MARKET], GROUPS[Role.TECH], GROUPS[Role.MANUFACTURING]
PROCUREMENT, QUALITY = GROUPS[Role.PROCUREMENT], GROUPS[Role.QUALITY]
FIRST, SECOND, THIRD = "SO-20261124-001", "SO-20261124-002", "SO-20261124-003"
ORDER = "/order 客户:华东电力 产品:GGD低压开关柜 数量:12台 单价:3.5万 交期:12月20日 成套"


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


TUESDAY = at("2026-11-24T09:00")


class Run:
    """One probe's run: the stack with the whole company, and what the probe looks at."""

    def __init__(self, stack: Stack) -> None:
        self.stack = stack

    async def say(self, when: str, chat: int, sender: int, text: str, *,
                  reply_to: str | None = None) -> None:
        await self.stack.advance_to(at(when))
        replied = (self.stack.emulator.newest_message(chat, reply_to).message_id
                   if reply_to else None)
        await self.stack.say(chat, sender, text, reply_to_message_id=replied)

    async def press(self, when: str, chat: int, sender: int, label: str, on: str | None = None
                    ) -> None:
        await self.stack.advance_to(at(when))
        await self.stack.press(chat, sender, label, on=on)

    async def until(self, when: str) -> None:
        await self.stack.advance_to(at(when))

    async def order(self, when: str, text: str = ORDER) -> None:
        await self.say(when, MARKET, REP, text)
        await self.stack.press(MARKET, REP, "确认")

    async def reviewed(self, when: str, number: str = FIRST) -> None:
        await self.press(when, TECH, TECH_LEAD, "可行", on=number)
        await self.stack.press(MANUFACTURING, PLANNER, "可行", on=number)

    def sent(self, chat: int | None, *fragments: str) -> list[str]:
        """When the bot first sent (not edited) each message in `chat` holding every fragment."""
        return [m["at"][:16] for m in self.stack.messages
                if (chat is None or m["chat"] == chat) and not m["edit"]
                and all(f in m["text"] for f in fragments)]

    def private(self, *fragments: str) -> list[int]:
        return sorted({m["chat"] for m in self.stack.messages
                       if m["chat"] > 0 and all(f in m["text"] for f in fragments)})

    async def tasks(self) -> dict[str, str | None]:
        """Each task's due time, by order, kind and title."""
        state = await self.stack.state()
        return {f"{t['order']} {t['kind']} {t['title'] or ''}".strip(): t["due_at"]
                for t in state["tasks"]}

    async def timers(self) -> dict[str, str]:
        async with self.stack.gendan.sessions() as session:
            rows = await session.scalars(select(TimerRow).order_by(TimerRow.id))
            return {f"{r.kind} {r.subject}": r.due_at.isoformat() for r in rows}

    async def drafts(self) -> list[dict[str, Any]]:
        async with self.stack.gendan.sessions() as session:
            rows = await session.scalars(select(OrderDraftRow).order_by(OrderDraftRow.id))
            return [{"status": r.status, **r.fields} for r in rows]


async def _company(stack: Stack) -> None:
    """Every department with its group and a leader; the rep, the GM and an inspector."""
    runtime = stack.gendan.runtime
    for person_id, name, _role, _leader in PEOPLE:
        stack.emulator.add_user(person_id, name, None)
    for role, chat in GROUPS.items():
        stack.emulator.add_group(chat, role.value)
    async with runtime.unit_of_work() as uow:
        ctx = runtime.context(uow, stack.clock.now())
        system = Actor(Person(0, "probe"), is_admin=True)
        for person_id, name, role, leader in PEOPLE:
            person = await uow.people.upsert(person_id, name, None)
            await services.grant_role(ctx, system, person, role, leader)
        for role, chat in GROUPS.items():
            await uow.chats.upsert(chat, role.value)
            await services.bind_chat(ctx, system, chat, role)
        await uow.commit()


Script = Callable[[Run], Awaitable[Any]]


@dataclass(frozen=True)
class Probe:
    """A situation the bot is put in; `script` acts it out and returns what it observed."""

    script: Script
    start: datetime = TUESDAY
    base: dict[str, Any] = field(default_factory=dict)


_observed: dict[tuple[str, str], Any] = {}


async def observe(name: str, overrides: dict[str, Any]) -> Any:
    probe = PROBES[name]
    policy = {**probe.base, **overrides}
    key = (name, json.dumps(policy, sort_keys=True, default=str))
    if key not in _observed:
        async with Stack(probe.start, admin_ids=frozenset(), policy=policy) as stack:
            await _company(stack)
            _observed[key] = json.loads(json.dumps(await probe.script(Run(stack)), default=str))
    return _observed[key]


# ---- the probes -------------------------------------------------------------------------


async def review_due(run: Run) -> Any:
    """An order confirmed late on a Friday: its review falls due on the working clock."""
    await run.order("2026-11-27T16:00")
    return await run.tasks()


async def years_unknown(run: Run) -> Any:
    """What start-up warns the administrators of (bot/runner.py)."""
    return run.stack.gendan.calendar.unknown_years_ahead(run.stack.clock.now())


async def quiet_night(run: Run) -> Any:
    """Contact slips that fall due on a weeknight, on a Saturday, and one reminded early."""
    await run.order("2026-11-24T09:00")
    for problem, due in (("夜间", "11-24 21:30"), ("周六", "11-28 10:00"), ("早上", "11-25 10:30")):
        await run.stack.say(MARKET, REP, f"/contact {FIRST} tech {problem}问题 截止 {due}")
    await run.until("2026-11-30T12:00")
    return {problem: {"overdue": run.sent(TECH, "🚨 已超期", problem)[:1],
                      "reminded": run.sent(TECH, "⏰", problem)[:1]}
            for problem in ("夜间", "周六", "早上")}


async def escalation_steps(run: Run) -> Any:
    """A slip due at 16:00 that nobody answers; its reminder put off as often as allowed."""
    await run.order("2026-11-24T09:00")
    await run.stack.say(MARKET, REP, f"/contact {FIRST} tech 图纸问题 截止 11-24 16:00")
    await run.until("2026-11-24T15:30")
    for _ in range(5):
        await run.stack.press(TECH, TECH_LEAD, "稍后提醒", on="图纸问题")
    await run.until("2026-11-27T18:00")
    return {"reminded": run.sent(TECH, "⏰", "图纸问题"),
            "to_leader": run.sent(TECH_LEAD, "上报", "图纸问题"),
            "to_gm": run.sent(GM, "上报", "图纸问题"),
            "tech_digest": [m["text"] for m in run.stack.messages
                            if m["chat"] == TECH and m["kind"] == "digest"]}


async def escalation_cap(run: Run) -> Any:
    """Two orders whose reviews nobody does: the tech leader hears of both the same morning."""
    await run.order("2026-11-24T09:00")
    await run.order("2026-11-24T09:05", ORDER.replace("12台", "30台"))
    await run.until("2026-11-25T10:00")
    return run.sent(TECH_LEAD, "第1次上报")


async def stale_reminder(run: Run) -> Any:
    """A slip due at 16:00 whose reminder (15:00) comes 40 minutes late, as after downtime."""
    await run.order("2026-11-24T09:00")
    await run.stack.say(MARKET, REP, f"/contact {FIRST} tech 图纸问题 截止 11-24 16:00")
    run.stack.clock.advance_to(at("2026-11-24T15:40"))  # the bot was down: nothing fired
    await run.until("2026-11-24T15:45")
    return {"summary": run.sent(TECH, "⏰", "停机"), "reminded": run.sent(TECH, "⏰", "图纸问题")}


async def held_order(run: Run) -> Any:
    """A slip due at 16:00 on an order held from 10:00 to 16:10: when its clocks look again."""
    await run.order("2026-11-24T09:00")
    await run.stack.say(MARKET, REP, f"/contact {FIRST} tech 图纸问题 截止 11-24 16:00")
    await run.say("2026-11-24T10:00", MARKET, MARKET_LEAD, f"/hold {FIRST} 客户暂缓")
    await run.say("2026-11-24T16:10", MARKET, MARKET_LEAD, f"/resume {FIRST}")
    await run.until("2026-11-24T17:20")
    return run.sent(TECH, "🚨 已超期", "图纸问题")


async def gm_at_night(run: Run) -> Any:
    await run.order("2026-11-24T09:00")
    await run.stack.say(MARKET, REP, f"/contact {FIRST} tech 图纸问题 截止 11-24 16:00")
    await run.until("2026-11-25T09:00")
    return run.sent(GM, "上报", "图纸问题")


async def chains(run: Run) -> Any:
    """A slip to every department, all overdue at 10:00: who hears of each first."""
    await run.order("2026-11-24T09:00")
    for role in Role:
        await run.stack.say(MARKET, REP, f"/contact {FIRST} {role.value} 问题{role.value} "
                                         "截止 11-24 10:00")
    await run.until("2026-11-24T10:10")
    return {role.value: run.private("第1次上报", f"问题{role.value}") for role in Role}


async def follow_up(run: Run) -> Any:
    """An order due on Wednesday 12-02, effective on Tuesday: its follow-up on Friday."""
    await run.order("2026-11-24T09:00", ORDER.replace("12月20日", "12月2日"))
    await run.reviewed("2026-11-24T09:10")
    for command in (f"/quote {FIRST} 42万", f"/signed {FIRST}", f"/paid {FIRST}"):
        await run.stack.say(MARKET, REP, command)
    await run.until("2026-11-27T12:00")
    return [m["at"][:16] for m in run.stack.messages if m["kind"] == "urge"]


CLOSE_TO_DELIVERY = "交期临近未发货的订单："


async def digests(run: Run) -> Any:
    """An order due on Friday 11-27, still in review: the morning digests of a week."""
    await run.order("2026-11-24T09:00", ORDER.replace("12月20日", "11月27日"))
    await run.until("2026-11-29T12:00")
    return {"to_gm": run.sent(GM, "☀️"),
            "close_on_wednesday": [m["text"].split(CLOSE_TO_DELIVERY)[1]
                                   for m in run.stack.messages
                                   if m["chat"] == GM and m["at"].startswith("2026-11-25")
                                   and CLOSE_TO_DELIVERY in m["text"]]}


async def oem_ready_by(run: Run) -> Any:
    """Assembly starts on Tuesday 12-01: the OEM is reminded, and told by when to be ready."""
    await run.order("2026-11-24T09:00")
    await run.reviewed("2026-11-24T09:10")
    for command in (f"/quote {FIRST} 42万", f"/signed {FIRST}", f"/paid {FIRST}",
                    f"/prodorder {FIRST}"):
        await run.stack.say(MARKET, REP, command)
    await run.stack.say(MANUFACTURING, PLANNER, f"/plan {FIRST} 装配开始 12-01")
    await run.until("2026-11-27T12:00")
    return [re.search(r"(\S+ \S+) 前做好生产前准备", m["text"])[1] for m in run.stack.messages
            if m["chat"] == GROUPS[Role.OEM] and "生产准备提醒" in m["text"]]


async def inspections(run: Run) -> Any:
    """A purchased batch at 96% in the day, one at 80% at night: which leaders hear, when."""
    await run.order("2026-11-24T09:00")
    await run.say("2026-11-24T10:00", QUALITY, INSPECTOR, f"/inspect {FIRST} 采购 端子 48/50 毛刺")
    day = run.private("🔍 检验问题", "48/50")
    await run.say("2026-11-24T22:00", QUALITY, INSPECTOR, f"/inspect {FIRST} 采购 断路器 40/50 裂纹")
    await run.until("2026-11-25T09:00")
    return {"day": day, "night": run.sent(QUALITY_LEAD, "🔍 检验问题", "40/50")}


async def intake(run: Run) -> Any:
    """A 非常规 order, the same order again a minute later, and a draft left half-filled."""
    await run.order("2026-11-24T09:00", "/order 客户:华东电力 产品:非标开关柜 数量:12台 交期:12月20日 "
                                        "备注:停产的老型号，质量要求高于国标，逾期有罚款")
    await run.order("2026-11-24T09:01", "/order 客户:华东电力 产品:非标开关柜 数量:12台 交期:12月20日 "
                                        "备注:停产的老型号，质量要求高于国标，逾期有罚款")
    await run.say("2026-11-24T09:02", MARKET, REP, "/order 客户:江苏恒通 产品:电机 交期:12月25日")
    await run.until("2026-11-24T11:30")
    drafts = await run.drafts()
    return {"reasons": drafts[0]["non_regular_reasons"],
            "registered": len((await run.stack.state())["orders"]),
            "half_draft": drafts[-1]["status"]}


async def lifecycle(run: Run) -> Any:
    """Three orders through every clock of the policy, timed so that working and calendar
    time differ (over lunch); what it sees are the tasks' due times and the notice timers."""
    # The first order goes over its customer's credit limit: finance reviews it.
    await run.say("2026-11-24T09:01", GROUPS[Role.FINANCE], CASHIER, "/credit 华东电力 10万")
    await run.order("2026-11-24T09:05")
    await run.order("2026-11-24T09:07", "/order 客户:江苏恒通 产品:电机 数量:30台 交期:12月22日")
    await run.order("2026-11-24T09:09", "/order 客户:浙江正泰 产品:箱变 数量:2台 交期:12月28日")
    await run.reviewed("2026-11-24T09:20", FIRST)
    await run.reviewed("2026-11-24T09:22", SECOND)
    await run.press("2026-11-24T09:24", MANUFACTURING, PLANNER, "不可行", on=THIRD)
    await run.stack.press(MANUFACTURING, PLANNER, "产能不足")
    await run.stack.say(MARKET, REP, f"/refused {THIRD}")
    await run.until("2026-11-24T10:00")
    for command in (f"/quote {FIRST} 42万", f"/signed {FIRST}", f"/quote {SECOND} 9万",
                    f"/signed {SECOND}", f"/paid {SECOND}", f"/prodorder {SECOND}"):
        await run.stack.say(MARKET, REP, command)
    await run.stack.say(MANUFACTURING, PLANNER, f"/plan {SECOND} 包装 12-18")
    await run.say("2026-11-24T11:40", MARKET, REP, f"/paid {FIRST}")
    await run.stack.say(MARKET, REP, f"/prodorder {FIRST}")
    await run.stack.say(MANUFACTURING, PLANNER,
                        f"/plan {FIRST} 采购 12-10 断路器；装配开始 12-14；包装 12-17")
    await run.say("2026-11-24T11:43", PROCUREMENT, BUYER, f"/object {FIRST} 采购 12-12 供应商排产满")
    objected = run.stack.heard(MANUFACTURING, "提出改到")
    await run.stack.say(MARKET, REP, f"/change {SECOND} 备注:柜体颜色改为RAL7035")
    await run.stack.press(MARKET, REP, "1级 局部")
    await run.stack.say(TECH, TECH_LEAD, f"/change {FIRST} 备注:端子改为铜镀锡")
    await run.stack.press(TECH, TECH_LEAD, "1级 局部")
    await run.stack.press(PROCUREMENT, BUYER, "完成", on="联系供应商")
    await run.stack.press(PROCUREMENT, BUYER, "未发出")
    await run.stack.say(QUALITY, INSPECTOR, f"/found {FIRST} 柜门划伤")
    await run.stack.say(QUALITY, INSPECTOR, f"/inspect {FIRST} 代工 12/12 说明书缺页")
    await run.stack.say(MARKET, REP, f"/contact {FIRST} procurement 图纸问题")
    await run.stack.press(MANUFACTURING, PLANNER, "完成", on=f"包装：订单 {SECOND}")
    await run.stack.say(MANUFACTURING, PLANNER, f"/warehoused {SECOND}")
    await run.stack.say(GROUPS[Role.FINANCE], CASHIER, f"/paid {SECOND}")
    for command in (f"/shipnotice {SECOND} 12月18日", f"/consent {SECOND} 先发10台"):
        await run.stack.say(MARKET, REP, command)
    await run.stack.say(GROUPS[Role.WAREHOUSE], STOREKEEPER, f"/ship {SECOND} 10台")
    await run.stack.say(MARKET, REP, f"/ticket {SECOND} 维修 电机异响")
    return {"tasks": await run.tasks(), "timers": await run.timers(), "objected": objected}


async def daily_backups(run: Run) -> Any:
    """Three days of the bot's own backups: the UTC times they are named by."""
    with tempfile.TemporaryDirectory() as folder:
        job = DailyBackup(run.stack.gendan.runtime, run.stack.gendan.settings.database_url,
                          Path(folder), Retention())
        for _ in range(3):
            await run.stack.advance_to(job.next_after(run.stack.clock.now()))
            await job.run()
        return sorted(path.name.split("-", 1)[1] for path in Path(folder).iterdir())


async def monthly_evaluation(run: Run) -> Any:
    """An order in November, and the bot running into December: when the general manager is
    sent November's evaluation."""
    await run.order("2026-11-27T10:00")
    await run.until("2026-12-03T12:00")
    return [m["at"][:16] for m in run.stack.messages
            if m["chat"] == GM and m["kind"] == "report" and "月度评价：2026-11" in m["text"]]


async def archiving(run: Run) -> Any:
    """An order cancelled on its first day, and two weeks after: when it was archived."""
    await run.order("2026-11-24T09:00")
    await run.say("2026-11-24T09:30", MARKET, MARKET_LEAD, f"/cancel {FIRST} 客户撤单")
    await run.until("2026-12-08T12:00")
    return [o["archived_at"] for o in (await run.stack.state())["orders"]]
async def web_links(run: Run) -> Any:
    """A tracking link, a login link and the session it opens: how long each lasts."""
    await run.order("2026-11-24T09:00")
    await run.stack.say(MARKET, REP, f"/track {FIRST}")
    await run.stack.say(REP, REP, "/web")
    token = re.search(r"/login/(\S+)", run.stack.texts(REP)[-1])
    assert token is not None
    runtime = run.stack.gendan.runtime
    async with runtime.unit_of_work() as uow:
        await web.open_session(runtime.context(uow, run.stack.clock.now()), token[1])
        await uow.commit()
    async with run.stack.gendan.sessions() as session:
        rows = await session.scalars(select(WebTokenRow).order_by(WebTokenRow.id))
        return {r.kind: str(r.expires_at - r.created_at) if r.expires_at else None
                for r in rows}


PROBES = {
    "web": Probe(web_links),
    "review_due": Probe(review_due, at("2026-11-27T16:00"),
                        {"deadlines.feasibility_review.duration": "6h"}),
    "years": Probe(years_unknown),
    "quiet": Probe(quiet_night, base={"quiet_hours.end": "10:00"}),
    "escalation": Probe(escalation_steps),
    "escalation_cap": Probe(escalation_cap),
    "stale": Probe(stale_reminder),
    "held": Probe(held_order),
    "gm_at_night": Probe(gm_at_night, base={"escalation.counts_in": "calendar",
                                            "escalation.step_wait": "6h"}),
    "chains": Probe(chains),
    "follow_up": Probe(follow_up, base={"quiet_hours.end": "10:00"}),
    "digests": Probe(digests),
    "weekend_digests": Probe(digests, base={"quiet_hours.rest_days": False}),
    "early_digests": Probe(digests, base={"digest.time": "07:30"}),
    "oem": Probe(oem_ready_by),
    "inspections": Probe(inspections),
    "intake": Probe(intake),
    "lifecycle": Probe(lifecycle),
    "backups": Probe(daily_backups),
    "archive": Probe(archiving),


    "monthly": Probe(monthly_evaluation, at("2026-11-27T09:00")),
}


# ---- the keys ---------------------------------------------------------------------------


@dataclass(frozen=True)
class Key:
    probe: str
    change: dict[str, Any]  # the key's new value, with a companion change where one is needed
    look: Callable[[Any], Any] = lambda seen: seen
    batch: str | None = None  # keys changed together in one run


def _task(name: str) -> Callable[[Any], Any]:
    return lambda seen: seen["tasks"][name]


def _timer(prefix: str) -> Callable[[Any], Any]:
    return lambda seen: [due for timer, due in seen["timers"].items() if timer.startswith(prefix)]


def _deadline(rule: str, value: str, look: Callable[[Any], Any], batch: str = "durations",
              attribute: str = "duration") -> tuple[str, Key]:
    return (f"deadlines.{rule}.{attribute}",
            Key("lifecycle", {f"deadlines.{rule}.{attribute}": value}, look, batch))


def _counted_in_calendar(rule: str, look: Callable[[Any], Any]) -> tuple[str, Key]:
    return _deadline(rule, "calendar", look, "clock", "counts_in")


def _chain(role: Role, steps: list[str]) -> tuple[str, Key]:
    return (f"escalation.chains.{role.value}",
            Key("chains", {f"escalation.chains.{role.value}": steps},
                lambda seen, role=role: seen[role.value], "chains"))


def _quiet(key: str, value: Any, slip: str, what: str, probe: str = "quiet") -> tuple[str, Key]:
    return key, Key(probe, {key: value}, lambda seen: seen[slip][what])


NOT_A_REASON = ["甲乙丙丁"]

KEYS: dict[str, Key] = dict([
    ("timezone", Key("review_due", {"timezone": "Asia/Kolkata"})),
    ("working_hours.start", Key("review_due", {"working_hours.start": "09:00"})),
    ("working_hours.end", Key("review_due", {"working_hours.end": "18:00"})),
    ("working_hours.lunch", Key("review_due", {"working_hours.lunch": []})),
    ("working_hours.weekdays", Key("review_due", {
        "working_hours.weekdays": ["mon", "tue", "wed", "thu", "fri", "sat"]})),
    ("holidays.extra_holidays", Key("review_due", {"holidays.extra_holidays": ["2026-11-30"]})),
    ("holidays.extra_workdays", Key("review_due", {"holidays.extra_workdays": ["2026-11-28"]})),
    ("holidays.covered_years", Key("years", {"holidays.covered_years": [2027]})),
    _quiet("quiet_hours.enabled", False, "夜间", "overdue"),
    _quiet("quiet_hours.start", "22:00", "夜间", "overdue"),
    _quiet("quiet_hours.end", "07:00", "夜间", "overdue"),
    _quiet("quiet_hours.rest_days", False, "周六", "overdue"),
    _quiet("quiet_hours.pass_through.escalation", True, "夜间", "overdue"),
    _quiet("quiet_hours.pass_through.reminder", True, "早上", "reminded"),
    ("quiet_hours.pass_through.gm_escalation",
     Key("gm_at_night", {"quiet_hours.pass_through.gm_escalation": False})),
    ("quiet_hours.pass_through.urge_slip",
     Key("follow_up", {"quiet_hours.pass_through.urge_slip": True})),
    ("quiet_hours.pass_through.digest",
     Key("early_digests", {"quiet_hours.pass_through.digest": True}, lambda s: s["to_gm"])),
    ("quiet_hours.pass_through.quality_alert",
     Key("inspections", {"quiet_hours.pass_through.quality_alert": False},
         lambda s: s["night"])),
    ("quality.pass_rate_threshold",
     Key("inspections", {"quality.pass_rate_threshold": 0.97}, lambda s: s["day"])),
    ("escalation.step_wait", Key("escalation", {"escalation.step_wait": "3h"})),
    ("escalation.counts_in", Key("escalation", {"escalation.counts_in": "calendar"})),
    # The repeats of one day wait for the digest: more of them reach the next day.
    ("escalation.max_repeats", Key("escalation", {"escalation.max_repeats": 6})),
    ("escalation.daily_cap", Key("escalation_cap", {"escalation.daily_cap": 1})),
    ("escalation.stale_after", Key("stale", {"escalation.stale_after": "1h"})),
    ("escalation.hold_recheck", Key("held", {"escalation.hold_recheck": "15m"})),
    ("digest.max_lines", Key("escalation", {"digest.max_lines": 1},
                             lambda s: s["tech_digest"])),
    ("escalation.snooze_max", Key("escalation", {"escalation.snooze_max": "2h"},
                                  lambda s: s["reminded"])),
    ("escalation.snooze_step", Key("escalation", {"escalation.snooze_step": "30m"},
                                   lambda s: s["reminded"])),
    ("escalation.remind_before", Key("escalation", {"escalation.remind_before": "2h"},
                                     lambda s: s["reminded"])),
    *(_chain(role, ["gm"]) for role in Role if role is not Role.GM),
    _chain(Role.GM, ["market"]),
    ("digest.time", Key("digests", {"digest.time": "10:00"}, lambda s: s["to_gm"], "digests")),
    ("digest.working_days_only", Key("weekend_digests", {"digest.working_days_only": False},
                                     lambda s: s["to_gm"])),
    ("deadlines.market_follow_up.duration",
     Key("digests", {"deadlines.market_follow_up.duration": "1wd"},
         lambda s: s["close_on_wednesday"], "digests")),
    ("deadlines.oem_reminder.duration",
     Key("oem", {"deadlines.oem_reminder.duration": "2wd", "deadlines.oem_reminder.opens": "3wd"})),
    *((f"non_regular.keywords.{reason}",
       Key("intake", {f"non_regular.keywords.{reason}": NOT_A_REASON},
           lambda s, reason=reason: reason in s["reasons"], "intake"))
      for reason in ("custom_design", "discontinued", "high_quality", "urgent_penalty")),
    ("report.monthly_working_day", Key("monthly", {"report.monthly_working_day": 2})),
    ("orders.duplicate_window", Key("intake", {"orders.duplicate_window": "0m"},
                                    lambda s: s["registered"], "intake")),
    ("orders.draft_expiry", Key("intake", {"orders.draft_expiry": "4h"},
                                lambda s: s["half_draft"], "intake")),
    ("backup.time", Key("backups", {"backup.time": "03:30"})),
    ("orders.archive_after", Key("archive", {"orders.archive_after": "10d"})),
    ("web.track_expiry", Key("web", {"web.track_expiry": "30d"}, lambda s: s["track"], "web")),
    ("web.login_link", Key("web", {"web.login_link": "5m"}, lambda s: s["login"], "web")),
    ("web.session", Key("web", {"web.session": "1h"}, lambda s: s["session"], "web")),
    _deadline("feasibility_review", "2wd", _task(f"{FIRST} feasibility_review")),
    _deadline("quote", "2wd", _task(f"{FIRST} quote")),
    _deadline("credit_review", "2wd", _task(f"{FIRST} credit_review")),
    _deadline("production_order", "5h", _task(f"{FIRST} production_order")),
    _deadline("change_answer", "45m", _task(f"{SECOND} change_answer CN-20261124-002-1")),
    _deadline("tech_change_answer", "45m", _task(f"{FIRST} change_answer CN-20261124-001-1")),
    _deadline("planning_complete_set", "2wd", _task(f"{FIRST} planning")),
    _deadline("planning_other", "5h", _task(f"{SECOND} planning")),
    _deadline("objection", "1m", lambda seen: seen["objected"]),
    _deadline("supplier_contact", "6wd", _task(f"{FIRST} supplier_contact 断路器")),
    _deadline("procurement_delay_report", "45m", _task(f"{FIRST} delay_report 断路器")),
    _deadline("dispatch_confirmation", "2wd", _task(f"{FIRST} dispatch_confirmation 断路器")),
    _deadline("quality_response", "25m", _task(f"{FIRST} quality_response 柜门划伤")),
    _deadline("quality_coordination", "45m", _task(f"{FIRST} quality_coordination oem 12/12 说明书缺页")),
    _deadline("oem_reminder", "3wd", _timer("oem_reminder"), attribute="opens"),
    _deadline("market_follow_up", "4wd", _timer("follow_up"), attribute="opens"),
    # The second order's packaging was planned first; the first order is the complete set.
    _deadline("packaging_notice_complete_set", "4wd",
              lambda seen: _timer("packaging_notice")(seen)[1]),
    _deadline("packaging_notice_other", "2wd", lambda seen: _timer("packaging_notice")(seen)[0]),
    _deadline("shipping_notice", "2wd", _task(f"{SECOND} shipping_notice")),
    _deadline("decision", "2wd", _task(f"{THIRD} decision")),
    _deadline("payment_check", "2wd", _task(f"{SECOND} payment_check")),
    _deadline("missing_parts", "6wd", _task(f"{SECOND} missing_parts 20台")),
    _deadline("after_sales_response", "2wd", _task(f"{SECOND} after_sales [维修] 电机异响")),
    _deadline("contact_slip", "2wd", _task(f"{FIRST} contact_slip LX-20261124-001-1 图纸问题")),
    _counted_in_calendar("production_order", _task(f"{FIRST} production_order")),
    _counted_in_calendar("change_answer", _task(f"{SECOND} change_answer CN-20261124-002-1")),
    _counted_in_calendar("tech_change_answer", _task(f"{FIRST} change_answer CN-20261124-001-1")),
    _counted_in_calendar("planning_other", _task(f"{SECOND} planning")),
    _counted_in_calendar("procurement_delay_report", _task(f"{FIRST} delay_report 断路器")),
    _counted_in_calendar("quality_response", _task(f"{FIRST} quality_response 柜门划伤")),
    _counted_in_calendar("quality_coordination",
                         _task(f"{FIRST} quality_coordination oem 12/12 说明书缺页")),
])



def _leaves(table: dict[str, Any], prefix: str = "") -> list[str]:
    keys = []
    for name, value in table.items():
        key = f"{prefix}.{name}" if prefix else name
        keys += _leaves(value, key) if isinstance(value, dict) else [key]
    return keys


def test_every_key_of_the_default_policy_has_a_probe() -> None:
    with DEFAULT_POLICY_PATH.open("rb") as handle:
        assert sorted(_leaves(tomllib.load(handle))) == sorted(KEYS)


def _changes(name: str) -> dict[str, Any]:
    """The key's change, with the others of its batch."""
    key = KEYS[name]
    if key.batch is None:
        return key.change
    return {k: v for other in KEYS.values() if (other.probe, other.batch) == (key.probe, key.batch)
            for k, v in other.change.items()}


@pytest.mark.parametrize("name", sorted(KEYS))
async def test_changing_the_key_changes_what_the_bot_does(name: str) -> None:
    key = KEYS[name]
    default = key.look(await observe(key.probe, {}))
    changed = key.look(await observe(key.probe, _changes(name)))
    assert default != changed, f"{name}: {default!r}"
