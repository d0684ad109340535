"""Commands that move an order along the policy: /quote SO-… 42万, /signed SO-…, /plan SO-… …"""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from typing import Any

from handlers import reports
from handlers.turn import Turn, turn_handler
from workflow import orders, quality, services, urging
from workflow.context import local_time
from workflow.errors import DomainError
from workflow.model import Order, OrderStatus, Task, Text
from workflow.parsing import parse_field_value
from workflow.roles import Role, parse_role
from workflow.text import clean_text


def _args(turn: Turn) -> str:
    text = turn.update.effective_message.text or ""
    parts = text.split(maxsplit=1)
    return parts[1].strip() if len(parts) > 1 else ""


def _after_number(text: str) -> str:
    """What follows the order number: the amount, date, reason or plan."""
    match = orders.ORDER_NUMBER.search(text)
    return (text[match.end():] if match else text).strip(" \t:：,，")


OrderStep = Callable[[Turn, Order, str], Awaitable[None]]


def order_command(usage_key: str) -> Callable[[OrderStep], Any]:
    """A command that names an order first; a missing or unknown number gets the usage."""

    def wrap(step: OrderStep) -> Any:
        async def handler(turn: Turn) -> None:
            text = _args(turn)
            services.refuse_oversized(text, services.MAX_COMMAND_CHARS)
            try:
                order = await orders.order_by_number(turn.ctx, text)
            except DomainError as refusal:
                turn.reply(refusal.text, kind="error")
                turn.reply(Text(usage_key), kind="error")
                return
            await step(turn, order, _after_number(text))

        handler.__name__ = step.__name__
        handler.__doc__ = step.__doc__
        return turn_handler(handler)

    return wrap


def _done(turn: Turn, order: Order, key: str, **params: Any) -> None:
    turn.reply(Text(key, {"number": order.number, "status": order.status.value, **params}),
               order=order.number)


@order_command("usage.quote")
async def cmd_quote(turn: Turn, order: Order, rest: str) -> None:
    """Record the quote sent to the customer: /quote SO-… 42万."""
    amount, warning = parse_field_value("amount", rest, turn.ctx.now)
    if warning or amount is None:
        _refuse_value(turn, warning, "usage.quote")
        return
    replaced = await orders.record_quote(turn.ctx, turn.actor, order, float(amount))
    if replaced is None:
        _done(turn, order, "done.quote", amount=f"{float(amount):,.0f}")
    else:
        _done(turn, order, "done.quote_corrected", amount=f"{float(amount):,.0f}",
              before=f"{float(replaced):,.0f}")


def _refuse_value(turn: Turn, warning: str | None, usage_key: str) -> None:
    """What was wrong with the value, then how to write the command."""
    if warning:
        turn.reply(Text(f"warning.{warning}"), kind="error")
    turn.reply(Text(usage_key), kind="error")


@order_command("usage.signed")
async def cmd_signed(turn: Turn, order: Order, rest: str) -> None:
    """Record that the customer signed the contract."""
    effective = await orders.record_contract_fact(turn.ctx, turn.actor, order, "signed")
    _done(turn, order, "done.effective" if effective else "done.signed")


@order_command("usage.paid")
async def cmd_paid(turn: Turn, order: Order, rest: str) -> None:
    """Record the customer's payment: before production it makes the contract effective;
    before shipping, finance confirms it has arrived."""
    if order.status is not OrderStatus.CONTRACT:
        await orders.confirm_payment(turn.ctx, turn.actor, order)
        _done(turn, order, "done.payment_confirmed")
        return
    effective = await orders.record_contract_fact(turn.ctx, turn.actor, order, "paid")
    _done(turn, order, "done.effective" if effective else "done.paid")


@order_command("usage.prodorder")
async def cmd_prodorder(turn: Turn, order: Order, rest: str) -> None:
    """Issue the production order (生产指令) to the manufacturing center."""
    task = await orders.issue_production_order(turn.ctx, turn.actor, order)
    _done(turn, order, "done.prodorder",
          due=task.due_at.astimezone(turn.ctx.tz).strftime("%Y-%m-%d %H:%M") if task.due_at
          else "-")


@order_command("usage.plan")
async def cmd_plan(turn: Turn, order: Order, rest: str) -> None:
    """Break the order into tasks, one line each (or separated by ；): 采购 物资管理部 12-05
    断路器. In production: +采购 12-09 端子, -装配开始, ~包装 12-18 change the plan."""
    plan, problems = orders.read_plan_of(rest, turn.ctx)
    if problems or not plan:
        lines = [turn.t("plan.problem", line=p.line, why=turn.t(f"plan.reason.{p.reason}"))
                 for p in problems]
        turn.reply(turn.t("plan.refused", lines="\n".join(lines) or "-"), kind="error")
        in_production = order.status is OrderStatus.PRODUCTION
        turn.reply(Text("usage.plan_revise" if in_production else "usage.plan"), kind="error")
        return
    if order.status is OrderStatus.PRODUCTION:
        revision = await orders.revise_plan(turn.ctx, turn.actor, order, plan)
        _done(turn, order, "done.plan_revised", added=revision.added, removed=revision.removed,
              moved=revision.moved)
        return
    tasks = await orders.submit_plan(turn.ctx, turn.actor, order, plan)
    _done(turn, order, "done.plan", count=len(tasks))


