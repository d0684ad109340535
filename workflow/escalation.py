"""Reminders before a task's deadline and escalation after it, along its department's chain.

Timers live in the database; this module decides what a due timer means *now*: a task that was
acknowledged, finished or cancelled in the meantime ends its reminders and escalation.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, replace
from datetime import datetime

from workflow import digest, quality, services, urging
from workflow.context import Context, local_time, order_params
from workflow.errors import DomainError
from workflow.model import (
    ENDED_STATUSES,
    AnswerTo,
    ButtonAnswer,
    ButtonSpec,
    EscalationPing,
    Notification,
    Order,
    OrderStatus,
    Person,
    Task,
    TaskKind,
    TaskStatus,
    Text,
)
from workflow.next_steps import OF_TASK
from workflow.next_steps import buttons as step_buttons
from workflow.policy import LEADER, Counting, Policy
from workflow.roles import Role
from workflow.timer_kinds import TimerKind

# Tasks a command finishes (/prodorder, /plan, /paid, /ship, /inspect): a tap acknowledges
# them, or takes the step that finishes them (`next_steps.OF_TASK`).
COMMAND_FINISHED = (TaskKind.PRODUCTION_ORDER, TaskKind.PLANNING, TaskKind.PAYMENT_CHECK,
                    TaskKind.QUOTE, TaskKind.SHIPPING_NOTICE, TaskKind.DELAY_REPORT,
                    TaskKind.QUALITY_RESPONSE)

# Notices the bot gives on its own before a planned task: timer kind -> who hears it.
ADVANCE_NOTICES = {
    TimerKind.PACKAGING_NOTICE: (Role.WAREHOUSE, Role.QUALITY, Role.MARKET, Role.MANUFACTURING),
    TimerKind.OEM_REMINDER: (Role.OEM, Role.MANUFACTURING),
}

REMIND = TimerKind.REMIND
ESCALATE = TimerKind.ESCALATE


def subject(task_id: int) -> str:
    return f"task:{task_id}"


def notice_subject(task_id: int) -> str:
    """Advance notices outlive an acknowledgement: they are for other departments."""
    return f"notice:{task_id}"


def step_of(dedupe_key: str) -> int:
    return int(dedupe_key.rsplit(":", 1)[1]) if dedupe_key.startswith(ESCALATE) else 0


def next_step_key(dedupe_key: str, step: int) -> str:
    """The chain's next key keeps this one's prefix, so a re-timed task's chain stays its own."""
    return f"{dedupe_key.rsplit(':', 1)[0]}:{step + 1}"


async def schedule_for(ctx: Context, task: Task, generation: str = "") -> None:
    """A reminder before the deadline, the first escalation at it. A task whose due time was
    moved gets a new generation: the keys of its first clocks are spent."""
    if task.due_at is None:
        return
    prefix = f"{task.id}:{generation}" if generation else f"{task.id}"
    remind_at = ctx.calendar.add_working(task.due_at, -ctx.policy.escalation.remind_before)
    if remind_at > ctx.now:
        await ctx.uow.timers.schedule(REMIND, subject(task.id or 0), remind_at,
                                      f"{REMIND}:{prefix}")
    await ctx.uow.timers.schedule(ESCALATE, subject(task.id or 0), task.due_at,
                                  f"{ESCALATE}:{prefix}:0")


def _advance_notice_at(ctx: Context, task: Task, rule: str) -> datetime | None:
    """The start of the working day the policy's “提前N天” window opens, never in the past."""
    if task.due_at is None:
        return None
    deadline = ctx.policy.deadline(rule)
    at = ctx.calendar.window_opens(task.due_at, deadline) or ctx.calendar.deadline(task.due_at,
                                                                                 deadline)
    return max(ctx.calendar.working_day_start(at.astimezone(ctx.tz).date()), ctx.now)


async def schedule_advance_notice(ctx: Context, task: Task, kind: str, rule: str) -> None:
    """The policy's “提前N天通知”: a notice of its own, timed back from the task's due date."""
    if (at := _advance_notice_at(ctx, task, rule)) is not None:
        await ctx.uow.timers.schedule(kind, notice_subject(task.id or 0), at,
                                      f"{kind}:{task.id}")


async def move_advance_notice(ctx: Context, task: Task, kind: str, rule: str) -> None:
    """The task's date moved: its advance notice follows, if it has not gone out yet."""
    if (at := _advance_notice_at(ctx, task, rule)) is not None:
        await ctx.uow.timers.reschedule(f"{kind}:{task.id}", at)


