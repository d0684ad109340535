"""Orders walking the policy through the real Application: each path ends in the right state."""

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
    ZHAOZONG,
    set_up_company,
)
from tests.e2e.test_order_review import ORDER

NUMBER = "SO-20261124-001"
FINANCE, WAREHOUSE, PROCUREMENT, GM = -1004, -1005, -1006, -1007
QIAN, SUN, ZHOU = 401, 501, 601


async def _company(stack: Stack) -> None:
    await set_up_company(stack)
    for chat, title, key in ((FINANCE, "财务部", "finance"), (WAREHOUSE, "成品库", "warehouse"),
                             (PROCUREMENT, "物资管理部", "procurement"), (GM, "总经办", "gm")):
        stack.emulator.add_group(chat, title)
        await stack.say(chat, ADMIN, f"/bind {key}")
    for user, name, username, role in ((QIAN, "钱会计", "qian", "finance"),
                                       (SUN, "孙库管", "sun", "warehouse"),
                                       (ZHOU, "周采购", "zhou", "procurement")):
        stack.emulator.add_user(user, name, username)
        await stack.say(user, user, "/start")
        await stack.say(MARKET, ADMIN, f"/role @{username} {role}")


async def _reviewed(stack: Stack) -> None:
    await stack.say(MARKET, LIMING, ORDER)
    await stack.press(MARKET, LIMING, "确认")
    await stack.press(TECH, ZHANGWEI, "可行")
    await stack.press(MANUFACTURING, WANGQIANG, "可行")


async def _production_ordered(stack: Stack) -> None:
    """Quote, signature and payment recorded; the production order issued."""
    for command in (f"/quote {NUMBER} 42万", f"/signed {NUMBER}", f"/paid {NUMBER}",
                    f"/prodorder {NUMBER}"):
        await stack.say(MARKET, LIMING, command)


async def _status(stack: Stack) -> str:
    return (await stack.state())["orders"][0]["status"]


async def test_a_regular_order_from_quote_to_closing(stack: Stack) -> None:
    await _company(stack)
    await _reviewed(stack)
    await stack.say(MARKET, LIMING, f"/quote {NUMBER} 42万")
    assert stack.heard(MARKET, "420,000")
    await stack.say(MARKET, LIMING, f"/signed {NUMBER}")
    await stack.say(MARKET, LIMING, f"/paid {NUMBER}")
    assert stack.heard(MARKET, "合同生效")
    assert stack.heard(MARKET, "📌 下达生产指令")  # the 4-hour task, in market's group
    assert await _status(stack) == "effective"

    await stack.say(MARKET, LIMING, f"/prodorder {NUMBER}")
    assert stack.heard(MARKET, "生产指令已下达")
    assert stack.heard(MANUFACTURING, "📌 生产计划分解")

    await stack.say(MANUFACTURING, WANGQIANG,
                    f"/plan {NUMBER}\n采购 12-05 断路器\n装配开始 12-08\n装配完成 12-15\n包装 12-17")
    assert stack.heard(MANUFACTURING, "共 5 项任务")  # the purchase adds a supplier contact
    supplier = [t for t in (await stack.state())["tasks"] if t["kind"] == "supplier_contact"][0]
    # Arrival Sat 12-05; five working days before it is Mon 11-30, due at its 17:30 close.
    assert supplier["due_at"] == "2026-11-30T09:30:00+00:00"

    await stack.press(PROCUREMENT, ZHOU, "收到", on="采购到货")
    await stack.press(PROCUREMENT, ZHOU, "完成", on="采购到货")
    await stack.press(PROCUREMENT, ZHOU, "完成", on="联系供应商")
    for label in ("包装", "装配完成", "装配开始"):
        await stack.press(MANUFACTURING, WANGQIANG, "完成", on=label)

    await stack.say(MARKET, LIMING, f"/shipnotice {NUMBER} 12月18日")
    assert stack.heard(MARKET, "不能做")  # not warehoused yet
    await stack.say(MANUFACTURING, WANGQIANG, f"/warehoused {NUMBER}")
    await stack.say(MARKET, LIMING, f"/shipnotice {NUMBER} 12月18日")
    assert stack.heard(MARKET, "财务还没有确认货款到位")
    await stack.say(FINANCE, QIAN, f"/paid {NUMBER}")
    await stack.say(MARKET, LIMING, f"/shipnotice {NUMBER} 12月18日")
    assert stack.heard(WAREHOUSE, "发货日期：2026-12-18")
    await stack.say(WAREHOUSE, SUN, f"/ship {NUMBER}")
    await stack.say(MARKET, LIMING, f"/close {NUMBER} 客户满意")
    assert await _status(stack) == "closed"
    state = await stack.state()
    assert all(t["status"] in ("done", "cancelled") for t in state["tasks"])
    await stack.say(MARKET, LIMING, f"/status {NUMBER}")
    assert stack.heard(MARKET, "已关闭")


