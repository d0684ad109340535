"""Inspection records and where a finding goes (质量管理部 2)).

(1) internal work that rework can fix → the operator (the manufacturing group) and their leader;
(2) an OEM's work → the quality leader, who coordinates within 30 minutes;
(3) purchased goods → the buyer; a batch under the pass-rate threshold or a serious defect
    (规格型号不符、缺件、外观不良、数量与送货单不符) → the quality and procurement leaders;
(4) design, or what the inspector cannot judge → the quality leader within 30 minutes, and the
    general manager when the department cannot solve it (the coordination task's escalation).
"""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from typing import Any

# `tasks` as a module: it imports escalation, which imports this one, so its names do not
# exist yet when this module is first imported through it.
from workflow import escalation, tasks
from workflow.context import Actor, Context, order_params
from workflow.errors import DomainError
from workflow.model import OPEN_TASK_STATUSES, Order, Task, TaskKind, TaskStatus, Text
from workflow.records import Inspection, inspections_of
from workflow.roles import Role
from workflow.timer_kinds import TimerKind

SOURCES = {
    "自制": "internal", "内部": "internal", "本厂": "internal", "internal": "internal",
    "代工": "oem", "代工厂": "oem", "oem": "oem", "外协": "oem",
    "采购": "purchased", "外购": "purchased", "purchased": "purchased",
    "设计": "design", "技术": "design", "design": "design", "不能判定": "design",
}
SERIOUS_DEFECTS = ("规格型号不符", "型号不符", "缺件", "外观不良", "数量不符", "数量与送货单不符")


ALERT = TimerKind.QUALITY_ALERT


async def note_finding(ctx: Context, actor: Actor, order: Order, what: str) -> Task:
    """“发现的问题…应及时(一般为20分钟内)作出反映”: the inspector says a problem is found
    the moment it is, and the 20 minutes run from here. The inspection that records it
    (/inspect) closes the clock; one not recorded in time escalates to quality's leader."""
    actor.require(Role.QUALITY)
    if not what:
        raise DomainError(Text("usage.found"))
    task = await tasks.open_task(ctx, actor, order, TaskKind.QUALITY_RESPONSE, Role.QUALITY,
                                 ctx.deadlines.due("quality_response", ctx.now),
                                 assignee_id=actor.person.id, title=what, announce=None)
    await ctx.audit(actor, "quality.finding", "task", task.id or 0, None,
                    {"order": order.number, "what": what, "due_at": task.due_at.isoformat()
                     if task.due_at else None})
    return task


async def inspect(ctx: Context, actor: Actor, order: Order, source_word: str, passed: int,
                  total: int, defects: str, found_at: datetime | None = None) -> Inspection:
    """Record an inspection and route a finding. The 20 minutes (“一般为20分钟内”) the finding
    had to be raised in run from `found_at` when the inspector says when it was found, else
    from the oldest finding noted on the order and not yet recorded (note_finding)."""
    actor.require(Role.QUALITY)
    source = SOURCES.get(source_word.lower())
    if source is None:
        raise DomainError(Text("usage.inspect"))
    if total <= 0 or not 0 <= passed <= total:
        raise DomainError(Text("inspect.bad_counts", {"passed": passed, "total": total}))
    if found_at is not None and found_at > ctx.now:
        raise DomainError(Text("inspect.found_in_future",
                               {"found": found_at.astimezone(ctx.tz).strftime("%H:%M")}))
    rate = passed / total
    serious = any(word in defects for word in SERIOUS_DEFECTS)
    record = Inspection(ctx.now, actor.person.id, actor.person.name, source, passed, total,
                        round(rate, 4), defects, serious,
                        rate < ctx.policy.quality_pass_rate_threshold)
    problem = record.has_problem
    noted = [t for t in await ctx.uow.tasks.for_order(order.id or 0)
             if t.kind is TaskKind.QUALITY_RESPONSE and t.status in OPEN_TASK_STATUSES]
    if problem and found_at is None and noted:
        found_at = min(t.created_at for t in noted)
    if problem and found_at is not None:
        response_due = ctx.deadlines.due("quality_response", found_at)
        record = replace(record, found_at=found_at, raised_late=ctx.now > response_due)
    inspections = [*inspections_of(order), record]
    order.facts["inspections"] = [inspection.as_fact() for inspection in inspections]
    await ctx.uow.orders.save_facts(order.id or 0, order.facts)
    await ctx.audit(actor, "quality.inspection", "order", order.number, None, record.as_fact())
    if not problem:
        return record
    for task in noted:
        await _answer(ctx, actor, task)
    params = _finding_params(ctx, order, record)
    text = Text("inspect.finding", params)
    if source == "internal":
        await ctx.notify_department(Role.MANUFACTURING, Text("inspect.rework", params),
                                    kind="notice", order_number=order.number)
    elif source == "purchased":
        await ctx.notify_department(Role.PROCUREMENT, text, kind="notice",
                                    order_number=order.number)
    else:  # oem and design: the quality leader coordinates within 30 minutes
        await tasks.open_task(ctx, actor, order, TaskKind.QUALITY_COORDINATION, Role.QUALITY,
                              ctx.deadlines.due("quality_coordination", ctx.now),
                              title=f"{source} {passed}/{total} {defects}".strip(),
                              announce=text)
    index = len(inspections) - 1
    if (later := escalation.quiet_until(ctx, ALERT)) is None:
        await send_alerts(ctx, order.id or 0, index)
    else:  # quiet hours and quality_alert not let through: the leaders hear in the morning
        await ctx.uow.timers.schedule(ALERT, f"inspection:{order.id}:{index}", later,
                                      f"{ALERT}:{order.id}:{index}")
    return record


async def _answer(ctx: Context, actor: Actor, task: Task) -> None:
    """A finding noted earlier is answered by the inspection that records it."""
    await tasks.close_task(ctx, actor, task, TaskStatus.DONE, "recorded")


def _finding_params(ctx: Context, order: Order, record: Inspection) -> dict[str, Any]:
    return {**order_params(order, ctx.tz), "source": record.source, "passed": record.passed,
            "total": record.total, "rate": f"{record.rate:.1%}", "defects": record.defects or "-",
            "who": record.who}


async def send_alerts(ctx: Context, order_id: int, index: int) -> None:
    """The leaders who must hear of the order's inspection `index` at once (or when quiet
    hours end): the quality leader of a finding raised late, manufacturing's of internal
    work, quality's and procurement's of a bad purchased batch, quality's of an OEM's or a
    design problem."""
    order = await ctx.uow.orders.get(order_id)
    if order is None:
        return
    record = inspections_of(order)[index]
    params = _finding_params(ctx, order, record)
    text = Text("inspect.finding", params)

    async def tell(person_ids: list[int], message: Text = text) -> None:
        await ctx.notify_each(person_ids, message, kind="escalation", order_number=order.number)

    if record.raised_late and record.found_at is not None:
        await tell(await ctx.leaders_of(Role.QUALITY), Text("inspect.raised_late", {
            **params, "found": local_clock(record.found_at, ctx),
            "raised": local_clock(record.at, ctx)}))
    if record.source == "internal":
        await tell(await ctx.leaders_of(Role.MANUFACTURING))
    elif record.source == "purchased":
        if record.below_threshold or record.serious:
            await tell(await ctx.leaders_of(Role.QUALITY)
                       + await ctx.leaders_of(Role.PROCUREMENT))
    else:
        await tell(await ctx.leaders_of(Role.QUALITY))


def local_clock(moment: datetime, ctx: Context) -> str:
    return moment.astimezone(ctx.tz).strftime("%H:%M")
