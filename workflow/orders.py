"""The order's way through the policy after intake: each step a transition of the lifecycle table."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from typing import Any

from workflow import escalation, lifecycle, urging
from workflow.context import Actor, Context, local_time, order_params
from workflow.errors import DomainError, Forbidden, NotFound
from workflow.lifecycle import Action, Refusal
from workflow.model import (
    OPEN_TASK_STATUSES,
    PLANNED_KINDS,
    ButtonSpec,
    Notification,
    Order,
    OrderStatus,
    Task,
    TaskKind,
    TaskStatus,
    Text,
)
from workflow.parsing.classify import non_regular_reasons
from workflow.policy import NonRegularReason
from workflow.roles import Role, parse_role
from workflow.services import REVIEWING_ROLES
from workflow.text import clean_name

ORDER_NUMBER = re.compile(r"\bSO-\d{8}-\d{3,}\b", re.IGNORECASE)


async def order_by_number(ctx: Context, text: str) -> Order:
    match = ORDER_NUMBER.search(text or "")
    if match is None:
        raise DomainError(Text("error.order_number_missing"))
    order = await ctx.uow.orders.by_number(match[0].upper())
    if order is None:
        raise NotFound(Text("error.order_number_unknown", {"number": match[0].upper()}))
    return order


def _today(ctx: Context) -> date:
    return ctx.now.astimezone(ctx.tz).date()


async def _facts(ctx: Context, order: Order, actor: Actor | None) -> dict[str, Any]:
    tasks = await ctx.uow.tasks.for_order(order.id or 0)
    return {
        **order.facts,
        "today": _today(ctx),
        "actor_id": actor.person.id if actor else None,
        "quantity": order.quantity,
        "reviews": [t.outcome for t in tasks if _in_review_round(order, t)],
        "planned_tasks": [t.id for t in tasks if t.kind in PLANNED_KINDS],
        "open_production_tasks": [t.id for t in tasks if t.kind in PLANNED_KINDS
                                  and t.status in OPEN_TASK_STATUSES],
        "open_missing_parts": [t.id for t in tasks if t.kind is TaskKind.MISSING_PARTS
                               and t.status in OPEN_TASK_STATUSES],
    }


async def move(
    ctx: Context, actor: Actor | None, order: Order, action: Action, **facts: Any
) -> OrderStatus:
    """Take one row of the lifecycle table, or refuse with the reason the table gives."""
    known = {**await _facts(ctx, order, actor), **facts}
    result = lifecycle.check(order.status, action,
                             roles=actor.person.roles if actor else None, facts=known)
    if isinstance(result, Refusal):
        raise _refusal(order, action, result)
    next_state = result.next_state or OrderStatus(order.facts.get(result.back_to, "review"))
    await ctx.uow.orders.set_status(order.id or 0, next_state)
    await ctx.audit(actor, f"order.{action.value}", "order", order.number,
                    {"status": order.status.value}, {"status": next_state.value})
    order.status = next_state
    return next_state


def _refusal(order: Order, action: Action, refusal: Refusal) -> DomainError:
    roles = tuple(r for r in refusal.roles if isinstance(r, Role))
    if refusal.reason == "role":
        return Forbidden(*roles)
    if refusal.reason == "leader":
        return Forbidden(*roles, leader=True)
    if refusal.reason == "no_transition":
        return DomainError(Text("error.not_now", {"number": order.number, "status": order.status.value,
                                                  "action": action.value}))
    return DomainError(Text(f"guard.{refusal.reason}", {"number": order.number}))


class Outdated(DomainError):
    """A button on a message the order has moved past. Nothing is recorded: the message says
    what holds now and keeps only the buttons still good, none when there are none."""

    def __init__(self, text: Text, buttons: tuple[tuple[ButtonSpec, ...], ...] = ()) -> None:
        super().__init__(text)
        self.buttons = buttons


def standing(order: Order) -> OrderStatus:
    """Where the order is; a held one, where it will resume."""
    if order.status is OrderStatus.ON_HOLD:
        return OrderStatus(order.facts.get("held_from", OrderStatus.REVIEW.value))
    return order.status


def forbid_own_request(actor: Actor, requested_by: int | None, refusal: Text) -> None:
    """The one self-approval rule (`lifecycle.own_request`), said in the words of the step."""
    if lifecycle.own_request(actor.person.id, requested_by):
        raise DomainError(refusal)


async def save_facts(ctx: Context, actor: Actor | None, order: Order, **changes: Any) -> None:
    before = {k: order.facts.get(k) for k in changes}
    order.facts.update(changes)
    await ctx.uow.orders.save_facts(order.id or 0, order.facts)
    await ctx.audit(actor, "order.facts", "order", order.number, before, changes)


async def _open_task(
    ctx: Context,
    actor: Actor | None,
    order: Order,
    kind: TaskKind,
    role: Role,
    due_at: datetime | None,
    *,
    title: str | None = None,
    notify: bool = True,
) -> Task:
    task = await ctx.uow.tasks.add(Task(None, order.id or 0, kind, role, TaskStatus.OPEN, due_at,
                                        ctx.now, title=title))
    await escalation.schedule_for(ctx, task)
    await ctx.audit(actor, "task.open", "task", task.id or 0, None,
                    {"kind": kind.value, "role": role.value, "order": order.number,
                     "due_at": due_at.isoformat() if due_at else None, "title": title})
    if notify:
        await ctx.notify_department(
            role,
            Text("task.assigned", {**order_params(order, ctx.tz), "task": kind.value,
                                   "title": title or "", "role": role,
                                   "due": local_time(due_at, ctx.tz) if due_at else "-"}),
            kind="task", order_number=order.number,
            buttons=escalation.task_buttons(task),
        )
    return task


async def _close_tasks(ctx: Context, actor: Actor | None, order: Order, kinds: tuple[TaskKind, ...],
                       status: TaskStatus = TaskStatus.DONE) -> None:
    for task in await ctx.uow.tasks.for_order(order.id or 0):
        if task.kind in kinds and task.status in OPEN_TASK_STATUSES:
            await _close(ctx, actor, task, status)


async def _close(ctx: Context, actor: Actor | None, task: Task, status: TaskStatus,
                 outcome: str | None = None, note: str | None = None) -> bool:
    before = task.status
    task.status, task.outcome, task.note = status, outcome, note
    task.closed_by, task.closed_at = (actor.person.id if actor else None), ctx.now
    if not await ctx.uow.tasks.close(task):
        return False
    await escalation.stop_for(ctx, task.id or 0)
    await ctx.uow.timers.cancel_subject(escalation.notice_subject(task.id or 0))
    await ctx.audit(actor, f"task.{status.value}", "task", task.id or 0,
                    {"status": before.value}, {"status": status.value, "outcome": outcome})
    return True


async def _tell_market(ctx: Context, order: Order, key: str, **params: Any) -> None:
    await ctx.notify(Notification(order.chat_id, Text(key, {**order_params(order, ctx.tz),
                                                            **params}), "notice", order.number))


# ---- the delivery-feasibility review, negotiation, the GM's decision ----------------------------

INFEASIBLE_REASONS = ("capacity", "material", "technical", "other")


def _review_round(order: Order) -> dict[str, Any]:
    """The review that counts now. Registration opens the first, and its tasks are the only
    reviews the order has; a new date or a level-3 change opens the next, which stands on its
    own answers: what the earlier round found no longer counts."""
    return order.facts.get("review_round") or {"number": 1, "tasks": None,
                                                "requested_by": order.created_by}


def _in_review_round(order: Order, task: Task) -> bool:
    if task.kind is not TaskKind.FEASIBILITY_REVIEW:
        return False
    tasks = _review_round(order)["tasks"]
    return task.status is not TaskStatus.CANCELLED if tasks is None else task.id in tasks


def _review_roles(order: Order) -> list[Role]:
    """A round asks the departments the last one asked: a 非常规 re-review stays one."""
    return [Role(r) for r in _review_round(order).get("roles", [])] or list(REVIEWING_ROLES)


async def review_to_answer(ctx: Context, actor: Actor, task_id: int) -> tuple[Task, Order]:
    """The review a 可行 / 不可行 press answers, while it is still the one to answer."""
    task, order = await task_for(ctx, task_id)
    if task.kind is not TaskKind.FEASIBILITY_REVIEW:
        raise NotFound(Text("error.task_not_found"))
    actor.require(task.role)
    current = _review_round(order)
    if current["tasks"] is not None and task.id not in current["tasks"]:
        raise Outdated(Text("review.superseded", {"number": order.number,
                                                  "round": current["number"]}))
    if task.status not in OPEN_TASK_STATUSES:
        raise DomainError(Text("error.task_closed", {"status": task.status.value}))
    if order.status not in (OrderStatus.REVIEW, OrderStatus.NEGOTIATING):
        raise DomainError(Text("error.order_not_in_review", {"number": order.number,
                                                             "status": order.status.value}))
    forbid_own_request(actor, current["requested_by"],
                       Text("review.own_request", {"number": order.number, "role": task.role}))
    return task, order


async def answer_review(
    ctx: Context, actor: Actor, task_id: int, feasible: bool, reason: str | None = None
) -> tuple[Task, Order]:
    task, order = await review_to_answer(ctx, actor, task_id)
    if not feasible and reason not in INFEASIBLE_REASONS:
        raise DomainError(Text("error.reason_required"))
    outcome = "feasible" if feasible else "infeasible"
    if not await _close(ctx, actor, task, TaskStatus.DONE, outcome, reason):
        raise DomainError(Text("error.task_closed", {"status": "done"}))
    if not feasible:
        await _tell_market(ctx, order, "review.infeasible", role=task.role,
                           who=actor.person.name, reason=reason)
    await after_review(ctx, order, feasible)
    return task, order


async def after_review(ctx: Context, order: Order, feasible: bool) -> OrderStatus:
    """The bot moves the order once the reviewing departments have spoken."""
    if order.status is not OrderStatus.REVIEW:
        return order.status
    if not feasible:
        return await move(ctx, None, order, Action.REVIEW_FAILED)
    if not lifecycle.GUARDS["all_reviews_feasible"](await _facts(ctx, order, None)):
        return order.status
    if order.facts.get("reviewed_from"):
        return await _back_from_change_review(ctx, order)
    status = await move(ctx, None, order, Action.REVIEW_PASSED)
    await _tell_market(ctx, order, "review.passed")
    await _open_task(ctx, None, order, TaskKind.QUOTE, Role.MARKET,
                     ctx.deadlines.due("quote", ctx.now), notify=False)
    return status


async def _back_from_change_review(ctx: Context, order: Order) -> OrderStatus:
    """A level-3 change's re-review passed: the order goes on where the change found it. A
    changed price wants the supplemental contract (“必要时补签相关合同”), market's to sign."""
    status = await move(ctx, None, order, Action.CHANGE_REVIEW_PASSED)
    change = order.facts.get("supplemental_contract_for")
    await save_facts(ctx, None, order, reviewed_from=None, supplemental_contract_for=None)
    await _tell_market(ctx, order, "review.passed_change", status=status.value)
    if change:
        await _open_task(ctx, None, order, TaskKind.SUPPLEMENTAL_CONTRACT, Role.MARKET,
                         ctx.deadlines.due("quote", ctx.now), title=change)
    return status


