"""workflow/changes.py: change notices filed, issued at a level, answered and applied."""

from __future__ import annotations

from datetime import date

import pytest

from tests.unit.workflow.journey import GROUPS, Company, in_production, registered, shipped
from workflow import changes, orders
from workflow.errors import DomainError, Forbidden, NotFound
from workflow.model import ChangeStatus, OrderStatus, TaskKind, TaskStatus
from workflow.roles import Role

MARKET = GROUPS[Role.MARKET]


async def _issued(c: Company, order, fields: dict, text: str = "", level: int | None = None,
                  by: Role = Role.MARKET, filer=None):
    filer = filer or (c.rep if by is Role.MARKET else c.tech)
    notice = await changes.file(c.world.ctx, filer, MARKET, {"order_no": order.number}, fields,
                                text, by=by)
    return await changes.issue(c.world.ctx, filer, notice.id, level or notice.level)


def _answers(c: Company, order):
    return {t.role: t for t in c.world.tasks(order, open_only=True)
            if t.kind is TaskKind.CHANGE_ANSWER}


async def test_the_bot_suggests_a_level_from_what_changes(c: Company) -> None:
    order = await registered(c)
    target = {"order_no": order.number}
    ctx = c.world.ctx
    assert (await changes.file(ctx, c.rep, MARKET, target, {"quantity": 10}, "", by=Role.MARKET)
            ).level == 1
    assert (await changes.file(ctx, c.rep, MARKET, target, {"due_date": "2027-01-10"}, "",
                               by=Role.MARKET)).level == 2
    notice = await changes.file(ctx, c.rep, MARKET, target, {"model": "GGD3"}, "改结构",
                                by=Role.MARKET)
    assert (notice.level, notice.status, notice.order_id) == (3, ChangeStatus.DRAFT, order.id)
    assert c.world.actions("change.") == ["change.draft"] * 3


async def test_refusals_of_a_filing(c: Company) -> None:
    order = await registered(c)
    ctx = c.world.ctx
    with pytest.raises(Forbidden):
        await changes.file(ctx, c.maker, MARKET, {"order_no": order.number}, {"quantity": 1},
                           "", by=Role.MANUFACTURING)
    with pytest.raises(Forbidden):
        await changes.file(ctx, c.tech, MARKET, {"order_no": order.number}, {"quantity": 1},
                           "", by=Role.MARKET)
    with pytest.raises(DomainError) as same:
        await changes.file(ctx, c.rep, MARKET, {"order_no": order.number}, {"quantity": 12},
                           "", by=Role.MARKET)
    assert same.value.text.key == "change.nothing"
    with pytest.raises(NotFound) as unknown:
        await changes.file(ctx, c.rep, MARKET, {"order_no": "SO-20990101-001"},
                           {"quantity": 1}, "", by=Role.MARKET)
    assert unknown.value.text.key == "error.order_number_unknown"
    with pytest.raises(DomainError) as nowhere:
        await changes.file(ctx, c.rep, MARKET, {"customer": "没有这家"}, {"quantity": 1}, "",
                           by=Role.MARKET)
    assert nowhere.value.text.key == "change.no_order"
    assert c.world.tables.notices == {}


async def test_two_matching_orders_are_chosen_between(c: Company) -> None:
    first, second = await registered(c), await registered(c)
    notice = await changes.file(c.world.ctx, c.rep, MARKET, {"customer": "华东"},
                                {"quantity": 10}, "", by=Role.MARKET)
    assert (notice.order_id, notice.facts["candidates"]) == (None, [first.id, second.id])
    with pytest.raises(DomainError) as stale:
        await changes.pick_order(c.world.ctx, c.rep, notice.id, 999)
    assert stale.value.text.key == "error.stale_button"
    picked = await changes.pick_order(c.world.ctx, c.rep, notice.id, second.id)
    assert c.world.tables.notices[picked.id].order_id == second.id


async def test_issuing_numbers_the_notice_and_asks_both_departments(c: Company) -> None:
    order = await registered(c)
    notice, _ = await _issued(c, order, {"quantity": 10})
    assert notice.number == f"CN-{order.number.removeprefix('SO-')}-1"
    assert c.world.tables.notices[notice.id].status is ChangeStatus.OPEN
    answers = _answers(c, order)
    assert set(answers) == {Role.TECH, Role.MANUFACTURING}
    assert {t.title for t in answers.values()} == {notice.number}
    assert c.world.told("change.request") == {GROUPS[Role.TECH], GROUPS[Role.MANUFACTURING]}
    assert c.world.events("change.leaders_told") == []  # level 1 is the departments' own