async def in_planning(stack: Stack) -> None:
    """The company set up and the order reviewed, quoted, signed, paid and given to planning."""
    await _company(stack)
    await _reviewed(stack)
    await _production_ordered(stack)


async def ready_to_ship(stack: Stack) -> None:
    """Produced, warehoused, paid, and the shipping notice issued for 12-18."""
    await in_planning(stack)
    await stack.say(MANUFACTURING, WANGQIANG, f"/plan {NUMBER}\n装配完成 12-15")
    await stack.press(MANUFACTURING, WANGQIANG, "完成", on="装配完成")
    await stack.say(MANUFACTURING, WANGQIANG, f"/warehoused {NUMBER}")
    await stack.say(FINANCE, QIAN, f"/paid {NUMBER}")
    await stack.say(MARKET, LIMING, f"/shipnotice {NUMBER} 12月18日")


async def test_a_short_shipment_needs_consent_and_opens_a_follow_up(stack: Stack) -> None:
    await ready_to_ship(stack)
    await stack.say(WAREHOUSE, SUN, f"/ship {NUMBER} 10台")
    assert stack.heard(WAREHOUSE, "缺件发货要先取得客户同意")
    await stack.say(MARKET, LIMING, f"/consent {NUMBER} 先发10台，余下2台月底补发")
    await stack.say(WAREHOUSE, SUN, f"/ship {NUMBER} 10台")
    assert stack.heard(WAREHOUSE, "缺 2")
    follow_up = [t for t in (await stack.state())["tasks"] if t["kind"] == "missing_parts"]
    assert follow_up and follow_up[0]["role"] == "manufacturing"
    # The order cannot be closed over its missing parts, only once they went out.
    await stack.say(MARKET, LIMING, f"/close {NUMBER} 客户满意")
    assert stack.heard(MARKET, "缺件还没有补齐")
    assert await _status(stack) == "shipped"
    await stack.press(MANUFACTURING, WANGQIANG, "完成", on="缺件")
    await stack.say(MARKET, LIMING, f"/close {NUMBER} 余下2台已补发")
    assert await _status(stack) == "closed"


async def test_infeasible_then_declined_by_the_general_manager(stack: Stack) -> None:
    await _company(stack)
    await stack.say(GM, ADMIN, "/role @zhaozong gm")
    await stack.say(MARKET, LIMING, ORDER)
    await stack.press(MARKET, LIMING, "确认")
    await stack.press(MANUFACTURING, WANGQIANG, "不可行")
    await stack.press(MANUFACTURING, WANGQIANG, "产能不足")
    await stack.say(MARKET, LIMING, f"/newdate {NUMBER} 1月10日")
    assert stack.heard(MARKET, "交期改为 2027-01-10")
    assert await _status(stack) == "review"
    await stack.press(MANUFACTURING, WANGQIANG, "不可行")
    await stack.press(MANUFACTURING, WANGQIANG, "物料周期长")
    await stack.say(MARKET, LIMING, f"/refused {NUMBER}")
    assert stack.heard(GM, "呈请总经理决定")
    await stack.press(GM, LIMING, "不接此单")
    # Only to him, as a pop-up: the group hears nothing of it.
    assert "需要总经理" in stack.emulator.answered_callbacks[-1]["text"]
    assert not stack.heard(GM, "需要总经理")
    await stack.press(GM, ZHAOZONG, "不接此单")
    assert stack.heard(MARKET, "核准不接")
    assert await _status(stack) == "declined"


