"""A renegotiated order is reviewed again on its own: the new round's answers decide it, and
the old round's requests say they were replaced instead of answering."""

from __future__ import annotations

from bot.simulate import Stack
from tests.e2e.conftest import ADMIN, LIMING, MANUFACTURING, MARKET, TECH, WANGQIANG, ZHANGWEI
from tests.e2e.test_lifecycle import NUMBER, _company, _status
from tests.e2e.test_order_review import ORDER

OLD_DATE, NEW_DATE = "要求交期：2026-12-20", "要求交期：2027-01-15"


async def _renegotiated(stack: Stack) -> None:
    """Tech finds 12-20 infeasible; the customer agrees to 1-15."""
    await _company(stack)
    await stack.say(MARKET, LIMING, ORDER)
    await stack.press(MARKET, LIMING, "确认")
    await stack.press(TECH, ZHANGWEI, "不可行")
    await stack.press(TECH, ZHANGWEI, "技术难度大")
    assert await _status(stack) == "negotiating"
    await stack.say(MARKET, LIMING, f"/newdate {NUMBER} 1月15日")


async def test_a_renegotiated_date_is_decided_by_the_new_round_alone(stack: Stack) -> None:
    await _renegotiated(stack)
    [tech_round, manufacturing_round] = [
        stack.emulator.newest_message(chat, NEW_DATE) for chat in (TECH, MANUFACTURING)]
    assert "第 2 轮" in tech_round.text and "第 2 轮" in manufacturing_round.text
    await stack.press(TECH, ZHANGWEI, "可行", on=NEW_DATE)
    assert await _status(stack) == "review"  # manufacturing has not answered round 2 yet
    await stack.press(MANUFACTURING, WANGQIANG, "可行", on=NEW_DATE)
    assert await _status(stack) == "quote"
    assert stack.heard(MARKET, "交货期评审通过，请报价")
    await stack.say(MARKET, LIMING, f"/quote {NUMBER} 42万")
    assert await _status(stack) == "contract"

    state = await stack.state()
    reviews = [(t["role"], t["status"], t["outcome"]) for t in state["tasks"]
               if t["kind"] == "feasibility_review"]
    assert reviews == [("tech", "done", "infeasible"), ("manufacturing", "cancelled", None),
                       ("tech", "done", "feasible"), ("manufacturing", "done", "feasible")]


async def test_the_old_rounds_requests_say_they_were_replaced(stack: Stack) -> None:
    await _renegotiated(stack)
    # Manufacturing never answered round 1; its request lost 可行 / 不可行 as round 2 began.
    old = stack.emulator.newest_message(MANUFACTURING, OLD_DATE)
    assert old.buttons == []
    # A phone that still shows them taps 不可行: the request says it was replaced.
    [first_round] = [t["id"] for t in (await stack.state())["tasks"]
                     if t["kind"] == "feasibility_review" and t["role"] == "manufacturing"
                     and t["status"] == "cancelled"]
    stack.emulator.press_stale(MANUFACTURING, WANGQIANG, old.message_id,
                               f"v1:rv:{first_round}:no")
    await stack.pump()
    old = stack.emulator.newest_message(MANUFACTURING, OLD_DATE)
    assert "已被订单 SO-20261124-001 的第 2 轮评审取代" in old.text and old.buttons == []
    assert not [m for m in stack.messages if m["kind"] == "error"]  # nothing to refuse
    state = await stack.state()
    assert state["orders"][0]["status"] == "review"
    assert [t["status"] for t in state["tasks"] if t["kind"] == "feasibility_review"
            and t["role"] == "manufacturing"] == ["cancelled", "open"]
    # The new round's request is untouched and still answers.
    await stack.press(MANUFACTURING, WANGQIANG, "可行", on=NEW_DATE)
    await stack.press(TECH, ZHANGWEI, "可行", on=NEW_DATE)
    assert await _status(stack) == "quote"


async def test_an_infeasible_second_round_goes_back_to_negotiation(stack: Stack) -> None:
    await _renegotiated(stack)
    await stack.press(TECH, ZHANGWEI, "可行", on=NEW_DATE)
    await stack.press(MANUFACTURING, WANGQIANG, "不可行", on=NEW_DATE)
    await stack.press(MANUFACTURING, WANGQIANG, "物料周期长")
    assert await _status(stack) == "negotiating"
    await stack.say(MARKET, LIMING, f"/newdate {NUMBER} 2月1日")
    assert "第 3 轮" in stack.emulator.newest_message(TECH, "要求交期：2027-02-01").text
    await stack.press(TECH, ZHANGWEI, "可行", on="要求交期：2027-02-01")
    await stack.press(MANUFACTURING, WANGQIANG, "可行", on="要求交期：2027-02-01")
    assert await _status(stack) == "quote"


async def test_nobody_reviews_an_order_they_registered(stack: Stack) -> None:
    """A person in both market and tech registers an order: tech's review is someone else's."""
    await _company(stack)
    await stack.say(TECH, ADMIN, "/role @liming 技术中心")
    await stack.say(MARKET, LIMING, ORDER)
    await stack.press(MARKET, LIMING, "确认")
    await stack.press(TECH, LIMING, "可行")
    assert stack.heard(TECH, "是你提出的，不能自己答复，请由技术中心的其他同事答复")
    await stack.press(TECH, LIMING, "不可行")
    assert stack.heard(TECH, "是你提出的")
    state = await stack.state()
    assert [t["status"] for t in state["tasks"] if t["role"] == "tech"] == ["open"]
    await stack.press(TECH, ZHANGWEI, "可行")
    await stack.press(MANUFACTURING, WANGQIANG, "可行")
    assert await _status(stack) == "quote"