async def test_a_level_below_the_suggestion_needs_a_reason(c: Company) -> None:
    order = await registered(c)
    notice = await changes.file(c.world.ctx, c.rep, MARKET, {"order_no": order.number},
                                {"due_date": "2027-01-10"}, "", by=Role.MARKET)
    with pytest.raises(DomainError) as why:
        await changes.issue(c.world.ctx, c.rep, notice.id, 1)
    assert why.value.text.key == "change.reason_required"
    issued, _ = await changes.issue(c.world.ctx, c.rep, notice.id, 1, "plan_kept")
    assert c.world.tables.notices[issued.id].facts["lowered"]["reason"] == "plan_kept"
    assert c.world.told("change.lowered") == {GROUPS[Role.TECH], GROUPS[Role.MANUFACTURING]}


async def test_level_two_tells_the_leaders_in_person(c: Company) -> None:
    order = await registered(c)
    await _issued(c, order, {"due_date": "2027-01-10"})
    assert c.world.told("change.to_leaders") == {c.market_lead.person.id,
                                                 c.maker_lead.person.id}
    [told] = c.world.events("change.leaders_told")
    assert told.after["level"] == 2


async def test_a_technical_notice_is_manufacturings_to_answer(c: Company) -> None:
    order = await registered(c)
    await _issued(c, order, {"model": "GGD2-16"}, by=Role.TECH)
    assert set(_answers(c, order)) == {Role.MANUFACTURING}
    assert c.world.told("change.tech_to_market") == {MARKET}
    assert c.world.told("change.tech_to_related") == {GROUPS[Role.QUALITY],
                                                      GROUPS[Role.PROCUREMENT]}


async def test_all_answers_apply_the_change(c: Company) -> None:
    order = await registered(c)
    notice, _ = await _issued(c, order, {"quantity": 10})
    answers = _answers(c, order)
    _, _, done = await changes.answer(c.world.ctx, c.tech, answers[Role.TECH].id, None)
    assert done is False and c.world.order(order).quantity == 12
    _, _, done = await changes.answer(c.world.ctx, c.maker, answers[Role.MANUFACTURING].id,
                                      None)
    assert done is True
    assert c.world.order(order).quantity == 10
    assert c.world.tables.notices[notice.id].status is ChangeStatus.APPLIED
    [changed] = c.world.events("order.changed")
    assert (changed.before, changed.after["quantity"]) == ({"quantity": "12"}, "10")
    assert c.world.told("change.applied_1") >= {MARKET, GROUPS[Role.TECH]}
    assert {c.world.tables.tasks[t.id].status for t in answers.values()} == {TaskStatus.DONE}


async def test_refusals_of_an_answer(c: Company) -> None:
    both = c.world.person(15, "兼任", Role.MARKET, Role.TECH)
    order = await registered(c)
    await _issued(c, order, {"quantity": 10}, filer=both)
    answers = _answers(c, order)
    with pytest.raises(DomainError) as own:
        await changes.answer(c.world.ctx, both, answers[Role.TECH].id, None)
    assert own.value.text.key == "change.own_notice"
    with pytest.raises(Forbidden):
        await changes.answer(c.world.ctx, c.tech, answers[Role.MANUFACTURING].id, None)
    with pytest.raises(orders.Outdated) as shown:
        await changes.answer(c.world.ctx, c.tech, answers[Role.TECH].id, None, shown=2)
    assert shown.value.text.key == "change.level_now"
    with pytest.raises(orders.Outdated):
        await changes.answer(c.world.ctx, c.tech, answers[Role.TECH].id, 1)
    assert c.world.events("change.answer") == []


async def test_raising_the_level_tells_the_others_and_the_leaders(c: Company) -> None:
    order = await registered(c)
    await _issued(c, order, {"quantity": 10})
    answers = _answers(c, order)
    notice, _, _ = await changes.answer(c.world.ctx, c.tech, answers[Role.TECH].id, 2)
    assert notice.level == 2
    [raised] = c.world.notes("change.raised")
    assert raised.chat_id == GROUPS[Role.MANUFACTURING]
    assert c.world.told("change.to_leaders") == {c.market_lead.person.id,
                                                 c.maker_lead.person.id}


