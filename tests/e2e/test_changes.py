"""Change notices: filed by market, answered by tech and manufacturing, handled by level;
technical ones filed by tech, answered by manufacturing, shown to market."""

from __future__ import annotations

from datetime import datetime

from bot.simulate import Stack
from tests.conftest import SHANGHAI, START
from tests.e2e.conftest import (
    ADMIN,
    LIMING,
    MANUFACTURING,
    MARKET,
    TECH,
    WANGQIANG,
    ZHANGWEI,
    ZHAOZONG,
    populate,
)
from tests.e2e.test_lifecycle import NUMBER, PROCUREMENT, _company, _reviewed
from tests.e2e.test_order_review import ORDER


async def _answer_both(stack: Stack, manufacturing: str = "确认") -> None:
    await stack.press(TECH, ZHANGWEI, "确认", on="更改通知单")
    await stack.press(MANUFACTURING, WANGQIANG, manufacturing, on="更改通知单")


async def test_level_1_by_number_updates_the_order(stack: Stack) -> None:
    await _company(stack)
    await _reviewed(stack)
    await stack.say(MARKET, LIMING, f"/change {NUMBER} 型号:GGD2-20 备注:柜体改灰色")
    card = stack.messages[-1]
    assert "建议级别：1 级" in card["text"] and "型号：GGD2-15 → GGD2-20" in card["text"]
    await stack.press(MARKET, LIMING, "1级 局部")
    assert stack.heard(TECH, "30 分钟内答复") and stack.heard(MANUFACTURING, "CN-20261124-001-1")
    await _answer_both(stack)
    assert stack.heard(MARKET, "按 1 级（局部更改）执行")
    state = await stack.state()
    assert state["orders"][0]["model"] == "GGD2-20"
    [notice] = state["change_notices"]
    assert notice["status"] == "applied" and notice["answers"] == {"tech": "ok",
                                                                   "manufacturing": "ok"}


async def test_free_text_change_names_the_order_and_moves_the_date(stack: Stack) -> None:
    await _company(stack)
    await _reviewed(stack)
    await stack.say(MARKET, LIMING, "华东电力那单开关柜改成15台，交期推迟到明年1月10号")
    assert "建议级别：2 级" in stack.texts(MARKET)[-1]
    await stack.press(MARKET, LIMING, "2级 影响交期")
    await _answer_both(stack)
    state = await stack.state()
    assert state["orders"][0]["quantity"] == 15 and state["orders"][0]["due_date"] == "2027-01-10"
    assert stack.heard(MARKET, "相关期限已按新交期重新计算")


async def test_manufacturing_raises_to_level_3(stack: Stack) -> None:
    await _company(stack)
    await _reviewed(stack)
    await stack.say(MARKET, LIMING, f"/change {NUMBER} 备注:进线柜改为下进线")
    await stack.press(MARKET, LIMING, "1级 局部")
    await _answer_both(stack, manufacturing="升为3级")
    assert stack.heard(MARKET, "转为非常规订单")
    state = await stack.state()
    assert state["orders"][0]["order_class"] == "non_regular"
    assert state["change_notices"][0]["level"] == 3


async def test_several_matching_orders_are_asked_about(stack: Stack) -> None:
    await _company(stack)
    await _reviewed(stack)
    await stack.say(MARKET, LIMING, ORDER.replace("12台", "20台"))
    await stack.press(MARKET, LIMING, "确认")
    await stack.say(MARKET, LIMING, "华东电力那单开关柜改成30台")
    which = stack.messages[-1]
    assert "有 2 张订单符合" in which["text"]
    assert [row[0] for row in which["buttons"]] == [
        "SO-20261124-001 GGD低压开关柜 12台", "SO-20261124-002 GGD低压开关柜 20台", "取消"]
    await stack.press(MARKET, LIMING, "SO-20261124-002 GGD低压开关柜 20台")
    assert "数量：20台 → 30台" in stack.texts(MARKET)[-1]


async def test_change_refusals(stack: Stack) -> None:
    await _company(stack)
    await _reviewed(stack)
    await stack.say(MARKET, LIMING, "/change")
    assert stack.heard(MARKET, "用法：/change")
    await stack.say(MARKET, LIMING, "/change SO-20261124-009 数量:3台")
    assert stack.heard(MARKET, "没有订单 SO-20261124-009")
    await stack.say(MARKET, LIMING, "浙江正泰那单汇流箱改成40台")
    assert stack.heard(MARKET, "没找到要改的订单")
    await stack.say(MANUFACTURING, WANGQIANG, f"/change {NUMBER} 数量:3台")
    assert stack.heard(MANUFACTURING, "这一步需要市场部、技术中心的人员来做")


def _sent(stack: Stack, chat: int, fragment: str) -> list[dict]:
    return [m for m in stack.messages
            if m["chat"] == chat and fragment in m["text"] and not m["edit"]]


