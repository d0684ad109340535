"""The evaluation (考核): what the audit trail and the tasks say about a period.

`collect` reads what a period needs through the `Reports` port; `evaluate` is a pure function
of those records, the working calendar and `now`. `figures` gives the result as the stable
JSON of `gendan report --json`; docs/report.md says where each figure comes from.
"""

from __future__ import annotations

import math
import re
import statistics
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from workflow.calendar import WorkingCalendar
from workflow.context import Actor
from workflow.model import PLANNED_KINDS, ChangeNotice, Order, Task, TaskKind, TaskStatus
from workflow.ports import Reports
from workflow.roles import Role

# ---- periods ----------------------------------------------------------------------------

LONGEST_PERIOD = timedelta(days=366)  # the whole-history evaluation is another matter


@dataclass(frozen=True)
class Period:
    """Whole local days, `first` to `last` included."""

    first: date
    last: date

    @property
    def label(self) -> str:
        if self.first.day == 1 and self.last == _month_end(self.first):
            return f"{self.first:%Y-%m}"
        return f"{self.first.isoformat()}..{self.last.isoformat()}"

    def bounds(self, tz: ZoneInfo) -> tuple[datetime, datetime]:
        """The instants the period starts at and ends before."""
        return (datetime.combine(self.first, time.min, tz),
                datetime.combine(self.last + timedelta(days=1), time.min, tz))


def month_of(day: date) -> Period:
    first = day.replace(day=1)
    return Period(first, _month_end(first))


def month_before(day: date) -> Period:
    return month_of(day.replace(day=1) - timedelta(days=1))


def _month_end(first: date) -> date:
    following = (first.replace(day=28) + timedelta(days=4)).replace(day=1)
    return following - timedelta(days=1)


_THIS_MONTH = ("", "本月", "这个月", "当月", "this month")
_LAST_MONTH = ("上月", "上个月", "last month")
_MONTH = re.compile(r"(?:(\d{4})\s*[-/年.]\s*)?(\d{1,2})\s*月?")
_DAY = re.compile(r"(?:(\d{4})\s*[-/年.]\s*)?(\d{1,2})\s*[-/月.]\s*(\d{1,2})\s*[日号]?")
_RANGE = re.compile(r"\s*(?:\.\.|~|～|至|到|—|–)\s*")


def parse_period(text: str, today: date) -> Period | None:
    """本月, 上月, 2026-11, 11月, 2026年11月, 12-01..12-15 or 2026-12-01..2026-12-15 (至, ~ and
    到 too); None when it is none of them, or longer than LONGEST_PERIOD, or ends before it
    starts. A day or month without a year is the latest one not after today."""
    word = text.strip().lower()
    if word in _THIS_MONTH:
        return month_of(today)
    if word in _LAST_MONTH:
        return month_before(today)
    parts = _RANGE.split(word)
    if len(parts) == 2:
        first, last = _day(parts[0], today), _day(parts[1], today)
        if first is None or last is None:
            return None
        if last < first and not _has_year(parts[1]):
            last = last.replace(year=last.year + 1)  # 12-20..01-10 crosses new year
        period = Period(first, last)
    elif len(parts) == 1 and (month := _MONTH.fullmatch(word)) and (
            month[1] or "月" in word):
        in_month = _month(month, today)
        if in_month is None:
            return None
        period = in_month
    elif len(parts) == 1 and (day := _day(word, today)) is not None:
        period = Period(day, day)
    else:
        return None
    if period.last < period.first or period.last - period.first >= LONGEST_PERIOD:
        return None
    return period


def _has_year(text: str) -> bool:
    return bool(re.match(r"\s*\d{4}", text))


def _month(match: re.Match[str], today: date) -> Period | None:
    month = int(match[2])
    if not 1 <= month <= 12:
        return None
    year = int(match[1]) if match[1] else today.year
    first = date(year, month, 1)
    if not match[1] and first > today:
        first = first.replace(year=year - 1)
    return month_of(first)


def _day(text: str, today: date) -> date | None:
    match = _DAY.fullmatch(text.strip())
    if match is None:
        return None
    year = int(match[1]) if match[1] else today.year
    try:
        day = date(year, int(match[2]), int(match[3]))
    except ValueError:
        return None
    if not match[1] and day > today:
        day = day.replace(year=year - 1)
    return day