async def _open_review_round(ctx: Context, actor: Actor | None, order: Order, roles: list[Role],
                             key: str, requested_by: int | None, **params: Any) -> list[Task]:
    """The next review round: the last round's open requests are withdrawn, and a press on one
    of them is told which round replaced it (`review_to_answer`)."""
    await _close_tasks(ctx, actor, order, (TaskKind.FEASIBILITY_REVIEW,), TaskStatus.CANCELLED)
    number = _review_round(order)["number"] + 1
    due_at = ctx.deadlines.due("feasibility_review", ctx.now)
    tasks = []
    for role in roles:
        task = await _open_task(ctx, actor, order, TaskKind.FEASIBILITY_REVIEW, role, due_at,
                                notify=False)
        await ctx.notify_department(role, Text(key, {
            **order_params(order, ctx.tz), **params, "round": number, "role": role,
            "due": local_time(due_at, ctx.tz)}), kind="task", order_number=order.number,
            buttons=escalation.task_buttons(task))
        tasks.append(task)
    await save_facts(ctx, actor, order, review_round={
        "number": number, "tasks": [t.id for t in tasks], "roles": [r.value for r in roles],
        "requested_by": requested_by})
    return tasks


async def propose_date(ctx: Context, actor: Actor, order: Order, new_date: date) -> None:
    """Market agreed a later date with the customer: the departments review it again."""
    await move(ctx, actor, order, Action.PROPOSE_DATE, new_due_date=new_date)
    before = order.due_date
    order.due_date = new_date
    await ctx.uow.orders.set_due_date(order.id or 0, new_date)
    await ctx.audit(actor, "order.due_date", "order", order.number,
                    {"due_date": before.isoformat()}, {"due_date": new_date.isoformat(),
                                                       "why": "negotiated"})
    await _open_review_round(ctx, actor, order, _review_roles(order), "review.round_date",
                             actor.person.id)


async def reopen_review(ctx: Context, order: Order, roles: list[Role], *, change: str,
                        requested_by: int | None, new_contract: bool) -> list[Task]:
    """A level-3 change (“按非常规订单评审管理要求,重新组织相关部门进行评审,必要时补签相关合同”):
    the order is reviewed again wherever it is, a held one when it resumes. The quote or the
    GM's decision that waited on the old review comes again after the new one."""
    held = order.status is OrderStatus.ON_HOLD
    where = standing(order)
    if where is not OrderStatus.REVIEW and lifecycle.find(where, Action.REOPEN_REVIEW) is None:
        # Shipped or ended while the notice was answered: what is left is after-sales work.
        await ctx.audit(None, "review.not_reopened", "order", order.number, None,
                        {"status": where.value, "change": change})
        return []
    if held:
        await save_facts(ctx, None, order, held_from=OrderStatus.REVIEW.value)
    elif where is not OrderStatus.REVIEW:
        await move(ctx, None, order, Action.REOPEN_REVIEW)
    returns = where in lifecycle.RETURNS_AFTER_REVIEW
    if returns:
        await save_facts(ctx, None, order, reviewed_from=where.value)
    if new_contract and (returns or order.facts.get("reviewed_from")):
        await save_facts(ctx, None, order, supplemental_contract_for=change)
    await _close_tasks(ctx, None, order, (TaskKind.QUOTE, TaskKind.DECISION), TaskStatus.CANCELLED)
    return await _open_review_round(ctx, None, order, roles, "review.round_change",
                                    requested_by, change=change)


async def customer_refuses(ctx: Context, actor: Actor, order: Order) -> None:
    await move(ctx, actor, order, Action.CUSTOMER_REFUSES)
    await save_facts(ctx, actor, order, refused_by=actor.person.id)
    task = await _open_task(ctx, actor, order, TaskKind.DECISION, Role.GM,
                            ctx.deadlines.due("decision", ctx.now), notify=False)
    await ctx.notify_department(
        Role.GM, Text("decision.request", {**order_params(order, ctx.tz),
                                           "who": actor.person.name}),
        kind="task", order_number=order.number, buttons=escalation.task_buttons(task),
    )


