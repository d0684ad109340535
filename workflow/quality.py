"""Inspection records and where a finding goes (质量管理部 2)).

(1) internal work that rework can fix → the operator (the manufacturing group) and their leader;
(2) an OEM's work → the quality leader, who coordinates within 30 minutes;
(3) purchased goods → the buyer; a batch under the pass-rate threshold or a serious defect
    (规格型号不符、缺件、外观不良、数量与送货单不符) → the quality and procurement leaders;
(4) design, or what the inspector cannot judge → the quality leader within 30 minutes, and the
    general manager when the department cannot solve it (the coordination task's escalation).
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from workflow import escalation
from workflow.context import Actor, Context, order_params
from workflow.errors import DomainError
from workflow.model import Order, Task, TaskKind, TaskStatus, Text
from workflow.roles import Role

SOURCES = {
    "自制": "internal", "内部": "internal", "本厂": "internal", "internal": "internal",
    "代工": "oem", "代工厂": "oem", "oem": "oem", "外协": "oem",
    "采购": "purchased", "外购": "purchased", "purchased": "purchased",
    "设计": "design", "技术": "design", "design": "design", "不能判定": "design",
}
SERIOUS_DEFECTS = ("规格型号不符", "型号不符", "缺件", "外观不良", "数量不符", "数量与送货单不符")


async def inspect(ctx: Context, actor: Actor, order: Order, source_word: str, passed: int,
                  total: int, defects: str, found_at: datetime | None = None) -> dict[str, Any]:
    """Record an inspection and route a finding; `found_at`, when the inspector says when the
    problem was found, measures the 20 minutes (“一般为20分钟内”) the finding had to be raised in."""
    actor.require(Role.QUALITY)
    source = SOURCES.get(source_word.lower())
    if source is None:
        raise DomainError(Text("usage.inspect"))
    if total <= 0 or not 0 <= passed <= total:
        raise DomainError(Text("inspect.bad_counts", {"passed": passed, "total": total}))
    if found_at is not None and found_at > ctx.now:
        raise DomainError(Text("inspect.found_in_future",
                               {"found": found_at.astimezone(ctx.tz).strftime("%H:%M")}))
    threshold = ctx.policy.quality_pass_rate_threshold if ctx.policy else 0.95
    rate = passed / total
    serious = any(word in defects for word in SERIOUS_DEFECTS)
    record = {"at": ctx.now.isoformat(), "by": actor.person.id, "source": source,
              "passed": passed, "total": total, "rate": round(rate, 4), "defects": defects,
              "serious": serious, "below_threshold": rate < threshold}
    response_due = (ctx.deadlines.due("quality_response", found_at)
                    if found_at is not None and (passed < total or defects) else None)
    if response_due is not None:
        record |= {"found_at": found_at.isoformat(), "raised_late": ctx.now > response_due}
    inspections = [*order.facts.get("inspections", []), record]
    order.facts["inspections"] = inspections
    await ctx.uow.orders.save_facts(order.id or 0, order.facts)
    await ctx.audit(actor, "quality.inspection", "order", order.number, None, record)
    if passed == total and not defects:
        return record
    params = {**order_params(order, ctx.tz), "source": source, "passed": passed,
              "total": total, "rate": f"{rate:.1%}", "defects": defects or "-",
              "who": actor.person.name}
    text = Text("inspect.finding", params)

    async def tell(person_ids: list[int], message: Text = text) -> None:
        await ctx.notify_each(person_ids, message, kind="escalation", order_number=order.number)

    if record.get("raised_late") and found_at is not None:
        await tell(await ctx.leaders_of(Role.QUALITY), Text("inspect.raised_late", {
            **params, "found": found_at.astimezone(ctx.tz).strftime("%H:%M"),
            "raised": ctx.now.astimezone(ctx.tz).strftime("%H:%M")}))
    if source == "internal":
        await ctx.notify_department(Role.MANUFACTURING, Text("inspect.rework", params),
                                    kind="notice", order_number=order.number)
        await tell(await ctx.leaders_of(Role.MANUFACTURING))
    elif source == "purchased":
        await ctx.notify_department(Role.PROCUREMENT, text, kind="notice",
                                    order_number=order.number)
        if rate < threshold or serious:
            await tell(await ctx.leaders_of(Role.QUALITY)
                       + await ctx.leaders_of(Role.PROCUREMENT))
    else:  # oem and design: the quality leader coordinates within 30 minutes
        await tell(await ctx.leaders_of(Role.QUALITY))
        task = await ctx.uow.tasks.add(Task(
            None, order.id or 0, TaskKind.QUALITY_COORDINATION, Role.QUALITY, TaskStatus.OPEN,
            ctx.deadlines.due("quality_coordination", ctx.now), ctx.now,
            title=f"{source} {passed}/{total} {defects}".strip()))
        await escalation.schedule_for(ctx, task)
        await ctx.notify_department(Role.QUALITY, text, kind="task", order_number=order.number,
                                    buttons=escalation.task_buttons(task))
    return record
