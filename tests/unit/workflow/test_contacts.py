"""workflow/orders/contacts.py: 跨部门工作联系单, a problem for another department by a time."""

from __future__ import annotations

from datetime import timedelta

import pytest

from tests.unit.workflow.fakes import PolicyDeadlines
from tests.unit.workflow.journey import GROUPS, Company, in_production
from workflow import orders
from workflow.errors import DomainError
from workflow.model import TaskKind
from workflow.parsing.task_reports import Report
from workflow.roles import Role


async def test_a_slip_opens_a_task_and_its_answer_comes_back(c: Company) -> None:
    order = await in_production(c)
    number, task = await orders.issue_contact_slip(
        c.world.ctx, c.maker, order, Role.TECH, "图纸尺寸不符", None, GROUPS[Role.MANUFACTURING])
    assert number == f"LX-{order.number.removeprefix('SO-')}-1"
    assert (task.kind, task.role, task.title) == (TaskKind.CONTACT_SLIP, Role.TECH,
                                                  f"{number} 图纸尺寸不符")
    assert task.due_at == PolicyDeadlines().due("contact_slip", c.world.now)
    [slip] = c.world.order(order).facts["contact_slips"]
    assert (slip["task"], slip["to"], slip["chat"]) == (task.id, "tech",
                                                        GROUPS[Role.MANUFACTURING])
    await orders.finish(c.world.ctx, c.tech, task.id, Report(note="已改图"))
    [answer] = c.world.notes("contact.answered")
    assert (answer.chat_id, answer.text.params["answer"]) == (GROUPS[Role.MANUFACTURING],
                                                              "已改图")


async def test_slips_are_numbered_per_order(c: Company) -> None:
    order = await in_production(c)
    await orders.issue_contact_slip(c.world.ctx, c.maker, order, Role.TECH, "一", None, -1)
    number, _ = await orders.issue_contact_slip(c.world.ctx, c.maker, c.world.order(order),
                                                Role.QUALITY, "二", None, -1)
    assert number.endswith("-2")


async def test_refusals_of_a_slip(c: Company) -> None:
    order = await in_production(c)
    with pytest.raises(DomainError) as empty:
        await orders.issue_contact_slip(c.world.ctx, c.maker, order, Role.TECH, "", None, -1)
    assert empty.value.text.key == "usage.contact"
    with pytest.raises(DomainError) as past:
        await orders.issue_contact_slip(c.world.ctx, c.maker, order, Role.TECH, "x",
                                        c.world.now - timedelta(hours=1), -1)
    assert past.value.text.key == "error.due_in_past"
    assert "contact_slips" not in c.world.order(order).facts
