"""Wrong facts stay out: more shipped than ordered, a quote of zero or less, a quote changed
after signing, a command the size of a document. Each refusal says why and what to type."""

from __future__ import annotations

import pytest

from bot.simulate import Stack
from handlers import order_commands
from tests.e2e.test_lifecycle import (
    FINANCE,
    LIMING,
    MARKET,
    NUMBER,
    QIAN,
    SUN,
    WAREHOUSE,
    _company,
    _reviewed,
    _status,
    ready_to_ship,
)


async def _facts(stack: Stack) -> dict:
    async with stack.gendan.runtime.unit_of_work() as uow:
        return (await uow.orders.by_number(NUMBER)).facts


async def _audit(stack: Stack, action: str) -> list:
    async with stack.gendan.runtime.unit_of_work() as uow:
        return [e for e in await uow.audit.for_subject("order", NUMBER) if e.action == action]


async def test_shipping_more_than_was_ordered_is_refused(stack: Stack) -> None:
    await ready_to_ship(stack)
    await stack.say(WAREHOUSE, SUN, f"/ship {NUMBER} 20台")
    assert stack.heard(WAREHOUSE, "发货数量 20台 超过了订单 SO-20261124-001 的数量 12台")
    assert stack.heard(WAREHOUSE, f"/ship {NUMBER} 12台")
    await stack.say(WAREHOUSE, SUN, f"/ship {NUMBER} 0")
    assert stack.heard(WAREHOUSE, "数量必须大于 0") and stack.heard(WAREHOUSE, "用法：/ship")
    assert await _status(stack) == "shipping"
    assert not await _audit(stack, "order.ship")
    assert "shipped_quantity" not in await _facts(stack)

    await stack.say(WAREHOUSE, SUN, f"/ship {NUMBER} 12台")
    assert stack.heard(WAREHOUSE, "已全部发货")
    assert (await _facts(stack))["shipped_quantity"] == 12
    assert not [t for t in (await stack.state())["tasks"] if t["kind"] == "missing_parts"]


async def test_a_quote_is_positive_and_can_be_corrected_until_the_customer_signs(
        stack: Stack, monkeypatch: pytest.MonkeyPatch) -> None:
    await _company(stack)
    await _reviewed(stack)
    await stack.say(MARKET, LIMING, f"/quote {NUMBER} 0")
    assert stack.heard(MARKET, "金额必须大于 0") and stack.heard(MARKET, "用法：/quote")

    # Whatever the parser makes of "-5万", the order records no quote below zero.
    monkeypatch.setattr(order_commands, "parse_field_value", lambda *_: (-50000, None))
    await stack.say(MARKET, LIMING, f"/quote {NUMBER} -5万")
    assert stack.heard(MARKET, "报价金额必须大于 0")
    monkeypatch.undo()
    assert await _status(stack) == "quote" and "quote_amount" not in await _facts(stack)

    await stack.say(MARKET, LIMING, f"/quote {NUMBER} 42万")
    await stack.say(MARKET, LIMING, f"/quote {NUMBER} 45万")
    assert stack.heard(MARKET, "报价已更正：420,000 元 → 450,000 元")
    assert (await _facts(stack))["quote_amount"] == 450000
    correction = (await _audit(stack, "order.facts"))[-1]
    assert (correction.before, correction.after) == ({"quote_amount": 420000},
                                                     {"quote_amount": 450000})
    await stack.say(FINANCE, QIAN, f"/quote {NUMBER} 1万")
    assert stack.heard(FINANCE, "需要市场部")

    await stack.say(MARKET, LIMING, f"/signed {NUMBER}")
    await stack.say(MARKET, LIMING, f"/quote {NUMBER} 50万")
    assert stack.heard(MARKET, "合同已经签字，报价不能再改")
    assert (await _facts(stack))["quote_amount"] == 450000
    assert await _status(stack) == "contract"


async def test_a_command_the_size_of_a_document_gets_a_clear_answer(stack: Stack) -> None:
    await _company(stack)
    await _reviewed(stack)
    await stack.say(MARKET, LIMING, f"/hold {NUMBER} " + "客户要求暂缓。" * 400)
    assert stack.heard(MARKET, "消息太长") and stack.heard(MARKET, "最多 2000 字")
    assert await _status(stack) == "quote"
