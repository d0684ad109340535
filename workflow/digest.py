"""The morning digest: one message per department group, and one company-wide for managers."""

from __future__ import annotations

from workflow import escalation
from workflow.context import Context, local_time
from workflow.model import Notification, Order, Task, Text
from workflow.roles import Role

HELD = "digest"  # a digest that waits out quiet hours on its own day


def _line(ctx: Context, task: Task, orders: dict[int, Order]) -> str:
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
        params = {
            "role": role,
            "today": [_line(ctx, t, orders) for t in today_due],
            "overdue": [_line(ctx, t, orders) for t in overdue],
            "today_count": len(today_due),
            "overdue_count": len(overdue),
        }
        sent += await ctx.notify_department(role, Text("digest.department", params),
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
    return sent