async def decide(ctx: Context, actor: Actor, order: Order, decline: bool) -> OrderStatus:
    action = Action.DECLINE if decline else Action.KEEP_NEGOTIATING
    status = await move(ctx, actor, order, action,
                        requested_by=order.facts.get("refused_by"))
    await _close_tasks(ctx, actor, order, (TaskKind.DECISION,))
    if decline:
        await _close_tasks(ctx, actor, order, tuple(TaskKind), TaskStatus.CANCELLED)
    await _tell_market(ctx, order, "decision.declined" if decline else "decision.keep",
                       who=actor.person.name)
    return status


# ---- quote, contract, production order ----------------------------------------------------------


async def record_quote(ctx: Context, actor: Actor, order: Order, amount: float) -> float | None:
    """Record the quote; until the customer signs, market may correct it. Returns the amount
    it replaced, or None for a first quote."""
    if amount <= 0:
        raise DomainError(Text("error.amount_not_positive", {"amount": f"{amount:,.0f}"}))
    if order.status is OrderStatus.CONTRACT:
        actor.require(Role.MARKET)
        if order.facts.get("signed"):
            raise DomainError(Text("quote.signed_already", {"number": order.number}))
        replaced = order.facts.get("quote_amount")
        await save_facts(ctx, actor, order, quote_amount=amount)
        return replaced
    await move(ctx, actor, order, Action.RECORD_QUOTE, quote_amount=amount)
    await _close_tasks(ctx, actor, order, (TaskKind.QUOTE,))
    await save_facts(ctx, actor, order, quote_amount=amount,
                      quote_basis="special" if order.order_class == "non_regular" else "price_list")
    return None


async def record_contract_fact(ctx: Context, actor: Actor, order: Order, fact: str) -> bool:
    """Market records the signature, market or finance the payment; both make it effective."""
    allowed = (Role.MARKET,) if fact == "signed" else (Role.MARKET, Role.FINANCE)
    actor.require(*allowed)
    if order.status is not OrderStatus.CONTRACT:
        raise DomainError(Text("error.not_now", {"number": order.number,
                                                 "status": order.status.value, "action": fact}))
    await save_facts(ctx, actor, order, **{fact: ctx.now.isoformat()})
    if not (order.facts.get("signed") and order.facts.get("paid")):
        return False
    await move(ctx, None, order, Action.CONTRACT_EFFECTIVE)
    await urging.schedule_follow_up(ctx, order)
    await _open_task(ctx, None, order, TaskKind.PRODUCTION_ORDER, Role.MARKET,
                     ctx.deadlines.due("production_order", ctx.now))
    return True


async def issue_production_order(ctx: Context, actor: Actor, order: Order) -> Task:
    await move(ctx, actor, order, Action.ISSUE_PRODUCTION_ORDER)
    await _close_tasks(ctx, actor, order, (TaskKind.PRODUCTION_ORDER,))
    rule = "planning_complete_set" if order.complete_set else "planning_other"
    planning = await _open_task(ctx, actor, order, TaskKind.PLANNING, Role.MANUFACTURING,
                                ctx.deadlines.due(rule, ctx.now))
    if order.order_class == "non_regular":
        await _call_planning_meeting(ctx, actor, order, planning)
    return planning


def _quality_requirements_in(ctx: Context, order: Order) -> bool:
    text = " ".join(filter(None, (order.product, order.model, order.notes)))
    rules = ctx.policy.non_regular if ctx.policy else None
    return NonRegularReason.HIGH_QUALITY.value in non_regular_reasons(text, rules)


async def _call_planning_meeting(ctx: Context, actor: Actor, order: Order,
                                 planning: Task) -> None:
    """“非常规产品要召开由技术中心、制造中心、采购部门领导,必要时质量管理部参加的计划协调会”:
    the departments are called to manufacturing's meeting, due when the plan is."""
    meeting = [Role.TECH, Role.MANUFACTURING, Role.PROCUREMENT]
    if _quality_requirements_in(ctx, order):
        meeting.append(Role.QUALITY)
    await save_facts(ctx, actor, order, planning_meeting=[role.value for role in meeting])
    text = Text("planning.meeting", {**order_params(order, ctx.tz),
                                     "roles": [role.value for role in meeting],
                                     "due": local_time(planning.due_at, ctx.tz)
                                     if planning.due_at else "-"})
    for role in meeting:
        await ctx.notify_department(role, text, kind="notice", order_number=order.number)


# ---- planning ---------------------------------------------------------------------------------

PLAN_WORDS: dict[str, tuple[TaskKind, Role]] = {
    "设计": (TaskKind.DESIGN, Role.TECH), "技术设计": (TaskKind.DESIGN, Role.TECH),
    "design": (TaskKind.DESIGN, Role.TECH),
    "协作": (TaskKind.SUBCONTRACT, Role.OEM), "外协": (TaskKind.SUBCONTRACT, Role.OEM),
    "配套": (TaskKind.SUBCONTRACT, Role.OEM), "subcontract": (TaskKind.SUBCONTRACT, Role.OEM),
    "采购": (TaskKind.PURCHASE, Role.PROCUREMENT), "到货": (TaskKind.PURCHASE, Role.PROCUREMENT),
    "purchase": (TaskKind.PURCHASE, Role.PROCUREMENT),
    "装配开始": (TaskKind.ASSEMBLY_START, Role.MANUFACTURING),
    "开始装配": (TaskKind.ASSEMBLY_START, Role.MANUFACTURING),
    "assembly_start": (TaskKind.ASSEMBLY_START, Role.MANUFACTURING),
    "装配完成": (TaskKind.ASSEMBLY_FINISH, Role.MANUFACTURING),
    "完成装配": (TaskKind.ASSEMBLY_FINISH, Role.MANUFACTURING),
    "assembly_finish": (TaskKind.ASSEMBLY_FINISH, Role.MANUFACTURING),
    "包装": (TaskKind.PACKAGING, Role.MANUFACTURING),
    "packaging": (TaskKind.PACKAGING, Role.MANUFACTURING),
}
_PLAN_LINE = re.compile(
    r"^\s*(?P<what>[^\s:：]+)\s*[:：]?\s*(?:(?P<role>[^\s\d][^\s]*)\s+)?"
    r"(?P<date>(?:\d{4}[-./])?\d{1,2}[-./月]\d{1,2}日?)(?:\s+(?P<time>\d{1,2}:\d{2}))?"
    r"(?:\s+(?P<title>.+))?\s*$"
)


# A plan line's leading mark says what it does to a plan in production: + adds a task,
# - removes one, ~ moves one to a new date (加, 删, 改 likewise).
PLAN_OPS = {"+": "add", "＋": "add", "加": "add", "-": "remove", "－": "remove", "删": "remove",
            "~": "move", "～": "move", "改": "move"}
_PLAN_OP = re.compile(r"^\s*(?P<op>[+＋\-－~～加删改])\s*(?P<rest>.*)$")
_REMOVE_LINE = re.compile(r"^\s*(?P<what>[^\s:：]+)(?:\s+(?P<title>.+?))?\s*$")
# Tasks are written one a line, or several on one line separated by ；.
_PLAN_SEPARATORS = re.compile(r"[\n;；]")


@dataclass(frozen=True)
class PlanLine:
    kind: TaskKind
    role: Role
    due_at: datetime | None  # None only on a line that removes a task
    title: str | None
    op: str = "line"  # "line" (plain), "add", "remove" or "move"


