"""Next steps as buttons: a tap takes the step, or asks in a reply for what it needs (an
amount, a date, a quantity, a note, the plan), which the typed command's own body reads."""

from __future__ import annotations

from handlers.answer_codes import decode
from handlers.order_commands import ORDER_COMMANDS
from handlers.render import render
from handlers.turn import Turn
from workflow import orders
from workflow.errors import DomainError
from workflow.model import AnswerTo, ButtonAnswer, Order, Text
from workflow.next_steps import ASKS, Step, step_answer

# The typed command whose body takes each step; 未到账 has no command.
COMMAND_OF = {Step.QUOTE: "quote", Step.SIGNED: "signed", Step.PAID: "paid",
              Step.PRODORDER: "prodorder", Step.PLAN: "plan", Step.WAREHOUSED: "warehoused",
              Step.PAYMENT: "paid", Step.SHIPNOTICE: "shipnotice", Step.SHIP: "ship",
              Step.SHIPPART: "ship", Step.CLOSE: "close"}

def _step(choice: str) -> Step:
    try:
        return Step(choice)
    except ValueError:
        raise DomainError(Text("error.stale_button")) from None


async def _order(turn: Turn, order_id: int) -> Order:
    order = await turn.uow.orders.get(order_id)
    if order is None:
        raise DomainError(Text("error.stale_button"))
    return order


def _mention(turn: Turn) -> str:
    """Telegram opens the reply box only for the person a question names by @username."""
    return f"@{turn.person.username}" if turn.person.username else turn.person.name


async def on_step(turn: Turn, order_id: int, choice: str) -> bool:
    """A next step's button: taken at once (True), or its question asked."""
    step, order = _step(choice), await _order(turn, order_id)
    await orders.require_step(turn.ctx, turn.actor, order, step)
    if step in ASKS:
        turn.ask(Text(f"ask.{step.value}", {"number": order.number, "who": _mention(turn)}),
                 step_answer(order.id or 0, step), order=order.number)
        return False
    await take(turn, order, step, "")
    return True


async def take(turn: Turn, order: Order, step: Step, value: str) -> None:
    if step is Step.UNPAID:
        await orders.payment_missing(turn.ctx, turn.actor, order)
        turn.reply(Text("done.unpaid", {"number": order.number}), order=order.number)
        return
    await ORDER_COMMANDS[COMMAND_OF[step]].step(turn, order, value)


def ask_review_reason(turn: Turn, task_id: int, number: str) -> None:
    """其他原因: the reviewer says which, in a reply."""
    turn.ask(Text("ask.review_other", {"number": number, "who": _mention(turn)}),
             ButtonAnswer(AnswerTo.REVIEW, task_id, "no", "other"), order=number)


async def answer(turn: Turn, question: str, text: str) -> None:
    """A reply to a question a button asked: read as the typed command would read it."""
    asked = decode(question)
    if asked is None or asked.to not in (AnswerTo.REVIEW, AnswerTo.NEXT_STEP):
        raise DomainError(Text("error.stale_button"))
    turn.answering = True
    if asked.to is AnswerTo.REVIEW:
        task, order = await orders.answer_review(turn.ctx, turn.actor, asked.id, False,
                                                 "other", detail=text.strip())
        turn.reply(Text("review.infeasible_recorded", {
            "number": order.number, "role": task.role, "detail": text.strip(),
            "who": turn.person.name}), order=order.number)
        return
    step, order = _step(asked.choice), await _order(turn, asked.id)
    try:
        await orders.require_step(turn.ctx, turn.actor, order, step)
    except orders.Outdated as outdated:
        turn.reply(render(outdated.text, turn.locale), kind="error", order=order.number,
                   buttons=outdated.buttons)
        return
    await take(turn, order, step, text.strip())

