"""Change notices: filed by market, answered by tech and manufacturing, handled by level."""

from __future__ import annotations

from bot.simulate import Stack
from tests.e2e.conftest import LIMING, MANUFACTURING, MARKET, TECH, WANGQIANG, ZHANGWEI
from tests.e2e.test_lifecycle import NUMBER, _company, _reviewed
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
        "SO-20261124-001 GGD低压开关柜 12", "SO-20261124-002 GGD低压开关柜 20", "取消"]
    await stack.press(MARKET, LIMING, "SO-20261124-002 GGD低压开关柜 20")
    assert "数量：20 → 30" in stack.texts(MARKET)[-1]


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
    assert stack.heard(MANUFACTURING, "需要市场部")