async def test_cancel_needs_a_leader_and_cancels_open_tasks(stack: Stack) -> None:
    await _company(stack)
    await _reviewed(stack)
    await stack.say(MARKET, LIMING, f"/cancel {NUMBER} 客户撤单")
    assert stack.heard(MARKET, "负责人")
    await stack.say(MARKET, ADMIN, "/role @liming market leader")
    await stack.say(MARKET, LIMING, f"/hold {NUMBER} 客户要求暂缓")
    assert await _status(stack) == "on_hold"
    await stack.say(MARKET, LIMING, f"/resume {NUMBER}")
    assert await _status(stack) == "quote"
    await stack.say(MARKET, LIMING, f"/cancel {NUMBER} 客户撤单")
    assert await _status(stack) == "cancelled"
    await stack.say(MARKET, LIMING, f"/quote {NUMBER} 42万")
    assert stack.heard(MARKET, "不能做")


async def test_order_commands_explain_their_usage(stack: Stack) -> None:
    await _company(stack)
    await stack.say(MARKET, LIMING, "/quote 42万")
    assert stack.heard(MARKET, "请写订单号") and stack.heard(MARKET, "用法：/quote")
    await stack.say(MARKET, LIMING, "/quote SO-20990101-001 1万")
    assert stack.heard(MARKET, "没有订单 SO-20990101-001")
    await stack.say(MANUFACTURING, WANGQIANG, "/tasks")
    assert stack.heard(MANUFACTURING, "没有待办")


async def test_advance_notices_before_packaging_and_production_start(stack: Stack) -> None:
    from tests.e2e.test_clocks import at, sent

    await _company(stack)
    await _reviewed(stack)
    quote = [t for t in (await stack.state())["tasks"] if t["kind"] == "quote"]
    assert quote and quote[0]["status"] == "open"  # the quote is due within a working day
    await _production_ordered(stack)
    assert [t["status"] for t in (await stack.state())["tasks"] if t["kind"] == "quote"] == ["done"]
    stack.emulator.add_group(-1008, "OEM代工厂")
    await stack.say(-1008, ADMIN, "/bind oem")
    await stack.say(MANUFACTURING, WANGQIANG, f"/plan {NUMBER}\n装配开始 12-08\n包装 12-17")
    await stack.advance_to(at("2026-12-18", "12:00"))
    # The order is a complete set (成套): packaging notice 3 working days before Thu 12-17, and
    # the OEM is reminded 1-2 working days before assembly starts on Tue 12-08.
    [packaging] = sent(stack, WAREHOUSE, "📦 包装通知")
    assert packaging["at"].startswith("2026-12-14T08:30")
    [oem] = sent(stack, -1008, "🏭 生产准备提醒")
    assert oem["at"].startswith("2026-12-04T08:30")


async def test_an_objection_to_a_due_time_is_settled_by_the_planner_or_the_gm(
        stack: Stack) -> None:
    await _company(stack)
    await stack.say(GM, ADMIN, "/role @zhaozong gm")
    await _reviewed(stack)
    await _production_ordered(stack)
    await stack.say(MANUFACTURING, WANGQIANG, f"/plan {NUMBER}\n采购 12-05 断路器\n包装 12-17")
    await stack.say(PROCUREMENT, ZHOU, f"/object {NUMBER} 采购 12-10 供应商排产满")
    assert stack.heard(MANUFACTURING, "周采购 提出改到 2026-12-10")
    await stack.press(MANUFACTURING, WANGQIANG, "呈总经理")
    await stack.press(GM, WANGQIANG, "同意调整")
    # Once sent up, only the GM decides; the planner is told so in a pop-up.
    assert "需要总经理" in stack.emulator.answered_callbacks[-1]["text"]
    await stack.press(GM, ZHAOZONG, "同意调整")
    assert stack.heard(PROCUREMENT, "截止改为 2026-12-10")
    purchase = [t for t in (await stack.state())["tasks"] if t["kind"] == "purchase"][0]
    assert purchase["due_at"] == "2026-12-10T09:30:00+00:00"  # 17:30 Shanghai that day