@order_command("usage.newdate")
async def cmd_newdate(turn: Turn, order: Order, rest: str) -> None:
    """The customer agreed a later date: /newdate SO-… 1月10日; the departments review again."""
    due, warning = parse_field_value("due_date", rest, turn.ctx.now)
    if warning or due is None:
        turn.reply(Text("usage.newdate"), kind="error")
        return
    await orders.propose_date(turn.ctx, turn.actor, order, due)
    _done(turn, order, "done.newdate", date=due.isoformat())


@order_command("usage.refused")
async def cmd_refused(turn: Turn, order: Order, rest: str) -> None:
    """The customer cannot accept a later date: the general manager decides."""
    await orders.customer_refuses(turn.ctx, turn.actor, order)
    _done(turn, order, "done.refused")


@order_command("usage.warehoused")
async def cmd_warehoused(turn: Turn, order: Order, rest: str) -> None:
    """Finished goods are packed and in the warehouse (完成入库)."""
    await orders.record_warehoused(turn.ctx, turn.actor, order)
    _done(turn, order, "done.warehoused")


@order_command("usage.shipnotice")
async def cmd_shipnotice(turn: Turn, order: Order, rest: str) -> None:
    """Issue the shipping notice to the warehouse and logistics: /shipnotice SO-… 12月18日."""
    day, warning = parse_field_value("due_date", rest, turn.ctx.now)
    if warning or day is None:
        turn.reply(Text("usage.shipnotice"), kind="error")
        return
    await orders.issue_shipping_notice(turn.ctx, turn.actor, order, day)
    _done(turn, order, "done.shipnotice", date=day.isoformat())


@order_command("usage.consent")
async def cmd_consent(turn: Turn, order: Order, rest: str) -> None:
    """Record the customer's consent to a short shipment, with what was agreed."""
    if not rest:
        turn.reply(Text("usage.consent"), kind="error")
        return
    await orders.record_consent(turn.ctx, turn.actor, order, rest)
    _done(turn, order, "done.consent")


@order_command("usage.ship")
async def cmd_ship(turn: Turn, order: Order, rest: str) -> None:
    """Record the shipment: /ship SO-… (all) or /ship SO-… 10台 (a short shipment)."""
    quantity = None
    if rest:
        quantity, warning = parse_field_value("quantity", rest, turn.ctx.now)
        if warning or quantity is None:
            _refuse_value(turn, warning, "usage.ship")
            return
    missing = await orders.ship(turn.ctx, turn.actor, order,
                                None if quantity is None else float(quantity))
    _done(turn, order, "done.ship_short" if missing > 0 else "done.ship",
          missing=f"{missing:g}")


@order_command("usage.close")
async def cmd_close(turn: Turn, order: Order, rest: str) -> None:
    """File the record and the customer's feedback: /close SO-… 客户满意."""
    if not rest:
        turn.reply(Text("usage.close"), kind="error")
        return
    await orders.close(turn.ctx, turn.actor, order, rest)
    _done(turn, order, "done.close")


@order_command("usage.hold")
async def cmd_hold(turn: Turn, order: Order, rest: str) -> None:
    """Put an order on hold, with the reason."""
    if not rest:
        turn.reply(Text("usage.hold"), kind="error")
        return
    await orders.hold(turn.ctx, turn.actor, order, rest)
    _done(turn, order, "done.hold")


@order_command("usage.resume")
async def cmd_resume(turn: Turn, order: Order, rest: str) -> None:
    """Take an order off hold."""
    await orders.resume(turn.ctx, turn.actor, order)
    _done(turn, order, "done.resume")


@order_command("usage.cancel")
async def cmd_cancel(turn: Turn, order: Order, rest: str) -> None:
    """Cancel an order, with the reason; its open tasks are cancelled."""
    if not rest:
        turn.reply(Text("usage.cancel"), kind="error")
        return
    count = await orders.cancel(turn.ctx, turn.actor, order, rest)
    _done(turn, order, "done.cancel", count=count)


@order_command("usage.status")
async def cmd_status(turn: Turn, order: Order, rest: str) -> None:
    """Show an order: its state, facts and tasks — to people with a role, in private or in a
    department's group; asked in any other group, the answer goes to the asker in private."""
    await answer_status(turn, order)


