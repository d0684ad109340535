"""How a reply to a task's message is read: only what that kind of task can use is taken out."""

from __future__ import annotations

from datetime import date

import pytest

from workflow.model import TaskKind
from workflow.parsing.task_reports import Report, read_report

# Reading words needs only the local day, to place a month-day without a year.
TODAY = date(2026, 11, 24)


@pytest.mark.parametrize(("text", "kind", "verb", "expected"), [
    ("进度 60% 柜体完成", TaskKind.ASSEMBLY_START, "progress",
     Report(note="柜体完成", percent=60)),
    ("柜体焊好了", TaskKind.ASSEMBLY_START, "progress", Report(note="柜体焊好了")),
    ("完成 47个 3个外观不良退回", TaskKind.PURCHASE, "done",
     Report(note="3个外观不良退回", quantity=47)),
    ("完成 1.5米 余料入库", TaskKind.SUBCONTRACT, "done", Report(note="余料入库", quantity=1.5)),
    ("完成 12-10 供应商确认10日发货", TaskKind.SUPPLIER_CONTACT, "done",
     Report(note="供应商确认10日发货", day=date(2026, 12, 10))),
    # A day means nothing to a purchase's finish: it stays in the note.
    ("完成 12-10到货", TaskKind.PURCHASE, "done", Report(note="12-10到货")),
    ("延期 1月5日 供应商停产", TaskKind.PURCHASE, "delay",
     Report(note="供应商停产", day=date(2027, 1, 5))),
    ("完成 3个已补，12-23上午到", TaskKind.CONTACT_SLIP, "done",
     Report(note="3个已补，12-23上午到")),
    ("done 47 pcs ok", TaskKind.PURCHASE, "done", Report(note="ok", quantity=47)),
])
def test_reply_words(text: str, kind: TaskKind, verb: str, expected: Report) -> None:
    assert read_report(text, TODAY, kind) == (verb, expected)


def test_a_command_names_the_verb_and_the_text_is_all_note() -> None:
    assert read_report("47个", TODAY, TaskKind.PURCHASE, "done") == ("done", Report(quantity=47))