async def snooze(ctx: Context, task: Task) -> datetime:
    """Remind again snooze_step from now, at most snooze_max in all; the deadline stays."""
    step = ctx.policy.escalation.snooze_step
    allowed = int(ctx.policy.escalation.snooze_max / step)
    again = ctx.now + step
    for n in range(1, allowed + 1):
        if await ctx.uow.timers.schedule(REMIND, subject(task.id or 0), again,
                                         f"{REMIND}:{task.id}:snooze:{n}"):
            return again
    raise DomainError(Text("error.snooze_spent", {"times": allowed}))


async def stop_for(ctx: Context, task_id: int) -> None:
    await ctx.uow.timers.cancel_subject(subject(task_id))


class _Held(Exception):
    """The order is on hold: its timers wait for the resume instead of firing or vanishing."""


@dataclass(frozen=True)
class Outcome:
    """What firing a timer came to: nothing more to do, or try again at `retry_at`."""

    retry_at: datetime | None = None
    stale_reminder: Task | None = None


async def _live_task(ctx: Context, task_id: int, *, acknowledged_too: bool = False
                     ) -> tuple[Task, Order] | None:
    task = await ctx.uow.tasks.get(task_id)
    live = (TaskStatus.OPEN, TaskStatus.ACKNOWLEDGED) if acknowledged_too else (TaskStatus.OPEN,)
    if task is None or task.status not in live:
        return None
    order = await ctx.uow.orders.get(task.order_id)
    if order is None or order.status in ENDED_STATUSES:
        return None
    if order.status is OrderStatus.ON_HOLD:
        raise _Held
    return task, order


# Messages that ask someone to act: besides quiet hours they wait for working time, since
# nobody can act on them at 19:00.
ROUTINE = ("reminder", "urge_slip")


def quiet_until(ctx: Context, kind: str) -> datetime | None:
    """When quiet hours (`quiet_hours.pass_through.<kind>`) hold this kind back, the moment it
    may go out; None when it may go now."""
    allowed = ctx.calendar.next_allowed_send(ctx.now, kind)
    if kind in ROUTINE:
        allowed = max(allowed, ctx.calendar.next_working_moment(ctx.now))
    return allowed if allowed > ctx.now else None


@dataclass(frozen=True)
class Due:
    """A timer that fell due, as the dispatch table's handlers take it."""

    kind: TimerKind
    subject: str
    dedupe_key: str
    due_at: datetime

    @property
    def subject_id(self) -> int:
        return int(self.subject.split(":", 1)[1])


Handler = Callable[[Context, Due], Awaitable[Outcome]]
TaskHandler = Callable[[Context, Due, Task, Order], Awaitable[Outcome]]


async def _on_draft_expiry(ctx: Context, due: Due) -> Outcome:
    if (later := quiet_until(ctx, "notice")) is not None:
        return Outcome(retry_at=later)  # the note would come at night: the draft waits
    await services.expire_draft(ctx, due.subject_id)
    return Outcome()


async def _on_follow_up(ctx: Context, due: Due) -> Outcome:
    """The follow-up drafts the 催促单 market decides on."""
    if (later := quiet_until(ctx, "urge_slip")) is not None:
        return Outcome(retry_at=later)
    await urging.on_follow_up(ctx, due.subject_id)
    return Outcome()


async def _on_quality_alert(ctx: Context, due: Due) -> Outcome:
    if (later := quiet_until(ctx, quality.ALERT)) is not None:
        return Outcome(retry_at=later)
    _, order_id, index = due.subject.split(":")
    await quality.send_alerts(ctx, int(order_id), int(index))
    return Outcome()


async def _on_held_digest(ctx: Context, _due: Due) -> Outcome:
    await digest.send_digests(ctx)
    return Outcome()


def _on_live_task(handler: TaskHandler, *, acknowledged_too: bool = False) -> Handler:
    """A task's timer acts only while the task is still owed; a held order's waits."""

    async def fire_for_task(ctx: Context, due: Due) -> Outcome:
        try:
            live = await _live_task(ctx, due.subject_id, acknowledged_too=acknowledged_too)
        except _Held:
            return Outcome(retry_at=ctx.now + ctx.policy.escalation.hold_recheck)
        if live is None:
            return Outcome()
        return await handler(ctx, due, *live)

    return fire_for_task