def may_read_reports(actor: Actor) -> bool:
    """Market's and every department's leaders, the general manager, administrators."""
    person = actor.person
    return actor.is_admin or person.has_role(Role.GM) or any(person.roles.values())


# ---- what a period needs ----------------------------------------------------------------


@dataclass(frozen=True)
class Event:
    """One row of the audit trail."""

    at: datetime
    action: str
    subject_type: str
    subject_id: str
    actor_id: int | None = None
    before: dict[str, Any] | None = None
    after: dict[str, Any] | None = None


REGISTERED, ACCEPTED, DECLINED, CANCELLED = (
    "order.register", "order.review_passed", "order.decline", "order.cancel")
EFFECTIVE, SHIPPED = "order.contract_effective", "order.ship"
DUE_DATE_SET, CHANGED = "order.due_date", "order.changed"
ESCALATED, ACKNOWLEDGED = "task.escalated", "task.acknowledged"
CHANGE_ISSUED, URGE_SENT, INSPECTED = "change.issued", "urge.sent", "quality.inspection"

ORDER_MOMENTS = (REGISTERED, ACCEPTED, DECLINED, CANCELLED, EFFECTIVE, SHIPPED)
# What happened in the period, found by the time of the event.
IN_PERIOD = (*ORDER_MOMENTS, ESCALATED, CHANGE_ISSUED, URGE_SENT, INSPECTED)
# An order's own story, read for the orders the period touches: its dates and moments.
ORDER_HISTORY = (*ORDER_MOMENTS, DUE_DATE_SET, CHANGED)


@dataclass
class Records:
    """What `evaluate` reads: plain records of the period and of what it refers to."""

    period: Period
    now: datetime
    events: list[Event]
    orders: dict[str, Order]  # by number
    history: dict[str, list[Event]]  # order number -> its ORDER_HISTORY events, oldest first
    tasks: dict[int, Task]
    acknowledged: dict[int, datetime]  # task id -> its first acknowledgement
    notices: dict[str, ChangeNotice]  # by number
    names: dict[int, str]


async def collect(reports: Reports, period: Period, tz: ZoneInfo, now: datetime) -> Records:
    start, end = period.bounds(tz)
    events = await reports.events(IN_PERIOD, start, end)
    tasks = {t.id or 0: t for t in await reports.tasks_between(start, end)}
    escalated = {int(e.subject_id) for e in events if e.action == ESCALATED} - set(tasks)
    tasks |= {t.id or 0: t for t in await reports.tasks_by_id(sorted(escalated))}
    orders = {o.number: o for o in await reports.orders_by_number(sorted(
        {e.subject_id for e in events if e.subject_type == "order"}))}
    missing = {t.order_id for t in tasks.values()} - {o.id for o in orders.values()}
    orders |= {o.number: o for o in await reports.orders_by_id(sorted(missing))}
    history: dict[str, list[Event]] = {}
    for event in await reports.events_of("order", sorted(
            {e.subject_id for e in events if e.subject_type == "order"}), ORDER_HISTORY):
        history.setdefault(event.subject_id, []).append(event)
    acknowledged: dict[int, datetime] = {}
    for event in await reports.events_of("task", [str(i) for i in sorted(tasks)],
                                         (ACKNOWLEDGED,)):
        acknowledged.setdefault(int(event.subject_id), event.at)
    notices = {n.number or "": n for n in await reports.notices_by_number(sorted(
        {e.subject_id for e in events if e.action == CHANGE_ISSUED}))}
    people = ({o.created_by for o in orders.values()}
              | {t.closed_by or t.assignee_id or 0 for t in tasks.values()}
              | {p for e in events if e.action == ESCALATED for p in (e.after or {}).get("people", [])}
              ) - {0}
    names = await reports.names(sorted(people))
    return Records(period, now, events, orders, history, tasks, acknowledged, notices, names)


async def orders_received(reports: Reports, period: Period, tz: ZoneInfo) -> list[Order]:
    """The orders registered in the period, in the order they came."""
    start, end = period.bounds(tz)
    numbers = [e.subject_id for e in await reports.events((REGISTERED,), start, end)]
    found = {o.number: o for o in await reports.orders_by_number(numbers)}
    return [found[number] for number in numbers if number in found]


