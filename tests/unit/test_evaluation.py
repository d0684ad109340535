"""The evaluation's pure parts: periods, the monthly day, and figures from plain records."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from tests.conftest import SHANGHAI
from workflow.calendar import WorkingCalendar
from workflow.evaluation import (
    Event,
    Period,
    Records,
    Spread,
    evaluate,
    figures,
    monthly_period,
    parse_period,
)
from workflow.model import Order, OrderStatus, Task, TaskKind, TaskStatus
from workflow.policy import load_policy
from workflow.roles import Role

TODAY = date(2026, 12, 3)
CALENDAR = WorkingCalendar(load_policy())


def at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


@pytest.mark.parametrize(("text", "first", "last"), [
    ("", "2026-12-01", "2026-12-31"),
    ("本月", "2026-12-01", "2026-12-31"),
    ("this month", "2026-12-01", "2026-12-31"),
    ("上月", "2026-11-01", "2026-11-30"),
    ("Last Month", "2026-11-01", "2026-11-30"),
    ("2026-11", "2026-11-01", "2026-11-30"),
    ("2026年2月", "2026-02-01", "2026-02-28"),
    ("11月", "2026-11-01", "2026-11-30"),
    ("12-01..12-15", "2026-12-01", "2026-12-15"),
    ("2026-12-01..2026-12-15", "2026-12-01", "2026-12-15"),
    ("12月1日至12月5日", "2026-12-01", "2026-12-05"),
    ("11-20 ~ 11-25", "2026-11-20", "2026-11-25"),
    ("2026-11-24", "2026-11-24", "2026-11-24"),
    # Without a year, the latest such day not after today; a range may cross new year.
    ("12-20..01-10", "2025-12-20", "2026-01-10"),
    ("12月", "2026-12-01", "2026-12-31"),
])
def test_the_periods_people_write(text: str, first: str, last: str) -> None:
    assert parse_period(text, TODAY) == Period(date.fromisoformat(first), date.fromisoformat(last))


@pytest.mark.parametrize("text", ["下周", "13月", "12", "11-31", "2026-12-15..2026-12-01",
                                  "2025-01-01..2026-12-31", "本月 上月"])
def test_what_is_no_period(text: str) -> None:
    assert parse_period(text, TODAY) is None


def test_a_period_is_whole_local_days() -> None:
    period = parse_period("11-24..11-25", TODAY)
    assert period is not None and period.label == "2026-11-24..2026-11-25"
    assert period.bounds(SHANGHAI) == (at("2026-11-24T00:00"), at("2026-11-26T00:00"))
    assert parse_period("2026-11", TODAY).label == "2026-11"


def test_the_monthly_evaluation_waits_for_its_working_day() -> None:
    # 1-7 October 2026 is 国庆: the first working day of October is the 9th (the 10th is a
    # 调休 Saturday, the 8th still a holiday) — chinese-calendar knows.
    first_working = next(date(2026, 10, d) for d in range(1, 15)
                         if CALENDAR.is_working_day(date(2026, 10, d)))
    september = Period(date(2026, 9, 1), date(2026, 9, 30))
    assert monthly_period(CALENDAR, first_working - timedelta(days=1), 1) is None
    assert monthly_period(CALENDAR, first_working, 1) == september
    assert monthly_period(CALENDAR, first_working + timedelta(days=3), 1) == september
    assert monthly_period(CALENDAR, first_working, 2) is None
    assert monthly_period(CALENDAR, date(2026, 12, 1), 1) == Period(date(2026, 11, 1),
                                                                    date(2026, 11, 30))
    assert monthly_period(CALENDAR, date(2026, 12, 31), 0) is None


def test_the_90th_percentile_is_the_nearest_rank() -> None:
    assert Spread.of([]) == Spread(0, None, None)
    assert Spread.of([5]) == Spread(1, 5, 5)
    assert Spread.of(range(1, 11)) == Spread(10, 5.5, 9)
    assert Spread.of(range(1, 12)) == Spread(11, 6, 10)


def _order(number: str, due: date, created: datetime, **facts: object) -> Order:
    return Order(int(number[-1]), number, OrderStatus.SHIPPED, "华东电力", "开关柜", 10, due,
                 101, created, -1001, unit="台", facts=dict(facts))


def _task(task_id: int, kind: TaskKind, role: Role, status: TaskStatus, created: str,
          due: str | None, closed: str | None = None) -> Task:
    return Task(task_id, 1, kind, role, status, at(due) if due else None, at(created),
                closed_at=at(closed) if closed else None, closed_by=201 if closed else None)


def _records(events: list[Event], orders: list[Order], tasks: list[Task],
             acknowledged: dict[int, datetime] | None = None) -> Records:
    history: dict[str, list[Event]] = {}
    for event in sorted(events, key=lambda e: e.at):
        if event.subject_type == "order":
            history.setdefault(event.subject_id, []).append(event)
    period = Period(date(2026, 12, 1), date(2026, 12, 31))
    return Records(period, at("2026-12-18T12:00"), events, {o.number: o for o in orders},
                   history, {t.id or 0: t for t in tasks}, acknowledged or {}, {},
                   {101: "李明", 201: "王强"})


def test_the_agreed_date_is_the_one_in_force_when_shipped() -> None:
    first = _order("SO-20261201-001", date(2026, 12, 15), at("2026-12-01T09:00"),
                   shipped_quantity=10)
    second = _order("SO-20261201-002", date(2026, 12, 10), at("2026-12-01T09:30"),
                    shipped_quantity=8)
    events = [
        Event(at("2026-12-01T09:00"), "order.register", "order", first.number,
              after={"due_date": "2026-12-10"}),
        Event(at("2026-12-04T10:00"), "order.due_date", "order", first.number,
              after={"due_date": "2026-12-15", "why": "negotiated"}),
        Event(at("2026-12-12T10:00"), "order.ship", "order", first.number),
        # A change after shipping does not move the date the shipment is judged by.
        Event(at("2026-12-14T10:00"), "order.changed", "order", first.number,
              after={"due_date": "2026-12-20"}),
        Event(at("2026-12-01T09:30"), "order.register", "order", second.number,
              after={"due_date": "2026-12-10"}),
        Event(at("2026-12-10T16:00"), "order.ship", "order", second.number),
    ]
    result = evaluate(_records(events, [first, second], []), CALENDAR)
    lines = {line.number: line for line in result.orders}
    assert (lines[first.number].on_time, lines[first.number].on_time_original) == (True, False)
    assert (lines[first.number].original_due, lines[first.number].agreed_due) == (
        date(2026, 12, 10), date(2026, 12, 15))
    assert (lines[second.number].on_time, lines[second.number].short) == (True, True)
    got = figures(result)
    assert (got["orders_received"], got["orders_shipped"], got["on_time"],
            got["on_time_original"], got["short_shipments"]) == (2, 2, 2, 1, 1)
    assert got["on_time_rate_original"] == 0.5


def test_which_tasks_count_as_due_and_late() -> None:
    tasks = [
        # Done on time; acknowledged first, over lunch: 11:50 to 13:10 is 20 working minutes.
        _task(1, TaskKind.PRODUCTION_ORDER, Role.MARKET, TaskStatus.DONE,
              "2026-12-02T11:50", "2026-12-02T16:50", "2026-12-02T15:00"),
        # Done two hours late.
        _task(2, TaskKind.CHANGE_ANSWER, Role.TECH, TaskStatus.DONE,
              "2026-12-03T09:00", "2026-12-03T09:30", "2026-12-03T11:30"),
        # Cancelled before it fell due: owed nothing.
        _task(3, TaskKind.QUOTE, Role.MARKET, TaskStatus.CANCELLED,
              "2026-12-03T09:00", "2026-12-04T09:00", "2026-12-03T10:00"),
        # Cancelled after it fell due: it was late until then.
        _task(4, TaskKind.QUOTE, Role.MARKET, TaskStatus.CANCELLED,
              "2026-12-03T09:00", "2026-12-04T09:00", "2026-12-04T12:00"),
        # Still open past its deadline: late until now (12-18 12:00).
        _task(5, TaskKind.ASSEMBLY_FINISH, Role.MANUFACTURING, TaskStatus.ACKNOWLEDGED,
              "2026-12-02T09:00", "2026-12-17T17:30"),
        # Due after now: not yet due.
        _task(6, TaskKind.PACKAGING, Role.MANUFACTURING, TaskStatus.OPEN,
              "2026-12-02T09:00", "2026-12-22T17:30"),
        # Opened and due before the period: not the period's.
        _task(7, TaskKind.QUOTE, Role.MARKET, TaskStatus.DONE,
              "2026-11-20T09:00", "2026-11-21T09:00", "2026-12-02T09:00"),
    ]
    result = evaluate(_records([], [], tasks, {1: at("2026-12-02T13:10"),
                                               5: at("2026-12-02T09:30")}), CALENDAR)
    lines = {line.task_id: line for line in result.tasks}
    assert set(lines) == {1, 2, 3, 4, 5, 6}
    assert [(i, lines[i].on_time, lines[i].late_hours) for i in (1, 2, 3, 4, 5, 6)] == [
        (1, True, None), (2, False, 2.0), (3, None, None), (4, False, 3.0), (5, False, 18.5),
        (6, None, None)]
    assert (lines[1].response_minutes, lines[1].within_clock) == (20.0, True)
    assert (lines[2].response_minutes, lines[2].within_clock) == (150.0, False)
    # A planned task's date is the plan's: no response is measured for it.
    assert lines[5].response_minutes is None
    got = figures(result)
    assert (got["tasks_due"], got["tasks_on_time"], got["tasks_late"]) == (4, 1, 3)
    assert got["lateness"] == {"count": 3, "median_hours": 3.0, "p90_hours": 18.5}
    assert got["by_department"]["market"] == {
        "tasks_due": 2, "tasks_on_time": 1, "tasks_late": 1,
        "median_first_response_minutes": 20.0}
    assert list(got["late_by_kind"]) == ["assembly_finish", "change_answer", "quote"]
    assert got["by_person"]["王强"] == {"orders_received": 0, "tasks_due": 3, "tasks_late": 2}