@dataclass(frozen=True)
class PlanProblem:
    """A line the plan cannot take, and why: unreadable, unknown_task, unknown_role, past."""

    line: str
    reason: str


def read_plan(text: str, ctx: Context) -> tuple[list[PlanLine], list[PlanProblem]]:
    """Lines like `采购 物资管理部 12-05 断路器` → tasks; `-装配开始`, `~包装 12-18` change a
    plan in production. A line whose date has passed is refused with the rest of the trouble."""
    lines, problems = [], []
    for raw in _PLAN_SEPARATORS.split(text):
        raw = raw.strip()
        if not raw or ORDER_NUMBER.fullmatch(raw):
            continue
        marked = _PLAN_OP.match(raw)
        op = PLAN_OPS[marked["op"]] if marked else "line"
        read = _read_plan_line(marked["rest"] if marked else raw, op, ctx)
        if isinstance(read, str):
            problems.append(PlanProblem(raw, read))
        else:
            lines.append(read)
    return lines, problems


def _read_plan_line(text: str, op: str, ctx: Context) -> PlanLine | str:
    """The line, or the reason it cannot be one."""
    match = (_REMOVE_LINE if op == "remove" else _PLAN_LINE).match(text)
    if match is None:
        return "unreadable"
    word = match["what"].lower()
    if word not in PLAN_WORDS:
        return "unknown_task"
    kind, role = PLAN_WORDS[word]
    title = clean_name(match["title"]) or None
    if op == "remove":
        return PlanLine(kind, role, None, title, op)
    if match["role"]:
        named = parse_role(match["role"])
        if named is None or op == "move":  # a move keeps the task's department
            return "unknown_role"
        role = named
    due_at = plan_moment(match["date"], match["time"], ctx)
    if due_at is None:
        return "unreadable"
    if due_at < ctx.now:
        return "past"
    return PlanLine(kind, role, due_at, title, op)


def plan_moment(day: str | None, clock: str | None, ctx: Context) -> datetime | None:
    """`12-05` and `16:00` as a moment: today without a day, the day's close without a time;
    None when either is no real date or time."""
    on = _plan_date(day, _today(ctx)) if day else _today(ctx)
    if on is None:
        return None
    if clock is None:
        return _day_close(ctx, on)
    try:
        return datetime.combine(on, time.fromisoformat(clock.zfill(5)), tzinfo=ctx.tz)
    except ValueError:
        return None


def _day_close(ctx: Context, day: date) -> datetime:
    """When a date without a time falls due: the end of that day's working hours."""
    return (ctx.calendar.working_day_end(day) if ctx.calendar
            else datetime.combine(day, time(17, 30), tzinfo=ctx.tz))


def _plan_date(text: str, today: date) -> date | None:
    """A month and day are read in the year that puts them nearest today: 11-25 written on
    12-02 is last week (and refused where a date must be ahead), 01-10 is next January."""
    numbers = [int(n) for n in re.findall(r"\d+", text)]
    try:
        if len(numbers) == 3:
            return date(*numbers)
        date(2000, numbers[0], numbers[1])  # a real month and day in some year
    except ValueError:
        return None
    candidates = []
    for year in (today.year - 1, today.year, today.year + 1):
        try:
            candidates.append(date(year, numbers[0], numbers[1]))
        except ValueError:
            continue  # 02-29 outside a leap year
    return min(candidates, key=lambda day: abs(day - today))


def _supplier_contact_due(ctx: Context, arrival: datetime) -> datetime:
    """“提前5个工作日” before the arrival; for goods due sooner than that, the contact falls due
    at the end of the working day still ahead, never in the past and never after the arrival."""
    due = ctx.deadlines.due("supplier_contact", arrival)
    if due > ctx.now or ctx.calendar is None:
        return due
    soonest = ctx.calendar.working_day_end(
        ctx.calendar.next_working_moment(ctx.now).astimezone(ctx.tz).date())
    return min(soonest, arrival)


async def submit_plan(ctx: Context, actor: Actor, order: Order, plan: list[PlanLine]) -> list[Task]:
    """Manufacturing's breakdown: one task per line; each purchase also gets its supplier contact."""
    actor.require(Role.MANUFACTURING)
    if order.status is not OrderStatus.PLANNING:
        raise DomainError(Text("error.not_now", {"number": order.number,
                                                 "status": order.status.value, "action": "plan"}))
    if not plan:
        raise DomainError(Text("guard.plan_has_tasks", {"number": order.number}))
    if any(line.op in ("remove", "move") for line in plan):
        raise DomainError(Text("plan.nothing_to_revise", {"number": order.number}))
    tasks = []
    for line in plan:
        tasks += await _open_planned(ctx, actor, order, line)
    await move(ctx, actor, order, Action.SUBMIT_PLAN)
    await _close_tasks(ctx, actor, order, (TaskKind.PLANNING,))
    # Everyone at the meeting sees the plan it agreed, tasks of their own or not.
    text = Text("planning.meeting_plan", {**order_params(order, ctx.tz), "count": len(tasks)})
    for role in order.facts.get("planning_meeting", []):
        await ctx.notify_department(Role(role), text, kind="notice", order_number=order.number)
    return tasks


async def _open_planned(ctx: Context, actor: Actor, order: Order, line: PlanLine) -> list[Task]:
    """One plan line's task with what hangs on it: a purchase's supplier contact, the advance
    notices before packaging and before assembly starts."""
    assert line.due_at is not None
    planned = await _open_task(ctx, actor, order, line.kind, line.role, line.due_at,
                               title=line.title)
    if notice := _advance_notice(order, planned):
        await escalation.schedule_advance_notice(ctx, planned, *notice)
    if line.kind is TaskKind.PURCHASE:
        contact = await _open_task(ctx, actor, order, TaskKind.SUPPLIER_CONTACT, Role.PROCUREMENT,
                                   _supplier_contact_due(ctx, line.due_at), title=line.title)
        return [planned, contact]
    return [planned]


@dataclass(frozen=True)
class PlanRevision:
    added: int
    removed: int
    moved: int


async def revise_plan(ctx: Context, actor: Actor, order: Order, plan: list[PlanLine]
                      ) -> PlanRevision:
    """The planner adds, removes and moves tasks of a plan in production (“需调整订单生产计划…
    并将调整后的计划下发相关部门”): each change is audited, its clocks follow, its owners hear."""
    actor.require(Role.MANUFACTURING)
    if order.status is not OrderStatus.PRODUCTION:
        raise DomainError(Text("error.not_now", {"number": order.number,
                                                 "status": order.status.value, "action": "plan"}))
    if any(line.op == "line" for line in plan):
        raise DomainError(Text("plan.in_production", {"number": order.number}))
    tasks = await ctx.uow.tasks.for_order(order.id or 0)
    targets = {index: _planned_task(order, tasks, line)
               for index, line in enumerate(plan) if line.op != "add"}
    removed = [targets[i] for i, line in enumerate(plan) if line.op == "remove"]
    if not [t for t in tasks if t.kind in PLANNED_KINDS and t.status is not TaskStatus.CANCELLED
            and t not in removed] and not any(line.op == "add" for line in plan):
        raise DomainError(Text("plan.last_task", {"number": order.number}))
    changes: list[dict[str, Any]] = []
    for index, line in enumerate(plan):
        if line.op == "add":
            opened = await _open_planned(ctx, actor, order, line)
            changes.append(_plan_change("added", opened[0]))
        elif line.op == "remove":
            await _remove_planned(ctx, actor, order, targets[index])
            changes.append(_plan_change("removed", targets[index]))
        else:
            task = targets[index]
            assert line.due_at is not None
            before = task.due_at
            await _move_due(ctx, actor, order, task, line.due_at, "replanned")
            changes.append({**_plan_change("moved", task),
                            "from": before.isoformat() if before else None})
            await ctx.notify_department(task.role, Text("plan.task_moved", {
                **_task_words(ctx, order, task), "who": actor.person.name}),
                kind="task", order_number=order.number, buttons=escalation.task_buttons(task))
    await ctx.audit(actor, "plan.revised", "order", order.number, None, {"changes": changes})
    return PlanRevision(*(sum(c["change"] == what for c in changes)
                          for what in ("added", "removed", "moved")))