async def _on_advance_notice(ctx: Context, due: Due, task: Task, order: Order) -> Outcome:
    if (later := quiet_until(ctx, "reminder")) is not None:
        return Outcome(retry_at=later)
    params = _task_params(ctx, task, order)
    if due.kind is TimerKind.OEM_REMINDER and task.due_at is not None:
        # “提前1-2天提醒”: the window opened now; the preparation is due when it closes.
        params["ready_by"] = local_time(ctx.deadlines.due("oem_reminder", task.due_at), ctx.tz)
    for role in ADVANCE_NOTICES[due.kind]:
        await ctx.notify_department(role, Text(f"notice.{due.kind.value}", params),
                                    kind="notice", order_number=order.number)
    await ctx.audit(None, f"notice.{due.kind.value}", "task", task.id or 0, None, None)
    return Outcome()


async def _on_remind(ctx: Context, due: Due, task: Task, order: Order) -> Outcome:
    if ctx.now - due.due_at > ctx.policy.escalation.stale_after:
        return Outcome(stale_reminder=task)
    if (later := quiet_until(ctx, "reminder")) is not None:
        return Outcome(retry_at=later)
    await _remind(ctx, task, order)
    return Outcome()


async def _on_escalate(ctx: Context, due: Due, task: Task, order: Order) -> Outcome:
    return await _escalate(ctx, task, order, due.dedupe_key)


DISPATCH: dict[TimerKind, Handler] = {
    TimerKind.REMIND: _on_live_task(_on_remind),
    TimerKind.ESCALATE: _on_live_task(_on_escalate),
    TimerKind.PACKAGING_NOTICE: _on_live_task(_on_advance_notice, acknowledged_too=True),
    TimerKind.OEM_REMINDER: _on_live_task(_on_advance_notice, acknowledged_too=True),
    TimerKind.DRAFT_EXPIRY: _on_draft_expiry,
    TimerKind.FOLLOW_UP: _on_follow_up,
    TimerKind.QUALITY_ALERT: _on_quality_alert,
    TimerKind.DIGEST: _on_held_digest,
}


async def fire(ctx: Context, kind: str, subject_text: str, dedupe_key: str,
               due_at: datetime) -> Outcome:
    try:
        timer_kind = TimerKind(kind)
    except ValueError:
        return Outcome()  # a kind no version of the bot schedules any more: spent
    return await DISPATCH[timer_kind](ctx, Due(timer_kind, subject_text, dedupe_key, due_at))


def _task_params(ctx: Context, task: Task, order: Order) -> dict[str, object]:
    return {**order_params(order, ctx.tz), "task": task.kind.value, "role": task.role,
            "title": task.title or "", "due": local_time(task.due_at, ctx.tz) if task.due_at else "-"}


def task_buttons(task: Task, *, snooze: bool = False, level: int | None = None
                 ) -> tuple[tuple[ButtonSpec, ...], ...]:
    """The one-tap answers a task's messages offer; a verdict task offers only its verdicts.
    A change notice's answer confirms the `level` its card shows and raises only above it."""

    def button(key: str, to: AnswerTo, choice: str, detail: str | None = None) -> ButtonSpec:
        return ButtonSpec(Text(key), ButtonAnswer(to, task.id or 0, choice, detail))

    if snooze:
        later = (button("button.snooze", AnswerTo.TASK, "snooze"),)
        return (*task_buttons(task, level=level), later)
    if task.kind is TaskKind.FEASIBILITY_REVIEW:
        return review_buttons(task.id or 0)
    if task.kind is TaskKind.CHANGE_ANSWER:
        shown = f"l{level}" if level else None
        return ((button("button.change_ok", AnswerTo.CHANGE_ANSWER, "ok", shown),
                 *(button(f"button.raise_{n}", AnswerTo.CHANGE_ANSWER, "raise", f"l{n}")
                   for n in (2, 3) if n > (level or 1))),)
    if task.kind is TaskKind.DECISION:
        return ((button("button.decline_order", AnswerTo.GM_DECISION, "decline"),
                 button("button.keep_negotiating", AnswerTo.GM_DECISION, "keep")),)
    if task.kind is TaskKind.CREDIT_REVIEW:
        return ((button("button.credit_approve", AnswerTo.CREDIT_REVIEW, "ok"),
                 button("button.credit_refer", AnswerTo.CREDIT_REVIEW, "gm")),)
    if task.kind is TaskKind.CREDIT_DECISION:
        return ((button("button.credit_accept", AnswerTo.CREDIT_DECISION, "accept"),
                 button("button.decline_order", AnswerTo.CREDIT_DECISION, "decline")),)
    # 收到 only while nobody has: an acknowledged task's message keeps the rest.
    ack = ((button("button.ack", AnswerTo.TASK, "ack"),)
           if task.status is TaskStatus.OPEN else ())
    if task.kind in COMMAND_FINISHED:
        # The step that finishes the task is the task's: it goes when the task closes.
        found = step_buttons(task.order_id, list(OF_TASK.get(task.kind, ())))
        steps = tuple(replace(b, task_id=task.id) for b in found[0]) if found else ()
        return ((*ack, *steps),) if ack or found else ()
    if task.kind is TaskKind.DISPATCH_CONFIRMATION:
        return ((*ack, button("button.dispatched", AnswerTo.TASK, "done"),
                 button("button.not_dispatched", AnswerTo.TASK, "late")),)
    return ((*ack, button("button.done", AnswerTo.TASK, "done")),)