def monthly_period(calendar: WorkingCalendar, today: date, working_day: int) -> Period | None:
    """The month before, from the policy's working day of this month on (so a bot that was
    down that morning catches up the next); None before it, or when `working_day` is 0."""
    if working_day == 0:
        return None
    due = calendar.shift_working_days(today.replace(day=1) - timedelta(days=1), working_day)
    return month_before(today) if today >= due else None


# ---- the evaluation ---------------------------------------------------------------------


@dataclass(frozen=True)
class Spread:
    """How long something took: how many, the median and the 90th percentile (nearest rank)."""

    count: int
    median: float | None
    p90: float | None

    @classmethod
    def of(cls, values: Iterable[float]) -> Spread:
        ordered = sorted(values)
        if not ordered:
            return cls(0, None, None)
        return cls(len(ordered), round(statistics.median(ordered), 2),
                   round(ordered[math.ceil(0.9 * len(ordered)) - 1], 2))


@dataclass
class OrderLine:
    number: str
    customer: str
    product: str
    model: str | None
    quantity: float
    unit: str | None
    amount: float | None
    rep: str
    status: str
    received_at: datetime
    accepted_at: datetime | None
    declined_at: datetime | None
    cancelled_at: datetime | None
    effective_at: datetime | None
    shipped_at: datetime | None
    original_due: date
    agreed_due: date
    shipped_quantity: float | None
    short: bool
    on_time: bool | None  # shipped by the agreed date; None when not shipped in the period
    on_time_original: bool | None
    days_to_ship: float | None


@dataclass
class TaskLine:
    task_id: int
    order: str
    kind: str
    role: Role
    title: str | None
    owner: str
    status: str
    outcome: str | None
    created_at: datetime
    due_at: datetime | None
    first_response_at: datetime | None
    response_minutes: float | None  # on the working clock
    within_clock: bool | None  # first response by the deadline
    closed_at: datetime | None
    on_time: bool | None  # None: not due in the period (or not yet due)
    late_hours: float | None


@dataclass
class EscalationLine:
    at: datetime
    order: str
    kind: str
    role: Role
    title: str | None
    step: int  # 1 = the first step of the chain
    to: str
    people: list[str]
    due_at: datetime | None


@dataclass
class Department:
    tasks_due: int = 0
    tasks_on_time: int = 0
    tasks_late: int = 0
    responses: list[float] = field(default_factory=list)  # first responses, working minutes

    @property
    def on_time_rate(self) -> float | None:
        return _rate(self.tasks_on_time, self.tasks_due)

    @property
    def median_first_response(self) -> float | None:
        return Spread.of(self.responses).median


@dataclass
class Evaluation:
    period: Period
    now: datetime
    orders: list[OrderLine]
    tasks: list[TaskLine]
    escalations: list[EscalationLine]
    received: int
    accepted: int
    declined: int
    cancelled: int
    effective: int
    shipped: int
    on_time: int
    on_time_original: int
    lead_times: dict[str, Spread]  # days
    lateness: Spread  # hours late, of the tasks late
    first_response: dict[str, Spread]  # task kind -> working minutes
    within_clock: dict[str, int]  # task kind -> first responses by the deadline
    departments: dict[Role, Department]
    late_by_kind: dict[str, Spread]  # task kind -> hours late
    escalations_by_step: dict[int, int]
    change_notices: dict[int, int]  # level in force -> notices issued
    urge_slips: int
    short_shipments: int
    tickets: int
    ticket_response: Spread  # working minutes
    inspections: int
    inspected: int
    passed: int
    below_threshold: int
    raised_late: int
    by_customer: dict[str, dict[str, int]]
    by_person: dict[str, dict[str, int]]

    @property
    def tasks_due(self) -> int:
        return sum(d.tasks_due for d in self.departments.values())

    @property
    def tasks_on_time(self) -> int:
        return sum(d.tasks_on_time for d in self.departments.values())

    @property
    def tasks_late(self) -> int:
        return sum(d.tasks_late for d in self.departments.values())

    @property
    def on_time_rate(self) -> float | None:
        return _rate(self.on_time, self.shipped)

    @property
    def on_time_rate_original(self) -> float | None:
        return _rate(self.on_time_original, self.shipped)

    @property
    def pass_rate(self) -> float | None:
        return _rate(self.passed, self.inspected)