async def answer_status(turn: Turn, order: Order) -> None:
    """The order's state and tasks for a person with a role; asked in a group of no department,
    the answer goes to the asker in private."""
    if not turn.person.roles and not turn.actor.is_admin:
        raise DomainError(Text("status.no_role"))
    tasks = await turn.uow.tasks.for_order(order.id or 0)
    lines = [turn.t("status.title", number=order.number, customer=order.customer,
                    product=order.product, status=order.status.value,
                    due_date=order.due_date.isoformat())]
    lines += [_task_line(turn, "status.task_line", task) for task in tasks]
    if turn.is_private or turn.chat.department is not None:
        turn.reply("\n".join(lines), order=order.number)
    else:
        turn.reply_privately("\n".join(lines), order=order.number)


def _task_line(turn: Turn, key: str, task: Task, **params: Any) -> str:
    due = task.due_at.astimezone(turn.ctx.tz).strftime("%m-%d %H:%M") if task.due_at else "-"
    return turn.t(key, task=task.kind.value, role=task.role.value, title=task.title or "",
                  status=task.status.value, due=due, **params)


@order_command("usage.urge")
async def cmd_urge(turn: Turn, order: Order, rest: str) -> None:
    """Issue an urge slip by hand: /urge SO-… 装配落后两天，请加班赶工."""
    if not rest:
        turn.reply(Text("usage.urge"), kind="error")
        return
    slip = await urging.urge_by_hand(turn.ctx, turn.actor, order, rest)
    if slip.late:
        _done(turn, order, "done.urge", slip=slip.number)
        return
    turn.reply(Text("urge.nothing_late", {"number": order.number, "slip": slip.number,
                                          "role": Role.MANUFACTURING}),
               kind="urge", order=order.number, buttons=urging.slip_buttons(slip))


@order_command("usage.object")
async def cmd_object(turn: Turn, order: Order, rest: str) -> None:
    """Object to a planned due time: /object SO-… 采购 12-10 供应商排产满."""
    parts = rest.split(maxsplit=2)
    day, warning = (parse_field_value("due_date", parts[1], turn.ctx.now) if len(parts) > 1
                    else (None, None))
    if len(parts) < 3 or day is None or warning == "date_unreadable":
        turn.reply(Text("usage.object"), kind="error")
        return
    _task, to_gm = await orders.object_to(turn.ctx, turn.actor, order, parts[0], day, parts[2])
    _done(turn, order, "done.object_to_gm" if to_gm else "done.object", date=day.isoformat(),
          role=Role.MANUFACTURING)


_COUNTS = re.compile(r"^\s*(?P<source>\S+)\s+(?:(?P<item>.*?)\s+)?(?P<passed>\d+)\s*/\s*(?P<total>\d+)"
                     r"\s*(?P<defects>.*)$")


_FOUND_AT = re.compile(r"\s*(?:发现于?|found(?:\s+at)?)\s*(?P<hour>\d{1,2}):(?P<minute>\d{2})\s*$",
                       re.IGNORECASE)


@order_command("usage.inspect")
async def cmd_inspect(turn: Turn, order: Order, rest: str) -> None:
    """Record an inspection: /inspect SO-… 采购 断路器 47/50 外观不良 [发现 10:05]."""
    found = _FOUND_AT.search(rest)
    found_at = None
    if found:
        rest = rest[:found.start()]
        local_now = turn.ctx.now.astimezone(turn.ctx.tz)
        try:
            found_at = local_now.replace(hour=int(found["hour"]), minute=int(found["minute"]),
                                         second=0, microsecond=0)
        except ValueError:
            turn.reply(Text("usage.inspect"), kind="error")
            return
    match = _COUNTS.match(rest)
    if match is None:
        turn.reply(Text("usage.inspect"), kind="error")
        return
    defects = " ".join(part for part in (match["item"], match["defects"]) if part).strip()
    record = await quality.inspect(turn.ctx, turn.actor, order, match["source"],
                                   int(match["passed"]), int(match["total"]), defects, found_at)
    _done(turn, order, "done.inspect", rate=f"{record.rate:.1%}")


@order_command("usage.found")
async def cmd_found(turn: Turn, order: Order, rest: str) -> None:
    """Note a finding the moment it is found: /found SO-… 断路器外观划伤; its 20 minutes run."""
    task = await quality.note_finding(turn.ctx, turn.actor, order, clean_text(rest))
    _done(turn, order, "done.found", what=task.title,
          at=turn.ctx.now.astimezone(turn.ctx.tz).strftime("%H:%M"),
          due=task.due_at.astimezone(turn.ctx.tz).strftime("%H:%M") if task.due_at else "-")


