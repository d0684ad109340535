"""Market's follow-up 2–3 days before the delivery date, and urge slips (催促单).

“市场部根据合同和经评审确认的交货期,提前2-3天进行跟单管理……与计划有差异时应要求制造中心领导
采取措施补救……并将最后交货期限以‘催促单’的形式通报制造中心经理及总经理或分管副总。”
"""

from __future__ import annotations

from workflow.context import Actor, Context, local_time, order_params
from workflow.errors import DomainError
from workflow.model import (
    OPEN_TASK_STATUSES,
    PLANNED_KINDS,
    AnswerTo,
    ButtonAnswer,
    ButtonSpec,
    Notification,
    Order,
    OrderStatus,
    Text,
    UrgeSlip,
    UrgeStatus,
)
from workflow.roles import Role
from workflow.timer_kinds import TimerKind

FOLLOW_UP = TimerKind.FOLLOW_UP
FOLLOWED_STATES = (OrderStatus.EFFECTIVE, OrderStatus.PLANNING, OrderStatus.PRODUCTION,
                   OrderStatus.WAREHOUSED)


def subject(order_id: int) -> str:
    return f"order:{order_id}"


async def schedule_follow_up(ctx: Context, order: Order) -> None:
    """When the 2–3 day follow-up window opens, the bot checks the order against its plan."""
    rule = ctx.policy.deadline("market_follow_up")
    opens = ctx.calendar.window_opens(order.due_date, rule) or ctx.calendar.deadline(
        order.due_date, rule)
    at = max(ctx.calendar.working_day_start(opens.astimezone(ctx.tz).date()), ctx.now)
    await ctx.uow.timers.schedule(FOLLOW_UP, subject(order.id or 0), at,
                                  f"{FOLLOW_UP}:{order.id}:{order.due_date.isoformat()}")


async def lagging(ctx: Context, order: Order) -> list[str]:
    """Open work that is overdue or planned to end after the delivery date."""
    due_end = ctx.calendar.working_day_end(order.due_date)
    lines = []
    for task in await ctx.uow.tasks.for_order(order.id or 0):
        if task.kind not in PLANNED_KINDS or task.status not in OPEN_TASK_STATUSES:
            continue
        late = task.due_at is not None and (task.due_at < ctx.now or task.due_at > due_end)
        if late or order.status in (OrderStatus.EFFECTIVE, OrderStatus.PLANNING):
            due = local_time(task.due_at, ctx.tz) if task.due_at else "-"
            lines.append(f"taskkind.{task.kind.value}|{task.role.value}|{task.title or ''}|{due}")
    if order.status in (OrderStatus.EFFECTIVE, OrderStatus.PLANNING):  # not even planned yet
        lines.append(f"status.{order.status.value}|{Role.MANUFACTURING.value}||-")
    return lines


async def on_follow_up(ctx: Context, order_id: int) -> None:
    order = await ctx.uow.orders.get(order_id)
    if order is None or order.status not in FOLLOWED_STATES:
        return
    late = await lagging(ctx, order)
    if not late:
        await ctx.notify(Notification(order.chat_id, Text("follow_up.on_track",
                                                          order_params(order, ctx.tz)),
                                      "notice", order.number))
        return
    slip = await _new_slip(ctx, None, order, late, "", UrgeStatus.DRAFT)
    await ctx.notify(Notification(
        order.chat_id, Text("urge.draft", {**_slip_params(ctx, order, slip)}),
        "urge", order.number, slip_buttons(slip)))


def slip_buttons(slip: UrgeSlip) -> tuple[tuple[ButtonSpec, ...], ...]:
    return ((ButtonSpec(Text("button.send_urge"),
                        ButtonAnswer(AnswerTo.URGE_SLIP, slip.id or 0, "send")),
             ButtonSpec(Text("button.drop_urge"),
                        ButtonAnswer(AnswerTo.URGE_SLIP, slip.id or 0, "drop"))),)


async def _new_slip(ctx: Context, actor: Actor | None, order: Order, late: list[str], note: str,
                    status: UrgeStatus) -> UrgeSlip:
    count = await ctx.uow.urge_slips.count_for(order.id or 0)
    slip = await ctx.uow.urge_slips.add(UrgeSlip(
        None, f"CS-{order.number.removeprefix('SO-')}-{count + 1}", order.id or 0, status, late,
        note, actor.person.id if actor else None, ctx.now,
        ctx.now if status is UrgeStatus.SENT else None))
    await ctx.audit(actor, "urge.draft" if status is UrgeStatus.DRAFT else "urge.sent",
                    "urge_slip", slip.number, None, {"order": order.number, "late": late})
    return slip


def _slip_params(ctx: Context, order: Order, slip: UrgeSlip) -> dict[str, object]:
    return {**order_params(order, ctx.tz), "slip": slip.number, "late": slip.late,
            "note": slip.note or "-"}


async def settle(ctx: Context, actor: Actor, slip_id: int, send: bool) -> UrgeSlip:
    """Market sends the drafted slip to the manufacturing manager and the GM, or drops it."""
    actor.require(Role.MARKET)
    slip = await ctx.uow.urge_slips.get(slip_id)
    order = await ctx.uow.orders.get(slip.order_id) if slip else None
    if slip is None or order is None:
        raise DomainError(Text("error.order_not_found"))
    status = UrgeStatus.SENT if send else UrgeStatus.DROPPED
    if not await ctx.uow.urge_slips.settle(slip_id, status, ctx.now):
        raise DomainError(Text("error.urge_settled", {"slip": slip.number}))
    slip.status = status
    await ctx.audit(actor, f"urge.{status.value}", "urge_slip", slip.number,
                    {"status": "draft"}, {"status": status.value})
    if send:
        await _deliver(ctx, actor, order, slip)
    return slip


async def urge_by_hand(ctx: Context, actor: Actor, order: Order, note: str) -> UrgeSlip:
    """/urge: market issues a slip at once with what is late and its own words. When nothing
    is late the slip stays a draft: market is asked whether to send it anyway, since a slip
    asking for overtime on finished work only costs the slip its weight."""
    actor.require(Role.MARKET)
    if order.status not in FOLLOWED_STATES:
        raise DomainError(Text("error.not_now", {"number": order.number,
                                                 "status": order.status.value,
                                                 "action": "urge"}))
    late = await lagging(ctx, order)
    slip = await _new_slip(ctx, actor, order, late, note,
                           UrgeStatus.SENT if late else UrgeStatus.DRAFT)
    if late:
        await _deliver(ctx, actor, order, slip)
    return slip


async def _deliver(ctx: Context, actor: Actor, order: Order, slip: UrgeSlip) -> None:
    """To the manufacturing manager and the general manager in private, and to the
    manufacturing group."""
    text = Text("urge.slip" if slip.late else "urge.slip_nothing_late",
                {**_slip_params(ctx, order, slip), "who": actor.person.name})
    managers = await ctx.leaders_of(Role.MANUFACTURING)
    general_managers = [p.id for p in await ctx.uow.people.holders(Role.GM)]
    await ctx.notify_each(managers + general_managers, text, kind="urge",
                          order_number=order.number)
    await ctx.notify_department(Role.MANUFACTURING, text, kind="urge", order_number=order.number)


