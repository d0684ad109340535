"""An urge slip says what is late; with nothing late, market is asked before it goes out."""

from __future__ import annotations

from bot.simulate import Stack
from tests.e2e.conftest import LIMING, MANUFACTURING, MARKET, WANGQIANG, ZHAOZONG
from tests.e2e.test_clocks import sent
from tests.e2e.test_lifecycle import NUMBER
from tests.e2e.test_urging import _in_production


async def _warehoused(stack: Stack) -> None:
    await _in_production(stack, "装配完成 12-15\n包装 12-17")
    for label in ("包装", "装配完成"):
        await stack.press(MANUFACTURING, WANGQIANG, "完成", on=label)
    await stack.say(MANUFACTURING, WANGQIANG, f"/warehoused {NUMBER}")


async def test_nothing_late_asks_market_before_the_slip_goes(stack: Stack) -> None:
    await _warehoused(stack)
    await stack.say(MARKET, LIMING, f"/urge {NUMBER} 客户催货")
    [question] = sent(stack, MARKET, f"订单 {NUMBER} 目前没有落后的工作")
    assert question["buttons"] == [["发出催促单", "不发"]]
    assert not sent(stack, ZHAOZONG, "催促单") and not sent(stack, WANGQIANG, "催促单")
    await stack.press(MARKET, LIMING, "不发")
    [dropped] = (await stack.state())["urge_slips"]
    assert (dropped["status"], dropped["late"]) == ("dropped", [])
    assert not sent(stack, ZHAOZONG, "催促单")

    await stack.say(MARKET, LIMING, f"/urge {NUMBER} 客户要求提前发货，请确认能否提前")
    await stack.press(MARKET, LIMING, "发出催促单", on="目前没有落后的工作")
    for person in (ZHAOZONG, WANGQIANG):
        [slip] = sent(stack, person, "📣 催促单 CS-20261124-001-2")
        assert "系统记录中没有落后的工作" in slip["text"]
        assert "落后：" not in slip["text"] and "加班" not in slip["text"]
        assert "客户要求提前发货，请确认能否提前" in slip["text"]
    statuses = [s["status"] for s in (await stack.state())["urge_slips"]]
    assert statuses == ["dropped", "sent"]
