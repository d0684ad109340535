"""Orders coming in: /order, and free text read as what it is — a task report, an answer to
the bot, a draft's answer, a change, a question about an order, a new order, or talk."""

from __future__ import annotations

from handlers import next_steps, task_reports
from handlers.change_filing import file_change
from handlers.drafts import answer_draft_question, cancel_pending_draft, open_draft
from handlers.order_commands import answer_status
from handlers.reading import read_message
from handlers.turn import Turn, command_args, turn_handler
from workflow import intake, requests, services
from workflow.errors import DomainError
from workflow.model import Text
from workflow.parsing import ParseResult, order_template
from workflow.parsing.template import DEFAULT_KEYS as ORDER_KEYS
from workflow.roles import Role


def _require_order_chat(turn: Turn) -> None:
    """Orders are taken in the market group or a private chat, never in another department's."""
    turn.actor.require(Role.MARKET)
    if turn.is_private:
        return
    if turn.chat.department is None:
        raise DomainError(Text("error.group_unbound"))
    if turn.chat.department is not Role.MARKET:
        raise DomainError(Text("error.orders_in_market_group",
                               {"role": turn.chat.department.value}))


@turn_handler
async def cmd_order(turn: Turn) -> None:
    """Read an order from the command's text and show it for confirmation."""
    _require_order_chat(turn)
    text = command_args(turn)
    if not text:
        turn.reply(Text("order.usage"), kind="error")
        return
    services.refuse_oversized(text)
    result = read_message(turn, text)
    fields = intake.draft_fields(result)
    if not any(fields.get(name) for name in services.REQUIRED_FIELDS):
        turn.reply(Text("order.not_understood"), kind="error")
        return
    await open_draft(turn, result)


@turn_handler
async def on_text(turn: Turn) -> None:
    """Free text: a task report, the end of a draft, a change notice, an answer to the bot's
    question, an order typed as a sentence, or chatter. Each is handled as what it is: a
    waiting draft never swallows a message that is something else."""
    message = turn.update.effective_message
    text = (message.text or "").strip()
    replied = message.reply_to_message
    task_id = task_reports.replied_task(message)
    sent = (await turn.uow.outbox.sent_message(turn.chat.id, replied.message_id)
            if task_id is None and replied is not None else None)
    if sent is not None and sent.question is not None:
        await next_steps.answer(turn, sent.question, text)
        return
    if task_id is None and sent is not None:
        # A card whose task closed has lost its buttons: a reply to it still means that
        # task, and is told it was handled rather than that it was not understood.
        task_id = sent.task_id
    if task_id is not None:
        await task_reports.report(turn, task_id, text)
        return
    if services.is_cancel_word(text) and await cancel_pending_draft(turn):
        return
    addressed = turn.is_private or _addressed_to_bot(turn)
    can_order = turn.person.has_role(Role.MARKET) and (
        turn.is_private or turn.chat.department is Role.MARKET
    )
    if not can_order:
        if addressed:
            turn.reply(Text("error.not_understood"), kind="error")
        return
    result = read_message(turn, text)
    draft = await turn.uow.drafts.asking_in(turn.chat.id, turn.person.id)
    if draft is not None:
        # A correction after 修改 may restate the whole order; an answer never does.
        new_order = draft.asking != "edit" and intake.names_an_order(result)
    else:
        # One lone field in a busy group ("交期:12月25日") is talk about an order, not one.
        new_order = result.intent == "new_order" and (intake.stated(result) >= 2 or addressed)
    if len(text) > services.MAX_ORDER_CHARS:
        if addressed or new_order or result.intent == "change":
            services.refuse_oversized(text)
        return
    if result.intent == "change":
        await file_change(turn, result, text, Role.MARKET)
    elif result.intent in ("query", "cancel_request") and draft is None:
        await _about_an_order(turn, result, text, addressed)
    elif draft is not None and not new_order and (
            await answer_draft_question(turn, draft, text, result, addressed)):
        return
    elif new_order:
        await open_draft(turn, result)
    elif addressed:
        _not_understood(turn, result)


async def _about_an_order(turn: Turn, result: ParseResult, text: str, addressed: bool) -> None:
    """“华东电力那单到哪了” is answered with the order's status; “SO-… 这单作废” goes to market's
    leader to decide. An order named ambiguously is asked about; talk naming none is let be."""
    named = await requests.orders_named(turn.ctx, result.target or {})
    if len(named) != 1:
        if named or addressed:
            turn.reply(Text("order.which_one" if named else "order.none_named", {
                "numbers": ", ".join(o.number for o in named[:10])}), kind="error")
        return
    order = named[0]
    if result.intent == "query":
        await answer_status(turn, order)
        return
    deciders = await requests.request_cancel(turn.ctx, turn.actor, order, text)
    turn.reply(Text("cancel_request.asked", {"number": order.number,
                                             "people": await turn.ctx.names(deciders)}),
               order=order.number)


def _not_understood(turn: Turn, result: ParseResult) -> None:
    """Say what was read and what is missing, and hand back the /order line to complete."""
    template = order_template(result, {name: turn.t(f"order_key.{name}")
                                       for name in ORDER_KEYS})
    # An order names what is bought and one thing more; "下周见" or "今天中午吃什么" does not.
    if len(template.read) < 2 or not {"customer", "product"} & set(template.read):
        turn.reply(Text("error.not_understood"), kind="error")
        return
    turn.reply(Text("parsing.not_understood", {"read": template.read,
                                               "missing": template.missing,
                                               "template": template.text}), kind="error")


def _addressed_to_bot(turn: Turn) -> bool:
    message = turn.update.effective_message
    reply = message.reply_to_message
    if reply is not None and reply.from_user is not None and reply.from_user.id == turn.bot.id:
        return True
    return f"@{turn.bot.username}".lower() in (message.text or "").lower()
