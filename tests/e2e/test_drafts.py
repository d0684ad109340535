"""An order draft never traps its author: every card can be cancelled, a waiting question does
not swallow other messages, buttons act on their own draft, a forgotten draft expires, and a
card with a wrong field cannot be confirmed."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.simulate import Stack
from handlers import reading
from storage.models import OrderDraftRow
from tests.e2e.conftest import LIMING, MARKET, TECH, ZHANGWEI, set_up_company
from tests.e2e.test_clocks import at
from tests.e2e.test_lifecycle import MANUFACTURING, NUMBER, WANGQIANG, _company
from workflow.parsing import ParseResult

HALF = "/order 客户:华东电力 产品:开关柜 交期:12月20日"  # the quantity is missing


async def _drafts(stack: Stack) -> list[dict]:
    async with stack.gendan.sessions() as session:
        rows = await session.scalars(select(OrderDraftRow).order_by(OrderDraftRow.id))
        return [{"status": r.status, "asking": r.asking, **r.fields} for r in rows]


async def _audit(stack: Stack, subject_type: str, subject_id: str | int) -> list[str]:
    async with stack.gendan.runtime.unit_of_work() as uow:
        return [e.action for e in await uow.audit.for_subject(subject_type, subject_id)]


async def test_every_card_can_be_cancelled_and_cancel_words_end_the_draft(stack: Stack) -> None:
    await set_up_company(stack)
    await stack.say(MARKET, LIMING, HALF)
    assert "还缺数量" in stack.texts(MARKET)[-1]
    assert stack.emulator.last_message(MARKET).labels == ["取消"]
    await stack.say(MARKET, LIMING, "算了")
    assert stack.heard(MARKET, "订单草稿（华东电力，开关柜）已取消")
    assert [d["status"] for d in await _drafts(stack)] == ["cancelled"]
    assert "draft.cancelled" in await _audit(stack, "draft", 1)

    # A whole card, and the prompt after 修改, offer 取消 as well; the word works there too.
    await stack.say(MARKET, LIMING, HALF + " 数量:12台")
    assert stack.emulator.last_message(MARKET).labels == ["确认", "修改", "取消"]
    await stack.press(MARKET, LIMING, "修改")
    assert stack.emulator.last_message(MARKET).labels == ["取消"]
    await stack.say(MARKET, LIMING, "不要了。")
    assert [d["status"] for d in await _drafts(stack)] == ["cancelled", "cancelled"]
    assert (await stack.state())["orders"] == []
    before = len(stack.messages)
    await stack.say(MARKET, LIMING, "取消")  # nothing left to cancel: group talk
    assert len(stack.messages) == before


async def test_a_waiting_question_does_not_swallow_other_messages(stack: Stack) -> None:
    await _company(stack)
    await stack.say(MARKET, LIMING, "/order 客户:华东电力 产品:开关柜 数量:12台 交期:12月20日")
    await stack.press(MARKET, LIMING, "确认")
    await stack.say(MARKET, LIMING, "/order 客户:江苏恒通 产品:电机 交期:12月25日")
    assert "还缺数量" in stack.texts(MARKET)[-1]

    before = len(stack.messages)
    for talk in ("今天中午吃什么？", "我10点到", "3楼会议室开会"):
        await stack.say(MARKET, LIMING, talk)
    assert len(stack.messages) == before  # talk in the group is left alone

    await stack.say(MARKET, LIMING, "/tasks")  # a command is a command
    assert stack.heard(MARKET, "待办")

    # A change sentence is a change notice for the registered order, not the draft's quantity.
    await stack.say(MARKET, LIMING, "华东电力那单开关柜改成18台")
    assert stack.heard(MARKET, "18")
    assert (await stack.state())["change_notices"][0]["changes"]["quantity"] == 18
    [_first, waiting] = await _drafts(stack)
    assert waiting["asking"] == "quantity" and waiting["quantity"] is None

    # A whole new order is a draft of its own; the waiting one still gets its answer.
    await stack.say(MARKET, LIMING, "客户:浙江正泰 产品:箱变 数量:2台 交期:12月28日")
    assert stack.emulator.last_message(MARKET).labels == ["确认", "修改", "取消"]
    await stack.say(MARKET, LIMING, "30台")
    drafts = await _drafts(stack)
    assert [(d["customer"], d["quantity"]) for d in drafts] == [
        ("华东电力", 12), ("江苏恒通", 30), ("浙江正泰", 2)]
    assert "30台" in stack.texts(MARKET)[-1]


async def test_a_reply_to_a_task_is_a_report_even_while_a_draft_waits(stack: Stack) -> None:
    await _company(stack)
    await stack.say(MARKET, LIMING, "/order 客户:华东电力 产品:开关柜 数量:12台 交期:12月20日")
    await stack.press(MARKET, LIMING, "确认")
    await stack.press(TECH, ZHANGWEI, "可行")
    await stack.press(MANUFACTURING, WANGQIANG, "可行")
    for command in (f"/quote {NUMBER} 42万", f"/signed {NUMBER}", f"/paid {NUMBER}"):
        await stack.say(MARKET, LIMING, command)
    task_message = stack.emulator.newest_message(MARKET, "下达生产指令", with_buttons=True)
    await stack.say(MARKET, LIMING, HALF)
    await stack.say(MARKET, LIMING, "进度 50% ERP录入中", reply_to_message_id=task_message.message_id)
    [task] = [t for t in (await stack.state())["tasks"] if t["kind"] == "production_order"]
    assert task["progress"] == 50
    [_order_draft, waiting] = await _drafts(stack)
    assert waiting["asking"] == "quantity" and waiting["quantity"] is None


async def test_buttons_act_on_their_own_draft_and_card(stack: Stack) -> None:
    await set_up_company(stack)
    await stack.say(MARKET, LIMING, "/order 客户:华东电力 产品:开关柜 数量:12台 交期:12月20日")
    await stack.say(MARKET, LIMING, HALF.replace("华东电力", "江苏恒通"))
    # 取消 on the first card ends the first draft, not the newer one that asks a question.
    await stack.press(MARKET, LIMING, "取消", on="华东电力")
    assert [d["status"] for d in await _drafts(stack)] == ["cancelled", "pending"]

    await stack.say(MARKET, LIMING, "12台", reply_to_message_id=None)
    await stack.press(MARKET, LIMING, "修改", on="江苏恒通")
    await stack.say(MARKET, LIMING, "数量:15台")
    # 确认 on the card shown before the correction would register what it did not show.
    await stack.press(MARKET, LIMING, "确认", on="12台")
    assert stack.heard(MARKET, "在最新的那张卡片上确认")
    assert (await stack.state())["orders"] == []
    await stack.press(MARKET, LIMING, "确认", on="15台")
    [order] = (await stack.state())["orders"]
    assert (order["customer"], order["quantity"]) == ("江苏恒通", 15)


async def test_a_forgotten_draft_expires_with_a_short_note(stack: Stack) -> None:
    await set_up_company(stack)
    await stack.say(MARKET, LIMING, HALF)  # 09:00
    await stack.advance_to(at("2026-11-24", "10:30"))
    await stack.say(MARKET, LIMING, "12台")  # an answer gives the draft its full two hours again
    await stack.advance_to(at("2026-11-24", "12:25"))
    assert not [t for t in stack.texts(MARKET) if "已作废" in t]
    await stack.advance_to(at("2026-11-24", "12:35"))
    [note] = [m for m in stack.messages if "已作废" in m["text"]]
    assert note["at"].startswith("2026-11-24T12:30") and "华东电力" in note["text"]
    assert [d["status"] for d in await _drafts(stack)] == ["expired"]
    assert "draft.expired" in await _audit(stack, "draft", 1)
    await stack.press(MARKET, LIMING, "确认")
    assert stack.heard(MARKET, "已经处理过了")
    assert (await stack.state())["orders"] == []


async def test_a_draft_left_in_the_evening_expires_after_quiet_hours(stack: Stack) -> None:
    await set_up_company(stack)
    await stack.advance_to(at("2026-11-24", "20:00"))
    await stack.say(MARKET, LIMING, HALF)
    await stack.advance_to(at("2026-11-25", "09:00"))
    [note] = [m for m in stack.messages if "已作废" in m["text"]]
    assert note["at"].startswith("2026-11-25T08:00")  # not at 22:00 in the group


async def test_a_card_with_a_wrong_field_offers_only_edit_and_cancel(stack: Stack) -> None:
    await set_up_company(stack)
    await stack.say(MARKET, LIMING, "/order 客户:★华东电力😀 产品:✨开关柜✨ 数量:-3台 交期:12月20日")
    card = stack.emulator.last_message(MARKET)
    assert card.labels == ["修改", "取消"]
    assert "数量必须大于 0" in card.text and "不能确认" in card.text
    assert "客户：华东电力\n" in card.text and "产品：开关柜\n" in card.text
    await stack.press(MARKET, LIMING, "修改")
    await stack.say(MARKET, LIMING, "数量:5000000台")
    assert stack.emulator.last_message(MARKET).labels == ["修改", "取消"]
    assert "数量太大" in stack.texts(MARKET)[-1]
    await stack.press(MARKET, LIMING, "修改")
    await stack.say(MARKET, LIMING, "数量:3台")
    assert stack.emulator.last_message(MARKET).labels == ["确认", "修改", "取消"]
    await stack.press(MARKET, LIMING, "确认")
    [order] = (await stack.state())["orders"]
    assert (order["customer"], order["product"], order["quantity"]) == ("华东电力", "开关柜", 3)


async def test_a_wrong_answer_says_what_was_wrong_and_offers_cancel(stack: Stack) -> None:
    await set_up_company(stack)
    await stack.say(MARKET, LIMING, HALF)
    await stack.say(MARKET, LIMING, "-3台")
    refusal = stack.emulator.last_message(MARKET)
    assert "数量有问题" in refusal.text and "12台" in refusal.text
    assert refusal.labels == ["取消"]
    assert (await _drafts(stack))[0]["quantity"] is None


async def test_a_date_that_rolls_into_next_year_is_shown_plainly(stack: Stack) -> None:
    await set_up_company(stack)
    await stack.say(MARKET, LIMING, "/order 客户:华东电力 产品:开关柜 数量:12台 交期:11月1日")
    card = stack.emulator.last_message(MARKET)
    assert "交期：2027-11-01" in card.text and "明年" in card.text
    assert card.labels == ["确认", "修改", "取消"]  # right or wrong, the rep decides by a tap
    assert (await stack.state())["orders"] == []
    await stack.press(MARKET, LIMING, "确认")
    assert (await stack.state())["orders"][0]["due_date"] == "2027-11-01"


async def test_an_oversized_message_gets_a_clear_answer(stack: Stack) -> None:
    await set_up_company(stack)
    notes = "柜体喷涂RAL7035，" * 120
    await stack.say(MARKET, LIMING, f"/order 客户:华东电力 产品:开关柜 数量:12台 交期:12月20日 备注:{notes}")
    assert stack.heard(MARKET, "消息太长") and stack.heard(MARKET, "最多 1000 字")
    assert await _drafts(stack) == []
    before = len(stack.messages)
    await stack.say(MARKET, LIMING, "今天的会议纪要：" + "讨论了很多事情。" * 200)
    assert len(stack.messages) == before  # a long paste that is no order is not answered
    await stack.say(MARKET, LIMING, f"江苏恒通机械要30台电机，月底前交货。{notes}")
    assert stack.heard(MARKET, "消息太长")
    assert await _drafts(stack) == []


async def test_a_value_the_parser_refuses_gates_the_card(
        stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    """The parser's own refusals (a quantity it finds too large for an order) gate the card
    even where the bot has no rule of its own for the value."""
    read = reading.parse_message

    def too_large(*args: object, **kwargs: object) -> ParseResult:
        result = read(*args, **kwargs)
        result.warnings.append("quantity_too_large")
        return result

    await set_up_company(stack)
    monkeypatch.setattr(reading, "parse_message", too_large)
    await stack.say(MARKET, LIMING, "/order 客户:华东电力 产品:开关柜 数量:200000台 交期:12月20日")
    card = stack.emulator.last_message(MARKET)
    assert card.labels == ["修改", "取消"] and "数量太大" in card.text


async def test_a_missing_name_is_answered_by_a_reply_to_the_card(stack: Stack) -> None:
    """Any words read as a name, so in a group the name comes as a reply to the card."""
    await set_up_company(stack)
    await stack.say(MARKET, LIMING, "/order 产品:开关柜 数量:12台 交期:12月20日")
    question = stack.emulator.last_message(MARKET)
    assert "还缺客户，请回复（引用）这条消息" in question.text
    before = len(stack.messages)
    await stack.say(MARKET, LIMING, "好的")
    assert len(stack.messages) == before and (await _drafts(stack))[0]["customer"] is None
    await stack.say(MARKET, LIMING, "华东电力😀", reply_to_message_id=question.message_id)
    assert (await _drafts(stack))[0]["customer"] == "华东电力"
    assert stack.emulator.last_message(MARKET).labels == ["确认", "修改", "取消"]
