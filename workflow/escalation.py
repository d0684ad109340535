"""Reminders before a task's deadline and escalation after it, along its department's chain.

Timers live in the database; this module decides what a due timer means *now*: a task that was
acknowledged, finished or cancelled in the meantime ends its reminders and escalation.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

from workflow.context import Context, local_time, order_params
from workflow.errors import DomainError
from workflow.model import (
    ENDED_STATUSES,
    ButtonSpec,
    Notification,
    Order,
    OrderStatus,
    Person,
    Task,
    TaskKind,
    TaskStatus,
    Text,
)
from workflow.policy import LEADER, Counting
from workflow.roles import Role

# Tasks a command finishes (/prodorder, /plan, /paid, /ship, /inspect): a tap can only
# acknowledge them.
COMMAND_FINISHED = (TaskKind.PRODUCTION_ORDER, TaskKind.PLANNING, TaskKind.PAYMENT_CHECK,
                    TaskKind.QUOTE, TaskKind.SHIPPING_NOTICE, TaskKind.DELAY_REPORT,
                    TaskKind.QUALITY_RESPONSE)

# Notices the bot gives on its own before a planned task: timer kind -> who hears it.
ADVANCE_NOTICES = {
    "packaging_notice": (Role.WAREHOUSE, Role.QUALITY, Role.MARKET, Role.MANUFACTURING),
    "oem_reminder": (Role.OEM, Role.MANUFACTURING),
}

REMIND = "remind"
ESCALATE = "escalate"
STALE_AFTER = timedelta(minutes=30)  # a reminder this late is news of the past: summarize it
HOLD_RECHECK = timedelta(hours=1)  # a held order's clocks wait, and look again this often


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
    if task.due_at is None or ctx.policy is None or ctx.calendar is None:
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
    if task.due_at is None or ctx.policy is None or ctx.calendar is None:
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
    """Remind again an hour from now; at most snooze_max in all. The deadline does not move."""
    assert ctx.policy is not None
    allowed = int(ctx.policy.escalation.snooze_max / SNOOZE_STEP)
    again = ctx.now + SNOOZE_STEP
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
    if ctx.calendar is None:
        return None
    allowed = ctx.calendar.next_allowed_send(ctx.now, kind)
    if kind in ROUTINE:
        allowed = max(allowed, ctx.calendar.next_working_moment(ctx.now))
    return allowed if allowed > ctx.now else None


async def fire(ctx: Context, kind: str, subject_text: str, dedupe_key: str,
               due_at: datetime) -> Outcome:
    # Imported here: these rules open tasks, and workflow.tasks imports this module, so at
    # the top they would make whichever is imported first find the other half-built.
    from workflow import digest, quality, services, urging

    if kind == services.DRAFT_EXPIRY:
        if (later := quiet_until(ctx, "notice")) is not None:
            return Outcome(retry_at=later)  # the note would come at night: the draft waits
        await services.expire_draft(ctx, int(subject_text.split(":", 1)[1]))
        return Outcome()
    if kind == urging.FOLLOW_UP:
        # The follow-up drafts the 催促单 market decides on.
        if (later := quiet_until(ctx, "urge_slip")) is not None:
            return Outcome(retry_at=later)
        await urging.on_follow_up(ctx, int(subject_text.split(":", 1)[1]))
        return Outcome()
    if kind == quality.ALERT:
        if (later := quiet_until(ctx, quality.ALERT)) is not None:
            return Outcome(retry_at=later)
        _, order_id, index = subject_text.split(":")
        await quality.send_alerts(ctx, int(order_id), int(index))
        return Outcome()
    if kind == digest.HELD:
        await digest.send_digests(ctx)
        return Outcome()
    task_id = int(subject_text.split(":", 1)[1])
    try:
        live = await _live_task(ctx, task_id, acknowledged_too=kind in ADVANCE_NOTICES)
    except _Held:
        return Outcome(retry_at=ctx.now + HOLD_RECHECK)
    if live is None:
        return Outcome()
    task, order = live
    if kind in ADVANCE_NOTICES:
        if (later := quiet_until(ctx, "reminder")) is not None:
            return Outcome(retry_at=later)
        params = _task_params(ctx, task, order)
        if kind == "oem_reminder" and task.due_at is not None:
            # “提前1-2天提醒”: the window opened now; the preparation is due when it closes.
            params["ready_by"] = local_time(ctx.deadlines.due("oem_reminder", task.due_at),
                                            ctx.tz)
        for role in ADVANCE_NOTICES[kind]:
            await ctx.notify_department(role, Text(f"notice.{kind}", params),
                                        kind="notice", order_number=order.number)
        await ctx.audit(None, f"notice.{kind}", "task", task.id or 0, None, None)
        return Outcome()
    if kind == REMIND:
        if ctx.now - due_at > STALE_AFTER:
            return Outcome(stale_reminder=task)
        if (later := quiet_until(ctx, "reminder")) is not None:
            return Outcome(retry_at=later)
        await _remind(ctx, task, order)
        return Outcome()
    return await _escalate(ctx, task, order, dedupe_key)


def _task_params(ctx: Context, task: Task, order: Order) -> dict[str, object]:
    return {**order_params(order, ctx.tz), "task": task.kind.value, "role": task.role,
            "title": task.title or "", "due": local_time(task.due_at, ctx.tz) if task.due_at else "-"}


SNOOZE_STEP = timedelta(hours=1)


def task_buttons(task: Task, *, snooze: bool = False, level: int | None = None
                 ) -> tuple[tuple[ButtonSpec, ...], ...]:
    """The one-tap answers a task's messages offer; a verdict task offers only its verdicts.
    A change notice's answer confirms the `level` its card shows and raises only above it."""
    if snooze:
        later = (ButtonSpec(Text("button.snooze"), f"v1:tk:{task.id}:snooze"),)
        return (*task_buttons(task, level=level), later)
    if task.kind is TaskKind.FEASIBILITY_REVIEW:
        return ((ButtonSpec(Text("button.feasible"), f"v1:rv:{task.id}:ok"),
                 ButtonSpec(Text("button.infeasible"), f"v1:rv:{task.id}:no")),)
    if task.kind is TaskKind.CHANGE_ANSWER:
        shown = f":l{level}" if level else ""
        return ((ButtonSpec(Text("button.change_ok"), f"v1:ca:{task.id}:ok{shown}"),
                 *(ButtonSpec(Text(f"button.raise_{n}"), f"v1:ca:{task.id}:raise:l{n}")
                   for n in (2, 3) if n > (level or 1))),)
    if task.kind is TaskKind.DECISION:
        return ((ButtonSpec(Text("button.decline_order"), f"v1:gm:{task.id}:decline"),
                 ButtonSpec(Text("button.keep_negotiating"), f"v1:gm:{task.id}:keep")),)
    # 收到 only while nobody has: an acknowledged task's message keeps the rest.
    ack = ((ButtonSpec(Text("button.ack"), f"v1:tk:{task.id}:ack"),)
           if task.status is TaskStatus.OPEN else ())
    if task.kind in COMMAND_FINISHED:
        return (ack,) if ack else ()
    if task.kind is TaskKind.DISPATCH_CONFIRMATION:
        return ((*ack, ButtonSpec(Text("button.dispatched"), f"v1:tk:{task.id}:done"),
                 ButtonSpec(Text("button.not_dispatched"), f"v1:tk:{task.id}:late")),)
    return ((*ack, ButtonSpec(Text("button.done"), f"v1:tk:{task.id}:done")),)


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


