"""Inline buttons: the answer a pressed button's code stands for, mapped to service calls."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable

from handlers import next_steps, order_commands
from handlers.answer_codes import decode
from handlers.drafts import cancel_draft_button
from handlers.render import render
from handlers.turn import Turn, turn_handler
from workflow import changes, credit, escalation, orders, requests, services, urging
from workflow.errors import DomainError
from workflow.model import AnswerTo, ButtonAnswer, ButtonSpec, Order, Text

_LEVEL = re.compile(r"^l[123](?:_[a-z_]+)?$")


@turn_handler
async def on_button(turn: Turn) -> None:
    """Dispatch a pressed button to the service it stands for."""
    answer = decode(turn.update.callback_query.data or "")
    if answer is None:
        raise DomainError(Text("error.stale_button"))
    try:
        await _ANSWERED[answer.to](turn, answer.id, answer.choice, answer.detail)
    except orders.Outdated as outdated:
        turn.edit_pressed(_pressed_text(turn) + "\n\n" + render(outdated.text, turn.locale),
                          kind="task", buttons=outdated.buttons)


def _pressed_text(turn: Turn) -> str:
    message = turn.update.callback_query.message
    return (getattr(message, "text", None) or "") if message else ""


def _marked(turn: Turn, key: str, **params: object) -> str:
    """The pressed message's text with a line saying what the press did."""
    return _pressed_text(turn) + "\n\n" + turn.t(key, **params)


def _mark_task(turn: Turn, order: Order, key: str, **params: object) -> None:
    """The pressed task card says who answered it and how, and keeps no buttons."""
    turn.edit_pressed(_marked(turn, key, who=turn.person.name, **params),
                      kind="task", order=order.number)


def _either(choice: str, first: str, second: str) -> bool:
    """Whether a two-way button's first answer was pressed; any other is a stale button."""
    if choice not in (first, second):
        raise DomainError(Text("error.stale_button"))
    return choice == first


async def _on_step(turn: Turn, order_id: int, choice: str, _arg: str | None) -> None:
    """A next step of the order; a card of steps alone gives its buttons to the answer, which
    carries the steps that hold now (the card's would only say they no longer apply)."""
    taken = await next_steps.on_step(turn, order_id, choice)
    markup = getattr(turn.update.callback_query.message, "reply_markup", None) if taken else None
    if markup is not None and all(_is_step(b.callback_data or "")
                                  for row in markup.inline_keyboard for b in row):
        turn.edit_pressed(_pressed_text(turn), markup_only=True)


def _is_step(code: str) -> bool:
    return (answer := decode(code)) is not None and answer.to is AnswerTo.NEXT_STEP


async def _on_draft(turn: Turn, draft_id: int, choice: str, version: str | None) -> None:
    """The buttons of a draft's card act on that draft only, and 确认 on the card's own
    version of it: a card shown before a correction cannot register the corrected order."""
    if choice in ("ok", "force"):
        result = await services.confirm_draft(turn.ctx, turn.actor, draft_id,
                                              despite_duplicate=choice == "force",
                                              version=version)
        if isinstance(result, services.PossibleDuplicate):
            numbers = ", ".join(o.number for o in result.earlier)
            again = ButtonAnswer(AnswerTo.DRAFT, draft_id, "force", version)
            turn.edit_pressed(
                _marked(turn, "order.duplicate", numbers=numbers),
                buttons=((ButtonSpec(Text("button.register_anyway"), again),
                          cancel_draft_button(draft_id)),),
            )
            return
        order = result.order
        if turn.runtime.lexicon is not None:
            turn.runtime.lexicon.learn(order.customer, order.product)
        turn.edit_pressed(_marked(turn, "order.confirmed_mark",
                                                                number=order.number),
                          order=order.number)
        notified = [t.role.value for t in result.reviews if t.role not in result.unbound_roles]
        if notified:
            turn.reply(Text("order.registered", {"number": order.number, "roles": notified}),
                       order=order.number)
        else:
            turn.reply(Text("order.registered_quietly", {"number": order.number}),
                       order=order.number)
    elif choice == "edit":
        await services.ask_for_edit(turn.ctx, turn.actor, draft_id)
        turn.reply(Text("order.edit_prompt"), buttons=((cancel_draft_button(draft_id),),))
    elif choice == "no":
        await services.cancel_draft(turn.ctx, turn.actor, draft_id)
        turn.edit_pressed(_marked(turn, "order.cancelled_mark"))
    else:
        raise DomainError(Text("error.stale_button"))