def _planned_task(order: Order, tasks: list[Task], line: PlanLine) -> Task:
    """The open task a remove or move line names by its kind and, among several, its title."""
    found = [t for t in tasks if t.kind is line.kind and t.status in OPEN_TASK_STATUSES
             and (line.title is None or line.title in (t.title or ""))]
    if not found:
        raise DomainError(Text("plan.no_such_task", {"number": order.number,
                                                     "task": line.kind.value,
                                                     "title": line.title or ""}))
    if len(found) > 1:
        raise DomainError(Text("plan.which_task", {"number": order.number,
                                                   "task": line.kind.value,
                                                   "titles": "、".join(t.title or "-"
                                                                      for t in found)}))
    return found[0]


async def _remove_planned(ctx: Context, actor: Actor, order: Order, task: Task) -> None:
    """The task leaves the plan with what hangs on it: a purchase's supplier contact, dispatch
    confirmations and delay reports, and any advance notice still to come."""
    follow_ups = (await _same_purchase(ctx, order, task, *DELAY_SUBJECTS, open_only=True)
                  if task.kind is TaskKind.PURCHASE else [task])
    for each in follow_ups:
        await _close(ctx, actor, each, TaskStatus.CANCELLED, "removed_from_plan")
    await ctx.notify_department(task.role, Text("plan.task_removed", {
        **_task_words(ctx, order, task), "who": actor.person.name}),
        kind="notice", order_number=order.number)


def _task_words(ctx: Context, order: Order, task: Task) -> dict[str, Any]:
    return {**order_params(order, ctx.tz), "task": task.kind.value, "title": task.title or "",
            "due": local_time(task.due_at, ctx.tz) if task.due_at else "-"}


def _plan_change(what: str, task: Task) -> dict[str, Any]:
    return {"change": what, "task": task.id, "kind": task.kind.value, "title": task.title,
            "due_at": task.due_at.isoformat() if task.due_at else None}


# ---- tasks ------------------------------------------------------------------------------------


async def task_for(ctx: Context, task_id: int) -> tuple[Task, Order]:
    task = await ctx.uow.tasks.get(task_id)
    order = await ctx.uow.orders.get(task.order_id) if task else None
    if task is None or order is None:
        raise NotFound(Text("error.task_not_found"))
    return task, order


async def acknowledge(ctx: Context, actor: Actor, task_id: int) -> tuple[Task, Order]:
    task, order = await task_for(ctx, task_id)
    actor.require(task.role)
    if task.status is not TaskStatus.OPEN:
        raise DomainError(Text("error.task_closed", {"status": task.status.value}))
    await ctx.uow.tasks.acknowledge(task_id, actor.person.id)
    await escalation.stop_for(ctx, task_id)
    await ctx.audit(actor, "task.acknowledged", "task", task_id, {"status": "open"},
                    {"status": "acknowledged"})
    task.status, task.assignee_id = TaskStatus.ACKNOWLEDGED, actor.person.id
    return task, order


@dataclass(frozen=True)
class Report:
    """What an owner says about a task: progress, a finish or a late delivery, and what with."""

    note: str | None = None
    percent: int | None = None
    quantity: float | None = None
    day: date | None = None  # an agreed dispatch day, or the new arrival day of a delay
    photo: str | None = None  # the Telegram file id of a photo sent with it


def _open_for(task: Task, actor: Actor) -> None:
    actor.require(task.role)
    if task.status not in OPEN_TASK_STATUSES:
        raise DomainError(Text("error.task_closed", {"status": task.status.value}))


REPORT_WORDS = {
    "进度": "progress", "progress": "progress",
    "完成": "done", "已完成": "done", "到货": "done", "done": "done",
    "延期": "delay", "延迟": "delay", "推迟": "delay", "delay": "delay",
}
# No "." between month and day here: "1.5米" is a quantity.
_REPORT_DAY = re.compile(r"(?:\d{4}[-/])?\d{1,2}[-/月]\d{1,2}日?")
_REPORT_PERCENT = re.compile(r"(\d{1,3})\s*[%％]")
# A number that is not the start of a date ("12-10到货").
_REPORT_QUANTITY = re.compile(
    r"(\d+(?:\.\d+)?)(?![-/月.\d])\s*(?:个|台|套|件|只|块|米|kg|pcs|片|根|组|箱)?")


def read_report(text: str, ctx: Context, kind: TaskKind, verb: str | None = None
                ) -> tuple[str, Report]:
    """A reply to a task: `完成 47个 3个退回`, `进度 60% 柜体完成`, `延期 12-09 供应商缺料`.
    Without a leading word (or a command naming it) the reply is progress. Only what the task
    can use is taken out of the words: a day for a delay or for the supplier contact's agreed
    dispatch, a quantity for a finish; a contact slip's answer stays as it was written."""
    words = text.strip().split(maxsplit=1)
    if verb is None and words and words[0].lower() in REPORT_WORDS:
        verb, text = REPORT_WORDS[words[0].lower()], words[1] if len(words) > 1 else ""
    verb = verb or "progress"
    day = percent = quantity = None
    if kind is not TaskKind.CONTACT_SLIP:
        wants_day = verb == "delay" or (verb == "done" and kind is TaskKind.SUPPLIER_CONTACT)
        if wants_day and (found := _REPORT_DAY.search(text)):
            day = _plan_date(found[0], _today(ctx))
            text = text[:found.start()] + text[found.end():]
        if verb == "progress" and (found := _REPORT_PERCENT.search(text)):
            percent = int(found[1])
            text = text[:found.start()] + text[found.end():]
        if verb == "done" and (found := _REPORT_QUANTITY.match(text.strip())):
            quantity = float(found[1])
            text = text.strip()[found.end():]
    return verb, Report(note=" ".join(text.split()) or None, percent=percent,
                        quantity=quantity, day=day)


async def report_progress(ctx: Context, actor: Actor, task_id: int, report: Report
                          ) -> tuple[Task, Order]:
    """Progress on a task; saying how far it is also says it was seen, so it acknowledges."""
    task, order = await task_for(ctx, task_id)
    _open_for(task, actor)
    if report.percent is not None and not 0 <= report.percent <= 100:
        raise DomainError(Text("error.progress_range", {"percent": report.percent}))
    if task.status is TaskStatus.OPEN:
        await acknowledge(ctx, actor, task_id)
        task.status, task.assignee_id = TaskStatus.ACKNOWLEDGED, actor.person.id
    before = {"progress": task.progress}
    if report.percent is not None:
        task.progress = report.percent
    task.progress_note, task.photo = report.note, report.photo or task.photo
    await ctx.uow.tasks.record_progress(task)
    await ctx.audit(actor, "task.progress", "task", task_id, before,
                    {"progress": task.progress, "note": report.note,
                     "photo": report.photo})
    return task, order


