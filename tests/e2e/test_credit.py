"""信用评估: finance keeps customers' credit with /credit; an order over the limit gets finance's
review beside the delivery review, a risky customer's order goes to the general manager."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from bot.simulate import Stack
from storage.models import AuditEventRow
from tests.e2e.conftest import ADMIN, LIMING, MARKET, ZHAOZONG, set_up_company
from tests.e2e.test_order_review import ORDER  # 12台 × 3.5万 = 42万

FINANCE, QIAN = -1004, 401
FIRST, SECOND = "SO-20261124-001", "SO-20261124-002"
SMALL = "/order 客户:华东电力 产品:GGD低压开关柜 型号:GGD2-20 数量:4台 单价:3万 交期:12月22日"


async def _company(stack: Stack) -> None:
    await set_up_company(stack)
    stack.emulator.add_group(FINANCE, "财务部")
    await stack.say(FINANCE, ADMIN, "/bind finance")
    stack.emulator.add_user(QIAN, "钱会计", "qian")
    await stack.say(QIAN, QIAN, "/start")
    await stack.say(MARKET, ADMIN, "/role @qian finance")


async def _order(stack: Stack, text: str = ORDER) -> None:
    await stack.say(MARKET, LIMING, text)
    await stack.press(MARKET, LIMING, "确认")


async def _tasks(stack: Stack, kind: str) -> list[dict[str, Any]]:
    return [t for t in (await stack.state())["tasks"] if t["kind"] == kind]


def _errors(stack: Stack) -> list[str]:
    return [m["text"] for m in stack.messages[stack._step_start:] if m["kind"] == "error"]


async def test_finance_keeps_the_record_and_others_read_it(stack: Stack) -> None:
    await _company(stack)
    await stack.say(FINANCE, QIAN, "/credit 华东电力 50万 月结30天")
    assert not _errors(stack)
    await stack.say(FINANCE, QIAN, "/credit 华东电力 风险 两笔货款逾期90天")
    async with stack.gendan.runtime.unit_of_work() as uow:
        record = await uow.credits.get("华东电力")
    assert record is not None
    assert (record.limit, record.terms, record.risk, record.updated_by) == (
        500000.0, "月结30天", "两笔货款逾期90天", QIAN)
    await stack.say(MARKET, LIMING, "/credit 华东电力")
    assert stack.heard(MARKET, "月结30天") and stack.heard(MARKET, "500,000")
    await stack.say(MARKET, LIMING, "/credit 华东电力 100万")
    assert _errors(stack)  # market may read, not change
    async with stack.gendan.runtime.unit_of_work() as uow:
        assert (await uow.credits.get("华东电力")).limit == 500000.0  # type: ignore[union-attr]
    await stack.say(FINANCE, QIAN, "/credit 华东电力 无风险")
    await stack.say(FINANCE, QIAN, "/credit 华东电力 不限额")
    async with stack.gendan.runtime.unit_of_work() as uow:
        record = await uow.credits.get("华东电力")
    assert record is not None and (record.limit, record.risk, record.terms) == (
        None, None, "月结30天")


async def test_bad_credit_commands_say_what_to_type(stack: Stack) -> None:
    await _company(stack)
    for command, fragment in (("/credit", "客户名称"), ("/credit 华东电力 很多", "不是金额"),
                              ("/credit 华东电力 0", "不是金额"),
                              ("/credit 华东电力 风险", "风险说明")):
        await stack.say(FINANCE, QIAN, command)
        [refusal] = _errors(stack)  # what was wrong and what to type, in one message
        assert fragment in refusal, command
        assert "/credit 华东电力 50万 月结30天" in refusal
    async with stack.gendan.runtime.unit_of_work() as uow:
        assert await uow.credits.get("华东电力") is None


async def test_no_limit_no_check(stack: Stack) -> None:
    await _company(stack)
    await _order(stack)
    await stack.say(FINANCE, QIAN, "/credit 华东电力 月结30天")  # no amount: refused
    await _order(stack, SMALL)
    assert await _tasks(stack, "credit_review") == []
    assert await _tasks(stack, "credit_decision") == []


async def test_an_order_over_the_limit_gets_finances_review(stack: Stack) -> None:
    await _company(stack)
    await stack.say(FINANCE, QIAN, "/credit 华东电力 50万 月结30天")
    await _order(stack)  # 42万: within the limit
    assert await _tasks(stack, "credit_review") == []
    await _order(stack, SMALL)  # 12万 more, the first still unpaid: 54万
    [review] = await _tasks(stack, "credit_review")
    assert (review["order"], review["role"], review["status"]) == (SECOND, "finance", "open")
    # One working day, like the delivery review opened beside it.
    feasibility = [t for t in await _tasks(stack, "feasibility_review") if t["order"] == SECOND]
    assert {t["due_at"] for t in feasibility} == {review["due_at"]}
    assert stack.heard(FINANCE, "540,000") and stack.heard(MARKET, "信用评审")
    await stack.press(FINANCE, QIAN, "同意接单", on=SECOND)
    [review] = await _tasks(stack, "credit_review")
    assert (review["status"], review["outcome"]) == ("done", "approved")
    assert stack.heard(MARKET, "信用评审已通过")


async def test_referred_to_the_general_manager_who_declines(stack: Stack) -> None:
    await _company(stack)
    await stack.say(FINANCE, QIAN, "/credit 华东电力 10万")
    await _order(stack)
    await stack.press(FINANCE, QIAN, "报总经理", on=FIRST)
    [decision] = await _tasks(stack, "credit_decision")
    assert (decision["role"], decision["status"]) == ("gm", "open")
    await stack.press(ZHAOZONG, ZHAOZONG, "不接此单", on=FIRST)
    [decision] = await _tasks(stack, "credit_decision")
    assert decision["outcome"] == "declined"
    state = await stack.state()
    assert state["orders"][0]["status"] == "cancelled"
    # The feasibility reviews went with the order.
    assert {t["status"] for t in state["tasks"] if t["kind"] == "feasibility_review"} == {
        "cancelled"}


async def test_a_risky_customer_is_reported_and_the_decision_recorded(stack: Stack) -> None:
    await _company(stack)
    await stack.say(FINANCE, QIAN, "/credit 华东电力 风险 两笔货款逾期90天")
    await _order(stack)
    assert await _tasks(stack, "credit_review") == []  # no limit: no over-limit review
    assert stack.heard(FINANCE, "两笔货款逾期90天")
    [decision] = await _tasks(stack, "credit_decision")
    assert decision["order"] == FIRST
    await stack.press(ZHAOZONG, ZHAOZONG, "接单", on=FIRST)
    [decision] = await _tasks(stack, "credit_decision")
    assert (decision["status"], decision["outcome"]) == ("done", "accepted")
    assert (await stack.state())["orders"][0]["status"] == "review"
    async with stack.gendan.sessions() as session:
        facts = await session.scalars(select(AuditEventRow.after).where(
            AuditEventRow.action == "order.facts", AuditEventRow.subject_id == FIRST))
        decided = [f["credit_decision"] for f in facts if f and "credit_decision" in f]
    assert decided and decided[0]["by"] == ZHAOZONG and decided[0]["outcome"] == "accepted"
    assert stack.heard(FINANCE, "决定接单")