def _rate(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


def _hours(delta: timedelta) -> float:
    return delta.total_seconds() / 3600


def _days(delta: timedelta) -> float:
    return delta.total_seconds() / 86400


def evaluate(records: Records, calendar: WorkingCalendar) -> Evaluation:
    tz = calendar.tz
    start, end = records.period.bounds(tz)
    until = min(end, records.now)
    in_period: dict[str, list[Event]] = {}
    for event in records.events:
        in_period.setdefault(event.action, []).append(event)
    numbers = {o.id: number for number, o in records.orders.items()}

    def name(person_id: int | None) -> str:
        return records.names.get(person_id or 0, str(person_id) if person_id else "-")

    orders = [_order_line(order, records.history.get(number, []), start, end, tz,
                          name(order.created_by))
              for number, order in sorted(records.orders.items())
              if any(start <= e.at < end for e in records.history.get(number, []))]
    shipped = [o for o in orders if o.shipped_at is not None]
    effective = [o for o in orders if o.effective_at is not None
                 and start <= o.effective_at < end]

    tasks = [_task_line(task, numbers.get(task.order_id, "?"), records.acknowledged.get(
        task.id or 0), start, until, calendar, name(task.closed_by or task.assignee_id))
             for task in sorted(records.tasks.values(), key=lambda t: t.id or 0)
             if (task.due_at is not None and start <= task.due_at < end)
             or start <= task.created_at < end]
    departments = {role: Department() for role in Role}
    late_hours: dict[str, list[float]] = {}
    responses: dict[str, list[float]] = {}
    within: Counter[str] = Counter()
    for line in tasks:
        department = departments[line.role]
        if line.on_time is not None:
            department.tasks_due += 1
            department.tasks_on_time += line.on_time
            department.tasks_late += not line.on_time
            if not line.on_time:
                late_hours.setdefault(line.kind, []).append(line.late_hours or 0.0)
        if start <= line.created_at < end and line.response_minutes is not None:
            department.responses.append(line.response_minutes)
            responses.setdefault(line.kind, []).append(line.response_minutes)
            within[line.kind] += bool(line.within_clock)

    escalations = [_escalation_line(e, records.tasks[int(e.subject_id)], numbers, name)
                   for e in in_period.get(ESCALATED, []) if int(e.subject_id) in records.tasks]
    tickets = [t for t in tasks if t.kind == TaskKind.AFTER_SALES.value
               and start <= t.created_at < end]
    inspections = [e.after or {} for e in in_period.get(INSPECTED, [])]
    levels = Counter(
        (records.notices[e.subject_id].level if e.subject_id in records.notices
         else int((e.after or {}).get("level", 1))) for e in in_period.get(CHANGE_ISSUED, []))

    return Evaluation(
        period=records.period, now=records.now, orders=orders, tasks=tasks,
        escalations=escalations,
        received=sum(start <= o.received_at < end for o in orders),
        accepted=sum(o.accepted_at is not None and start <= o.accepted_at < end for o in orders),
        declined=sum(o.declined_at is not None for o in orders),
        cancelled=sum(o.cancelled_at is not None for o in orders),
        effective=len(effective),
        shipped=len(shipped),
        on_time=sum(bool(o.on_time) for o in shipped),
        on_time_original=sum(bool(o.on_time_original) for o in shipped),
        lead_times={
            "received_to_effective": Spread.of(
                _days(o.effective_at - o.received_at) for o in effective if o.effective_at),
            "effective_to_shipped": Spread.of(
                _days(o.shipped_at - o.effective_at) for o in shipped
                if o.shipped_at and o.effective_at),
            "received_to_shipped": Spread.of(o.days_to_ship for o in shipped
                                             if o.days_to_ship is not None),
        },
        lateness=Spread.of(h for hours in late_hours.values() for h in hours),
        first_response={kind: Spread.of(values) for kind, values in sorted(responses.items())},
        within_clock=dict(within),
        departments=departments,
        late_by_kind={kind: Spread.of(v) for kind, v in sorted(
            late_hours.items(), key=lambda item: (-len(item[1]), item[0]))},
        escalations_by_step=dict(sorted(Counter(e.step for e in escalations).items())),
        change_notices={level: levels.get(level, 0) for level in (1, 2, 3)},
        urge_slips=len(in_period.get(URGE_SENT, [])),
        short_shipments=sum(o.short for o in shipped),
        tickets=len(tickets),
        ticket_response=Spread.of(t.response_minutes for t in tickets
                                  if t.response_minutes is not None),
        inspections=len(inspections),
        inspected=sum(int(i.get("total", 0)) for i in inspections),
        passed=sum(int(i.get("passed", 0)) for i in inspections),
        below_threshold=sum(bool(i.get("below_threshold")) for i in inspections),
        raised_late=sum(bool(i.get("raised_late")) for i in inspections),
        by_customer=_by_customer(orders, start, end),
        by_person=_by_person(orders, tasks, start, end),
    )


def _first(history: list[Event], action: str) -> Event | None:
    return next((e for e in history if e.action == action), None)


def _last(history: list[Event], action: str, start: datetime, end: datetime) -> Event | None:
    found = [e for e in history if e.action == action and start <= e.at < end]
    return found[-1] if found else None


def due_date_at(order: Order, history: list[Event], moment: datetime) -> tuple[date, date]:
    """The due date at registration, and the one in force at `moment`: a negotiated date
    (/newdate) or a change notice's replaces it from the time it was recorded."""
    registered = _first(history, REGISTERED)
    original = (date.fromisoformat(registered.after["due_date"])
                if registered and registered.after and registered.after.get("due_date")
                else order.due_date)
    agreed = original
    for event in history:
        if event.at > moment:
            break
        if event.action in (DUE_DATE_SET, CHANGED) and (event.after or {}).get("due_date"):
            agreed = date.fromisoformat(str((event.after or {})["due_date"])[:10])
    return original, agreed


def _order_line(order: Order, history: list[Event], start: datetime, end: datetime,
                tz: ZoneInfo, rep: str) -> OrderLine:
    registered = _first(history, REGISTERED)
    received_at = registered.at if registered else order.created_at
    accepted = _first(history, ACCEPTED)
    effective = _first(history, EFFECTIVE)
    ship = _last(history, SHIPPED, start, end)
    shipped_at = ship.at if ship else None
    original, agreed = due_date_at(order, history, shipped_at or end)
    shipped_quantity = order.facts.get("shipped_quantity")
    on_time = on_time_original = None
    if shipped_at is not None:
        day = shipped_at.astimezone(tz).date()
        on_time, on_time_original = day <= agreed, day <= original
    return OrderLine(
        number=order.number, customer=order.customer, product=order.product, model=order.model,
        quantity=order.quantity, unit=order.unit, amount=order.amount, rep=rep,
        status=order.status.value, received_at=received_at,
        accepted_at=accepted.at if accepted else None,
        declined_at=_moment_in(history, DECLINED, start, end),
        cancelled_at=_moment_in(history, CANCELLED, start, end),
        effective_at=effective.at if effective else None,
        shipped_at=shipped_at, original_due=original, agreed_due=agreed,
        shipped_quantity=shipped_quantity if shipped_at else None,
        short=bool(shipped_at and shipped_quantity is not None
                   and shipped_quantity < order.quantity),
        on_time=on_time, on_time_original=on_time_original,
        days_to_ship=round(_days(shipped_at - received_at), 2) if shipped_at else None)


def _moment_in(history: list[Event], action: str, start: datetime, end: datetime
               ) -> datetime | None:
    found = _last(history, action, start, end)
    return found.at if found else None


def _task_line(task: Task, order: str, acknowledged: datetime | None, start: datetime,
               until: datetime, calendar: WorkingCalendar, owner: str) -> TaskLine:
    answered = [m for m in (acknowledged, task.closed_at if task.status is TaskStatus.DONE
                            else None) if m is not None]
    # A planned task's date is the plan's, not a clock to answer on.
    first = min(answered) if answered and task.kind not in PLANNED_KINDS else None
    due = task.due_at
    # Cancelled before it fell due, a task owed nothing; cancelled after, it was late.
    owed = due is not None and start <= due < until and not (
        task.status is TaskStatus.CANCELLED and task.closed_at and task.closed_at <= due)
    on_time = late_hours = None
    if owed and due is not None:
        on_time = task.status is TaskStatus.DONE and task.closed_at is not None \
            and task.closed_at <= due
        if not on_time:
            late_hours = round(_hours((task.closed_at or until) - due), 2)
    return TaskLine(
        task_id=task.id or 0, order=order, kind=task.kind.value, role=task.role,
        title=task.title, owner=owner, status=task.status.value, outcome=task.outcome,
        created_at=task.created_at, due_at=due, first_response_at=first,
        response_minutes=(round(calendar.working_between(task.created_at, first)
                                .total_seconds() / 60, 1) if first else None),
        within_clock=(first <= due) if first and due else None,
        closed_at=task.closed_at, on_time=on_time,
        late_hours=late_hours)


def _escalation_line(event: Event, task: Task, numbers: dict[int | None, str],
                     name: Callable[[int | None], str]) -> EscalationLine:
    after = event.after or {}
    return EscalationLine(
        at=event.at, order=numbers.get(task.order_id, "?"), kind=task.kind.value,
        role=task.role, title=task.title, step=int(after.get("step", 0)) + 1,
        to=str(after.get("to", "")), people=[name(p) for p in after.get("people", [])],
        due_at=task.due_at)


def _by_customer(orders: list[OrderLine], start: datetime, end: datetime
                 ) -> dict[str, dict[str, int]]:
    table: dict[str, dict[str, int]] = {}
    for line in orders:
        row = table.setdefault(line.customer, {"orders_received": 0, "orders_shipped": 0,
                                               "on_time": 0})
        row["orders_received"] += start <= line.received_at < end
        row["orders_shipped"] += line.shipped_at is not None
        row["on_time"] += bool(line.on_time)
    return dict(sorted(table.items()))


def _by_person(orders: list[OrderLine], tasks: list[TaskLine], start: datetime, end: datetime
               ) -> dict[str, dict[str, int]]:
    table: dict[str, dict[str, int]] = {}

    def row(name: str) -> dict[str, int]:
        return table.setdefault(name, {"orders_received": 0, "tasks_due": 0, "tasks_late": 0})

    for line in orders:
        if start <= line.received_at < end:
            row(line.rep)["orders_received"] += 1
    for task in tasks:
        if task.on_time is not None and task.owner != "-":
            row(task.owner)["tasks_due"] += 1
            row(task.owner)["tasks_late"] += not task.on_time
    return dict(sorted(table.items()))


# ---- the figures as JSON ----------------------------------------------------------------


def _spread(spread: Spread, unit: str) -> dict[str, Any]:
    return {"count": spread.count, f"median_{unit}": spread.median, f"p90_{unit}": spread.p90}


def figures(evaluation: Evaluation) -> dict[str, Any]:
    """The stable keys of `gendan report --json` (docs/report.md)."""
    e = evaluation
    return {
        "period": {"from": e.period.first.isoformat(), "to": e.period.last.isoformat()},
        "orders_received": e.received,
        "orders_accepted": e.accepted,
        "orders_declined": e.declined,
        "orders_cancelled": e.cancelled,
        "orders_effective": e.effective,
        "orders_shipped": e.shipped,
        "on_time": e.on_time,
        "on_time_rate": e.on_time_rate,
        "on_time_original": e.on_time_original,
        "on_time_rate_original": e.on_time_rate_original,
        "lead_times": {name: _spread(s, "days") for name, s in e.lead_times.items()},
        "tasks_due": e.tasks_due,
        "tasks_on_time": e.tasks_on_time,
        "tasks_late": e.tasks_late,
        "lateness": _spread(e.lateness, "hours"),
        "late_by_kind": {kind: _spread(s, "hours") for kind, s in e.late_by_kind.items()},
        "first_response": {kind: {**_spread(s, "minutes"),
                                  "within_clock": e.within_clock.get(kind, 0)}
                           for kind, s in e.first_response.items()},
        "by_department": {role.value: {"tasks_due": d.tasks_due, "tasks_on_time": d.tasks_on_time,
                                       "tasks_late": d.tasks_late,
                                       "median_first_response_minutes": d.median_first_response}
                          for role, d in e.departments.items()},
        "escalations": len(e.escalations),
        "escalations_by_step": {str(step): n for step, n in e.escalations_by_step.items()},
        "change_notices": {str(level): n for level, n in e.change_notices.items()},
        "urge_slips": e.urge_slips,
        "short_shipments": e.short_shipments,
        "tickets": e.tickets,
        "ticket_response": _spread(e.ticket_response, "minutes"),
        "quality": {"inspections": e.inspections, "inspected": e.inspected, "passed": e.passed,
                    "pass_rate": e.pass_rate, "below_threshold": e.below_threshold,
                    "raised_late": e.raised_late},
        "by_customer": e.by_customer,
        "by_person": e.by_person,
    }