def review_buttons(task_id: int) -> tuple[tuple[ButtonSpec, ...], ...]:
    """可行 / 不可行, also where the card goes back to from the reasons for 不可行."""
    return ((ButtonSpec(Text("button.feasible"), ButtonAnswer(AnswerTo.REVIEW, task_id, "ok")),
             ButtonSpec(Text("button.infeasible"), ButtonAnswer(AnswerTo.REVIEW, task_id, "no"))),)


async def hand_over(ctx: Context, role: Role, chat_id: int) -> int:
    """A department's group was just bound (or bound again): every task it has open arrives
    there as a card with its buttons, so nothing it owes waits in somebody's private chat."""
    tasks = await ctx.uow.tasks.open_for_roles([role])
    for task in tasks:
        order = await ctx.uow.orders.get(task.order_id)
        if order is None or order.status in ENDED_STATUSES:
            continue
        await ctx.notify(Notification(
            chat_id, Text("task.assigned", _task_params(ctx, task, order)), "task",
            order.number, task_buttons(task, level=await _level_shown(ctx, task))))
    return len(tasks)


async def _level_shown(ctx: Context, task: Task) -> int | None:
    """The level in force of the change notice a task answers, for its buttons."""
    if task.kind is not TaskKind.CHANGE_ANSWER:
        return None
    notice = await ctx.uow.changes.by_number(task.title or "")
    return notice.level if notice else None


async def _remind(ctx: Context, task: Task, order: Order) -> None:
    text = Text("reminder.before", _task_params(ctx, task, order))
    buttons = task_buttons(task, snooze=True, level=await _level_shown(ctx, task))
    await ctx.notify_department(task.role, text, kind="reminder", order_number=order.number,
                                buttons=buttons)
    if task.assignee_id:
        await ctx.notify(Notification(task.assignee_id, text, "reminder", order.number, buttons))
    await ctx.audit(None, "task.reminded", "task", task.id or 0, None, None)


async def _targets(ctx: Context, task: Task, step: Role | str) -> list[Person]:
    """'leader' is the task's own department's leaders; another role is that department's
    leaders, or everyone holding it when none is marked (a general manager leads no one)."""
    role = task.role if step == LEADER else Role(step)
    holders = await ctx.uow.people.holders(role)
    leaders = [p for p in holders if p.leads(role)]
    return leaders if step == LEADER or leaders else holders


def chain_of(policy: Policy, role: Role) -> tuple[str, ...]:
    """Every step an escalation of the department's tasks takes, its last entry repeated
    `max_repeats` times: what is copied onto a task when its escalation starts."""
    chain = tuple(str(step) for step in policy.escalation.chain_for(role))
    return (*chain, *chain[-1:] * policy.escalation.max_repeats)


def _chain_for(policy: Policy, task: Task, step: int) -> tuple[str, ...]:
    """The chain an escalation began with; a new one (step 0, or a task re-timed since)
    takes the policy's chain as it stands now."""
    if step == 0 or task.escalation_chain is None:
        return chain_of(policy, task.role)
    return task.escalation_chain