async def test_tech_files_a_technical_notice_that_manufacturing_answers(stack: Stack) -> None:
    await _company(stack)
    await _reviewed(stack)
    await stack.say(TECH, ZHANGWEI, f"/change {NUMBER} 型号:GGD2-20")
    card = stack.messages[-1]
    assert card["chat"] == TECH and "合同订单技术更改通知单（草稿）" in card["text"]
    assert "型号：GGD2-15 → GGD2-20" in card["text"]
    await stack.press(TECH, ZHANGWEI, "1级 局部")
    assert stack.heard(TECH, "由制造中心答复，并已告知市场部")  # not "tech and manufacturing"

    [request] = _sent(stack, MANUFACTURING, "技术更改通知单 CN-20261124-001-1")
    assert "技术中心提出" in request["text"] and "请制造中心在 2026-11-24 09:3" in request["text"]
    assert request["buttons"] == [["确认", "升为2级", "升为3级"]]
    [told] = _sent(stack, MARKET, "技术中心对订单 SO-20261124-001")
    assert told["buttons"] == [] and "型号：GGD2-15 → GGD2-20" in told["text"]
    assert not _sent(stack, TECH, "CN-20261124-001-1")  # tech filed it: it has nothing to answer
    [related] = _sent(stack, PROCUREMENT, "技术更改通知单 CN-20261124-001-1")  # told, no task
    assert related["buttons"] == [] and "型号：GGD2-15 → GGD2-20" in related["text"]
    state = await stack.state()
    assert [t["role"] for t in state["tasks"] if t["kind"] == "change_answer"] == ["manufacturing"]

    await stack.press(MANUFACTURING, WANGQIANG, "确认", on="技术更改通知单")
    assert stack.heard(MARKET, "按 1 级（局部更改）执行") and stack.heard(TECH, "按 1 级（局部更改）执行")
    state = await stack.state()
    assert state["orders"][0]["model"] == "GGD2-20"
    [notice] = state["change_notices"]
    assert notice["status"] == "applied" and notice["answers"] == {"manufacturing": "ok"}


async def test_tech_cannot_answer_its_own_technical_notice(stack: Stack) -> None:
    await _company(stack)
    await _reviewed(stack)
    await stack.say(MANUFACTURING, ADMIN, "/role @zhangwei manufacturing")
    await stack.say(TECH, ZHANGWEI, f"/change {NUMBER} 备注:主要元件改为指定厂家")
    assert "建议级别：3 级" in stack.messages[-1]["text"]
    await stack.press(TECH, ZHANGWEI, "3级 结构/元件")
    await stack.press(MANUFACTURING, ZHANGWEI, "确认", on="技术更改通知单")
    assert "是你提出的，不能自己答复，请由制造中心的其他同事答复" in stack.texts(MANUFACTURING)[-1]
    state = await stack.state()
    assert state["change_notices"][0]["status"] == "open"
    assert [t["status"] for t in state["tasks"] if t["kind"] == "change_answer"] == ["open"]

    await stack.press(MANUFACTURING, WANGQIANG, "确认", on="技术更改通知单")
    assert stack.heard(MARKET, "转为非常规订单")
    assert (await stack.state())["orders"][0]["order_class"] == "non_regular"


async def test_change_notices_are_refused_by_role_and_by_group(stack: Stack) -> None:
    await _company(stack)
    await _reviewed(stack)
    await stack.say(MANUFACTURING, ADMIN, "/lang en")
    await stack.say(MANUFACTURING, WANGQIANG, f"/change {NUMBER} 型号:GGD2-20")
    assert stack.heard(MANUFACTURING, "Only Marketing Department, Technical Center may do this")
    await stack.say(TECH, LIMING, f"/change {NUMBER} 型号:GGD2-20")
    assert stack.heard(TECH, "这是技术中心的群。更改通知单请在你所在部门（市场部或技术中心）的群里提出")
    assert (await stack.state())["change_notices"] == []


def _at(clock: str) -> datetime:
    return datetime.fromisoformat(f"2026-11-24T{clock}:00").replace(tzinfo=SHANGHAI)


async def test_a_technical_notice_is_due_by_tech_change_answer_and_escalates(
        database_url: str) -> None:
    policy = {"deadlines.tech_change_answer.duration": "2h"}  # change_answer stays 30m
    async with Stack(START, database_url=database_url, admin_ids=frozenset({ADMIN}),
                     policy=policy) as stack:
        populate(stack.emulator)
        await _company(stack)
        await _reviewed(stack)
        await stack.say(TECH, ZHANGWEI, f"/change {NUMBER} 型号:GGD2-20")
        await stack.press(TECH, ZHANGWEI, "1级 局部")
        [task] = [t for t in (await stack.state())["tasks"] if t["kind"] == "change_answer"]
        due = datetime.fromisoformat(task["due_at"]).astimezone(SHANGHAI)
        assert _at("11:00") < due < _at("11:10")
        await stack.advance_to(_at("10:59"))
        assert not _sent(stack, MANUFACTURING, "🚨 已超期")
        await stack.advance_to(_at("11:10"))
        [overdue] = _sent(stack, MANUFACTURING, "🚨 已超期")
        assert "CN-20261124-001-1" in overdue["text"]
        assert _sent(stack, WANGQIANG, "第1次上报") and not _sent(stack, ZHAOZONG, "上报")
