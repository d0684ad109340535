"""workflow/orders/progress.py: acknowledging, reporting progress on, and finishing a task."""

from __future__ import annotations

import pytest

from tests.unit.workflow.journey import Company, in_production, registered
from workflow import orders
from workflow.errors import DomainError, Forbidden, NotFound
from workflow.model import TaskKind, TaskStatus
from workflow.parsing.task_reports import Report


def _one(c: Company, order, kind: TaskKind):
    [task] = [t for t in c.world.tasks(order, open_only=True) if t.kind is kind]
    return task


async def test_acknowledging_stops_the_clocks_and_records_who(c: Company) -> None:
    order = await in_production(c)
    task = _one(c, order, TaskKind.ASSEMBLY_FINISH)
    await orders.acknowledge(c.world.ctx, c.maker, task.id)
    stored = c.world.tables.tasks[task.id]
    assert (stored.status, stored.assignee_id) == (TaskStatus.ACKNOWLEDGED, c.maker.person.id)
    assert not [t for t in c.world.timers() if t.subject == f"task:{task.id}"]
    assert [e.subject_id for e in c.world.events("task.acknowledged")] == [str(task.id)]
    with pytest.raises(DomainError) as twice:
        await orders.acknowledge(c.world.ctx, c.maker, task.id)
    assert twice.value.text.key == "error.task_closed"


async def test_only_the_tasks_department_acknowledges_it(c: Company) -> None:
    order = await in_production(c)
    task = _one(c, order, TaskKind.ASSEMBLY_FINISH)
    with pytest.raises(Forbidden):
        await orders.acknowledge(c.world.ctx, c.buyer, task.id)
    with pytest.raises(NotFound) as unknown:
        await orders.acknowledge(c.world.ctx, c.maker, 999_999)
    assert unknown.value.text.key == "error.task_not_found"


async def test_progress_acknowledges_and_is_kept(c: Company) -> None:
    order = await in_production(c)
    task = _one(c, order, TaskKind.ASSEMBLY_FINISH)
    await orders.report_progress(c.world.ctx, c.maker, task.id,
                                 Report(note="柜体完成", percent=60, photo="file-1"))
    stored = c.world.tables.tasks[task.id]
    assert (stored.status, stored.progress, stored.progress_note, stored.photo) == (
        TaskStatus.ACKNOWLEDGED, 60, "柜体完成", "file-1")
    [event] = c.world.events("task.progress")
    assert (event.before, event.after["progress"]) == ({"progress": None}, 60)


async def test_progress_over_a_hundred_is_refused(c: Company) -> None:
    order = await in_production(c)
    task = _one(c, order, TaskKind.ASSEMBLY_FINISH)
    with pytest.raises(DomainError) as over:
        await orders.report_progress(c.world.ctx, c.maker, task.id, Report(percent=120))
    assert over.value.text.key == "error.progress_range"
    assert c.world.tables.tasks[task.id].progress is None


async def test_finishing_records_what_was_counted(c: Company) -> None:
    order = await in_production(c)
    task = _one(c, order, TaskKind.ASSEMBLY_FINISH)
    await orders.finish(c.world.ctx, c.maker, task.id, Report(note="好", quantity=12))
    stored = c.world.tables.tasks[task.id]
    assert (stored.status, stored.outcome, stored.note, stored.quantity, stored.closed_by) == (
        TaskStatus.DONE, "done", "好", 12, c.maker.person.id)
    assert "task.done" in c.world.actions()
    with pytest.raises(DomainError) as closed:
        await orders.finish(c.world.ctx, c.maker, task.id)
    assert closed.value.text.key == "error.task_closed"


async def test_a_task_that_needs_its_own_answer_is_not_just_finished(c: Company) -> None:
    order = await registered(c)
    review = [t for t in c.world.tasks(order) if t.kind is TaskKind.FEASIBILITY_REVIEW][0]
    with pytest.raises(DomainError) as verdict:
        await orders.finish(c.world.ctx, c.tech, review.id)
    assert verdict.value.text.key == "error.task_needs_its_answer"


async def test_a_negative_count_is_refused(c: Company) -> None:
    order = await in_production(c)
    task = _one(c, order, TaskKind.ASSEMBLY_FINISH)
    with pytest.raises(DomainError) as negative:
        await orders.finish(c.world.ctx, c.maker, task.id, Report(quantity=-1))
    assert negative.value.text.key == "error.quantity_not_positive"
    assert c.world.tables.tasks[task.id].status is TaskStatus.OPEN
