"""Commands that move an order along the policy: /quote SO-… 42万, /signed SO-…, /plan SO-… …"""

from __future__ import annotations

import functools
import re
from collections.abc import Awaitable, Callable
from typing import Any

from handlers import reports
from handlers.turn import Turn, command_args, turn_handler
from workflow import archive, orders, quality, references, services, urging
from workflow.context import local_time
from workflow.errors import DomainError
from workflow.lifecycle import LEADER_ACTIONS
from workflow.model import AnswerTo, ButtonAnswer, ButtonSpec, Order, OrderStatus, Task, Text
from workflow.parsing import parse_field_value
from workflow.roles import Role, parse_role
from workflow.text import clean_text

OrderStep = Callable[[Turn, Order, str], Awaitable[None]]
# Each order command's step and usage by name, so a button can run the command it asked for.
_STEPS: dict[str, tuple[OrderStep, str, bool, bool]] = {}


# Answers the command otherwise than on one order (its text, the order replied about), if
# it can: True when it did.
Instead = Callable[[Turn, str, str | None], Awaitable[bool]]


def order_command(usage_key: str, *, words: bool = True, needs_words: bool = False,
                  instead: Instead | None = None,
                  archived_ok: bool = False) -> Callable[[OrderStep], Any]:
    """A command that names an order first, in any of the short forms `references` reads;
    `words` says it reads more after the order, `needs_words` that it cannot act without them
    (a reason, what was agreed); `instead` is tried first; `archived_ok` lets it read an
    archived order's record."""

    def wrap(step: OrderStep) -> Any:
        name = step.__name__.removeprefix("cmd_")
        if needs_words:
            step = _needing_words(step, usage_key)
        _STEPS[name] = (step, usage_key, words, archived_ok)

        async def handler(turn: Turn) -> None:
            text = command_args(turn)
            services.refuse_oversized(text, services.MAX_COMMAND_CHARS)
            replied = await replied_order(turn)
            if instead is not None and await instead(turn, text, replied):
                return
            await run_on_reference(turn, name, text, replied)

        handler.__name__ = step.__name__
        handler.__doc__ = step.__doc__
        wrapped = turn_handler(handler)
        # A button's step runs the command's own body on an order it already knows.
        wrapped.step = step  # type: ignore[attr-defined]
        return wrapped

    return wrap


def _needing_words(step: OrderStep, usage_key: str) -> OrderStep:
    # Wrapped around the step itself, so that a button running it is refused the same way.
    @functools.wraps(step)
    async def checked(turn: Turn, order: Order, rest: str) -> None:
        if not rest:
            turn.reply(_usage(turn, usage_key), kind="error")
            return
        await step(turn, order, rest)

    return checked


async def replied_order(turn: Turn) -> str | None:
    """The order the bot's message this one replies to was about."""
    message = turn.update.effective_message
    replied = message.reply_to_message if message is not None else None
    if replied is None or replied.from_user is None or replied.from_user.id != turn.bot.id:
        return None
    return await turn.uow.outbox.order_of_message(turn.chat.id, replied.message_id)


async def run_on_reference(turn: Turn, name: str, text: str, replied: str | None) -> None:
    """Run the command on the order its text means, or ask which when it may mean several."""
    step, usage_key, words, archived_ok = _STEPS[name]
    try:
        found = await references.resolve(turn.ctx, turn.actor, text, replied=replied,
                                         takes_words=words, archived_ok=archived_ok)
    except DomainError as refusal:
        turn.refuse(refusal.text, _usage(turn, usage_key))
        return
    if len(found.orders) == 1:
        await step(turn, found.orders[0], found.rest)
        return
    asked = turn.update.effective_message.message_id
    await references.ask_which(turn.ctx, turn.actor, _question(turn.chat.id, asked), name,
                               found)
    lines = [turn.t("reference.which" if found.reference else "reference.which_mine",
                    reference=found.reference, count=len(found.orders))]
    if found.more:
        lines.append(turn.t("reference.more", limit=references.PICK_LIMIT))
    turn.reply("\n".join(lines), buttons=tuple(
        (ButtonSpec(_order_label(order),
                    ButtonAnswer(AnswerTo.ORDER_PICK, order.id or 0, "go", f"m{asked}")),)
        for order in found.orders))