@order_command("usage.ticket")
async def cmd_ticket(turn: Turn, order: Order, rest: str) -> None:
    """Open an after-sales ticket: /ticket SO-… 维修 2号柜断路器跳闸."""
    word, _, detail = rest.partition(" ")
    task = await orders.open_ticket(turn.ctx, turn.actor, order, word, detail.strip())
    _done(turn, order, "done.ticket", role=task.role.value,
          due=task.due_at.astimezone(turn.ctx.tz).strftime("%Y-%m-%d %H:%M")
          if task.due_at else "-")


_CONTACT_DUE = re.compile(
    r"\s*(?:截止|期限|by)\s*(?P<day>(?:\d{4}[-/])?\d{1,2}[-/月]\d{1,2}日?)?\s*"
    r"(?P<time>\d{1,2}:\d{2})?\s*$", re.IGNORECASE)


@order_command("usage.contact")
async def cmd_contact(turn: Turn, order: Order, rest: str) -> None:
    """A 跨部门工作联系单: /contact SO-… 技术中心 柜体尺寸与图纸不符 截止 12-02 16:00."""
    to_word, _, problem = rest.partition(" ")
    to = parse_role(to_word) if to_word else None
    due = _CONTACT_DUE.search(problem)
    due_at = None
    if due and (due["day"] or due["time"]):
        problem = problem[:due.start()]
        due_at = orders.plan_moment(due["day"], due["time"], turn.ctx)
        if due_at is None:
            to = None  # a date that is no date
    if to is None:
        turn.reply(Text("usage.contact"), kind="error")
        return
    number, task = await orders.issue_contact_slip(turn.ctx, turn.actor, order, to,
                                                   problem.strip(), due_at, turn.chat.id)
    _done(turn, order, "done.contact", slip=number, role=to.value,
          due=local_time(task.due_at, turn.ctx.tz) if task.due_at else "-")


@turn_handler
async def cmd_export(turn: Turn) -> None:
    """An order's whole record, or the orders received in a period, as a workbook."""
    if not turn.actor.is_admin:
        turn.actor.require(*ORDER_COMMAND_ROLES["export"])
    await reports.export(turn)


@turn_handler
async def cmd_tasks(turn: Turn) -> None:
    """Open tasks: a leader sees the department's, a member the roles they hold."""
    roles = list(turn.person.roles)
    if not turn.is_private and turn.chat.department is not None:
        roles = [turn.chat.department] if turn.chat.department in turn.person.roles else []
    if not roles:
        turn.reply(Text("tasks.no_role"), kind="error")
        return
    tasks = await turn.uow.tasks.open_for_roles(roles)
    if not tasks:
        turn.reply(Text("tasks.none"))
        return
    lines = [turn.t("tasks.title")]
    for task in tasks[:50]:
        order = await turn.uow.orders.get(task.order_id)
        lines.append(_task_line(turn, "tasks.line", task, number=order.number if order else "?"))
    turn.reply("\n".join(lines))


ORDER_COMMANDS: dict[str, Any] = {
    "quote": cmd_quote, "signed": cmd_signed, "paid": cmd_paid, "prodorder": cmd_prodorder,
    "plan": cmd_plan, "newdate": cmd_newdate, "refused": cmd_refused,
    "warehoused": cmd_warehoused, "shipnotice": cmd_shipnotice, "consent": cmd_consent,
    "ship": cmd_ship, "close": cmd_close, "hold": cmd_hold, "resume": cmd_resume,
    "cancel": cmd_cancel, "status": cmd_status, "urge": cmd_urge, "object": cmd_object,
    "inspect": cmd_inspect, "ticket": cmd_ticket, "export": cmd_export, "tasks": cmd_tasks,
    "contact": cmd_contact, "found": cmd_found,
}

# Who sees each command in /help.
ORDER_COMMAND_ROLES: dict[str, tuple[Role, ...]] = {
    "quote": (Role.MARKET,), "signed": (Role.MARKET,), "paid": (Role.MARKET, Role.FINANCE),
    "prodorder": (Role.MARKET,), "plan": (Role.MANUFACTURING,), "newdate": (Role.MARKET,),
    "refused": (Role.MARKET,), "warehoused": (Role.MANUFACTURING, Role.WAREHOUSE),
    "shipnotice": (Role.MARKET,), "consent": (Role.MARKET,), "ship": (Role.WAREHOUSE,),
    "close": (Role.MARKET,), "hold": (Role.MARKET, Role.GM), "resume": (Role.MARKET, Role.GM),
    "cancel": (Role.MARKET, Role.GM), "status": (), "urge": (Role.MARKET,),
    "object": (Role.TECH, Role.PROCUREMENT, Role.OEM, Role.MANUFACTURING, Role.QUALITY),
    "inspect": (Role.QUALITY,), "ticket": (Role.MARKET, Role.SERVICE),
    "export": (Role.MARKET, Role.GM), "tasks": (), "contact": tuple(Role),
    "found": (Role.QUALITY,),
}