async def test_objections_come_within_a_working_day(stack: Stack) -> None:
    await _company(stack)
    await _reviewed(stack)
    await _production_ordered(stack)
    await stack.say(MANUFACTURING, WANGQIANG, f"/plan {NUMBER}\n采购 12-05 断路器")
    await stack.advance(timedelta(days=2))
    await stack.say(PROCUREMENT, ZHOU, f"/object {NUMBER} 采购 12-10 供应商排产满")
    assert stack.heard(PROCUREMENT, "超过 1 个工作日")
    await stack.say(PROCUREMENT, ZHOU, f"/object {NUMBER} 包装 12-10 没有")
    assert stack.heard(PROCUREMENT, "没有未完成的“包装”任务")


async def test_after_sales_ticket_on_a_delivered_order(stack: Stack) -> None:
    await _company(stack)
    await _reviewed(stack)
    await stack.say(MARKET, LIMING, f"/ticket {NUMBER} 维修 2号柜断路器跳闸")
    assert stack.heard(MARKET, "还没有发货")
    await _production_ordered(stack)
    await stack.say(MANUFACTURING, WANGQIANG, f"/plan {NUMBER}\n包装 12-17")
    await stack.press(MANUFACTURING, WANGQIANG, "完成", on="包装")
    await stack.say(MANUFACTURING, WANGQIANG, f"/warehoused {NUMBER}")
    await stack.say(FINANCE, QIAN, f"/paid {NUMBER}")
    await stack.say(MARKET, LIMING, f"/shipnotice {NUMBER} 12月18日")
    await stack.say(WAREHOUSE, SUN, f"/ship {NUMBER}")
    stack.emulator.add_group(-1011, "售后")
    await stack.say(-1011, ADMIN, "/bind service")
    await stack.say(MARKET, LIMING, f"/ticket {NUMBER} 维修 2号柜断路器跳闸")
    assert stack.heard(MARKET, "售后单已开给售后")
    assert stack.heard(-1011, "📌 售后处理") and stack.heard(-1011, "[维修] 2号柜断路器跳闸")
    await stack.say(MARKET, LIMING, f"/ticket {NUMBER} 理赔 看看")
    assert stack.heard(MARKET, "用法：/ticket")


async def test_an_accepted_objection_moves_what_hangs_on_the_task(stack: Stack) -> None:
    from tests.e2e.test_clocks import at, sent

    await _company(stack)
    await _reviewed(stack)
    await _production_ordered(stack)
    await stack.say(MANUFACTURING, WANGQIANG, f"/plan {NUMBER}\n采购 12-07 断路器\n包装 12-17")
    await stack.say(PROCUREMENT, ZHOU, f"/object {NUMBER} 采购 12-14 供应商排产满")
    await stack.press(MANUFACTURING, WANGQIANG, "同意调整")
    contact = [t for t in (await stack.state())["tasks"] if t["kind"] == "supplier_contact"][0]
    # Five working days before Mon 12-14 is Mon 12-07, at its close.
    assert contact["due_at"] == "2026-12-07T09:30:00+00:00"
    await stack.advance_to(at("2026-12-01", "18:00"))
    assert not sent(stack, PROCUREMENT, "🚨 已超期")  # the old date (11-30) fired nothing


async def test_clocks_wait_while_an_order_is_held(stack: Stack) -> None:
    from tests.e2e.test_clocks import at, sent

    await _company(stack)
    await stack.say(MARKET, ADMIN, "/role @liming market leader")
    await stack.say(MARKET, LIMING, ORDER)
    await stack.press(MARKET, LIMING, "确认")
    await stack.say(MARKET, LIMING, f"/hold {NUMBER} 客户要求暂缓")
    await stack.advance_to(at("2026-11-25", "12:00"))  # the review was due at 09:01
    assert not sent(stack, MANUFACTURING, "🚨 已超期")
    await stack.say(MARKET, LIMING, f"/resume {NUMBER}")
    await stack.advance_to(at("2026-11-25", "13:30"))
    assert sent(stack, MANUFACTURING, "🚨 已超期")  # escalation resumes with the order


async def test_tasks_and_status_list_the_open_work(stack: Stack) -> None:
    await _company(stack)
    await _reviewed(stack)
    await stack.say(MARKET, LIMING, "/tasks")
    assert stack.heard(MARKET, f"· {NUMBER} 商务报价") and stack.heard(MARKET, "待处理")
    await stack.say(MARKET, LIMING, f"/status {NUMBER}")
    assert stack.heard(MARKET, "状态：待报价") and stack.heard(MARKET, "· 交货期评审")