async def test_a_new_delivery_date_moves_what_hangs_on_it(c: Company) -> None:
    order = await in_production(c)
    await _issued(c, order, {"due_date": "2027-01-15"})
    for role, task in _answers(c, order).items():
        await changes.answer(c.world.ctx, c.tech if role is Role.TECH else c.maker, task.id,
                             None, shown=2)
    assert c.world.order(order).due_date == date(2027, 1, 15)
    [derived] = c.world.events("deadlines.derived")
    assert derived.after["due_date"] == "2027-01-15"
    [follow_up] = c.world.timers(kind="follow_up")
    assert follow_up.dedupe_key.endswith("2027-01-15")
    # The departments with open work hear of it at once (procurement's purchase).
    assert GROUPS[Role.PROCUREMENT] in c.world.told("change.relayed")


async def test_level_three_reviews_the_order_again(c: Company) -> None:
    order = await in_production(c)
    await _issued(c, order, {"model": "GGD3"}, "主要元件改型")
    for role, task in _answers(c, order).items():
        await changes.answer(c.world.ctx, c.tech if role is Role.TECH else c.maker, task.id,
                             None, shown=3)
    stored = c.world.order(order)
    assert (stored.status, stored.order_class) == (OrderStatus.REVIEW, "non_regular")
    assert stored.facts["reviewed_from"] == "production"
    assert stored.facts["review_round"]["number"] == 2
    reviews = {t.role for t in c.world.tasks(order, open_only=True)
               if t.kind is TaskKind.FEASIBILITY_REVIEW}
    assert reviews == {Role.TECH, Role.MANUFACTURING, Role.PROCUREMENT, Role.QUALITY}


async def test_the_filer_may_drop_a_draft(c: Company) -> None:
    order = await registered(c)
    notice = await changes.file(c.world.ctx, c.rep, MARKET, {"order_no": order.number},
                                {"quantity": 10}, "", by=Role.MARKET)
    await changes.cancel(c.world.ctx, c.rep, notice.id)
    assert c.world.tables.notices[notice.id].status is ChangeStatus.CANCELLED
    with pytest.raises(DomainError) as again:
        await changes.issue(c.world.ctx, c.rep, notice.id, 1)
    assert again.value.text.key == "change.already"


async def test_a_changed_price_comes_back_with_a_supplemental_contract(c: Company) -> None:
    order = await in_production(c)
    notice, _ = await _issued(c, order, {"unit_price": 3.8}, "主要元件改型", level=3)
    for role, task in _answers(c, order).items():
        await changes.answer(c.world.ctx, c.tech if role is Role.TECH else c.maker, task.id,
                             None, shown=3)
    reviewers = {Role.TECH: c.tech, Role.MANUFACTURING: c.maker, Role.PROCUREMENT: c.buyer,
                 Role.QUALITY: c.inspector}
    for task in [t for t in c.world.tasks(order, open_only=True)
                 if t.kind is TaskKind.FEASIBILITY_REVIEW]:
        await orders.answer_review(c.world.ctx, reviewers[task.role], task.id, True)
    stored = c.world.order(order)
    assert stored.status is OrderStatus.PRODUCTION  # back where the change found it
    assert stored.facts["reviewed_from"] is None
    [contract] = [t for t in c.world.tasks(order, open_only=True)
                  if t.kind is TaskKind.SUPPLEMENTAL_CONTRACT]
    assert (contract.role, contract.title) == (Role.MARKET, notice.number)
    assert c.world.told("review.passed_change") == {MARKET}


async def test_a_shipped_order_is_not_reviewed_again(c: Company) -> None:
    order = await shipped(c)
    await _issued(c, order, {"model": "GGD3"}, "改结构")
    for role, task in _answers(c, order).items():
        await changes.answer(c.world.ctx, c.tech if role is Role.TECH else c.maker, task.id,
                             None, shown=3)
    assert c.world.order(order).status is OrderStatus.SHIPPED
    [skipped] = c.world.events("review.not_reopened")
    assert skipped.after["status"] == "shipped"