async def _on_review(turn: Turn, task_id: int, choice: str, reason: str | None) -> None:
    if choice == "no" and reason == "other":
        # The card goes back to 可行 / 不可行 so that a question left unanswered blocks nothing.
        task, order = await orders.review_to_answer(turn.ctx, turn.actor, task_id)
        next_steps.ask_review_reason(turn, task_id, order.number)
        turn.edit_pressed(_pressed_text(turn), kind="task", markup_only=True,
                          buttons=escalation.task_buttons(task))
    elif choice == "ok" or (choice == "no" and reason):
        _task, order = await orders.answer_review(turn.ctx, turn.actor, task_id, choice == "ok",
                                                  reason)
        mark = Text("review.mark_feasible" if choice == "ok" else "review.mark_infeasible",
                    {"who": turn.person.name, "reason": reason or ""})
        turn.edit_pressed(_pressed_text(turn) + "\n\n" + render(mark, turn.locale),
                          kind="task", order=order.number)
    elif choice == "no":
        await orders.review_to_answer(turn.ctx, turn.actor, task_id)
        turn.edit_pressed(_pressed_text(turn), kind="task", markup_only=True, buttons=tuple(
            (ButtonSpec(Text(f"reason.{r}"), ButtonAnswer(AnswerTo.REVIEW, task_id, "no", r)),)
            for r in orders.INFEASIBLE_REASONS
        ) + ((ButtonSpec(Text("button.back"), ButtonAnswer(AnswerTo.REVIEW, task_id, "back")),),))
    elif choice == "back":
        turn.edit_pressed(_pressed_text(turn), kind="task", markup_only=True,
                          buttons=escalation.review_buttons(task_id))
    else:
        raise DomainError(Text("error.stale_button"))


async def _on_task(turn: Turn, task_id: int, choice: str, _arg: str | None) -> None:
    """One tap from a phone: 收到 (acknowledge), 完成 (done), or 未发出 on a dispatch day."""
    if choice == "ack":
        task, order = await orders.acknowledge(turn.ctx, turn.actor, task_id)
        # The keyboard stays on the message so that a reply to it still names the task.
        turn.edit_pressed(
            _marked(turn, "task.mark_ack", who=turn.person.name),
            kind="task", order=order.number, buttons=escalation.task_buttons(task))
    elif choice == "snooze":
        task, order = await orders.task_for(turn.ctx, task_id)
        turn.actor.require(task.role)
        again = await escalation.snooze(turn.ctx, task)
        turn.edit_pressed(
            _marked(turn, "task.mark_snoozed", who=turn.person.name,
                    at=again.astimezone(turn.ctx.tz).strftime("%H:%M")),
            kind="reminder", order=order.number,
            buttons=escalation.task_buttons(task, snooze=True))
    elif choice == "done":
        task, order = await orders.finish(turn.ctx, turn.actor, task_id)
        # The last task done may open the next step (已入库): it comes on the same card.
        turn.edit_pressed(
            _marked(turn, "task.mark_done", who=turn.person.name),
            kind="task", order=order.number,
            buttons=await orders.step_buttons(turn.ctx, order, turn.person.roles))
    elif choice == "late":
        task, order = await orders.not_dispatched(turn.ctx, turn.actor, task_id)
        _mark_task(turn, order, "task.mark_not_dispatched")
    else:
        raise DomainError(Text("error.stale_button"))


async def _on_decision(turn: Turn, task_id: int, choice: str, _arg: str | None) -> None:
    """The general manager declines the order or sends it back to negotiation."""
    decline = _either(choice, "decline", "keep")
    _task, order = await orders.task_for(turn.ctx, task_id)
    await orders.decide(turn.ctx, turn.actor, order, decline=decline)
    _mark_task(turn, order, "decision.mark_declined" if decline else "decision.mark_keep")


async def _on_urge(turn: Turn, slip_id: int, choice: str, _arg: str | None) -> None:
    """Market sends the drafted urge slip on, or drops it."""
    send = _either(choice, "send", "drop")
    slip = await urging.settle(turn.ctx, turn.actor, slip_id, send=send)
    key = "urge.mark_sent" if send else "urge.mark_dropped"
    turn.edit_pressed(_marked(turn, key, who=turn.person.name, slip=slip.number), kind="urge")


