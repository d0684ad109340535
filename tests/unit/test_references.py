"""Whose orders a person is working on, and the deadline an order listing shows."""

from __future__ import annotations

from datetime import UTC, datetime

from workflow.model import Person, Task, TaskKind, TaskStatus
from workflow.references import Scope, department_scope, next_deadlines, person_scope
from workflow.roles import Role

AT = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)


def test_a_rep_follows_the_orders_they_registered_not_every_market_step() -> None:
    rep = Person(101, "李明", roles={Role.MARKET: False})
    assert person_scope(rep) == Scope(101, ())
    planner = Person(201, "王强", roles={Role.MANUFACTURING: True, Role.OEM: False})
    assert person_scope(planner) == Scope(201, (Role.MANUFACTURING, Role.OEM))


def test_nobody_without_a_role_has_orders_but_an_administrator_sees_all() -> None:
    stranger = Person(999, "路人")
    assert person_scope(stranger) is None
    assert person_scope(stranger, is_admin=True) == Scope(None, ())


def test_market_owns_every_order_the_others_their_open_work() -> None:
    assert department_scope(Role.MARKET) == Scope(None, ())
    assert department_scope(Role.TECH) == Scope(None, (Role.TECH,))


def _task(order_id: int, hours: int | None, status: TaskStatus = TaskStatus.OPEN) -> Task:
    due = AT.replace(hour=hours) if hours is not None else None
    return Task(None, order_id, TaskKind.FEASIBILITY_REVIEW, Role.TECH, status, due, AT)


def test_the_next_deadline_is_the_earliest_of_the_open_tasks() -> None:
    tasks = [_task(1, 9), _task(1, 5), _task(1, 2, TaskStatus.DONE), _task(2, None),
             _task(3, 7, TaskStatus.ACKNOWLEDGED)]
    assert next_deadlines(tasks) == {1: AT.replace(hour=5), 3: AT.replace(hour=7)}
