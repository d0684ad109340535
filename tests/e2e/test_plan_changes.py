"""A plan is read line by line, refuses dates that have passed, and can be corrected in
production: tasks added, removed and moved, each change audited, its clocks re-derived and
its owners told."""

from __future__ import annotations

from datetime import timedelta

from bot.simulate import Stack
from tests.e2e.test_clocks import at, sent
from tests.e2e.test_lifecycle import (
    LIMING,
    MANUFACTURING,
    MARKET,
    NUMBER,
    PROCUREMENT,
    WANGQIANG,
    _status,
    in_planning,
)


def _tasks(state: dict, kind: str | None = None) -> list[dict]:
    return [t for t in state["tasks"] if kind is None or t["kind"] == kind]


async def _order_audit(stack: Stack, action: str) -> list:
    async with stack.gendan.runtime.unit_of_work() as uow:
        return [e for e in await uow.audit.for_subject("order", NUMBER) if e.action == action]


async def test_semicolons_and_new_lines_both_separate_tasks(stack: Stack) -> None:
    await in_planning(stack)
    await stack.say(MANUFACTURING, WANGQIANG,
                    f"/plan {NUMBER} 采购 12-05 断路器；装配开始 12-08\n包装 12-17")
    state = await stack.state()
    planned = [(t["kind"], t["title"]) for t in _tasks(state) if t["kind"] in (
        "purchase", "supplier_contact", "assembly_start", "packaging")]
    assert planned == [("purchase", "断路器"), ("supplier_contact", "断路器"),
                       ("assembly_start", None), ("packaging", None)]
    assert stack.heard(MANUFACTURING, "共 4 项任务")


async def test_a_line_whose_date_has_passed_is_refused_with_the_reason(stack: Stack) -> None:
    await in_planning(stack)  # Tuesday 2026-11-24
    await stack.say(MANUFACTURING, WANGQIANG, f"/plan {NUMBER}\n采购 11-20 断路器\n装配完成 12-15")
    assert stack.heard(MANUFACTURING, "采购 11-20 断路器 —— 日期已经过去了")
    await stack.say(MANUFACTURING, WANGQIANG, f"/plan {NUMBER}\n焊接 12-01\n装配完成 12-15")
    assert stack.heard(MANUFACTURING, "焊接 12-01 —— 不认识这种任务")
    assert await _status(stack) == "planning"
    assert not _tasks(await stack.state(), "assembly_finish")

    # Goods due in three days cannot be chased five working days ahead: the supplier contact
    # falls due at today's close, not last week.
    await stack.say(MANUFACTURING, WANGQIANG, f"/plan {NUMBER}\n采购 11-27 端子\n装配完成 12-15")
    [contact] = _tasks(await stack.state(), "supplier_contact")
    assert contact["due_at"] == "2026-11-24T09:30:00+00:00"  # 17:30 Shanghai


async def test_a_plan_in_production_is_corrected_line_by_line(stack: Stack) -> None:
    await in_planning(stack)
    stack.emulator.add_group(-1008, "OEM代工厂")
    await stack.say(-1008, 1, "/bind oem")
    await stack.say(MANUFACTURING, WANGQIANG,
                    f"/plan {NUMBER}\n采购 12-05 断路器\n采购 12-07 铜排\n装配开始 12-08\n包装 12-17")
    assert await _status(stack) == "production"

    # Sending the plan again adds nothing twice: the planner hears how to change it instead.
    await stack.say(MANUFACTURING, WANGQIANG, f"/plan {NUMBER}\n包装 12-18")
    assert stack.heard(MANUFACTURING, "已经在生产中") and stack.heard(MANUFACTURING, "~包装 12-18")
    assert len(_tasks(await stack.state(), "packaging")) == 1
    await stack.say(MANUFACTURING, WANGQIANG, f"/plan {NUMBER} -采购")
    assert stack.heard(MANUFACTURING, "有几项“采购到货”任务：断路器、铜排")
    await stack.say(MARKET, LIMING, f"/plan {NUMBER} -装配开始")
    assert stack.heard(MARKET, "需要制造中心")

    await stack.say(MANUFACTURING, WANGQIANG,
                    f"/plan {NUMBER} +采购 12-09 端子；-装配开始；-采购 铜排\n~包装 12-18 16:00")
    assert stack.heard(MANUFACTURING, "增加 1 项，删除 2 项，改期 1 项")
    await stack.advance(timedelta(minutes=1))  # a group gets one message a second
    state = await stack.state()
    by_title = {(t["kind"], t["title"]): t for t in _tasks(state)}
    assert by_title[("purchase", "端子")]["status"] == "open"
    assert by_title[("supplier_contact", "端子")]["status"] == "open"
    assert by_title[("purchase", "铜排")]["status"] == "cancelled"
    assert by_title[("supplier_contact", "铜排")]["status"] == "cancelled"  # goes with it
    assert by_title[("purchase", "断路器")]["status"] == "open"
    assert by_title[("assembly_start", None)]["status"] == "cancelled"
    assert by_title[("packaging", None)]["due_at"] == "2026-12-18T08:00:00+00:00"

    assert stack.heard(PROCUREMENT, "端子") and stack.heard(PROCUREMENT, "铜排 已从计划中删除")
    assert stack.heard(MANUFACTURING, "“包装”") and stack.heard(MANUFACTURING, "2026-12-18 16:00")
    [revised] = await _order_audit(stack, "plan.revised")
    assert [(c["change"], c["kind"], c["title"]) for c in revised.after["changes"]] == [
        ("added", "purchase", "端子"), ("removed", "assembly_start", None),
        ("removed", "purchase", "铜排"), ("moved", "packaging", None)]
    async with stack.gendan.runtime.unit_of_work() as uow:
        packaging = by_title[("packaging", None)]["id"]
        moves = [e for e in await uow.audit.for_subject("task", packaging)
                 if e.action == "task.due_changed"]
    assert moves[0].after["why"] == "replanned"

    # The clocks follow: the packaging notice comes 3 working days before the new date, the
    # removed assembly start sends the OEM no preparation reminder, the moved task escalates
    # at its new time and not at the old one.
    await stack.advance_to(at("2026-12-18", "17:00"))
    [notice] = sent(stack, MANUFACTURING, "📦 包装通知")
    assert notice["at"].startswith("2026-12-15T08:30")
    assert not sent(stack, -1008, "🏭 生产准备提醒")
    overdue = [m for m in sent(stack, MANUFACTURING, "🚨 已超期") if "包装" in m["text"]]
    assert [m["at"][:16] for m in overdue] == ["2026-12-18T16:00"]


async def test_each_wrong_plan_change_says_what_to_write(stack: Stack) -> None:
    await in_planning(stack)
    before_the_plan = (("-包装", "还没有生产计划"), ("采购 厨房 12-05 断路器", "部门没有认出来"))
    in_production = (("-设计", "没有未完成的“技术设计”任务"),
                     ("~包装 技术中心 12-18", "部门没有认出来"), ("-包装", "至少要保留一项任务"))
    for lines in (before_the_plan, in_production):
        for change, answer in lines:
            await stack.say(MANUFACTURING, WANGQIANG, f"/plan {NUMBER} {change}")
            assert stack.heard(MANUFACTURING, answer), change
        if lines is before_the_plan:
            await stack.say(MANUFACTURING, WANGQIANG, f"/plan {NUMBER} 包装 12-17")
    [packaging] = _tasks(await stack.state(), "packaging")
    assert (packaging["status"], packaging["due_at"]) == ("open", "2026-12-17T09:30:00+00:00")
    assert not await _order_audit(stack, "plan.revised")
