"""One order from a sales rep's message to the departments' delivery-date review."""

from __future__ import annotations

from sqlalchemy import delete

from bot.simulate import Stack
from storage.models import OrderRow
from tests.conftest import START
from tests.e2e.conftest import (
    ADMIN,
    LIMING,
    MANUFACTURING,
    MARKET,
    STRANGER,
    TECH,
    UNBOUND,
    WANGQIANG,
    ZHANGWEI,
    populate,
    set_up_company,
)

ORDER = "/order 客户:华东电力 产品:GGD低压开关柜 型号:GGD2-15 数量:12台 单价:3.5万 交期:12月20日 成套"


async def test_order_is_confirmed_and_reviewed_by_both_departments(stack: Stack) -> None:
    await set_up_company(stack)
    await stack.say(MARKET, LIMING, ORDER)
    card = stack.messages[-1]
    assert card["buttons"] == [["确认", "修改", "取消"]]
    assert "华东电力" in card["text"] and "GGD2-15" in card["text"] and "2026-12-20" in card["text"]
    assert (await stack.state())["orders"] == []  # nothing is registered before 确认

    await stack.press(MARKET, LIMING, "确认")
    assert any("订单 SO-20261124-001 已登记" in t for t in stack.texts(MARKET))
    tech_request = stack.emulator.last_message(TECH)
    assert tech_request is not None and "交货期评审 SO-20261124-001" in tech_request.text
    assert [b.text for b in tech_request.buttons[0]] == ["可行", "不可行"]
    assert stack.emulator.last_message(MANUFACTURING) is not None

    await stack.press(TECH, ZHANGWEI, "可行")
    await stack.press(MANUFACTURING, WANGQIANG, "可行")
    assert "交货期评审通过，请报价" in stack.texts(MARKET)[-1]

    state = await stack.state()
    assert state["orders"][0]["status"] == "quote"
    reviews = [t for t in state["tasks"] if t["kind"] == "feasibility_review"]
    assert [t["outcome"] for t in reviews] == ["feasible", "feasible"]
    assert [t["kind"] for t in state["tasks"] if t["status"] == "open"] == ["quote"]
    assert state["audit_events"] >= 8


async def test_infeasible_review_asks_a_reason_and_tells_market(stack: Stack) -> None:
    await set_up_company(stack)
    await stack.say(MARKET, LIMING, ORDER)
    await stack.press(MARKET, LIMING, "确认")
    await stack.press(MANUFACTURING, WANGQIANG, "不可行")
    reasons = stack.emulator.last_message(MANUFACTURING)
    assert [row[0].text for row in reasons.buttons] == ["产能不足", "物料周期长", "技术难度大",
                                                         "其他原因", "返回"]
    await stack.press(MANUFACTURING, WANGQIANG, "产能不足")
    assert "制造中心评审不可行：产能不足" in stack.texts(MARKET)[-1]
    assert (await stack.state())["orders"][0]["status"] == "negotiating"


async def test_a_person_without_the_role_is_told_which_role_may(stack: Stack) -> None:
    await set_up_company(stack)
    await stack.say(MARKET, STRANGER, ORDER)
    assert "需要市场部的人员" in stack.texts(MARKET)[-1]
    await stack.say(MARKET, LIMING, ORDER)
    await stack.press(MARKET, LIMING, "确认")
    before = len(stack.messages)
    await stack.press(TECH, WANGQIANG, "可行")  # a manufacturing leader is not tech
    # A pop-up for him alone; nothing in the group, and the review is still open.
    assert stack.messages[before:] == []
    answer = stack.emulator.answered_callbacks[-1]
    assert answer["user_id"] == WANGQIANG and answer.get("show_alert") in (True, "true")
    assert "需要技术中心的人员" in answer["text"]
    assert [t["status"] for t in (await stack.state())["tasks"]
            if t["role"] == "tech"] == ["open"]


async def test_unbound_group_and_wrong_department(stack: Stack) -> None:
    await set_up_company(stack)
    await stack.say(UNBOUND, LIMING, ORDER)
    assert "还没有绑定部门" in stack.texts(UNBOUND)[-1]
    await stack.say(TECH, LIMING, ORDER)
    assert "这是技术中心的群" in stack.texts(TECH)[-1]


async def test_missing_field_is_asked_for_and_filled_in(stack: Stack) -> None:
    await set_up_company(stack)
    await stack.say(MARKET, LIMING, "/order 客户:华东电力 产品:开关柜 数量:12台")
    assert "还缺交期" in stack.texts(MARKET)[-1]
    question = stack.emulator.last_message(MARKET)
    assert question.labels == ["取消"]
    before = len(stack.messages)
    await stack.say(MARKET, LIMING, "还不知道，等客户回复")  # group talk, not a date
    assert len(stack.messages) == before
    await stack.say(MARKET, LIMING, "还不知道，等客户回复", reply_to_message_id=question.message_id)
    assert "交期有问题" in stack.texts(MARKET)[-1]  # said to the bot: the answer is wrong
    await stack.say(MARKET, LIMING, "12月20日")
    assert stack.messages[-1]["buttons"] == [["确认", "修改", "取消"]]
    assert "2026-12-20" in stack.texts(MARKET)[-1]


