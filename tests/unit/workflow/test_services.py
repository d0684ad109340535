"""workflow/services.py: company set-up and order intake, from draft to registered order."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.unit.workflow.fakes import POLICY, World
from tests.unit.workflow.journey import DUE, FIELDS, GROUPS, Company, company, registered
from workflow import services
from workflow.errors import AdminOnly, Conflict, DomainError, Forbidden
from workflow.model import DraftStatus, OrderStatus, TaskKind
from workflow.roles import Role

MARKET = GROUPS[Role.MARKET]


async def test_binding_a_group_is_for_admins_and_hands_over_open_tasks(c: Company) -> None:
    with pytest.raises(AdminOnly) as not_admin:
        await services.bind_chat(c.world.ctx, c.rep, -2000, Role.GM)
    assert not_admin.value.text.key == "error.admin_only"
    order = await registered(c)
    await c.world.uow.chats.upsert(-2000, "总经办")
    await services.bind_chat(c.world.ctx, c.admin, -2000, Role.TECH)
    assert c.world.tables.chats[-2000].department is Role.TECH
    [event] = c.world.events("chat.bind")
    assert (event.before, event.after) == ({"department": None}, {"department": "tech"})
    [card] = c.world.notes("task.assigned", chat_id=-2000)
    assert card.order_number == order.number


async def test_granting_and_revoking_roles(c: Company) -> None:
    target = c.world.tables.people[c.keeper.person.id]
    with pytest.raises(AdminOnly):
        await services.grant_role(c.world.ctx, c.rep, target, Role.FINANCE, False)
    await services.grant_role(c.world.ctx, c.admin, target, Role.FINANCE, True)
    assert c.world.tables.people[target.id].roles[Role.FINANCE] is True
    assert await services.revoke_role(c.world.ctx, c.admin, target, Role.FINANCE) is True
    assert await services.revoke_role(c.world.ctx, c.admin, target, Role.FINANCE) is False
    assert c.world.actions("role.") == ["role.grant", "role.revoke"]


async def test_a_draft_asks_for_what_is_missing_and_expires_in_time(c: Company) -> None:
    with pytest.raises(Forbidden):
        await services.open_draft(c.world.ctx, c.tech, MARKET, FIELDS)
    draft = await services.open_draft(c.world.ctx, c.rep, MARKET, {"customer": "华东电力"})
    assert draft.asking == "product"
    [timer] = c.world.timers(kind=services.DRAFT_EXPIRY)
    assert timer.due_at == c.world.now + POLICY.draft_expiry
    c.world.later(minutes=30)
    draft = await services.update_draft(c.world.ctx, c.rep, draft.id, {
        "product": "开关柜", "quantity": 3, "due_date": DUE.isoformat()})
    assert draft.asking is None
    [timer] = c.world.timers(kind=services.DRAFT_EXPIRY)
    assert timer.due_at == c.world.now + POLICY.draft_expiry  # the full time again


async def test_only_the_author_touches_a_draft(c: Company) -> None:
    draft = await services.open_draft(c.world.ctx, c.rep, MARKET, {"customer": "甲"})
    other_rep = c.world.person(14, "另一位", Role.MARKET)
    with pytest.raises(DomainError) as not_yours:
        await services.update_draft(c.world.ctx, other_rep, draft.id, {"product": "柜"})
    assert not_yours.value.text.key == "error.not_your_draft"
    await services.cancel_draft(c.world.ctx, c.rep, draft.id)
    with pytest.raises(Conflict) as closed:
        await services.cancel_draft(c.world.ctx, c.rep, draft.id)
    assert closed.value.text.key == "error.draft_closed"


async def test_confirming_registers_the_order_and_asks_for_reviews(c: Company) -> None:
    draft = await services.open_draft(c.world.ctx, c.rep, MARKET, FIELDS)
    result = await services.confirm_draft(c.world.ctx, c.rep, draft.id,
                                          version=services.draft_version(draft))
    assert isinstance(result, services.Registered)
    order = c.world.order(result.order)
    assert (order.number, order.status, order.quantity) == ("SO-20261124-001",
                                                            OrderStatus.REVIEW, 12)
    assert c.world.tables.drafts[draft.id].status is DraftStatus.CONFIRMED
    assert {(t.kind, t.role) for t in result.reviews} == {
        (TaskKind.FEASIBILITY_REVIEW, Role.TECH), (TaskKind.FEASIBILITY_REVIEW,
                                                   Role.MANUFACTURING)}
    assert c.world.told("review.request") == {GROUPS[Role.TECH], GROUPS[Role.MANUFACTURING]}
    assert result.unbound_roles == []
    assert c.world.actions() == ["draft.open", "draft.confirm", "order.register",
                                 "task.open", "task.open"]


async def test_a_reviewer_without_a_group_is_reported_unbound() -> None:
    c = company(World())
    c.world.tables.chats.pop(GROUPS[Role.TECH])
    result = await registered(c)
    assert c.world.order(result).status is OrderStatus.REVIEW
    assert c.world.told("review.request") == {GROUPS[Role.MANUFACTURING], c.tech.person.id,
                                              c.tech_lead.person.id}


async def test_refusals_of_a_confirmation(c: Company) -> None:
    partial = await services.open_draft(c.world.ctx, c.rep, MARKET, {"customer": "甲"})
    with pytest.raises(DomainError) as incomplete:
        await services.confirm_draft(c.world.ctx, c.rep, partial.id)
    assert incomplete.value.text.key == "error.draft_incomplete"
    zero = await services.open_draft(c.world.ctx, c.rep, MARKET, {**FIELDS, "quantity": 0})
    with pytest.raises(DomainError) as invalid:
        await services.confirm_draft(c.world.ctx, c.rep, zero.id)
    assert invalid.value.text.key == "error.draft_invalid"
    assert invalid.value.text.params["warnings"] == ["quantity_not_positive"]
    good = await services.open_draft(c.world.ctx, c.rep, MARKET, FIELDS)
    old_card = services.draft_version(good)
    await services.update_draft(c.world.ctx, c.rep, good.id, {"quantity": 13})
    with pytest.raises(Conflict) as outdated:
        await services.confirm_draft(c.world.ctx, c.rep, good.id, version=old_card)
    assert outdated.value.text.key == "error.draft_card_outdated"
    assert c.world.tables.orders == {}


async def test_an_order_like_one_just_taken_is_asked_about(c: Company) -> None:
    first = await registered(c)
    again = await services.open_draft(c.world.ctx, c.rep, MARKET, FIELDS)
    result = await services.confirm_draft(c.world.ctx, c.rep, again.id)
    assert isinstance(result, services.PossibleDuplicate)
    assert [o.id for o in result.earlier] == [first.id]
    c.world.later(minutes=11)  # past the duplicate window
    result = await services.confirm_draft(c.world.ctx, c.rep, again.id)
    assert isinstance(result, services.Registered)


async def test_a_draft_left_pending_expires_once(c: Company) -> None:
    draft = await services.open_draft(c.world.ctx, c.rep, MARKET, {"customer": "甲"})
    assert await services.expire_draft(c.world.ctx, draft.id) is True
    assert await services.expire_draft(c.world.ctx, draft.id) is False
    assert c.world.tables.drafts[draft.id].status is DraftStatus.EXPIRED
    assert c.world.told("order.draft_expired") == {MARKET}


async def test_admins_hear_of_an_unknown_year_once(c: Company) -> None:
    for _ in range(2):
        await services.warn_admins_of_unknown_years(c.world.ctx, [1, 2], [2027])
    assert sorted(n.chat_id for n in c.world.notes("admin.unknown_year")) == [1, 2]


def test_draft_problems_and_notes() -> None:
    today = DUE - timedelta(days=40)
    assert services.draft_problems({"quantity": 2_000_000}, today) == ["quantity_too_large"]
    assert services.draft_problems({"due_date": "2020-01-01"}, today) == ["due_date_in_past"]
    assert services.draft_notes({"due_date": "2027-02-01"}, today) == ["due_date_next_year"]
    assert services.missing_fields({"customer": "甲", "product": ""}) == [
        "product", "quantity", "due_date"]
    assert services.is_cancel_word("算了。") and not services.is_cancel_word("算了吧订单")


async def test_languages_are_set_and_audited(c: Company) -> None:
    await services.set_chat_locale(c.world.ctx, c.admin, MARKET, "en")
    await services.set_person_locale(c.world.ctx, c.rep, "en")
    assert c.world.tables.chats[MARKET].locale == "en"
    assert c.world.tables.people[c.rep.person.id].locale == "en"
    assert c.world.actions("locale.") == ["locale.chat", "locale.person"]
