"""Objections to a planned due time: the planner's own go to the general manager, nobody
decides their own, and a date past delivery reaches market at once."""

from __future__ import annotations

from bot.simulate import Stack
from tests.e2e.conftest import ADMIN, MANUFACTURING, MARKET, WANGQIANG, ZHAOZONG
from tests.e2e.test_clocks import sent
from tests.e2e.test_lifecycle import GM, NUMBER, PROCUREMENT, ZHOU
from tests.e2e.test_urging import _in_production

PLAN = "采购 12-07 断路器\n装配完成 12-15\n包装 12-17"


async def _task(stack: Stack, kind: str) -> dict:
    [task] = [t for t in (await stack.state())["tasks"] if t["kind"] == kind]
    return task


async def test_the_planners_own_objection_goes_to_the_general_manager(stack: Stack) -> None:
    await _in_production(stack, PLAN)
    await stack.say(MANUFACTURING, WANGQIANG, f"/object {NUMBER} 装配完成 12-18 装配工人手不足")
    assert stack.heard(MANUFACTURING, "已直接呈总经理裁定，建议改到 2026-12-18")
    assert not sent(stack, MANUFACTURING, "✋ 计划异议：")  # not back to the planner itself
    [request] = sent(stack, GM, "✋ 计划异议呈总经理裁定")
    assert request["buttons"] == [["同意调整", "维持原计划"]]
    await stack.press(GM, WANGQIANG, "同意调整")
    assert "需要总经理" in stack.emulator.answered_callbacks[-1]["text"]  # a pop-up, to him
    await stack.press(GM, ZHAOZONG, "同意调整")
    assert stack.heard(MANUFACTURING, "截止改为 2026-12-18（赵总 同意）")
    assert (await _task(stack, "assembly_finish"))["due_at"] == "2026-12-18T09:30:00+00:00"


async def test_nobody_decides_their_own_objection(stack: Stack) -> None:
    await _in_production(stack, PLAN)
    await stack.say(GM, ADMIN, "/role @wangqiang gm")  # the manufacturing leader is a deputy GM
    await stack.say(MANUFACTURING, WANGQIANG, f"/object {NUMBER} 装配完成 12-18 装配工人手不足")
    await stack.press(GM, WANGQIANG, "同意调整")
    assert stack.heard(GM, "这条计划异议是你提出的，不能自己裁定")
    assert (await _task(stack, "assembly_finish"))["due_at"] == "2026-12-15T09:30:00+00:00"
    await stack.press(GM, ZHAOZONG, "维持原计划")
    assert stack.heard(MANUFACTURING, "维持原计划（赵总 裁定）")


async def test_an_adjusted_date_past_delivery_is_reported_to_market(stack: Stack) -> None:
    await _in_production(stack, PLAN)
    await stack.say(PROCUREMENT, ZHOU, f"/object {NUMBER} 采购 12-10 供应商排产满")
    await stack.press(MANUFACTURING, WANGQIANG, "同意调整", on="供应商排产满")
    assert not sent(stack, MARKET, "晚于交期")  # 12-10 still ends before the 12-20 delivery
    await stack.say(MANUFACTURING, WANGQIANG, f"/object {NUMBER} 包装 12-22 包装材料缺货")
    await stack.press(GM, ZHAOZONG, "同意调整", on="包装材料缺货")
    [told] = sent(stack, MARKET, "晚于交期 2026-12-20")
    assert "“包装”改到 2026-12-22（赵总 同意）" in told["text"] and told["kind"] == "notice"
    assert "请市场部尽快与客户沟通交期" in told["text"]
