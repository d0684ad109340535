"""handlers/answer_codes.py: the codes on buttons already sent read as they always did, and
every answer the domain can say fits in a button."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from hypothesis import given
from hypothesis import strategies as st

from handlers.answer_codes import decode, encode
from handlers.callbacks import _ANSWERED
from handlers.render import keyboard, outbox_message
from workflow import changes, escalation, model, urging
from workflow.model import AnswerTo, ButtonAnswer, ButtonSpec, TaskKind, Text, task_of_buttons
from workflow.next_steps import Step
from workflow.next_steps import buttons as step_buttons
from workflow.orders import INFEASIBLE_REASONS
from workflow.roles import Role

TELEGRAM_LIMIT = 64  # bytes of callback_data
NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
A = ButtonAnswer

# Every shape of code the f-strings before the answers wrote, and what it answers.
OLD_CODES = [
    ("v1:d:3:edit", A(AnswerTo.DRAFT, 3, "edit")),
    ("v1:d:3:ok:9f86d081", A(AnswerTo.DRAFT, 3, "ok", "9f86d081")),
    ("v1:d:3:no", A(AnswerTo.DRAFT, 3, "no")),
    ("v1:d:3:force", A(AnswerTo.DRAFT, 3, "force")),
    ("v1:d:3:force:9f86d081", A(AnswerTo.DRAFT, 3, "force", "9f86d081")),
    ("v1:rv:12:ok", A(AnswerTo.REVIEW, 12, "ok")),
    ("v1:rv:12:no", A(AnswerTo.REVIEW, 12, "no")),
    *((f"v1:rv:12:no:{reason}", A(AnswerTo.REVIEW, 12, "no", reason))
      for reason in INFEASIBLE_REASONS),
    ("v1:rv:12:back", A(AnswerTo.REVIEW, 12, "back")),
    *((f"v1:tk:9:{choice}", A(AnswerTo.TASK, 9, choice))
      for choice in ("ack", "done", "late", "snooze")),
    ("v1:ca:5:ok", A(AnswerTo.CHANGE_ANSWER, 5, "ok")),
    *((f"v1:ca:5:ok:l{n}", A(AnswerTo.CHANGE_ANSWER, 5, "ok", f"l{n}")) for n in (1, 2, 3)),
    *((f"v1:ca:5:raise:l{n}", A(AnswerTo.CHANGE_ANSWER, 5, "raise", f"l{n}")) for n in (2, 3)),
    ("v1:gm:4:decline", A(AnswerTo.GM_DECISION, 4, "decline")),
    ("v1:gm:4:keep", A(AnswerTo.GM_DECISION, 4, "keep")),
    ("v1:cr:6:ok", A(AnswerTo.CREDIT_REVIEW, 6, "ok")),
    ("v1:cr:6:gm", A(AnswerTo.CREDIT_REVIEW, 6, "gm")),
    ("v1:cd:6:accept", A(AnswerTo.CREDIT_DECISION, 6, "accept")),
    ("v1:cd:6:decline", A(AnswerTo.CREDIT_DECISION, 6, "decline")),
    *((f"v1:cn:7:level:l{n}", A(AnswerTo.CHANGE_NOTICE, 7, "level", f"l{n}")) for n in (1, 2, 3)),
    *((f"v1:cn:7:level:{detail}", A(AnswerTo.CHANGE_NOTICE, 7, "level", detail))
      for detail in ("l1_plan_kept", "l1_record_fix", "l2_no_structure", "l2_record_fix")),
    ("v1:cn:7:no", A(AnswerTo.CHANGE_NOTICE, 7, "no")),
    ("v1:cn:7:back", A(AnswerTo.CHANGE_NOTICE, 7, "back")),
    ("v1:cn:7:pick:o15", A(AnswerTo.CHANGE_NOTICE, 7, "pick", "o15")),
    ("v1:us:8:send", A(AnswerTo.URGE_SLIP, 8, "send")),
    ("v1:us:8:drop", A(AnswerTo.URGE_SLIP, 8, "drop")),
    *((f"v1:ob:10:{choice}", A(AnswerTo.OBJECTION, 10, choice))
      for choice in ("accept", "gm", "keep")),
    ("v1:cx:11:yes", A(AnswerTo.CANCEL_REQUEST, 11, "yes")),
    ("v1:cx:11:no", A(AnswerTo.CANCEL_REQUEST, 11, "no")),
    ("v1:or:13:status", A(AnswerTo.ORDER_PICK, 13, "status")),
    ("v1:or:13:go:m4567", A(AnswerTo.ORDER_PICK, 13, "go", "m4567")),
    *((f"v1:nx:14:{step.value}", A(AnswerTo.NEXT_STEP, 14, step.value)) for step in Step),
    ("v1:rv:999999999999:ok", A(AnswerTo.REVIEW, 999_999_999_999, "ok")),
]


@pytest.mark.parametrize(("code", "answer"), OLD_CODES)
def test_a_code_sent_before_reads_as_its_answer_and_is_written_again_the_same(code, answer):
    assert decode(code) == answer
    assert encode(answer) == code


def test_every_kind_of_answer_has_a_code_and_a_handler():
    assert {answer.to for _, answer in OLD_CODES} == set(AnswerTo) == set(_ANSWERED)


@pytest.mark.parametrize("code", [
    "", "v1", "v1:rv:12", "v2:rv:12:ok", "v1:zz:12:ok", "v1:rv:x:ok", "v1:rv:-1:ok",
    "v1:rv:1000000000000:ok", "v1:rv:12:OK", "v1:rv:12:ok:", "v1:rv:12:ok:a:b",
    "v1:rv:12:no:Other", "v1:rv:１２:ok", "v1:rv: 12:ok", "v1:rv:+12:ok", "v1:rv:1_2:ok",
    "v1:rv:12:" + "a" * 17, "v1:rv:12:no:" + "a" * 17, "v1:rv:12:ok\n",
])
def test_a_code_no_version_wrote_is_no_answer(code):
    assert decode(code) is None


def test_a_task_of_each_kind_offers_the_codes_it_always_did():
    def codes(kind: TaskKind, **options) -> list[str]:
        task = model.Task(12, 3, kind, Role.TECH, model.TaskStatus.OPEN, None, NOW)
        return [encode(b.answer) for row in escalation.task_buttons(task, **options) for b in row]

    assert codes(TaskKind.FEASIBILITY_REVIEW) == ["v1:rv:12:ok", "v1:rv:12:no"]
    assert codes(TaskKind.CHANGE_ANSWER) == ["v1:ca:12:ok", "v1:ca:12:raise:l2",
                                             "v1:ca:12:raise:l3"]
    assert codes(TaskKind.CHANGE_ANSWER, level=2) == ["v1:ca:12:ok:l2", "v1:ca:12:raise:l3"]
    assert codes(TaskKind.DECISION) == ["v1:gm:12:decline", "v1:gm:12:keep"]
    assert codes(TaskKind.CREDIT_REVIEW) == ["v1:cr:12:ok", "v1:cr:12:gm"]
    assert codes(TaskKind.CREDIT_DECISION) == ["v1:cd:12:accept", "v1:cd:12:decline"]
    assert codes(TaskKind.DESIGN, snooze=True) == ["v1:tk:12:ack", "v1:tk:12:done",
                                                   "v1:tk:12:snooze"]
    assert codes(TaskKind.DISPATCH_CONFIRMATION) == ["v1:tk:12:ack", "v1:tk:12:done",
                                                     "v1:tk:12:late"]
    assert codes(TaskKind.PAYMENT_CHECK) == ["v1:tk:12:ack", "v1:nx:3:payment", "v1:nx:3:unpaid"]


def test_a_change_draft_and_an_urge_slip_offer_the_codes_they_always_did():
    notice = model.ChangeNotice(7, None, None, model.ChangeStatus.DRAFT, {}, 3, 101, NOW, -1001,
                                {"suggested": 3})
    order = model.Order(15, "SO-20261124-001", model.OrderStatus.PRODUCTION, "华东电力", "开关柜",
                        12, date(2026, 12, 20), 101, NOW, -1001)
    slip = model.UrgeSlip(8, "CD-1", 15, model.UrgeStatus.DRAFT, [], "", None, NOW)
    assert _codes(changes.level_buttons(notice)) == [
        "v1:cn:7:level:l1", "v1:cn:7:level:l2", "v1:cn:7:level:l3", "v1:cn:7:no"]
    assert _codes(changes.reason_buttons(notice, 2)) == [
        "v1:cn:7:level:l2_no_structure", "v1:cn:7:level:l2_record_fix", "v1:cn:7:back"]
    assert _codes(changes.order_buttons(notice, [order])) == ["v1:cn:7:pick:o15", "v1:cn:7:no"]
    assert _codes(urging.slip_buttons(slip)) == ["v1:us:8:send", "v1:us:8:drop"]
    assert _codes(step_buttons(14, [Step.QUOTE, Step.SIGNED])) == [
        "v1:nx:14:quote", "v1:nx:14:signed"]


def test_what_acts_on_a_task_is_withdrawn_with_it():
    on_task = {AnswerTo.REVIEW, AnswerTo.TASK, AnswerTo.GM_DECISION, AnswerTo.CHANGE_ANSWER,
               AnswerTo.OBJECTION, AnswerTo.CREDIT_REVIEW, AnswerTo.CREDIT_DECISION}
    for to in AnswerTo:
        card = ((ButtonSpec(Text("button.ok"), A(to, 7, "ok")),),)
        assert task_of_buttons(card) == (7 if to in on_task else None), to


@pytest.mark.parametrize(("id_", "choice", "detail"), [
    (-1, "ok", None), (10**12, "ok", None), (1, "", None), (1, "Ok", None), (1, "o:k", None),
    (1, "a" * 17, None), (1, "ok", ""), (1, "ok", "l2:x"), (1, "ok", "a" * 17),
])
def test_an_answer_no_button_can_carry_is_refused(id_, choice, detail):
    with pytest.raises(ValueError):
        A(AnswerTo.REVIEW, id_, choice, detail)


answers = st.builds(
    ButtonAnswer, st.sampled_from(AnswerTo), st.integers(0, 10**12 - 1),
    st.from_regex(r"[a-z]{1,16}", fullmatch=True),
    st.none() | st.from_regex(r"[a-z0-9_]{1,16}", fullmatch=True))


@given(answers)
def test_every_answer_reads_back_from_its_code_and_fits_in_a_button(answer):
    code = encode(answer)
    assert decode(code) == answer
    assert len(code.encode()) <= TELEGRAM_LIMIT


@given(st.text(max_size=TELEGRAM_LIMIT)
       | st.from_regex(r"v1:[a-z]{0,3}:[0-9+-]{0,14}:[a-zA-Z]{0,18}(:[a-z0-9_:]{0,18})?",
                       fullmatch=True))
def test_any_press_reads_as_an_answer_or_as_none(data):
    answer = decode(data)
    if answer is not None:  # the code again, but for zeros written before its id
        assert encode(answer) == data or data.split(":")[2].startswith("0")


def test_queued_buttons_render_as_their_codes_old_rows_as_they_were_written():
    old_row = [[{"key": "button.ack", "params": {}, "data": "v1:tk:7:ack"}]]
    row = [[{"key": "button.ack", "params": {},
             "answer": {"to": "task", "id": 7, "choice": "ack", "detail": None}},
            {"key": "button.raise_2", "params": {},
             "answer": {"to": "change_answer", "id": 5, "choice": "raise", "detail": "l2"}}]]
    handler_answer = [[{"text": "确认", "data": "v1:d:3:ok:9f86d081"}]]
    assert _sent(old_row) == ["v1:tk:7:ack"]
    assert _sent(row) == ["v1:tk:7:ack", "v1:ca:5:raise:l2"]
    assert _sent(handler_answer) == ["v1:d:3:ok:9f86d081"]


def test_a_handlers_keyboard_carries_the_codes():
    markup = keyboard([[ButtonSpec(Text("button.ack"), A(AnswerTo.TASK, 7, "ack")),
                        ButtonSpec(Text("button.cancel"), A(AnswerTo.DRAFT, 3, "no"))]], "zh_CN")
    assert markup is not None
    assert [b.callback_data for b in markup.inline_keyboard[0]] == ["v1:tk:7:ack", "v1:d:3:no"]


def _codes(rows: tuple[tuple[ButtonSpec, ...], ...]) -> list[str]:
    return [encode(b.answer) for row in rows for b in row]


def _sent(rows) -> list[str]:
    _text, markup = outbox_message("task.assigned", {}, rows, "zh_CN")
    return [b.callback_data for line in markup.inline_keyboard for b in line]