def _question(chat_id: int, message_id: int) -> str:
    return f"{chat_id}:{message_id}"


def _order_label(order: Order) -> Text:
    return Text("reference.button", {"number": order.number, "customer": order.customer,
                                     "product": order.product})


async def run_picked(turn: Turn, order: Order, asked: int, shown: str) -> None:
    """A button under "which order?" (the message `shown`) runs the command that asked, on
    the order pressed; the question loses its buttons."""
    name, rest = await references.take_pick(turn.ctx, turn.actor,
                                            _question(turn.chat.id, asked), order)
    turn.edit_pressed(shown + "\n\n" + turn.t("reference.picked_mark", number=order.number),
                      order=order.number)
    await _STEPS[name][0](turn, order, rest)


async def _done(turn: Turn, order: Order, key: str, **params: Any) -> None:
    """Say what was recorded, with the buttons for what this person may do next."""
    turn.reply(Text(key, {"number": order.number, "status": order.status.value, **params}),
               order=order.number,
               buttons=await orders.step_buttons(turn.ctx, order, turn.person.roles))


def _usage(turn: Turn, key: str) -> Text:
    """How to write the command; to someone replying to a button's question, what to reply."""
    return Text(key.replace("usage.", "reply_usage.", 1) if turn.answering else key)


@order_command("usage.quote")
async def cmd_quote(turn: Turn, order: Order, rest: str) -> None:
    """Record the quote sent to the customer: /quote SO-… 42万."""
    amount, warning = parse_field_value("amount", rest, turn.ctx.now)
    if warning or amount is None:
        _refuse_value(turn, warning, "usage.quote")
        return
    replaced = await orders.record_quote(turn.ctx, turn.actor, order, float(amount))
    if replaced is None:
        await _done(turn, order, "done.quote", amount=f"{float(amount):,.0f}")
    else:
        await _done(turn, order, "done.quote_corrected", amount=f"{float(amount):,.0f}",
              before=f"{float(replaced):,.0f}")


def _refuse_value(turn: Turn, warning: str | None, usage_key: str) -> None:
    """What was wrong with the value, then how to write the command."""
    turn.refuse(*([Text(f"warning.{warning}")] if warning else []), _usage(turn, usage_key))


@order_command("usage.signed", words=False)
async def cmd_signed(turn: Turn, order: Order, rest: str) -> None:
    """Record that the customer signed the contract."""
    effective = await orders.record_contract_fact(turn.ctx, turn.actor, order, "signed")
    await _done(turn, order, "done.effective" if effective else "done.signed")


@order_command("usage.paid", words=False)
async def cmd_paid(turn: Turn, order: Order, rest: str) -> None:
    """Record the customer's payment: before production it makes the contract effective;
    before shipping, finance confirms it has arrived."""
    if order.status is not OrderStatus.CONTRACT:
        await orders.confirm_payment(turn.ctx, turn.actor, order)
        await _done(turn, order, "done.payment_confirmed")
        return
    effective = await orders.record_contract_fact(turn.ctx, turn.actor, order, "paid")
    await _done(turn, order, "done.effective" if effective else "done.paid")