async def test_edit_then_cancel_registers_nothing(stack: Stack) -> None:
    await set_up_company(stack)
    await stack.say(MARKET, LIMING, ORDER)
    await stack.press(MARKET, LIMING, "修改")
    await stack.say(MARKET, LIMING, "数量:15台")
    assert "15台" in stack.texts(MARKET)[-1]
    await stack.press(MARKET, LIMING, "取消")
    assert "已取消" in stack.texts(MARKET)[-1]
    assert (await stack.state())["orders"] == []


async def test_same_order_twice_is_flagged(stack: Stack) -> None:
    await set_up_company(stack)
    for _ in range(2):
        await stack.say(MARKET, LIMING, ORDER)
        await stack.press(MARKET, LIMING, "确认", on="请核对订单")
    assert "SO-20261124-001" in stack.texts(MARKET)[-1] and "一样" in stack.texts(MARKET)[-1]
    await stack.press(MARKET, LIMING, "仍然登记")
    assert any("SO-20261124-002 已登记" in t for t in stack.texts(MARKET))


async def test_someone_else_cannot_confirm_a_draft(stack: Stack) -> None:
    await set_up_company(stack)
    await stack.say(MARKET, LIMING, ORDER)
    await stack.say(STRANGER, STRANGER, "/start")
    await stack.say(MARKET, 1, "/role @stranger market")
    await stack.press(MARKET, STRANGER, "确认")
    assert "只有提交人" in stack.texts(MARKET)[-1]


async def test_deleted_order_answers_clearly(stack: Stack) -> None:
    await set_up_company(stack)
    await stack.say(MARKET, LIMING, ORDER)
    await stack.press(MARKET, LIMING, "确认")
    async with stack.gendan.sessions() as session:
        await session.execute(delete(OrderRow))
        await session.commit()
    await stack.press(TECH, ZHANGWEI, "可行")
    assert "找不到这项任务" in stack.texts(TECH)[-1]


async def test_a_review_cannot_be_answered_twice(stack: Stack) -> None:
    await set_up_company(stack)
    await stack.say(MARKET, LIMING, ORDER)
    await stack.press(MARKET, LIMING, "确认")
    tech_request = stack.emulator.last_message(TECH)
    feasible_data = tech_request.buttons[0][0].callback_data
    await stack.press(TECH, ZHANGWEI, "可行")
    # A second tap from a phone that still shows the old buttons.
    stack.emulator.press_stale(TECH, ZHANGWEI, tech_request.message_id, feasible_data)
    before = len(stack.messages)
    await stack.pump()
    # A pop-up for him alone (the old screen is his, not the group's business).
    assert stack.messages[before:] == []
    answer = stack.emulator.answered_callbacks[-1]
    assert answer["user_id"] == ZHANGWEI and answer.get("show_alert") in (True, "true")
    assert "已经处理过了" in answer["text"]


async def test_a_lone_field_in_the_group_is_not_an_order(stack: Stack) -> None:
    await set_up_company(stack)
    before = len(stack.messages)
    await stack.say(MARKET, LIMING, "交期:12月25日")
    assert len(stack.messages) == before  # group talk about a date opens no draft
    await stack.say(MARKET, LIMING, "江苏恒通机械要30台Y160M-4电机，月底前交货，单价2800")
    assert stack.messages[-1]["buttons"] == [["确认", "修改", "取消"]]
    assert "江苏恒通机械" in stack.texts(MARKET)[-1] and "30台" in stack.texts(MARKET)[-1]


async def test_a_date_in_the_past_is_asked_again(stack: Stack) -> None:
    await set_up_company(stack)
    await stack.say(MARKET, LIMING, "/order 客户:华东电力 产品:开关柜 数量:12台")
    await stack.say(MARKET, LIMING, "2026-11-01")
    assert stack.heard(MARKET, "交期有问题") and stack.heard(MARKET, "交期已经过去了")
    await stack.say(MARKET, LIMING, "下周三")
    assert "2026-12-02" in stack.texts(MARKET)[-1]


async def test_the_company_policy_words_make_an_order_non_regular(database_url: str) -> None:
    """The bot classifies by the company's `non_regular.keywords`, not by words of its own."""
    policy = {"non_regular.keywords.custom_design": ["防爆型"]}
    async with Stack(START, database_url=database_url, admin_ids=frozenset({ADMIN}),
                     policy=policy) as stack:
        populate(stack.emulator)
        await set_up_company(stack)
        await stack.say(MARKET, LIMING, ORDER + " 防爆型")
        assert "非常规原因：需重新设计" in stack.messages[-1]["text"]
        await stack.press(MARKET, LIMING, "确认")
        assert (await stack.state())["orders"][0]["order_class"] == "non_regular"


async def test_the_card_shows_the_total_and_the_quantity_with_its_unit(stack: Stack) -> None:
    await set_up_company(stack)
    await stack.say(MARKET, LIMING, ORDER)  # a unit price and a quantity, no total
    assert "总价：420,000 元" in stack.texts(MARKET)[-1]
    assert "数量：12台" in stack.texts(MARKET)[-1]
    await stack.say(LIMING, LIMING, "/lang en")
    await stack.say(LIMING, LIMING, ORDER.replace("12台", "1台"))
    card = stack.texts(LIMING)[-1]
    assert "Quantity: 1 unit\n" in card and "Amount: ¥35,000" in card
