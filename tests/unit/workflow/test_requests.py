"""workflow/requests.py: a rep asks in a sentence to cancel an order; a leader decides."""

from __future__ import annotations

import pytest

from tests.unit.workflow.fakes import World
from tests.unit.workflow.journey import Company, company, registered
from workflow import requests
from workflow.errors import DomainError, Forbidden
from workflow.model import AnswerTo, ButtonAnswer, OrderStatus


async def test_a_request_goes_to_markets_leaders_with_the_choice(c: Company) -> None:
    order = await registered(c)
    with pytest.raises(Forbidden):
        await requests.request_cancel(c.world.ctx, c.tech, order, "作废")
    deciders = await requests.request_cancel(c.world.ctx, c.rep, order, "这单作废")
    assert deciders == [c.market_lead.person.id]
    request = c.world.order(order).facts["cancel_request"]
    assert (request["by"], request["said"]) == (c.rep.person.id, "这单作废")
    [ask] = c.world.notes("cancel_request.ask")
    assert ask.chat_id == c.market_lead.person.id
    assert [b.answer for b in ask.buttons[0]] == [
        ButtonAnswer(AnswerTo.CANCEL_REQUEST, order.id, "yes"),
        ButtonAnswer(AnswerTo.CANCEL_REQUEST, order.id, "no")]


async def test_without_a_market_leader_the_gm_decides() -> None:
    c = company(World())
    c.world.tables.people[c.market_lead.person.id].roles.clear()
    order = await registered(c)
    assert await requests.request_cancel(c.world.ctx, c.rep, order, "作废") == [c.gm.person.id]


async def test_the_leader_cancels_and_the_rep_hears(c: Company) -> None:
    order = await registered(c)
    await requests.request_cancel(c.world.ctx, c.rep, order, "客户不要了")
    await requests.settle_cancel_request(c.world.ctx, c.market_lead, order.id, True)
    stored = c.world.order(order)
    assert (stored.status, stored.facts["cancel_reason"]) == (OrderStatus.CANCELLED,
                                                              "客户不要了")
    assert stored.facts["cancel_request"] is None
    assert c.world.told("cancel_request.cancelled") == {c.rep.person.id}
    with pytest.raises(DomainError) as settled:
        await requests.settle_cancel_request(c.world.ctx, c.market_lead, order.id, False)
    assert settled.value.text.key == "cancel_request.settled"


async def test_the_leader_keeps_it(c: Company) -> None:
    order = await registered(c)
    await requests.request_cancel(c.world.ctx, c.rep, order, "作废")
    await requests.settle_cancel_request(c.world.ctx, c.market_lead, order.id, False)
    assert c.world.order(order).status is OrderStatus.REVIEW
    assert c.world.told("cancel_request.kept") == {c.rep.person.id}


async def test_nobody_decides_their_own_request(c: Company) -> None:
    order = await registered(c)
    await requests.request_cancel(c.world.ctx, c.market_lead, order, "作废")
    with pytest.raises(DomainError) as own:
        await requests.settle_cancel_request(c.world.ctx, c.market_lead, order.id, True)
    assert own.value.text.key == "cancel_request.own"
    with pytest.raises(Forbidden):
        await requests.settle_cancel_request(c.world.ctx, c.tech, order.id, False)
    assert c.world.order(order).status is OrderStatus.REVIEW


async def test_orders_named_by_number_or_by_what_they_are(c: Company) -> None:
    order = await registered(c)
    ctx = c.world.ctx
    assert [o.id for o in await requests.orders_named(ctx, {"order_no": order.number.lower()})
            ] == [order.id]
    assert [o.id for o in await requests.orders_named(ctx, {"customer": "华东"})] == [order.id]
    assert await requests.orders_named(ctx, {}) == []