@order_command("usage.prodorder", words=False)
async def cmd_prodorder(turn: Turn, order: Order, rest: str) -> None:
    """Issue the production order (生产指令) to the manufacturing center."""
    task = await orders.issue_production_order(turn.ctx, turn.actor, order)
    await _done(turn, order, "done.prodorder",
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
        turn.reply(_usage(turn, "usage.plan_revise" if in_production else "usage.plan"),
                   kind="error")
        return
    if order.status is OrderStatus.PRODUCTION:
        revision = await orders.revise_plan(turn.ctx, turn.actor, order, plan)
        await _done(turn, order, "done.plan_revised", added=revision.added, removed=revision.removed,
              moved=revision.moved)
        return
    tasks = await orders.submit_plan(turn.ctx, turn.actor, order, plan)
    await _done(turn, order, "done.plan", count=len(tasks))


@order_command("usage.newdate")
async def cmd_newdate(turn: Turn, order: Order, rest: str) -> None:
    """The customer agreed a later date: /newdate SO-… 1月10日; the departments review again."""
    due, warning = parse_field_value("due_date", rest, turn.ctx.now)
    if warning or due is None:
        turn.reply(Text("usage.newdate"), kind="error")
        return
    await orders.propose_date(turn.ctx, turn.actor, order, due)
    await _done(turn, order, "done.newdate", date=due.isoformat())


@order_command("usage.refused", words=False)
async def cmd_refused(turn: Turn, order: Order, rest: str) -> None:
    """The customer cannot accept a later date: the general manager decides."""
    await orders.customer_refuses(turn.ctx, turn.actor, order)
    await _done(turn, order, "done.refused")


@order_command("usage.warehoused", words=False)
async def cmd_warehoused(turn: Turn, order: Order, rest: str) -> None:
    """Finished goods are packed and in the warehouse (完成入库)."""
    await orders.record_warehoused(turn.ctx, turn.actor, order)
    await _done(turn, order, "done.warehoused")


@order_command("usage.shipnotice")
async def cmd_shipnotice(turn: Turn, order: Order, rest: str) -> None:
    """Issue the shipping notice to the warehouse and logistics: /shipnotice SO-… 12月18日."""
    day, warning = parse_field_value("due_date", rest, turn.ctx.now)
    if warning or day is None:
        turn.reply(_usage(turn, "usage.shipnotice"), kind="error")
        return
    await orders.issue_shipping_notice(turn.ctx, turn.actor, order, day)
    await _done(turn, order, "done.shipnotice", date=day.isoformat())


@order_command("usage.consent", needs_words=True)
async def cmd_consent(turn: Turn, order: Order, rest: str) -> None:
    """Record the customer's consent to a short shipment, with what was agreed."""
    await orders.record_consent(turn.ctx, turn.actor, order, rest)
    await _done(turn, order, "done.consent")


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
    await _done(turn, order, "done.ship_short" if missing > 0 else "done.ship",
                missing=f"{missing:g}", unit=order.unit or "")


@order_command("usage.close", needs_words=True)
async def cmd_close(turn: Turn, order: Order, rest: str) -> None:
    """File the record and the customer's feedback: /close SO-… 客户满意."""
    await orders.close(turn.ctx, turn.actor, order, rest)
    await _done(turn, order, "done.close")


@order_command("usage.hold", needs_words=True)
async def cmd_hold(turn: Turn, order: Order, rest: str) -> None:
    """Put an order on hold, with the reason."""
    await orders.hold(turn.ctx, turn.actor, order, rest)
    await _done(turn, order, "done.hold")


@order_command("usage.resume", words=False)
async def cmd_resume(turn: Turn, order: Order, rest: str) -> None:
    """Take an order off hold."""
    await orders.resume(turn.ctx, turn.actor, order)
    await _done(turn, order, "done.resume")


@order_command("usage.cancel", needs_words=True)
async def cmd_cancel(turn: Turn, order: Order, rest: str) -> None:
    """Cancel an order, with the reason; its open tasks are cancelled."""
    count = await orders.cancel(turn.ctx, turn.actor, order, rest)
    await _done(turn, order, "done.cancel", count=count)


async def list_orders(turn: Turn) -> None:
    """Open orders, newest first, with their state and next deadline and a button each for
    the status card: a department's when asked in its group, else the person's own."""
    department = None if turn.is_private else turn.chat.department
    if department is not None and (turn.person.has_role(department) or turn.actor.is_admin):
        scope = references.department_scope(department)
    else:
        scope = references.person_scope(turn.person, turn.actor.is_admin)
    if scope is None:
        raise DomainError(Text("status.no_role"))
    found = await references.open_orders(turn.ctx, scope, references.LIST_LIMIT + 1)
    shown = found[:references.LIST_LIMIT]
    private = not turn.is_private and turn.chat.department is None
    if not shown:
        (turn.reply_privately if private else turn.reply)(Text("orders.none"))
        return
    due = references.next_deadlines(
        await turn.uow.reports.tasks_of_orders([o.id or 0 for o in shown]))
    lines = [turn.t("orders.title", count=len(shown))]
    lines += [turn.t("orders.line", number=o.number, customer=o.customer, product=o.product,
                     status=o.status.value,
                     due=local_time(due[o.id or 0], turn.ctx.tz) if o.id in due
                     else turn.t("orders.no_deadline"))
              for o in shown]
    if len(found) > len(shown):
        lines.append(turn.t("orders.more", limit=references.LIST_LIMIT))
    buttons = tuple(
        (ButtonSpec(_order_label(o), ButtonAnswer(AnswerTo.ORDER_PICK, o.id or 0, "status")),)
        for o in shown)
    if private:
        turn.reply_privately("\n".join(lines), buttons=buttons)
    else:
        turn.reply("\n".join(lines), buttons=buttons)


@turn_handler
async def cmd_orders(turn: Turn) -> None:
    """List the open orders of this person, or of this department in its group."""
    await list_orders(turn)


async def _list_when_bare(turn: Turn, text: str, replied: str | None) -> bool:
    """/status with nothing, replying to nothing, lists the orders to pick from."""
    if text or replied is not None:
        return False
    await list_orders(turn)
    return True


@order_command("usage.status", words=False, instead=_list_when_bare)
async def cmd_status(turn: Turn, order: Order, rest: str) -> None:
    """Show an order: its state, facts and tasks — to people with a role, in private or in a
    department's group; asked in any other group, the answer goes to the asker in private."""
    await answer_status(turn, order)


async def answer_status(turn: Turn, order: Order) -> None:
    """The order's state and tasks for a person with a role; asked in a group of no department,
    the answer goes to the asker in private."""
    require_reader(turn)
    answer_reader(turn, "\n".join(await _order_lines(turn, order)), order.number,
                  buttons=await orders.step_buttons(turn.ctx, order, turn.person.roles))


def require_reader(turn: Turn) -> None:
    if not turn.person.roles and not turn.actor.is_admin:
        raise DomainError(Text("status.no_role"))


def answer_reader(turn: Turn, text: str, number: str | None,
                  buttons: tuple[tuple[ButtonSpec, ...], ...] = ()) -> None:
    """In private or a department's group, there; in any other group, to the asker alone."""
    if turn.is_private or turn.chat.department is not None:
        turn.reply(text, order=number, buttons=buttons)
    else:
        turn.reply_privately(text, order=number, buttons=buttons)


async def _order_lines(turn: Turn, order: Order) -> list[str]:
    tasks = await turn.uow.tasks.for_order(order.id or 0)
    lines = [turn.t("status.title", number=order.number, customer=order.customer,
                    product=order.product, status=order.status.value,
                    due_date=order.due_date.isoformat())]
    return lines + [_task_line(turn, "status.task_line", task) for task in tasks]


@turn_handler
async def cmd_find(turn: Turn) -> None:
    """Find orders, archived ones too: /find 华东电力, /find SO-2026…, /find 开关柜 2026-11."""
    require_reader(turn)
    text = command_args(turn)
    try:
        found = await archive.find(turn.ctx, text)
    except DomainError as refusal:
        turn.refuse(refusal.text, Text("usage.find"))
        return
    if not found.orders:
        turn.refuse(Text("find.none", {"text": text}), Text("usage.find"))
        return
    if found.total == 1:
        order = found.orders[0]
        lines = await _order_lines(turn, order)
        lines.append(_kept_line(turn, order))
        lines.append(turn.t("find.record", number=order.number))
        answer_reader(turn, "\n".join(lines), order.number)
        return
    lines = [turn.t("find.title", count=found.total, shown=len(found.orders))]
    lines += [turn.t("find.line", number=o.number, customer=o.customer, product=o.product,
                     status=o.status.value, received=local_time(o.created_at, turn.ctx.tz)[:10],
                     kept=_kept_line(turn, o)) for o in found.orders]
    if found.total > len(found.orders):
        lines.append(turn.t("find.more", hidden=found.total - len(found.orders)))
    answer_reader(turn, "\n".join(lines), None)


def _kept_line(turn: Turn, order: Order) -> str:
    if order.archived_at is None:
        return turn.t("find.live")
    return turn.t("find.archived", at=local_time(order.archived_at, turn.ctx.tz)[:10])


def _task_line(turn: Turn, key: str, task: Task, **params: Any) -> str:
    due = task.due_at.astimezone(turn.ctx.tz).strftime("%m-%d %H:%M") if task.due_at else "-"
    return turn.t(key, task=task.kind.value, role=task.role.value, title=task.title or "",
                  status=task.status.value, due=due, **params)


@order_command("usage.urge", needs_words=True)
async def cmd_urge(turn: Turn, order: Order, rest: str) -> None:
    """Issue an urge slip by hand: /urge SO-… 装配落后两天，请加班赶工."""
    slip = await urging.urge_by_hand(turn.ctx, turn.actor, order, rest)
    if slip.late:
        await _done(turn, order, "done.urge", slip=slip.number)
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
    await _done(turn, order, "done.object_to_gm" if to_gm else "done.object", date=day.isoformat(),
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
    await _done(turn, order, "done.inspect", rate=f"{record.rate:.1%}")


@order_command("usage.found")
async def cmd_found(turn: Turn, order: Order, rest: str) -> None:
    """Note a finding the moment it is found: /found SO-… 断路器外观划伤; its 20 minutes run."""
    task = await quality.note_finding(turn.ctx, turn.actor, order, clean_text(rest))
    await _done(turn, order, "done.found", what=task.title,
          at=turn.ctx.now.astimezone(turn.ctx.tz).strftime("%H:%M"),
          due=task.due_at.astimezone(turn.ctx.tz).strftime("%H:%M") if task.due_at else "-")


@order_command("usage.ticket")
async def cmd_ticket(turn: Turn, order: Order, rest: str) -> None:
    """Open an after-sales ticket: /ticket SO-… 维修 2号柜断路器跳闸."""
    word, _, detail = rest.partition(" ")
    task = await orders.open_ticket(turn.ctx, turn.actor, order, word, detail.strip())
    await _done(turn, order, "done.ticket", role=task.role.value,
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
    await _done(turn, order, "done.contact", slip=number, role=to.value,
          due=local_time(task.due_at, turn.ctx.tz) if task.due_at else "-")


def _may_export(turn: Turn) -> None:
    if not turn.actor.is_admin:
        turn.actor.require(*ORDER_COMMAND_ROLES["export"])


async def _export_period(turn: Turn, text: str, replied: str | None) -> bool:
    """/export 本月 (or any period): the orders received in it."""
    _may_export(turn)
    return not orders.ORDER_NUMBER.search(text) and await reports.export_period(turn, text)


@order_command("usage.export", words=False, instead=_export_period, archived_ok=True)
async def cmd_export(turn: Turn, order: Order, rest: str) -> None:
    """An order's whole record, or the orders received in a period, as a workbook."""
    _may_export(turn)
    await reports.export_order(turn, order)


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
    "contact": cmd_contact, "found": cmd_found, "orders": cmd_orders, "find": cmd_find,
}

# Commands the lifecycle leaves to the leaders of their roles (`leader_only`).
LEADER_COMMANDS = frozenset(action.value for action in LEADER_ACTIONS)

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
    "found": (Role.QUALITY,), "orders": (), "find": (),
}
