"""Change notices do what their level says: the buttons follow the level in force, a level below
the bot's reading needs a reason, level 3 really reopens the review, and the people the policy
names are told."""

from __future__ import annotations

from datetime import timedelta

from bot.simulate import Stack
from tests.e2e.conftest import (
    ADMIN,
    LIMING,
    MANUFACTURING,
    MARKET,
    TECH,
    WANGQIANG,
    ZHANGWEI,
)
from tests.e2e.test_clocks import at, sent
from tests.e2e.test_lifecycle import (
    NUMBER,
    PROCUREMENT,
    ZHOU,
    _company,
    _production_ordered,
    _reviewed,
)

QUALITY, ZHENG, CHEN = -1012, 701, 102  # quality's group and inspector; market's leader
NOTICE = "CN-20261124-001-1"


async def company_with_quality(stack: Stack) -> None:
    """The test company, with a quality group and inspector and a market leader."""
    await _company(stack)
    stack.emulator.add_group(QUALITY, "质量管理部")
    await stack.say(QUALITY, ADMIN, "/bind quality")
    for user, name, username, role in ((ZHENG, "郑质检", "zheng", "quality"),
                                       (CHEN, "陈经理", "chen", "market leader")):
        stack.emulator.add_user(user, name, username)
        await stack.say(user, user, "/start")
        await stack.say(MARKET, ADMIN, f"/role @{username} {role}")


async def in_production(stack: Stack) -> None:
    await company_with_quality(stack)
    await _reviewed(stack)
    await _production_ordered(stack)
    await stack.say(MANUFACTURING, WANGQIANG,
                    f"/plan {NUMBER}\n采购 12-07 断路器\n装配完成 12-15\n包装 12-17")


async def _state(stack: Stack) -> dict:
    return await stack.state()


def _buttons(stack: Stack, chat: int, fragment: str) -> list[str]:
    return [b.text for row in stack.emulator.newest_message(chat, fragment).buttons for b in row]


async def test_the_buttons_follow_the_level_in_force(stack: Stack) -> None:
    await in_production(stack)
    await stack.say(MARKET, LIMING, f"/change {NUMBER} 交期:1月8日")
    await stack.press(MARKET, LIMING, "2级 影响交期")
    card = f"合同订单更改通知单 {NOTICE}（2 级）"
    assert _buttons(stack, TECH, card) == ["确认", "升为3级"]  # no 升为2级 on a level-2 notice
    assert _buttons(stack, MANUFACTURING, card) == ["确认", "升为3级"]

    await stack.press(TECH, ZHANGWEI, "升为3级", on=card)
    # Manufacturing, still to answer, gets the card again at the level in force.
    raised = stack.emulator.newest_message(MANUFACTURING, f"{NOTICE} 已由 张伟 升为 3 级")
    assert [b.text for row in raised.buttons for b in row] == ["确认"]

    # Its first card still says level 2: a press there records nothing and shows level 3.
    await stack.press(MANUFACTURING, WANGQIANG, "确认", on=card)
    first = stack.emulator.newest_message(MANUFACTURING, card)
    assert "现在是 3 级，请按 3 级答复" in first.text
    assert [b.text for row in first.buttons for b in row] == ["确认"]
    [notice] = (await _state(stack))["change_notices"]
    assert (notice["level"], notice["status"], notice["answers"]) == (3, "open", {"tech": 3})

    # An old screen's 升为2级 on a level-3 notice is not "now level 2".
    [task] = [t for t in (await _state(stack))["tasks"] if t["kind"] == "change_answer"
              and t["role"] == "manufacturing"]
    stack.emulator.inject_raw({"callback_query": {
        "id": "old-screen", "chat_instance": "x", "data": f"v1:ca:{task['id']}:raise:l2",
        "from": {"id": WANGQIANG, "is_bot": False, "first_name": "王强"},
        "message": {"message_id": first.message_id, "date": 0, "text": first.text,
                    "chat": {"id": MANUFACTURING, "type": "group", "title": "制造中心"}}}})
    await stack.pump()
    assert (await _state(stack))["change_notices"][0]["answers"] == {"tech": 3}

    await stack.press(MANUFACTURING, WANGQIANG, "确认", on=card)
    state = await _state(stack)
    assert (state["change_notices"][0]["status"], state["orders"][0]["status"]) == (
        "applied", "review")


