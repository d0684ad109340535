"""A button's answer as the chat carries it: ``v1:<what>:<id>:<choice>[:<detail>]``, ASCII,
within Telegram's 64 bytes of callback data (DingTalk's cards carry the same code).

Buttons stay on people's phones for months: a code once sent must read the same for good, so
neither the layout nor the short names below ever change; a new kind of answer takes a new
name.
"""

from __future__ import annotations

from collections.abc import Mapping

from workflow.model import AnswerTo, ButtonAnswer

VERSION = "v1"
_WHAT: Mapping[AnswerTo, str] = {
    AnswerTo.DRAFT: "d", AnswerTo.REVIEW: "rv", AnswerTo.TASK: "tk",
    AnswerTo.GM_DECISION: "gm", AnswerTo.CHANGE_NOTICE: "cn", AnswerTo.CHANGE_ANSWER: "ca",
    AnswerTo.OBJECTION: "ob", AnswerTo.CREDIT_REVIEW: "cr", AnswerTo.CREDIT_DECISION: "cd",
    AnswerTo.URGE_SLIP: "us", AnswerTo.CANCEL_REQUEST: "cx", AnswerTo.ORDER_PICK: "or",
    AnswerTo.NEXT_STEP: "nx",
}
_TO = {what: to for to, what in _WHAT.items()}


def encode(answer: ButtonAnswer) -> str:
    detail = "" if answer.detail is None else f":{answer.detail}"
    return f"{VERSION}:{_WHAT[answer.to]}:{answer.id}:{answer.choice}{detail}"


def decode(code: str) -> ButtonAnswer | None:
    """The answer a code stands for; None for one no version of the bot wrote."""
    parts = code.split(":")
    if len(parts) not in (4, 5) or parts[0] != VERSION or parts[1] not in _TO \
            or not (parts[2].isascii() and parts[2].isdigit()):
        return None
    try:
        return ButtonAnswer(_TO[parts[1]], int(parts[2]), parts[3],
                            parts[4] if len(parts) == 5 else None)
    except ValueError:  # a choice or detail no answer has, or an id out of range
        return None
