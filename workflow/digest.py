"""The morning digest: one message per department group, and one company-wide for managers."""

from __future__ import annotations

from workflow import escalation
from workflow.context import Context, local_time
from workflow.model import (
    ENDED_STATUSES,
    OPEN_TASK_STATUSES,
    EscalationPing,
    Notification,
    Order,
    Task,
    Text,
)
from workflow.roles import Role
from workflow.timer_kinds import TimerKind

HELD = TimerKind.DIGEST  # a digest that waits out quiet hours on its own day


def task_line(ctx: Context, task: Task, orders: dict[int, Order]) -> str:
    """"what-key|role|title|due", shown like an urge slip's lines; the title leads with the
    order number."""
    order = orders.get(task.order_id)
    due = local_time(task.due_at, ctx.tz) if task.due_at else "-"
    title = " ".join(part for part in (order.number if order else "?", task.title) if part)
    return f"taskkind.{task.kind.value}|{task.role.value}|{title}|{due}"


async def send_digests(ctx: Context) -> int:
    """Tasks due today and overdue per department; orders close to delivery and not shipped.
    In quiet hours (digest not let through) the digest waits for them to end, on its own day
    only: a digest a whole rest day holds back would tell of a day that is over."""
    today = ctx.now.astimezone(ctx.tz).date()
    if (later := escalation.quiet_until(ctx, HELD)) is not None:
        if later.astimezone(ctx.tz).date() == today:
            await ctx.uow.timers.schedule(HELD, f"{HELD}:{today}", later, f"{HELD}:{today}")
        return 0
    active = await ctx.uow.orders.active()
    orders = {o.id or 0: o for o in active}
    # “提前2-3天进行跟单管理”: from the day market's follow-up falls due, the order is close.
    at_risk = [o for o in active
               if ctx.deadlines.due("market_follow_up", o.due_date).astimezone(ctx.tz).date()
               <= today]
    tasks = [t for t in await ctx.uow.tasks.open_for_roles(list(Role)) if t.order_id in orders]
    sent = 0
    company: list[str] = []
    for role in Role:
        mine = [t for t in tasks if t.role is role]
        overdue = [t for t in mine if t.due_at and t.due_at < ctx.now]
        today_due = [t for t in mine if t.due_at and t.due_at >= ctx.now
                     and t.due_at.astimezone(ctx.tz).date() == today]
        if not (overdue or today_due):
            continue
        # Past the cap the overdue come first; the rest are counted and left to /tasks.
        cap = ctx.policy.digest.max_lines
        shown_overdue = overdue[:cap]
        shown_today = today_due[:cap - len(shown_overdue)]
        more = len(overdue) + len(today_due) - len(shown_overdue) - len(shown_today)
        params = {
            "role": role,
            "today": [task_line(ctx, t, orders) for t in shown_today],
            "overdue": [task_line(ctx, t, orders) for t in shown_overdue],
            "today_count": len(today_due),
            "overdue_count": len(overdue),
            "more": more,
        }
        key = "digest.department_capped" if more else "digest.department"
        sent += await ctx.notify_department(role, Text(key, params),
                                            kind="digest", order_number=None)
        company.append(f"{role.value}|{len(today_due)}|{len(overdue)}")
    risk_lines = "\n".join(f"· {o.number} {o.customer} {o.product} {o.due_date.isoformat()}"
                           for o in at_risk) or "-"
    if company or at_risk:
        for person in await ctx.uow.people.holders(Role.GM):
            await ctx.notify(Notification(person.id, Text("digest.company", {
                "departments": company, "at_risk": risk_lines}),
                "digest", None))
            sent += 1
    return sent + await _folded_escalations(ctx)


async def _folded_escalations(ctx: Context) -> int:
    """The escalations held back since the last digest (a person's daily cap, or a repeat the
    same day), one message per person: the tasks still open, each listed once."""
    folded = await ctx.uow.pings.folded_unlisted()
    by_person: dict[int, list[EscalationPing]] = {}
    for ping in folded:
        by_person.setdefault(ping.person_id, []).append(ping)
    sent = 0
    for person_id, pings in by_person.items():
        tasks: dict[int, Task] = {}
        orders: dict[int, Order] = {}
        for task_id in dict.fromkeys(t for p in pings for t in p.task_ids):
            task = await ctx.uow.tasks.get(task_id)
            if task is None or task.status not in OPEN_TASK_STATUSES:
                continue
            order = orders.get(task.order_id) or await ctx.uow.orders.get(task.order_id)
            if order is None or order.status in ENDED_STATUSES:
                continue
            tasks[task_id], orders[task.order_id] = task, order
        if tasks:
            await ctx.notify(Notification(person_id, Text("digest.escalations", {
                "count": len(tasks),
                "overdue": [task_line(ctx, t, orders) for t in tasks.values()]}),
                "digest", None))
            sent += 1
        await ctx.uow.pings.mark_listed([p.id or 0 for p in pings], ctx.now)
    return sent