async def test_a_level_below_the_suggestion_needs_a_reason(stack: Stack) -> None:
    await in_production(stack)
    await stack.say(MARKET, LIMING, f"/change {NUMBER} 交期:12月25日")
    assert "建议级别：2 级" in stack.messages[-1]["text"]
    await stack.press(MARKET, LIMING, "1级 局部")
    assert stack.heard(MARKET, "系统按更改内容建议 2 级。选 1 级需要说明理由")
    assert _buttons(stack, MARKET, "更改通知单（草稿）") == [
        "不影响原生产计划", "只是更正记录，与客户的约定未变", "返回"]
    assert (await _state(stack))["change_notices"][0]["status"] == "draft"
    await stack.press(MARKET, LIMING, "返回")
    assert _buttons(stack, MARKET, "更改通知单（草稿）") == [
        "1级 局部", "2级 影响交期", "3级 结构/元件", "取消"]
    await stack.press(MARKET, LIMING, "1级 局部")
    await stack.press(MARKET, LIMING, "不影响原生产计划")
    [notice] = (await _state(stack))["change_notices"]
    assert (notice["status"], notice["level"]) == ("open", 1)
    await stack.advance(timedelta(seconds=5))  # three messages to each group: flood control
    for chat in (TECH, MANUFACTURING):  # the departments may raise it back, and know why not
        assert sent(stack, chat, "系统建议 2 级，李明 选了 1 级，理由：不影响原生产计划"), chat
    # Choosing the suggested level or a higher one needs no reason.
    await stack.say(MARKET, LIMING, f"/change {NUMBER} 数量:14台")
    await stack.press(MARKET, LIMING, "2级 影响交期")
    assert stack.heard(TECH, "CN-20261124-001-2（2 级）")


async def test_a_quantity_only_level_2_change_keeps_the_date(stack: Stack) -> None:
    await in_production(stack)
    await stack.say(MARKET, LIMING, f"/change {NUMBER} 数量:14台")
    await stack.press(MARKET, LIMING, "2级 影响交期")
    await stack.press(TECH, ZHANGWEI, "确认", on=NOTICE)
    await stack.press(MANUFACTURING, WANGQIANG, "确认", on=NOTICE)
    assert stack.heard(MARKET, f"{NOTICE} 按 2 级执行，订单 {NUMBER} 已更新，交期 2026-12-20 不变")
    assert not any("重新计算" in text for text in stack.texts(MARKET))
    state = await _state(stack)
    assert (state["orders"][0]["quantity"], state["orders"][0]["due_date"]) == (14, "2026-12-20")


async def test_levels_2_and_3_reach_the_leaders_in_person(stack: Stack) -> None:
    await in_production(stack)
    await stack.say(MARKET, LIMING, f"/change {NUMBER} 备注:柜体颜色改为RAL7035")
    await stack.press(MARKET, LIMING, "1级 局部")
    assert not sent(stack, CHEN, NOTICE) and not sent(stack, WANGQIANG, NOTICE)  # level 1
    await stack.press(TECH, ZHANGWEI, "升为2级", on=NOTICE)
    for leader in (CHEN, WANGQIANG):  # market's leader and the head of manufacturing
        [told] = sent(stack, leader, f"更改通知单 {NOTICE}（2 级）")
        assert "同时通报制造中心负责人" in told["text"]
    assert not sent(stack, LIMING, f"更改通知单 {NOTICE}（2 级）")  # the rep is no leader
    await stack.press(MANUFACTURING, WANGQIANG, "升为3级", on="已由 张伟 升为 2 级")
    for leader in (CHEN, WANGQIANG):
        assert sent(stack, leader, f"更改通知单 {NOTICE}（3 级）"), leader


