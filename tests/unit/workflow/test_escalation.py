"""workflow/escalation.py: reminders before a deadline, escalation after it, what a due timer
means now. Timer kinds are given as stored ("remind", "escalate"): they are never renamed."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from tests.unit.workflow.fakes import SHANGHAI, World
from tests.unit.workflow.journey import GROUPS, Company, company, in_production, registered
from workflow import escalation, orders, services
from workflow.errors import DomainError
from workflow.model import AnswerTo, ButtonAnswer, OrderStatus, TaskKind, TaskStatus
from workflow.policy import load_policy
from workflow.roles import Role
from workflow.tasks import open_task


async def _design(c: Company, hours: float = 2):
    """A tech task due in `hours`, its clocks set."""
    order = await registered(c)
    task = await open_task(c.world.ctx, None, order, TaskKind.DESIGN, Role.TECH,
                           c.world.now + timedelta(hours=hours), announce=None)
    return order, task


async def _fire(c: Company, kind: str, task, key: str, due_at: datetime):
    return await escalation.fire(c.world.ctx, kind, f"task:{task.id}", key, due_at)


async def test_a_reminder_goes_to_the_department_with_a_snooze(c: Company) -> None:
    _, task = await _design(c)
    outcome = await _fire(c, "remind", task, f"remind:{task.id}", c.world.now)
    assert outcome == escalation.Outcome()
    [note] = c.world.notes("reminder.before")
    assert (note.chat_id, note.kind) == (GROUPS[Role.TECH], "reminder")
    assert ButtonAnswer(AnswerTo.TASK, task.id, "snooze") in [
        b.answer for row in note.buttons for b in row]
    assert [e.subject_id for e in c.world.events("task.reminded")] == [str(task.id)]


async def test_an_acknowledged_task_is_neither_reminded_nor_escalated(c: Company) -> None:
    _, task = await _design(c)
    await orders.acknowledge(c.world.ctx, c.tech, task.id)
    for kind in ("remind", "escalate"):
        assert await _fire(c, kind, task, f"{kind}:{task.id}:0", c.world.now) == \
            escalation.Outcome()
    assert c.world.notes(kind="reminder") == c.world.notes(kind="escalation") == []


async def test_a_reminder_long_past_is_summarized_instead(c: Company) -> None:
    _, task = await _design(c)
    outcome = await _fire(c, "remind", task, f"remind:{task.id}",
                          c.world.now - timedelta(hours=1))
    assert outcome.stale_reminder is not None and outcome.stale_reminder.id == task.id
    assert c.world.notes("reminder.before") == []
    await escalation.summarize_stale(c.world.ctx, [outcome.stale_reminder])
    [summary] = c.world.notes("reminder.summary")
    assert (summary.chat_id, summary.text.params["count"]) == (GROUPS[Role.TECH], 1)


async def test_a_reminder_at_night_waits_for_working_time(c: Company) -> None:
    _, task = await _design(c)
    night = datetime(2026, 11, 24, 22, 0, tzinfo=SHANGHAI)
    c.world.at(night)
    outcome = await _fire(c, "remind", task, f"remind:{task.id}", night)
    assert outcome.retry_at == datetime(2026, 11, 25, 8, 30, tzinfo=SHANGHAI)
    assert c.world.notes("reminder.before") == []


async def test_escalation_walks_the_chain_and_schedules_the_next_step(c: Company) -> None:
    _, task = await _design(c)
    await _fire(c, "escalate", task, f"escalate:{task.id}:0", c.world.now)
    assert c.world.told("escalation.overdue") == {GROUPS[Role.TECH]}
    assert c.world.told("escalation.to_leader") == {c.tech_lead.person.id}
    [step] = c.world.events("task.escalated")
    assert (step.after["step"], step.after["to"], step.after["people"]) == (
        0, "leader", [c.tech_lead.person.id])
    [following] = [t for t in c.world.timers(kind="escalate")
                   if t.dedupe_key == f"escalate:{task.id}:1"]
    assert following.due_at > c.world.now
    await _fire(c, "escalate", task, following.dedupe_key, following.due_at)
    assert c.world.told("escalation.to_leader") == {c.tech_lead.person.id, c.gm.person.id}


async def test_a_held_order_waits_and_an_ended_one_stops(c: Company) -> None:
    order = await in_production(c)
    [task] = [t for t in c.world.tasks(order, open_only=True)
              if t.kind is TaskKind.ASSEMBLY_FINISH]
    await orders.hold(c.world.ctx, c.market_lead, order, "暂停")
    outcome = await _fire(c, "escalate", task, f"escalate:{task.id}:0", c.world.now)
    assert outcome.retry_at == c.world.now + timedelta(hours=1)
    c.world.tables.orders[order.id].status = OrderStatus.CANCELLED
    assert await _fire(c, "escalate", task, f"escalate:{task.id}:0", c.world.now) == \
        escalation.Outcome()
    assert c.world.events("task.escalated") == []


async def test_snoozing_has_a_limit(c: Company) -> None:
    _, task = await _design(c)
    allowed = 4  # escalation.snooze_max 4h in hour steps
    for _ in range(allowed):
        assert await escalation.snooze(c.world.ctx, task) == c.world.now + timedelta(hours=1)
    with pytest.raises(DomainError) as spent:
        await escalation.snooze(c.world.ctx, task)
    assert spent.value.text.key == "error.snooze_spent"
    assert len([t for t in c.world.timers(kind="remind") if "snooze" in t.dedupe_key]) == allowed


async def test_a_company_sets_how_far_a_snooze_puts_the_reminder_off() -> None:
    c = company(World(policy=load_policy(overrides={"escalation.snooze_step": "30m"})))
    _, task = await _design(c)
    allowed = 8  # escalation.snooze_max 4h in half-hour steps
    for _ in range(allowed):
        assert await escalation.snooze(c.world.ctx, task) == c.world.now + timedelta(minutes=30)
    with pytest.raises(DomainError) as spent:
        await escalation.snooze(c.world.ctx, task)
    assert spent.value.text.params == {"times": allowed}


async def test_an_advance_notice_goes_to_every_department_it_names(c: Company) -> None:
    order = await in_production(c)
    [task] = [t for t in c.world.tasks(order, open_only=True)
              if t.kind is TaskKind.ASSEMBLY_FINISH]
    await escalation.fire(c.world.ctx, "packaging_notice", f"notice:{task.id}",
                          f"packaging_notice:{task.id}", c.world.now)
    assert c.world.told("notice.packaging_notice") == {
        GROUPS[r] for r in (Role.WAREHOUSE, Role.QUALITY, Role.MARKET, Role.MANUFACTURING)}
    assert [e.action for e in c.world.events("notice.packaging_notice")] == [
        "notice.packaging_notice"]


async def test_a_draft_expiry_timer_expires_the_draft(c: Company) -> None:
    draft = await services.open_draft(c.world.ctx, c.rep, GROUPS[Role.MARKET], {"customer": "甲"})
    await escalation.fire(c.world.ctx, "draft_expiry", f"draft:{draft.id}",
                          f"draft_expiry:{draft.id}", c.world.now)
    assert c.world.tables.drafts[draft.id].status.value == "expired"


async def test_the_buttons_a_task_allows(c: Company) -> None:
    order, task = await _design(c)
    answers = [b.answer for row in escalation.task_buttons(task) for b in row]
    assert answers == [ButtonAnswer(AnswerTo.TASK, task.id, "ack"),
                       ButtonAnswer(AnswerTo.TASK, task.id, "done")]
    task.status = TaskStatus.ACKNOWLEDGED
    assert [b.answer for row in escalation.task_buttons(task) for b in row] == [
        ButtonAnswer(AnswerTo.TASK, task.id, "done")]
    review = [t for t in c.world.tasks(order) if t.kind is TaskKind.FEASIBILITY_REVIEW][0]
    assert [b.answer for row in escalation.task_buttons(review) for b in row] == [
        ButtonAnswer(AnswerTo.REVIEW, review.id, "ok"),
        ButtonAnswer(AnswerTo.REVIEW, review.id, "no")]
