"""跨部门工作联系单: a department asks another to solve a problem by a time."""

from __future__ import annotations

from datetime import datetime

from workflow.context import Actor, Context, local_time
from workflow.errors import DomainError
from workflow.model import (
    Notification,
    Order,
    Task,
    TaskKind,
    Text,
)
from workflow.orders.core import (
    save_facts,
)
from workflow.records import ContactSlip, contact_slips_of
from workflow.roles import Role
from workflow.tasks import (
    open_task,
)


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
    slips = contact_slips_of(order)
    number = f"LX-{order.number.removeprefix('SO-')}-{len(slips) + 1}"
    task = await open_task(ctx, actor, order, TaskKind.CONTACT_SLIP, to, due_at,
                            title=f"{number} {problem}")
    slip = ContactSlip(number, task.id or 0, to, actor.person.id, answer_chat, problem)
    await save_facts(ctx, actor, order,
                     contact_slips=[s.as_fact() for s in [*slips, slip]])
    return number, task


async def answer_contact_slip(ctx: Context, actor: Actor, order: Order, task: Task,
                               answer: str | None) -> None:
    slip = next((s for s in contact_slips_of(order) if s.task == task.id), None)
    if slip is None:
        return
    await ctx.notify(Notification(slip.chat, Text("contact.answered", {
        "slip": slip.number, "role": task.role.value, "who": actor.person.name,
        "problem": slip.problem, "answer": answer or "-"}), "notice", order.number))
