"""workflow/quality.py: findings noted, inspections recorded, and where a finding goes."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.unit.workflow.fakes import SHANGHAI, World
from tests.unit.workflow.journey import GROUPS, Company, company, in_production
from workflow import escalation, quality
from workflow.errors import DomainError, Forbidden
from workflow.model import TaskKind, TaskStatus
from workflow.policy import load_policy
from workflow.roles import Role


async def test_a_finding_noted_starts_the_twenty_minutes(c: Company) -> None:
    order = await in_production(c)
    with pytest.raises(Forbidden):
        await quality.note_finding(c.world.ctx, c.maker, order, "划伤")
    with pytest.raises(DomainError) as empty:
        await quality.note_finding(c.world.ctx, c.inspector, order, "")
    assert empty.value.text.key == "usage.found"
    task = await quality.note_finding(c.world.ctx, c.inspector, order, "划伤")
    assert (task.kind, task.assignee_id) == (TaskKind.QUALITY_RESPONSE, c.inspector.person.id)
    assert task.due_at == c.world.now + timedelta(minutes=20)
    assert [e.after["what"] for e in c.world.events("quality.finding")] == ["划伤"]


async def test_a_clean_inspection_is_recorded_and_tells_nobody(c: Company) -> None:
    order = await in_production(c)
    record = await quality.inspect(c.world.ctx, c.inspector, order, "自制", 10, 10, "")
    assert (record.source, record.rate, record.below_threshold) == ("internal", 1.0, False)
    assert c.world.order(order).facts["inspections"] == [record.as_fact()]
    assert c.world.notes(kind="escalation") == c.world.notes("inspect.rework") == []


async def test_internal_rework_goes_to_manufacturing_and_its_leader(c: Company) -> None:
    order = await in_production(c)
    await quality.inspect(c.world.ctx, c.inspector, order, "自制", 9, 10, "焊点")
    assert c.world.told("inspect.rework") == {GROUPS[Role.MANUFACTURING]}
    assert {n.chat_id for n in c.world.notes(kind="escalation")} == {c.maker_lead.person.id}


async def test_a_bad_purchased_batch_alerts_quality_and_procurement_leaders(c: Company) -> None:
    order = await in_production(c)
    await quality.inspect(c.world.ctx, c.inspector, order, "外购", 90, 100, "")
    assert c.world.told("inspect.finding") >= {GROUPS[Role.PROCUREMENT]}
    assert {n.chat_id for n in c.world.notes(kind="escalation")} == {
        c.quality_lead.person.id, c.buyer_lead.person.id}


async def test_a_good_enough_purchased_batch_stays_with_the_buyer(c: Company) -> None:
    order = await in_production(c)
    await quality.inspect(c.world.ctx, c.inspector, order, "外购", 99, 100, "")
    assert c.world.told("inspect.finding") == {GROUPS[Role.PROCUREMENT]}
    assert c.world.notes(kind="escalation") == []


async def test_an_oem_problem_opens_the_quality_leaders_coordination(c: Company) -> None:
    order = await in_production(c)
    await quality.inspect(c.world.ctx, c.inspector, order, "代工", 8, 10, "外观不良")
    [task] = [t for t in c.world.tasks(order, open_only=True)
              if t.kind is TaskKind.QUALITY_COORDINATION]
    assert (task.role, task.title) == (Role.QUALITY, "oem 8/10 外观不良")
    assert task.due_at == c.world.now + timedelta(minutes=30)
    assert {n.chat_id for n in c.world.notes(kind="escalation")} == {c.quality_lead.person.id}


async def test_the_inspection_answers_a_noted_finding_and_says_if_it_was_late(
        c: Company) -> None:
    order = await in_production(c)
    noted = await quality.note_finding(c.world.ctx, c.inspector, order, "划伤")
    c.world.later(minutes=45)
    record = await quality.inspect(c.world.ctx, c.inspector, c.world.order(order), "自制", 9,
                                   10, "划伤")
    assert record.raised_late is True
    stored = c.world.tables.tasks[noted.id]
    assert (stored.status, stored.outcome) == (TaskStatus.DONE, "recorded")
    assert c.world.told("inspect.raised_late") == {c.quality_lead.person.id}


async def test_refusals_of_an_inspection(c: Company) -> None:
    order = await in_production(c)
    with pytest.raises(DomainError) as source:
        await quality.inspect(c.world.ctx, c.inspector, order, "别处", 1, 1, "")
    assert source.value.text.key == "usage.inspect"
    with pytest.raises(DomainError) as counts:
        await quality.inspect(c.world.ctx, c.inspector, order, "自制", 11, 10, "")
    assert counts.value.text.key == "inspect.bad_counts"
    with pytest.raises(DomainError) as future:
        await quality.inspect(c.world.ctx, c.inspector, order, "自制", 9, 10, "x",
                              found_at=c.world.now + timedelta(hours=1))
    assert future.value.text.key == "inspect.found_in_future"
    assert "inspections" not in c.world.order(order).facts


async def test_alerts_held_by_quiet_hours_go_out_when_they_end() -> None:
    held = load_policy(overrides={"quiet_hours.pass_through.quality_alert": False})
    c = company(World(policy=held))
    order = await in_production(c)
    night = datetime(2026, 11, 24, 22, 0, tzinfo=SHANGHAI)
    c.world.at(night)
    await quality.inspect(c.world.ctx, c.inspector, c.world.order(order), "自制", 9, 10, "x")
    assert c.world.told("inspect.rework") == {GROUPS[Role.MANUFACTURING]}  # the group now
    assert c.world.notes(kind="escalation") == []
    [timer] = c.world.timers(kind=quality.ALERT)
    assert timer.due_at > night
    c.world.at(timer.due_at)
    await escalation.fire(c.world.ctx, timer.kind, timer.subject, timer.dedupe_key,
                          timer.due_at)
    assert {n.chat_id for n in c.world.notes(kind="escalation")} == {c.maker_lead.person.id}
