"""Market's follow-up before the delivery date and urge slips (催促单)."""

from __future__ import annotations

from bot.simulate import Stack
from tests.e2e.conftest import LIMING, MANUFACTURING, MARKET, WANGQIANG, ZHAOZONG
from tests.e2e.test_clocks import at, sent
from tests.e2e.test_lifecycle import NUMBER, _company, _production_ordered, _reviewed


async def _in_production(stack: Stack, plan: str) -> None:
    await _company(stack)
    await _reviewed(stack)
    await _production_ordered(stack)
    await stack.say(MANUFACTURING, WANGQIANG, f"/plan {NUMBER}\n{plan}")


async def test_a_lagging_order_gets_an_urge_slip_that_market_sends(stack: Stack) -> None:
    # Due 12-20 (a Sunday); assembly planned to finish 12-22, after the delivery date.
    await _in_production(stack, "装配开始 12-08\n装配完成 12-22")
    await stack.press(MANUFACTURING, WANGQIANG, "完成", on="装配开始")
    await stack.advance_to(at("2026-12-16", "12:00"))
    [draft] = sent(stack, MARKET, "已起草催促单")
    # “提前2-3天”: Fri 18, Thu 17, Wed 16 are the three working days before Sun 12-20, so the
    # follow-up runs when work starts on Wed 12-16.
    assert draft["at"].startswith("2026-12-16T08:30") and draft["kind"] == "urge"
    assert "装配完成" in draft["text"] and "装配开始" not in draft["text"]
    assert draft["buttons"] == [["发出催促单", "不发"]]

    send_data = stack.emulator.last_message(MARKET).buttons[0][0].callback_data
    await stack.press(MARKET, LIMING, "发出催促单")
    slip = sent(stack, ZHAOZONG, "📣 催促单 CS-20261124-001-1")
    assert slip and slip[0]["kind"] == "urge"
    assert sent(stack, WANGQIANG, "📣 催促单") and sent(stack, MANUFACTURING, "📣 催促单")
    [record] = (await stack.state())["urge_slips"]
    assert record["status"] == "sent" and record["order"] == NUMBER
    stack.emulator.inject_raw({"callback_query": {  # a second tap from a stale screen
        "id": "again", "chat_instance": "x", "data": send_data,
        "from": {"id": LIMING, "is_bot": False, "first_name": "李明"},
        "message": {"message_id": 1, "date": 0,
                    "chat": {"id": MARKET, "type": "group", "title": "市场部"}}}})
    await stack.pump()
    assert "已经处理过了" in stack.texts(MARKET)[-1]
    assert len((await stack.state())["urge_slips"]) == 1


async def test_an_order_on_plan_gets_no_urge_slip(stack: Stack) -> None:
    await _in_production(stack, "装配完成 12-11")
    await stack.advance_to(at("2026-12-10", "12:00"))
    await stack.press(MANUFACTURING, WANGQIANG, "完成", on="装配完成")
    await stack.advance_to(at("2026-12-16", "12:00"))
    assert sent(stack, MARKET, "各项工作按计划进行")
    assert (await stack.state())["urge_slips"] == []


async def test_market_urges_by_hand(stack: Stack) -> None:
    # Assembly was due on 11-25 and is still open on 11-26: late, so the slip goes at once.
    await _in_production(stack, "装配完成 11-25")
    await stack.advance_to(at("2026-11-26", "09:00"))
    await stack.say(MANUFACTURING, WANGQIANG, f"/urge {NUMBER} 快点")
    assert "需要市场部" in stack.texts(MANUFACTURING)[-1]
    await stack.say(MARKET, LIMING, f"/urge {NUMBER} 客户催货，装配请加班")
    assert stack.heard(MARKET, "催促单 CS-20261124-001-1 已发给制造中心经理和总经理")
    assert stack.heard(ZHAOZONG, "客户催货，装配请加班") and stack.heard(ZHAOZONG, "装配完成")
    await stack.say(MARKET, LIMING, f"/urge {NUMBER}")
    assert stack.heard(MARKET, "用法：/urge")


async def test_urge_slips_are_exported_with_the_order(stack: Stack) -> None:
    import io

    import openpyxl

    await _in_production(stack, "装配完成 12-15")
    await stack.say(MARKET, LIMING, f"/urge {NUMBER} 客户催货，装配请加班")
    await stack.say(MARKET, LIMING, f"/export {NUMBER}")
    assert stack.heard(MARKET, f"📎 订单 {NUMBER} 的完整记录")
    [document] = stack.emulator.calls_to("sendDocument")
    book = openpyxl.load_workbook(io.BytesIO(stack.emulator.file_bytes(
        stack.emulator.last_message(MARKET).file_id)))
    assert document.params["document"]["filename"] == f"{NUMBER}.xlsx"
    assert book["订单"]["A2"].value == NUMBER
    assert [row[0] for row in book["催促单"].iter_rows(min_row=2, values_only=True)] == [
        "CS-20261124-001-1"]
    actions = {row[2] for row in book["日志"].iter_rows(min_row=2, values_only=True)}
    assert actions >= {"order.register", "order.record_quote", "task.open", "urge.draft"}
    await stack.say(MANUFACTURING, WANGQIANG, f"/export {NUMBER}")
    assert stack.heard(MANUFACTURING, "需要市场部、总经理")