async def finish(ctx: Context, actor: Actor, task_id: int, report: Report = Report()
                 ) -> tuple[Task, Order]:
    task, order = await task_for(ctx, task_id)
    _open_for(task, actor)
    if task.kind in (TaskKind.FEASIBILITY_REVIEW, TaskKind.DECISION, TaskKind.CHANGE_ANSWER,
                     *escalation.COMMAND_FINISHED):
        raise DomainError(Text("error.task_needs_its_answer", {"task": task.kind.value}))
    if report.quantity is not None and report.quantity < 0:
        raise DomainError(Text("error.quantity_not_positive", {"quantity": report.quantity}))
    task.quantity, task.photo = report.quantity, report.photo or task.photo
    await _close(ctx, actor, task, TaskStatus.DONE, "done", report.note)
    if task.kind is TaskKind.SUPPLIER_CONTACT:
        await _confirm_dispatch_on(ctx, actor, order, task, report.day)
    elif task.kind is TaskKind.CONTACT_SLIP:
        await _answer_contact_slip(ctx, actor, order, task, report.note)
    elif task.kind is TaskKind.PURCHASE:
        await _close_purchase_follow_ups(ctx, actor, order, task, "arrived")
        if report.quantity is not None:
            await _check_arrival(ctx, actor, order, task, report.quantity)
    return task, order


# ---- procurement: the agreed dispatch day, late deliveries, what arrived ---------------------


async def _same_purchase(ctx: Context, order: Order, task: Task, *kinds: TaskKind,
                         open_only: bool = False) -> list[Task]:
    """The order's tasks of these kinds for the purchase line `task` belongs to: a purchase's
    supplier contact, dispatch confirmations and delay reports carry its title."""
    return [t for t in await ctx.uow.tasks.for_order(order.id or 0)
            if t.kind in kinds and t.title == task.title
            and (not open_only or t.status in OPEN_TASK_STATUSES)]


async def _purchase_of(ctx: Context, order: Order, task: Task) -> Task | None:
    """The purchase a supplier contact, dispatch confirmation or delay report is about."""
    if task.kind is TaskKind.PURCHASE:
        return task
    return next(iter(await _same_purchase(ctx, order, task, TaskKind.PURCHASE)), None)


async def _confirm_dispatch_on(ctx: Context, actor: Actor, order: Order, task: Task,
                               day: date | None) -> None:
    """The supplier named a dispatch day; on that day procurement confirms the goods left.
    Without a day named, the planned arrival day stands."""
    purchase = await _purchase_of(ctx, order, task)
    if purchase is not None and purchase.status not in OPEN_TASK_STATUSES:
        return  # the goods are in already
    if day is None:
        if purchase is None or purchase.due_at is None:
            return
        day = purchase.due_at.astimezone(ctx.tz).date()
    day = max(day, _today(ctx))
    await _open_task(ctx, actor, order, TaskKind.DISPATCH_CONFIRMATION, Role.PROCUREMENT,
                     ctx.deadlines.due("dispatch_confirmation", day), title=task.title)


async def not_dispatched(ctx: Context, actor: Actor, task_id: int) -> tuple[Task, Order]:
    """The goods did not leave on the agreed day: the buyer has 30 minutes to report to the
    department's leaders with a new date and the reason."""
    task, order = await task_for(ctx, task_id)
    _open_for(task, actor)
    if task.kind is not TaskKind.DISPATCH_CONFIRMATION:
        raise NotFound(Text("error.task_not_found"))
    await _close(ctx, actor, task, TaskStatus.DONE, "not_dispatched")
    await _open_task(ctx, actor, order, TaskKind.DELAY_REPORT, Role.PROCUREMENT,
                     ctx.deadlines.due("procurement_delay_report", ctx.now), title=task.title)
    return task, order


DELAY_SUBJECTS = (TaskKind.PURCHASE, TaskKind.SUPPLIER_CONTACT, TaskKind.DISPATCH_CONFIRMATION,
                  TaskKind.DELAY_REPORT)


async def report_delay(ctx: Context, actor: Actor, task_id: int, report: Report
                       ) -> tuple[Task, Order]:
    """A purchase will arrive late: the procurement leaders hear it in private and
    manufacturing in its group, with the new day and the reason; that day is followed up."""
    task, order = await task_for(ctx, task_id)
    if task.kind not in DELAY_SUBJECTS:
        raise DomainError(Text("error.delay_not_purchase", {"task": task.kind.value}))
    actor.require(Role.PROCUREMENT)
    if not report.note:
        raise DomainError(Text("usage.delay"))
    if report.day is not None and report.day < _today(ctx):
        raise DomainError(Text("error.due_in_past", {"date": report.day.isoformat()}))
    purchase = await _purchase_of(ctx, order, task)
    planned = purchase.due_at if purchase else None
    await _close_purchase_follow_ups(ctx, actor, order, task, "delay_reported", report.note)
    await ctx.audit(actor, "purchase.delay", "order", order.number, None,
                    {"title": task.title, "new_day": report.day.isoformat() if report.day
                     else None, "reason": report.note})
    text = Text("purchase.delay_report", {
        **order_params(order, ctx.tz), "title": task.title or "", "who": actor.person.name,
        "planned": local_time(planned, ctx.tz) if planned else "-",
        "new_day": report.day.isoformat() if report.day else "-", "why": report.note})
    await _tell_procurement_leaders_and_manufacturing(ctx, order, text)
    if report.day is not None:
        await _open_task(ctx, actor, order, TaskKind.DISPATCH_CONFIRMATION, Role.PROCUREMENT,
                         ctx.deadlines.due("dispatch_confirmation", report.day),
                         title=task.title)
        if purchase is not None and purchase.status in OPEN_TASK_STATUSES and (
                purchase.due_at is None or report.day > purchase.due_at.astimezone(ctx.tz).date()):
            # The leaders and the planner know of it now: the purchase falls due when the goods
            # are expected, and market's follow-up still sees it late against the delivery date.
            await _move_due(ctx, actor, order, purchase, report.day, "delay_reported",
                            reason=report.note)
    return task, order


async def _tell_procurement_leaders_and_manufacturing(ctx: Context, order: Order,
                                                      text: Text) -> None:
    """What goes wrong with a purchase: its leaders act on it, the planner plans around it."""
    await ctx.notify_each(await ctx.leaders_of(Role.PROCUREMENT), text, kind="escalation",
                          order_number=order.number)
    await ctx.notify_department(Role.MANUFACTURING, text, kind="notice",
                                order_number=order.number)


async def _close_purchase_follow_ups(ctx: Context, actor: Actor, order: Order, task: Task,
                                     outcome: str, note: str | None = None) -> None:
    """The dispatch confirmations and delay reports of a purchase are settled together."""
    for other in await _same_purchase(ctx, order, task, TaskKind.DELAY_REPORT,
                                      TaskKind.DISPATCH_CONFIRMATION, open_only=True):
        await _close(ctx, actor, other, TaskStatus.DONE, outcome, note)


_PLANNED_QUANTITY = re.compile(r"(\d+(?:\.\d+)?)\s*(?:个|台|套|件|只|块|米|kg|pcs|片|根|组|箱)")


async def _check_arrival(ctx: Context, actor: Actor, order: Order, task: Task,
                         accepted: float) -> None:
    """Fewer accepted than planned (the plan line's title names the quantity): procurement's
    leaders find out why and what to do, and manufacturing knows its parts are short."""
    planned = _PLANNED_QUANTITY.search(task.title or "")
    if planned is None or accepted >= float(planned[1]):
        return
    text = Text("purchase.shortfall", {**order_params(order, ctx.tz), "title": task.title,
                                       "accepted": f"{accepted:g}", "planned": planned[1],
                                       "who": actor.person.name})
    await _tell_procurement_leaders_and_manufacturing(ctx, order, text)