async def _escalate(ctx: Context, task: Task, order: Order, dedupe_key: str) -> Outcome:
    step = step_of(dedupe_key)
    policy = ctx.policy
    chain = _chain_for(policy, task, step)
    entry = chain[step] if step < len(chain) else None
    window_kind = "gm_escalation" if entry == Role.GM else "escalation"
    if (later := quiet_until(ctx, window_kind)) is not None:
        return Outcome(retry_at=later)
    await ctx.uow.tasks.escalation_reached(task.id or 0, chain, step)
    params = _task_params(ctx, task, order)
    buttons = task_buttons(task, level=await _level_shown(ctx, task))
    if step == 0:
        await ctx.notify_department(task.role, Text("escalation.overdue", params),
                                    kind="escalation", order_number=order.number,
                                    buttons=buttons)
    if entry is not None:
        people = await _targets(ctx, task, entry)
        told: list[int] = []
        folded: list[int] = []
        for person in people:
            heard = await _ping(ctx, person, task, order, chain, step, buttons)
            if heard is not None:
                (told if heard else folded).append(person.id)
        await ctx.audit(None, "task.escalated", "task", task.id or 0, None,
                        {"step": step, "to": entry, "people": [p.id for p in people],
                         "told": told, "folded": folded})
    if step + 1 < len(chain):
        wait = policy.escalation.step_wait
        next_at = (ctx.calendar.add_working(ctx.now, wait)
                   if policy.escalation.counts_in is Counting.WORKING else ctx.now + wait)
        await ctx.uow.timers.schedule(ESCALATE, subject(task.id or 0), next_at,
                                      next_step_key(dedupe_key, step))
    return Outcome()


async def _ping(ctx: Context, person: Person, task: Task, order: Order,
                chain: tuple[str, ...], step: int,
                buttons: tuple[tuple[ButtonSpec, ...], ...]) -> bool | None:
    """One message per person, order and step of the chain a day, listing every task of the
    order that reaches them at this step together; past the daily cap, or again the same day
    (a repeat), it waits for their digest. True when sent, False when folded, None when an
    earlier message today already listed this task at this step."""
    position = chain.index(chain[step])  # a repeat is the same step of the chain
    day = ctx.now.astimezone(ctx.tz).date()
    today = await ctx.uow.pings.on_day(person.id, day)
    earlier = [p for p in today if p.order_id == order.id and p.step == position]
    if any(task.id in p.task_ids for p in earlier if not p.folded) and step == position:
        return None
    sent_today = sum(1 for p in today if not p.folded)
    if earlier or sent_today >= ctx.policy.escalation.daily_cap:
        await ctx.uow.pings.add(EscalationPing(None, person.id, order.id or 0, position, day,
                                               [task.id or 0], True, ctx.now))
        return False
    tasks = [task, *await _escalating_with(ctx, task, chain, step, person)]
    await ctx.uow.pings.add(EscalationPing(None, person.id, order.id or 0, position, day,
                                           [t.id or 0 for t in tasks], False, ctx.now))
    level = {"level": step + 1}
    if len(tasks) == 1:
        text = Text("escalation.to_leader", {**_task_params(ctx, task, order), **level})
    else:
        orders = {order.id or 0: order}
        text = Text("escalation.to_leader_grouped", {
            **order_params(order, ctx.tz), **level, "count": len(tasks),
            "overdue": [digest.task_line(ctx, t, orders) for t in tasks]})
        buttons = ()  # a tap would not say which task it answers
    await ctx.notify(Notification(person.id, text, "escalation", order.number, buttons))
    return True


async def _escalating_with(ctx: Context, task: Task, chain: tuple[str, ...], step: int,
                           person: Person) -> list[Task]:
    """The order's other tasks that reach `person` at this same step now: due at the same
    moment, with the same chain and as far along it (they escalate in step)."""
    found = []
    for other in await ctx.uow.tasks.for_order(task.order_id):
        if other.id == task.id or other.status is not TaskStatus.OPEN or \
                other.due_at != task.due_at:
            continue
        pending = 0 if other.escalation_step is None else other.escalation_step + 1
        other_chain = _chain_for(ctx.policy, other, pending)
        if pending != step or other_chain[step:step + 1] != chain[step:step + 1]:
            continue
        if person.id in {p.id for p in await _targets(ctx, other, chain[step])}:
            found.append(other)
    return found


async def summarize_stale(ctx: Context, tasks: list[Task]) -> None:
    """After downtime, one message per department instead of a pile of late reminders."""
    by_role: dict[Role, list[Task]] = {}
    for task in tasks:
        by_role.setdefault(task.role, []).append(task)
    for role, missed in by_role.items():
        lines = []
        for task in missed:
            order = await ctx.uow.orders.get(task.order_id)
            lines.append(f"{order.number if order else '?'} · {task.kind.value}"
                         f"{' · ' + task.title if task.title else ''} · "
                         f"{local_time(task.due_at, ctx.tz) if task.due_at else '-'}")
        await ctx.notify_department(role, Text("reminder.summary", {"count": len(missed),
                                                                    "lines": "\n".join(lines)}),
                                    kind="reminder", order_number=None)
