"""Owners report on a task by replying to the bot's message about it, from a phone: progress,
a finish with what it counted, or a late delivery; as text, as a command, or with a photo.

The task is named by the buttons still on the replied-to message, so nobody types a number.
"""

from __future__ import annotations

import re
from dataclasses import replace

from telegram import Message

from handlers.answer_codes import decode
from handlers.turn import Turn, turn_handler
from workflow import orders
from workflow.model import AnswerTo, TaskKind, Text
from workflow.parsing.task_reports import read_report

# The cards a reply reports on. A credit verdict is given by its buttons only, and an
# objection's card is about another department's task: a reply 完成 must close neither.
_REPORTED_ON = frozenset({AnswerTo.TASK, AnswerTo.REVIEW, AnswerTo.CHANGE_ANSWER,
                          AnswerTo.GM_DECISION})
_VERBS = ("done", "progress", "delay")


def replied_task(message: Message) -> int | None:
    """The task whose message this one replies to, while that message still has its buttons."""
    replied = message.reply_to_message
    markup = replied.reply_markup if replied is not None else None
    if markup is None:
        return None
    for row in markup.inline_keyboard:
        for button in row:
            answer = decode(button.callback_data or "")
            if answer is not None and answer.to in _REPORTED_ON:
                return answer.id
    return None


async def report(turn: Turn, task_id: int, text: str, verb: str | None = None) -> None:
    """Record what the reply says about its task and tell the sender what was recorded."""
    message = turn.update.effective_message
    task, _order = await orders.task_for(turn.ctx, task_id)
    verb, said = read_report(text, orders.today(turn.ctx), task.kind, verb)
    if message.photo:
        said = replace(said, photo=message.photo[-1].file_id)
    if verb == "done":
        task, order = await orders.finish(turn.ctx, turn.actor, task_id, said)
        key = "report.done"
    elif verb == "delay":
        task, order = await orders.report_delay(turn.ctx, turn.actor, task_id, said)
        key = "report.delay"
    else:
        task, order = await orders.report_progress(turn.ctx, turn.actor, task_id, said)
        key = "report.progress"
    details = "".join(turn.t(f"report.part.{name}", **{name: value}) for name, value in (
        ("percent", f"{task.progress}%" if verb == "progress" and task.progress is not None
         else None),
        ("quantity", f"{said.quantity:g}" if said.quantity is not None else None),
        ("day", said.day.isoformat() if said.day else None),
        ("note", said.note), ("photo", said.photo)) if value)
    turn.reply(Text(key, {"number": order.number, "task": task.kind.value,
                          "title": task.title or "", "details": details}), order=order.number,
               buttons=await orders.step_buttons(turn.ctx, order, turn.person.roles))
    settled = verb == "done" or (verb == "delay" and task.kind in (
        TaskKind.DELAY_REPORT, TaskKind.DISPATCH_CONFIRMATION))
    replied = message.reply_to_message
    if settled and replied is not None:
        # Its buttons would only answer "already done" now.
        turn.edit(replied.message_id, (replied.text or "") + "\n\n" + turn.t(
            "task.mark_done" if verb == "done" else "task.mark_delay_reported",
            who=turn.person.name), kind="task", order=order.number)


def _command_report(verb: str):  # -> a PTB callback
    @turn_handler
    async def handler(turn: Turn) -> None:
        text = turn.update.effective_message.text or ""
        parts = text.split(maxsplit=1)
        task_id = replied_task(turn.update.effective_message)
        if task_id is None:
            turn.reply(Text(f"usage.{verb}"), kind="error")
            return
        await report(turn, task_id, parts[1] if len(parts) > 1 else "", verb)

    handler.__name__ = f"cmd_{verb}"
    return handler


cmd_done = _command_report("done")
cmd_progress = _command_report("progress")
cmd_delay = _command_report("delay")


@turn_handler
async def on_photo(turn: Turn) -> None:
    """A photo replying to a task: its caption is read like a text reply (progress by default).
    Photos people send each other in the group are none of the bot's business."""
    task_id = replied_task(turn.update.effective_message)
    if task_id is None:
        return
    caption = (turn.update.effective_message.caption or "").strip()
    command = re.match(r"^/(\w+)(?:@\w+)?\s*", caption)
    verb = command[1] if command and command[1] in _VERBS else None
    await report(turn, task_id, caption[command.end():] if command else caption, verb)