# ---- warehousing, payment, shipping, closing ------------------------------------------------


async def record_warehoused(ctx: Context, actor: Actor, order: Order) -> None:
    await move(ctx, actor, order, Action.RECORD_WAREHOUSED)
    if not order.facts.get("payment_confirmed"):
        await _open_task(ctx, actor, order, TaskKind.PAYMENT_CHECK, Role.FINANCE,
                         ctx.deadlines.due("payment_check", ctx.now))
    notice_due = max(ctx.deadlines.due("shipping_notice", order.due_date), ctx.now)
    await _open_task(ctx, actor, order, TaskKind.SHIPPING_NOTICE, Role.MARKET, notice_due,
                     notify=False)
    await _tell_market(ctx, order, "order.warehoused_notice")


async def confirm_payment(ctx: Context, actor: Actor, order: Order) -> None:
    actor.require(Role.FINANCE)
    await save_facts(ctx, actor, order, payment_confirmed=ctx.now.isoformat())
    await _close_tasks(ctx, actor, order, (TaskKind.PAYMENT_CHECK,))
    await _tell_market(ctx, order, "order.payment_confirmed_notice", who=actor.person.name)


async def issue_shipping_notice(ctx: Context, actor: Actor, order: Order, ship_on: date) -> None:
    if ship_on < _today(ctx):
        raise DomainError(Text("error.due_in_past", {"date": ship_on.isoformat()}))
    await move(ctx, actor, order, Action.ISSUE_SHIPPING_NOTICE)
    await _close_tasks(ctx, actor, order, (TaskKind.SHIPPING_NOTICE,))
    await save_facts(ctx, actor, order, ship_on=ship_on.isoformat())
    for role in (Role.WAREHOUSE,):
        await ctx.notify_department(
            role, Text("shipping.notice", {**order_params(order, ctx.tz),
                                           "ship_on": ship_on.isoformat()}),
            kind="notice", order_number=order.number)


async def record_consent(ctx: Context, actor: Actor, order: Order, note: str) -> None:
    actor.require(Role.MARKET)
    await save_facts(ctx, actor, order, short_shipment_consent=note or "yes")


async def ship(ctx: Context, actor: Actor, order: Order, quantity: float | None) -> float:
    shipped = order.quantity if quantity is None else quantity
    if shipped <= 0:
        raise DomainError(Text("error.quantity_not_positive", {"quantity": f"{shipped:g}"}))
    if shipped > order.quantity:
        raise DomainError(Text("error.over_shipment", {**order_params(order, ctx.tz),
                                                       "shipped": f"{shipped:g}"}))
    await move(ctx, actor, order, Action.SHIP, shipped_quantity=shipped)
    await save_facts(ctx, actor, order, shipped_quantity=shipped)
    missing = order.quantity - shipped
    if missing > 0:
        await _open_task(ctx, actor, order, TaskKind.MISSING_PARTS, Role.MANUFACTURING,
                         ctx.deadlines.due("missing_parts", ctx.now),
                         title=f"{missing:g} {order.unit or ''}".strip())
    await _tell_market(ctx, order, "order.shipped_notice", shipped=f"{shipped:g}",
                       missing=f"{max(missing, 0):g}")
    return missing


async def close(ctx: Context, actor: Actor, order: Order, feedback: str) -> None:
    await move(ctx, actor, order, Action.CLOSE, feedback=feedback)
    await save_facts(ctx, actor, order, feedback=feedback)


# ---- hold, resume, cancel ---------------------------------------------------------------------


async def hold(ctx: Context, actor: Actor, order: Order, reason: str) -> None:
    held_from = order.status.value
    await move(ctx, actor, order, Action.HOLD)
    await save_facts(ctx, actor, order, held_from=held_from, hold_reason=reason)
    await _broadcast(ctx, order, "order.held_notice", why=reason, who=actor.person.name)


async def resume(ctx: Context, actor: Actor, order: Order) -> None:
    await move(ctx, actor, order, Action.RESUME)
    await _broadcast(ctx, order, "order.resumed_notice", who=actor.person.name)


async def cancel(ctx: Context, actor: Actor, order: Order, reason: str) -> int:
    """Cancel the order; its open tasks are cancelled with it and their owners told."""
    await move(ctx, actor, order, Action.CANCEL)
    await save_facts(ctx, actor, order, cancel_reason=reason)
    open_tasks = [t for t in await ctx.uow.tasks.for_order(order.id or 0)
                  if t.status in OPEN_TASK_STATUSES]
    for task in open_tasks:
        await _close(ctx, actor, task, TaskStatus.CANCELLED)
    await _broadcast(ctx, order, "order.cancelled_notice", why=reason, who=actor.person.name)
    return len(open_tasks)


async def _broadcast(ctx: Context, order: Order, key: str, **params: Any) -> None:
    """Tell market and every department that has work on the order."""
    roles = {t.role for t in await ctx.uow.tasks.for_order(order.id or 0)} - {Role.MARKET}
    text = Text(key, {**order_params(order, ctx.tz), **params})
    await ctx.notify(Notification(order.chat_id, text, "notice", order.number))
    for role in sorted(roles):
        await ctx.notify_department(role, text, kind="notice", order_number=order.number)



# ---- objections to a planned due time ----------------------------------------------------------


async def object_to(ctx: Context, actor: Actor, order: Order, word: str, new_day: date,
                    reason: str) -> tuple[Task, bool]:
    """“相关部门对任务计划完成时间有异议的应当时或接计划后1个工作日内向计划下达部门提出”.
    Manufacturing is the planner: its own objection cannot go to itself, so it goes to the
    general manager at once (“计划下达部门不能协调的…由该公司总经理裁定”). True when it did."""
    kind = PLAN_WORDS.get(word.lower(), (None, None))[0]
    tasks = [t for t in await ctx.uow.tasks.for_order(order.id or 0)
             if t.kind is kind and t.status in OPEN_TASK_STATUSES]
    if kind is None or not tasks:
        raise DomainError(Text("objection.no_task", {"number": order.number, "what": word}))
    task = tasks[0]
    actor.require(task.role)
    if ctx.now > ctx.deadlines.due("objection", task.created_at):
        raise DomainError(Text("objection.too_late", {"number": order.number}))
    if new_day < _today(ctx):
        raise DomainError(Text("error.due_in_past", {"date": new_day.isoformat()}))
    to_gm = actor.person.has_role(Role.MANUFACTURING)
    objection = {"by": actor.person.id, "name": actor.person.name, "date": new_day.isoformat(),
                 "reason": reason, "status": "open", "escalated": to_gm}
    objections = {**order.facts.get("objections", {}), str(task.id): objection}
    await save_facts(ctx, actor, order, objections=objections)
    if to_gm:
        await _objection_to_gm(ctx, order, task, objection)
        return task, True
    await ctx.notify_department(Role.MANUFACTURING, Text("objection.request", {
        **order_params(order, ctx.tz), "task": task.kind.value, "title": task.title or "",
        "due": local_time(task.due_at, ctx.tz) if task.due_at else "-",
        "proposed": new_day.isoformat(), "why": reason, "who": actor.person.name}),
        kind="task", order_number=order.number,
        buttons=((ButtonSpec(Text("button.objection_accept"), f"v1:ob:{task.id}:accept"),
                  ButtonSpec(Text("button.objection_to_gm"), f"v1:ob:{task.id}:gm")),))
    return task, False


