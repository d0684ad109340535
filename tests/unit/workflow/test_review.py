"""workflow/orders/review.py: the feasibility review, its rounds, negotiation, the GM's decision."""

from __future__ import annotations

from datetime import date

import pytest

from tests.unit.workflow.journey import DUE, GROUPS, Company, registered
from workflow import orders, services
from workflow.errors import DomainError, Forbidden
from workflow.model import OrderStatus, TaskKind, TaskStatus
from workflow.roles import Role


def _reviews(c: Company, order, *, open_only: bool = True):
    return {t.role: t for t in c.world.tasks(order, open_only=open_only)
            if t.kind is TaskKind.FEASIBILITY_REVIEW}


async def test_both_feasible_moves_to_quote_and_opens_markets_quote(c: Company) -> None:
    order = await registered(c)
    reviews = _reviews(c, order)
    await orders.answer_review(c.world.ctx, c.tech, reviews[Role.TECH].id, True)
    assert c.world.order(order).status is OrderStatus.REVIEW  # one answer is not enough
    await orders.answer_review(c.world.ctx, c.maker, reviews[Role.MANUFACTURING].id, True)
    assert c.world.order(order).status is OrderStatus.QUOTE
    assert [(t.kind, t.role) for t in c.world.tasks(order, open_only=True)] == [
        (TaskKind.QUOTE, Role.MARKET)]
    assert c.world.actions("order.") == ["order.register", "order.review_passed"]
    assert c.world.told("review.passed") == {GROUPS[Role.MARKET]}


async def test_infeasible_goes_to_negotiation_and_tells_market_why(c: Company) -> None:
    order = await registered(c)
    task = _reviews(c, order)[Role.TECH]
    await orders.answer_review(c.world.ctx, c.tech, task.id, False, "capacity")
    assert c.world.order(order).status is OrderStatus.NEGOTIATING
    stored = c.world.tables.tasks[task.id]
    assert (stored.outcome, stored.note) == ("infeasible", "capacity")
    [note] = c.world.notes("review.infeasible")
    assert (note.chat_id, note.text.params["reason"]) == (GROUPS[Role.MARKET], "capacity")


async def test_refusals_of_a_review_answer(c: Company) -> None:
    order = await registered(c)
    task = _reviews(c, order)[Role.TECH]
    with pytest.raises(DomainError) as no_reason:
        await orders.answer_review(c.world.ctx, c.tech, task.id, False, None)
    assert no_reason.value.text.key == "error.reason_required"
    with pytest.raises(Forbidden):
        await orders.answer_review(c.world.ctx, c.maker, task.id, True)
    await orders.answer_review(c.world.ctx, c.tech, task.id, True)
    with pytest.raises(DomainError) as twice:
        await orders.answer_review(c.world.ctx, c.tech, task.id, True)
    assert twice.value.text.key == "error.task_closed"


async def test_the_requester_may_not_review_their_own_order(c: Company) -> None:
    both = c.world.person(13, "两用", Role.MARKET, Role.TECH)
    draft = await services.open_draft(c.world.ctx, both, GROUPS[Role.MARKET],
                                      {"customer": "乙方", "product": "柜", "quantity": 1,
                                       "due_date": DUE.isoformat()})
    own = (await services.confirm_draft(c.world.ctx, both, draft.id)).order
    with pytest.raises(DomainError) as own_request:
        await orders.answer_review(c.world.ctx, both, _reviews(c, own)[Role.TECH].id, True)
    assert own_request.value.text.key == "review.own_request"
    assert c.world.tables.tasks[_reviews(c, own)[Role.TECH].id].status is TaskStatus.OPEN


async def test_a_proposed_date_opens_a_new_round_and_outdates_the_old(c: Company) -> None:
    order = await registered(c)
    old = _reviews(c, order)
    await orders.answer_review(c.world.ctx, c.tech, old[Role.TECH].id, False, "material")
    order = c.world.order(order)
    later = date(2027, 1, 20)
    await orders.propose_date(c.world.ctx, c.rep, order, later)
    stored = c.world.order(order)
    assert (stored.status, stored.due_date) == (OrderStatus.REVIEW, later)
    assert stored.facts["review_round"]["number"] == 2
    assert c.world.tables.tasks[old[Role.MANUFACTURING].id].status is TaskStatus.CANCELLED
    assert set(_reviews(c, order)) == {Role.TECH, Role.MANUFACTURING}
    with pytest.raises(orders.Outdated) as outdated:
        await orders.answer_review(c.world.ctx, c.maker, old[Role.MANUFACTURING].id, True)
    assert outdated.value.text.key == "review.superseded"


async def test_a_date_in_the_past_is_refused_by_its_guard(c: Company) -> None:
    order = await registered(c)
    await orders.answer_review(c.world.ctx, c.tech, _reviews(c, order)[Role.TECH].id, False,
                               "capacity")
    with pytest.raises(DomainError) as past:
        await orders.propose_date(c.world.ctx, c.rep, c.world.order(order), date(2026, 11, 1))
    assert past.value.text.key == "guard.date_in_future"


async def test_customer_refuses_then_the_gm_declines(c: Company) -> None:
    order = await registered(c)
    await orders.answer_review(c.world.ctx, c.tech, _reviews(c, order)[Role.TECH].id, False,
                               "capacity")
    await orders.customer_refuses(c.world.ctx, c.rep, c.world.order(order))
    assert c.world.order(order).status is OrderStatus.AWAITING_DECISION
    [decision] = [t for t in c.world.tasks(order, open_only=True) if t.kind is TaskKind.DECISION]
    assert decision.role is Role.GM
    assert c.world.told("decision.request") == {c.gm.person.id}  # the GM has no group
    with pytest.raises(Forbidden):
        await orders.decide(c.world.ctx, c.rep, c.world.order(order), decline=True)
    await orders.decide(c.world.ctx, c.gm, c.world.order(order), decline=True)
    assert c.world.order(order).status is OrderStatus.DECLINED
    assert c.world.tasks(order, open_only=True) == []
    assert c.world.told("decision.declined") == {GROUPS[Role.MARKET]}


async def test_the_gm_sends_it_back_to_negotiation(c: Company) -> None:
    order = await registered(c)
    await orders.answer_review(c.world.ctx, c.tech, _reviews(c, order)[Role.TECH].id, False,
                               "capacity")
    await orders.customer_refuses(c.world.ctx, c.rep, c.world.order(order))
    status = await orders.decide(c.world.ctx, c.gm, c.world.order(order), decline=False)
    assert status is OrderStatus.NEGOTIATING
    assert "order.keep_negotiating" in c.world.actions()