async def _escalate(ctx: Context, task: Task, order: Order, dedupe_key: str) -> Outcome:
    step = step_of(dedupe_key)
    policy = ctx.policy
    assert policy is not None and ctx.calendar is not None
    chain = policy.escalation.chain_for(task.role)
    last = len(chain) + policy.escalation.max_repeats - 1
    entry = chain[min(step, len(chain) - 1)] if chain else None
    window_kind = "gm_escalation" if entry == Role.GM else "escalation"
    if (later := quiet_until(ctx, window_kind)) is not None:
        return Outcome(retry_at=later)
    params = _task_params(ctx, task, order)
    buttons = task_buttons(task, level=await _level_shown(ctx, task))
    if step == 0:
        await ctx.notify_department(task.role, Text("escalation.overdue", params),
                                    kind="escalation", order_number=order.number,
                                    buttons=buttons)
    if entry is not None:
        people = await _targets(ctx, task, entry)
        for person in people:
            await ctx.notify(Notification(
                person.id,
                Text("escalation.to_leader", {**params, "level": step + 1}),
                "escalation", order.number, buttons))
        await ctx.audit(None, "task.escalated", "task", task.id or 0, None,
                        {"step": step, "to": str(entry), "people": [p.id for p in people]})
    if step < last:
        wait = policy.escalation.step_wait
        next_at = (ctx.calendar.add_working(ctx.now, wait)
                   if policy.escalation.counts_in is Counting.WORKING else ctx.now + wait)
        await ctx.uow.timers.schedule(ESCALATE, subject(task.id or 0), next_at,
                                      next_step_key(dedupe_key, step))
    return Outcome()


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