async def _on_change_draft(turn: Turn, notice_id: int, choice: str, arg: str | None) -> None:
    """Market picks the order a change names, then its level; or drops the notice."""
    if choice == "pick" and arg and arg.startswith("o") and arg[1:].isdigit():
        notice = await changes.pick_order(turn.ctx, turn.actor, notice_id, int(arg[1:]))
        order = await turn.uow.orders.get(notice.order_id or 0)
        turn.edit_pressed(render(changes.draft_card(turn.ctx, notice, order), turn.locale),
                          buttons=changes.level_buttons(notice))
    elif choice == "level" and arg and _LEVEL.match(arg):
        level, reason = int(arg[1]), arg[3:] or None
        draft = await changes.own_draft(turn.ctx, turn.actor, notice_id)
        if reason is None and changes.reasons_to_lower(draft, level):
            # Below the bot's own reading of the change: the filer says why, by one tap.
            turn.reply(Text("change.reason_required", {
                "level": level, "suggested": draft.facts.get("suggested", draft.level)}))
            turn.edit_pressed(_pressed_text(turn), markup_only=True,
                              buttons=changes.reason_buttons(draft, level))
            return
        notice, order = await changes.issue(turn.ctx, turn.actor, notice_id, level, reason)
        mark = "change.tech_issued_mark" if changes.is_technical(notice) else "change.issued_mark"
        turn.edit_pressed(_marked(turn, mark, change=notice.number, level=notice.level),
                          order=order.number)
    elif choice == "back":
        draft = await changes.own_draft(turn.ctx, turn.actor, notice_id)
        turn.edit_pressed(_pressed_text(turn), markup_only=True,
                          buttons=changes.level_buttons(draft))
    elif choice == "no":
        await changes.cancel(turn.ctx, turn.actor, notice_id)
        turn.edit_pressed(_marked(turn, "change.cancelled_mark"))
    else:
        raise DomainError(Text("error.stale_button"))


async def _on_change_answer(turn: Turn, task_id: int, choice: str, arg: str | None) -> None:
    """Tech or manufacturing confirms the level its card shows, or raises it."""
    level = int(arg[1]) if arg in ("l1", "l2", "l3") else None
    if choice == "ok" and (arg is None or level is not None):
        raise_to, shown = None, level
    elif choice == "raise" and level in (2, 3):
        raise_to, shown = level, None
    else:
        raise DomainError(Text("error.stale_button"))
    notice, order, _done = await changes.answer(turn.ctx, turn.actor, task_id, raise_to, shown)
    _mark_task(turn, order, "change.mark_answer", level=notice.level)


async def _on_objection(turn: Turn, task_id: int, choice: str, _arg: str | None) -> None:
    """The planner (or the general manager) settles an objection to a due time."""
    if choice not in ("accept", "gm", "keep"):
        raise DomainError(Text("error.stale_button"))
    _task, order = await orders.settle_objection(turn.ctx, turn.actor, task_id, choice)
    _mark_task(turn, order, f"objection.mark_{choice}")


async def _on_cancel_request(turn: Turn, order_id: int, choice: str, _arg: str | None) -> None:
    """Market's leader (or the general manager) cancels the order a rep asked to, or keeps it."""
    cancel = _either(choice, "yes", "no")
    order = await requests.settle_cancel_request(turn.ctx, turn.actor, order_id, cancel)
    _mark_task(turn, order,
               "cancel_request.mark_cancelled" if cancel else "cancel_request.mark_kept")


async def _on_order(turn: Turn, order_id: int, choice: str, arg: str | None) -> None:
    """A listed order's status card, or the order picked for a command that named several."""
    order = await turn.uow.orders.get(order_id)
    if order is None:
        raise DomainError(Text("error.order_not_found"))
    if choice == "status":
        await order_commands.answer_status(turn, order)
    elif choice == "go" and arg and arg.startswith("m") and arg[1:].isdigit():
        await order_commands.run_picked(turn, order, int(arg[1:]), _pressed_text(turn))
    else:
        raise DomainError(Text("error.stale_button"))


async def _on_credit_review(turn: Turn, task_id: int, choice: str, _arg: str | None) -> None:
    """Finance approves an order over the customer's limit, or refers it to the GM."""
    approve = _either(choice, "ok", "gm")
    order = await credit.review(turn.ctx, turn.actor, task_id, approve=approve)
    _mark_task(turn, order, "credit.mark_approved" if approve else "credit.mark_referred")


async def _on_credit_decision(turn: Turn, task_id: int, choice: str, _arg: str | None) -> None:
    """The general manager takes on a credit-risk order or declines it."""
    accept = _either(choice, "accept", "decline")
    order = await credit.decide(turn.ctx, turn.actor, task_id, accept=accept,
                                reason=turn.t("credit.declined_reason"))
    _mark_task(turn, order, "credit.mark_accepted" if accept else "credit.mark_declined")


_ANSWERED: dict[AnswerTo, Callable[[Turn, int, str, str | None], Awaitable[None]]] = {
    AnswerTo.DRAFT: _on_draft, AnswerTo.REVIEW: _on_review, AnswerTo.TASK: _on_task,
    AnswerTo.GM_DECISION: _on_decision, AnswerTo.URGE_SLIP: _on_urge,
    AnswerTo.CHANGE_NOTICE: _on_change_draft, AnswerTo.CHANGE_ANSWER: _on_change_answer,
    AnswerTo.OBJECTION: _on_objection, AnswerTo.CANCEL_REQUEST: _on_cancel_request,
    AnswerTo.ORDER_PICK: _on_order, AnswerTo.NEXT_STEP: _on_step,
    AnswerTo.CREDIT_REVIEW: _on_credit_review, AnswerTo.CREDIT_DECISION: _on_credit_decision,
}