async def _objection_to_gm(ctx: Context, order: Order, task: Task,
                           objection: dict[str, Any]) -> None:
    await ctx.notify_department(Role.GM, Text("objection.to_gm", {
        **order_params(order, ctx.tz), "task": task.kind.value,
        "proposed": objection["date"], "why": objection["reason"],
        "who": objection["name"]}), kind="task", order_number=order.number,
        buttons=((ButtonSpec(Text("button.objection_accept"), f"v1:ob:{task.id}:accept"),
                  ButtonSpec(Text("button.objection_keep"), f"v1:ob:{task.id}:keep")),))


async def settle_objection(ctx: Context, actor: Actor, task_id: int, choice: str
                           ) -> tuple[Task, Order]:
    """The planner adjusts or sends it up; the general manager adjusts or keeps the plan."""
    task, order = await task_for(ctx, task_id)
    objection = order.facts.get("objections", {}).get(str(task_id))
    if objection is None or objection["status"] != "open":
        raise DomainError(Text("objection.settled"))
    deciders = (Role.GM,) if objection.get("escalated") else (Role.MANUFACTURING, Role.GM)
    actor.require(*deciders)
    forbid_own_request(actor, objection["by"], Text("objection.own", {"number": order.number}))
    objections = dict(order.facts["objections"])
    if choice == "gm" and not objection.get("escalated"):
        objections[str(task_id)] = {**objection, "escalated": True}
        await save_facts(ctx, actor, order, objections=objections)
        await _objection_to_gm(ctx, order, task, objection)
        return task, order
    accepted = choice == "accept"
    objections[str(task_id)] = {**objection, "status": "accepted" if accepted else "kept",
                                "decided_by": actor.person.id}
    await save_facts(ctx, actor, order, objections=objections)
    params = {**order_params(order, ctx.tz), "task": task.kind.value,
              "proposed": objection["date"], "who": actor.person.name}
    if accepted:
        new_day = date.fromisoformat(objection["date"])
        await _move_due(ctx, actor, order, task, new_day, "objection",
                        reason=objection["reason"])
        if new_day > order.due_date:
            # “影响原计划交货期的…应将调整后的交货期通知合同订单管理中心”: market talks to the
            # customer now, not at the follow-up days before delivery.
            await _tell_market(ctx, order, "objection.past_delivery", **params,
                               role=Role.MARKET)
    await ctx.notify_department(task.role, Text(
        "objection.accepted" if accepted else "objection.kept", params),
        kind="notice", order_number=order.number)
    return task, order


async def _move_due(ctx: Context, actor: Actor, order: Order, task: Task, when: date | datetime,
                    why: str, **details: Any) -> None:
    """The task now falls due at `when`, or at the close of that day when it is a date: its
    clocks and what hangs on it follow."""
    new_due = when if isinstance(when, datetime) else _day_close(ctx, when)
    before = task.due_at
    await ctx.uow.tasks.set_due(task.id or 0, new_due)
    task.due_at = new_due
    await _retime(ctx, task)
    await _derive_from(ctx, order, task)
    await ctx.audit(actor, "task.due_changed", "task", task.id or 0,
                    {"due_at": before.isoformat() if before else None},
                    {"due_at": new_due.isoformat(), "why": why, **details})


async def _retime(ctx: Context, task: Task) -> None:
    """The task's due time moved: its old reminder and escalation go, new ones come."""
    await escalation.stop_for(ctx, task.id or 0)
    await escalation.schedule_for(ctx, task, generation=str(int(ctx.now.timestamp())))


async def _derive_from(ctx: Context, order: Order, task: Task) -> None:
    """Dates that hang on a planned task follow it: the supplier contact before an arrival,
    the packaging notice before packing, the OEM's reminder before assembly starts."""
    if task.kind is TaskKind.PURCHASE and task.due_at is not None:
        for contact in await _same_purchase(ctx, order, task, TaskKind.SUPPLIER_CONTACT,
                                            open_only=True):
            contact.due_at = _supplier_contact_due(ctx, task.due_at)
            await ctx.uow.tasks.set_due(contact.id or 0, contact.due_at)
            await _retime(ctx, contact)
    elif notice := _advance_notice(order, task):
        await escalation.move_advance_notice(ctx, task, *notice)


def _advance_notice(order: Order, task: Task) -> tuple[str, str] | None:
    """The notice the policy gives before a planned task, and the rule that times it."""
    if task.kind is TaskKind.PACKAGING:
        return "packaging_notice", ("packaging_notice_complete_set" if order.complete_set
                                    else "packaging_notice_other")
    if task.kind is TaskKind.ASSEMBLY_START:
        return "oem_reminder", "oem_reminder"
    return None


# ---- 跨部门工作联系单 ---------------------------------------------------------------------------


async def issue_contact_slip(ctx: Context, actor: Actor, order: Order, to: Role, problem: str,
                             due_at: datetime | None, answer_chat: int) -> tuple[str, Task]:
    """A department asks another to solve a problem by a time; the answer comes back to the
    chat the slip was issued from."""
    actor.require(*Role)
    if not problem:
        raise DomainError(Text("usage.contact"))
    due_at = due_at or ctx.deadlines.due("contact_slip", ctx.now)
    if due_at <= ctx.now:
        raise DomainError(Text("error.due_in_past", {"date": local_time(due_at, ctx.tz)}))
    slips = order.facts.get("contact_slips", [])
    number = f"LX-{order.number.removeprefix('SO-')}-{len(slips) + 1}"
    task = await _open_task(ctx, actor, order, TaskKind.CONTACT_SLIP, to, due_at,
                            title=f"{number} {problem}")
    await save_facts(ctx, actor, order, contact_slips=[*slips, {
        "number": number, "task": task.id, "to": to.value, "by": actor.person.id,
        "chat": answer_chat, "problem": problem}])
    return number, task


async def _answer_contact_slip(ctx: Context, actor: Actor, order: Order, task: Task,
                               answer: str | None) -> None:
    slip = next((s for s in order.facts.get("contact_slips", []) if s["task"] == task.id), None)
    if slip is None:
        return
    await ctx.notify(Notification(slip["chat"], Text("contact.answered", {
        "slip": slip["number"], "role": task.role.value, "who": actor.person.name,
        "problem": slip["problem"], "answer": answer or "-"}), "notice", order.number))


# ---- after-sales --------------------------------------------------------------------------------

TICKET_KINDS = {"退货": "return", "换货": "exchange", "维修": "repair", "投诉": "complaint",
                "return": "return", "exchange": "exchange", "repair": "repair",
                "complaint": "complaint"}


async def open_ticket(ctx: Context, actor: Actor, order: Order, word: str, detail: str) -> Task:
    """A ticket on a delivered order, owned by after-sales (or market where none is bound)."""
    actor.require(Role.MARKET, Role.SERVICE)
    kind = TICKET_KINDS.get(word.lower())
    if kind is None or not detail:
        raise DomainError(Text("usage.ticket"))
    if order.status not in (OrderStatus.SHIPPED, OrderStatus.CLOSED):
        raise DomainError(Text("ticket.not_delivered", {"number": order.number,
                                                        "status": order.status.value}))
    owner = Role.SERVICE if await ctx.uow.chats.of_department(Role.SERVICE) else Role.MARKET
    task = await _open_task(ctx, actor, order, TaskKind.AFTER_SALES, owner,
                            ctx.deadlines.due("after_sales_response", ctx.now),
                            title=f"[{word}] {detail}")
    tickets = [*order.facts.get("tickets", []), {"task": task.id, "kind": kind,
                                                 "detail": detail, "by": actor.person.id}]
    await save_facts(ctx, actor, order, tickets=tickets)
    return task