async def test_a_level_1_change_is_relayed_to_every_department_concerned(stack: Stack) -> None:
    await in_production(stack)
    await stack.say(QUALITY, ZHENG, f"/inspect {NUMBER} 自制 柜体 10/10")
    await stack.say(MARKET, LIMING, f"/change {NUMBER} 备注:柜体颜色改为RAL7035")
    await stack.press(MARKET, LIMING, "1级 局部")
    await stack.press(TECH, ZHANGWEI, "确认", on=NOTICE)
    await stack.press(MANUFACTURING, WANGQIANG, "确认", on=NOTICE)
    # Procurement has the purchase open, quality has inspected the order: both must adjust.
    for chat in (PROCUREMENT, QUALITY):
        [relay] = sent(stack, chat, f"📨 制造中心转达：更改通知单 {NOTICE}（1 级）已生效")
        assert "备注：- → 柜体颜色改为RAL7035" in relay["text"], chat
    assert not sent(stack, -1004, "转达")  # finance has nothing on the order
    from tests.e2e.test_scenarios import audit_trail

    [relayed] = [row for row in await audit_trail(stack.database_url)
                 if row.action == "change.relayed"]
    assert relayed.after == {"to": ["procurement", "quality"], "no_group": []}


async def test_level_3_reopens_the_non_regular_review_and_the_contract(stack: Stack) -> None:
    await in_production(stack)
    await stack.say(MARKET, LIMING, f"/change {NUMBER} 备注:主要元件改为指定厂家ABB断路器 单价:3.8万")
    assert "建议级别：3 级" in stack.messages[-1]["text"]
    await stack.press(MARKET, LIMING, "3级 结构/元件")
    await stack.press(TECH, ZHANGWEI, "确认", on=NOTICE)
    await stack.press(MANUFACTURING, WANGQIANG, "确认", on=NOTICE)
    await stack.advance(timedelta(seconds=5))  # several messages per group: flood control
    state = await _state(stack)
    order = state["orders"][0]
    assert (order["status"], order["order_class"]) == ("review", "non_regular")
    round_two = [t for t in state["tasks"] if t["kind"] == "feasibility_review"
                 and t["status"] == "open"]
    assert sorted(t["role"] for t in round_two) == ["manufacturing", "procurement", "quality",
                                                   "tech"]
    [due] = {t["due_at"] for t in round_two}  # one working day from the change
    assert due.startswith("2026-11-25T01:")
    for chat in (TECH, MANUFACTURING, PROCUREMENT, QUALITY):
        assert sent(stack, chat, f"非常规订单重新评审 {NUMBER}（第 2 轮，更改通知单 {NOTICE} 为 3 级）")
    # The plan's work goes on meanwhile, but the order cannot be warehoused under a review.
    await stack.say(MANUFACTURING, WANGQIANG, f"/warehoused {NUMBER}")
    assert stack.heard(MANUFACTURING, "不能做")

    # The review's clocks run: quality, silent past its working day, is escalated.
    await stack.advance_to(at("2026-11-25", "12:00"))
    assert sent(stack, QUALITY, "🚨 已超期：交货期评审")
    for chat, person in ((TECH, ZHANGWEI), (MANUFACTURING, WANGQIANG),
                         (PROCUREMENT, ZHOU), (QUALITY, ZHENG)):
        await stack.press(chat, person, "可行", on="非常规订单重新评审")
    state = await _state(stack)
    assert state["orders"][0]["status"] == "production"  # back where the change found it
    assert stack.heard(MARKET, "重新评审通过，回到“生产中”继续执行")
    # The price changed: market signs a supplemental contract, on a clock of its own.
    [contract] = [t for t in state["tasks"] if t["kind"] == "supplemental_contract"]
    assert (contract["role"], contract["status"], contract["title"]) == ("market", "open", NOTICE)
    assert contract["due_at"] is not None
    await stack.advance(timedelta(seconds=5))
    assert sent(stack, MARKET, f"📌 补签合同：订单 {NUMBER} {NOTICE}")
