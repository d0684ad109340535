"""workflow/orders/core.py: finding an order, moving it along the table, telling everyone."""

from __future__ import annotations

import pytest

from tests.unit.workflow.journey import GROUPS, Company, in_production, registered
from workflow import orders
from workflow.errors import DomainError, Forbidden, NotFound
from workflow.lifecycle import Action
from workflow.model import OrderStatus, Text
from workflow.roles import Role


async def test_an_order_is_found_by_the_number_in_a_sentence(c: Company) -> None:
    order = await registered(c)
    found = await orders.order_by_number(c.world.ctx, f"请看 {order.number.lower()} 的进度")
    assert found.id == order.id
    with pytest.raises(DomainError) as missing:
        await orders.order_by_number(c.world.ctx, "哪一单?")
    assert missing.value.text.key == "error.order_number_missing"
    with pytest.raises(NotFound) as unknown:
        await orders.order_by_number(c.world.ctx, "SO-20990101-001")
    assert unknown.value.text.params == {"number": "SO-20990101-001"}


async def test_a_move_is_audited_or_refused_with_the_tables_reason(c: Company) -> None:
    order = await registered(c)
    with pytest.raises(DomainError) as not_now:
        await orders.move(c.world.ctx, c.rep, order, Action.SHIP)
    assert not_now.value.text.key == "error.not_now"
    with pytest.raises(Forbidden) as role:
        await orders.move(c.world.ctx, c.tech, order, Action.CANCEL)
    assert role.value.roles == (Role.MARKET, Role.GM)
    assert await orders.move(c.world.ctx, c.market_lead, order, Action.CANCEL) is \
        OrderStatus.CANCELLED
    [event] = c.world.events("order.cancel")
    assert (event.subject_id, event.before, event.after) == (
        order.number, {"status": "review"}, {"status": "cancelled"})


async def test_a_held_order_stands_where_it_will_resume(c: Company) -> None:
    order = await in_production(c)
    await orders.hold(c.world.ctx, c.market_lead, order, "x")
    held = c.world.order(order)
    assert (held.status, orders.standing(held)) == (OrderStatus.ON_HOLD, OrderStatus.PRODUCTION)


async def test_facts_are_saved_and_audited_with_what_they_replaced(c: Company) -> None:
    order = await registered(c)
    await orders.save_facts(c.world.ctx, c.rep, order, note="一")
    await orders.save_facts(c.world.ctx, c.rep, order, note="二")
    assert c.world.order(order).facts["note"] == "二"
    assert [(e.before, e.after) for e in c.world.events("order.facts")] == [
        ({"note": None}, {"note": "一"}), ({"note": "一"}, {"note": "二"})]


async def test_a_broadcast_reaches_market_and_every_department_with_work(c: Company) -> None:
    order = await in_production(c)
    await orders.broadcast(c.world.ctx, order, "order.resumed_notice", who="x")
    assert c.world.told("order.resumed_notice") == {
        GROUPS[r] for r in (Role.MARKET, Role.TECH, Role.MANUFACTURING, Role.PROCUREMENT)}


def test_nobody_approves_their_own_request(c: Company) -> None:
    refusal = Text("review.own_request", {"number": "SO-1"})
    with pytest.raises(DomainError) as own:
        orders.forbid_own_request(c.rep, c.rep.person.id, refusal)
    assert own.value.text is refusal
    orders.forbid_own_request(c.rep, c.market_lead.person.id, refusal)  # another's: no error
    orders.forbid_own_request(c.rep, None, refusal)  # nobody asked: no error
