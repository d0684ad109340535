"""workflow/urging.py: market's follow-up before the delivery date, and urge slips (催促单)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.unit.workflow.fakes import CALENDAR, POLICY
from tests.unit.workflow.journey import (
    DUE,
    GROUPS,
    Company,
    effective,
    in_production,
    line,
    planning,
    reviewed,
)
from workflow import orders, urging
from workflow.errors import DomainError, Forbidden
from workflow.model import AnswerTo, ButtonAnswer, TaskKind, UrgeStatus
from workflow.roles import Role


async def test_the_follow_up_is_timed_when_its_window_opens(c: Company) -> None:
    order = await effective(c)  # the contract took effect: the follow-up is scheduled
    [timer] = c.world.timers(kind="follow_up")
    opens = CALENDAR.window_opens(DUE, POLICY.deadline("market_follow_up"))
    assert timer.due_at == CALENDAR.working_day_start(opens.astimezone(c.world.ctx.tz).date())
    assert timer.dedupe_key == f"follow_up:{order.id}:{DUE.isoformat()}"


async def test_an_unplanned_order_gets_a_drafted_slip(c: Company) -> None:
    order = await effective(c)
    await urging.on_follow_up(c.world.ctx, order.id)
    [slip] = c.world.tables.slips.values()
    assert (slip.status, slip.number) == (UrgeStatus.DRAFT,
                                          f"CS-{order.number.removeprefix('SO-')}-1")
    assert slip.late == ["status.effective|manufacturing||-"]
    [draft] = c.world.notes("urge.draft")
    assert draft.chat_id == GROUPS[Role.MARKET]
    assert [b.answer for b in draft.buttons[0]] == [
        ButtonAnswer(AnswerTo.URGE_SLIP, slip.id, "send"),
        ButtonAnswer(AnswerTo.URGE_SLIP, slip.id, "drop")]


async def test_an_order_on_track_is_only_reported(c: Company) -> None:
    order = await in_production(c)
    await urging.on_follow_up(c.world.ctx, order.id)
    assert c.world.told("follow_up.on_track") == {GROUPS[Role.MARKET]}
    assert c.world.tables.slips == {}


async def test_a_sent_slip_reaches_the_manufacturing_manager_and_the_gm(c: Company) -> None:
    order = await effective(c)
    await urging.on_follow_up(c.world.ctx, order.id)
    [slip] = c.world.tables.slips.values()
    with pytest.raises(Forbidden):
        await urging.settle(c.world.ctx, c.maker, slip.id, True)
    await urging.settle(c.world.ctx, c.rep, slip.id, True)
    assert c.world.tables.slips[slip.id].status is UrgeStatus.SENT
    assert c.world.told("urge.slip") == {c.maker_lead.person.id, c.gm.person.id,
                                         GROUPS[Role.MANUFACTURING]}
    with pytest.raises(DomainError) as twice:
        await urging.settle(c.world.ctx, c.rep, slip.id, False)
    assert twice.value.text.key == "error.urge_settled"


async def test_an_urge_by_hand_goes_at_once_when_work_is_late(c: Company) -> None:
    order = await planning(c)
    late_line = line(TaskKind.ASSEMBLY_FINISH, Role.MANUFACTURING,
                     CALENDAR.working_day_end(DUE) + timedelta(days=3))
    await orders.submit_plan(c.world.ctx, c.maker_lead, order, [late_line])
    slip = await urging.urge_by_hand(c.world.ctx, c.rep, c.world.order(order), "请加班")
    assert slip.status is UrgeStatus.SENT
    assert slip.late[0].startswith("taskkind.assembly_finish|manufacturing|")
    assert [e.action for e in c.world.events("urge.sent")] == ["urge.sent"]


async def test_an_urge_by_hand_with_nothing_late_waits_as_a_draft(c: Company) -> None:
    order = await in_production(c)
    slip = await urging.urge_by_hand(c.world.ctx, c.rep, order, "")
    assert (slip.status, slip.late) == (UrgeStatus.DRAFT, [])
    assert c.world.notes("urge.slip") == []


async def test_an_order_not_yet_effective_is_not_urged(c: Company) -> None:
    order = await reviewed(c)
    with pytest.raises(DomainError) as early:
        await urging.urge_by_hand(c.world.ctx, c.rep, order, "")
    assert early.value.text.key == "error.not_now"
