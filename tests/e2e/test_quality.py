"""Inspection findings go where the policy sends them."""

from __future__ import annotations

from bot.simulate import Stack
from tests.e2e.conftest import ADMIN, LIMING, MANUFACTURING, MARKET, WANGQIANG, ZHAOZONG
from tests.e2e.test_clocks import at, sent
from tests.e2e.test_lifecycle import GM, NUMBER, PROCUREMENT, ZHOU, _company, _reviewed

QUALITY = -1010
WU = 701  # the quality leader
ZHENG = 702  # an inspector


async def _with_quality(stack: Stack) -> None:
    await _company(stack)
    stack.emulator.add_group(QUALITY, "质量管理部")
    await stack.say(QUALITY, ADMIN, "/bind quality")
    for user, name, username in ((WU, "吴质量", "wu"), (ZHENG, "郑检验", "zheng")):
        stack.emulator.add_user(user, name, username)
        await stack.say(user, user, "/start")
    await stack.say(QUALITY, ADMIN, "/role @wu quality leader")
    await stack.say(QUALITY, ADMIN, "/role @zheng quality")
    await stack.say(PROCUREMENT, ADMIN, "/role @zhou procurement leader")
    await stack.say(GM, ADMIN, "/role @zhaozong gm")
    await _reviewed(stack)


async def test_a_purchased_batch_under_95_percent_goes_to_both_leaders(stack: Stack) -> None:
    await _with_quality(stack)
    await stack.say(QUALITY, ZHENG, f"/inspect {NUMBER} 采购 断路器 47/50 外观不良")
    assert stack.heard(QUALITY, "合格率 94.0%")
    assert stack.heard(PROCUREMENT, "来源 采购件，合格 47/50")
    assert stack.heard(WU, "🔍 检验问题") and stack.heard(ZHOU, "🔍 检验问题")
    await stack.say(QUALITY, ZHENG, f"/inspect {NUMBER} 采购 端子 98/100 毛刺")
    assert stack.heard(PROCUREMENT, "98/100") and not stack.heard(WU, "98/100")


async def test_internal_rework_goes_to_the_operators(stack: Stack) -> None:
    await _with_quality(stack)
    await stack.say(QUALITY, ZHENG, f"/inspect {NUMBER} 自制 柜体 18/20 焊缝不平")
    assert stack.heard(MANUFACTURING, "🔧 返工") and stack.heard(WANGQIANG, "🔍 检验问题")


async def test_an_oem_problem_is_coordinated_in_30_minutes_or_escalates(stack: Stack) -> None:
    await _with_quality(stack)
    await stack.say(QUALITY, ZHENG, f"/inspect {NUMBER} 代工 12/12 说明书缺页")
    assert stack.heard(WU, "🔍 检验问题")
    task = [t for t in (await stack.state())["tasks"] if t["kind"] == "quality_coordination"][0]
    assert task["status"] == "open"
    await stack.advance_to(at("2026-11-24", "12:00"))
    assert sent(stack, QUALITY, "🚨 已超期") and sent(stack, WU, "第1次上报")
    await stack.advance_to(at("2026-11-24", "15:00"))
    assert sent(stack, ZHAOZONG, "质量问题协调处理")


async def test_inspection_refusals(stack: Stack) -> None:
    await _with_quality(stack)
    await stack.say(QUALITY, ZHENG, f"/inspect {NUMBER} 采购 51/50")
    assert stack.heard(QUALITY, "合格数不能超过总数")
    await stack.say(QUALITY, ZHENG, f"/inspect {NUMBER} 外星 1/2")
    assert stack.heard(QUALITY, "用法：/inspect")
    await stack.say(MARKET, LIMING, f"/inspect {NUMBER} 采购 1/2")
    assert stack.heard(MARKET, "需要质量管理部")


async def test_a_finding_raised_after_20_minutes_is_reported_to_the_quality_leader(
        stack: Stack) -> None:
    await _with_quality(stack)
    await stack.advance_to(at("2026-11-24", "10:00"))
    await stack.say(QUALITY, ZHENG, f"/inspect {NUMBER} 自制 柜体 18/20 焊缝不平 发现 09:50")
    assert stack.heard(WANGQIANG, "🔍 检验问题") and not stack.heard(WU, "反映超时")
    await stack.say(QUALITY, ZHENG, f"/inspect {NUMBER} 自制 柜门 19/20 划伤 发现 09:30")
    assert stack.heard(WU, "09:30 发现，10:00 才记录")
    async with stack.gendan.runtime.unit_of_work() as uow:
        inspections = [e.after for e in await uow.audit.for_subject("order", NUMBER)
                       if e.action == "quality.inspection"]
    assert [i.get("raised_late") for i in inspections] == [False, True]
    await stack.say(QUALITY, ZHENG, f"/inspect {NUMBER} 自制 柜门 19/20 划伤 发现 11:30")
    assert stack.heard(QUALITY, "发现时间 11:30 还没到")
