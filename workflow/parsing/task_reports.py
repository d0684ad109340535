"""What owners write back on a task: `完成 47个 3个退回`, `进度 60% 柜体完成`, `延期 12-09 原因`."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from workflow.model import TaskKind
from workflow.parsing.plans import plan_date


@dataclass(frozen=True)
class Report:
    """What an owner says about a task: progress, a finish or a late delivery, and what with."""

    note: str | None = None
    percent: int | None = None
    quantity: float | None = None
    day: date | None = None  # an agreed dispatch day, or the new arrival day of a delay
    photo: str | None = None  # the Telegram file id of a photo sent with it


REPORT_WORDS = {
    "进度": "progress", "progress": "progress",
    "完成": "done", "已完成": "done", "到货": "done", "done": "done",
    "延期": "delay", "延迟": "delay", "推迟": "delay", "delay": "delay",
}


# No "." between month and day here: "1.5米" is a quantity.
_REPORT_DAY = re.compile(r"(?:\d{4}[-/])?\d{1,2}[-/月]\d{1,2}日?")


_REPORT_PERCENT = re.compile(r"(\d{1,3})\s*[%％]")


# A number that is not the start of a date ("12-10到货").
_REPORT_QUANTITY = re.compile(
    r"(\d+(?:\.\d+)?)(?![-/月.\d])\s*(?:个|台|套|件|只|块|米|kg|pcs|片|根|组|箱)?")


def read_report(text: str, today: date, kind: TaskKind, verb: str | None = None
                ) -> tuple[str, Report]:
    """A reply to a task: `完成 47个 3个退回`, `进度 60% 柜体完成`, `延期 12-09 供应商缺料`.
    Without a leading word (or a command naming it) the reply is progress. Only what the task
    can use is taken out of the words: a day for a delay or for the supplier contact's agreed
    dispatch, a quantity for a finish; a contact slip's answer stays as it was written."""
    words = text.strip().split(maxsplit=1)
    if verb is None and words and words[0].lower() in REPORT_WORDS:
        verb, text = REPORT_WORDS[words[0].lower()], words[1] if len(words) > 1 else ""
    verb = verb or "progress"
    day = percent = quantity = None
    if kind is not TaskKind.CONTACT_SLIP:
        wants_day = verb == "delay" or (verb == "done" and kind is TaskKind.SUPPLIER_CONTACT)
        if wants_day and (found := _REPORT_DAY.search(text)):
            day = plan_date(found[0], today)
            text = text[:found.start()] + text[found.end():]
        if verb == "progress" and (found := _REPORT_PERCENT.search(text)):
            percent = int(found[1])
            text = text[:found.start()] + text[found.end():]
        if verb == "done" and (found := _REPORT_QUANTITY.match(text.strip())):
            quantity = float(found[1])
            text = text.strip()[found.end():]
    return verb, Report(note=" ".join(text.split()) or None, percent=percent,
                        quantity=quantity, day=day)
