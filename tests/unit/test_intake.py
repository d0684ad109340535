"""What the intake decides from a parsed message, without the bot: fields, and the card's stage."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from workflow import intake
from workflow.model import DraftStatus, OrderDraft
from workflow.parsing import parse_message

NOW = datetime(2026, 11, 24, 2, 0, tzinfo=UTC)
TODAY = date(2026, 11, 24)


class TwoHours:
    def due(self, rule: str, start: datetime | date) -> datetime:
        assert rule == "feasibility_review" and isinstance(start, datetime)
        return start + timedelta(hours=2)


def _draft(text: str, asking: str | None = None) -> OrderDraft:
    fields = intake.draft_fields(parse_message(text, NOW))
    return OrderDraft(1, -100, 7, fields, NOW, DraftStatus.PENDING, asking)


def test_a_whole_order_names_who_or_what_and_one_more_field() -> None:
    assert intake.names_an_order(parse_message("华东电力要开关柜12台", NOW))
    assert not intake.names_an_order(parse_message("12台", NOW))
    assert intake.stated(parse_message("华东电力要开关柜12台，12月20日交货", NOW)) == 4


def test_a_draft_starts_regular_and_not_a_complete_set() -> None:
    fields = intake.draft_fields(parse_message("华东电力要开关柜12台", NOW))
    assert (fields["order_class"], fields["complete_set"]) == ("regular", False)
    assert intake.changed_fields(parse_message("数量:15台", NOW)) == {"quantity": 15,
                                                                     "unit": "台"}


def test_the_card_asks_then_offers_to_confirm_with_the_review_due() -> None:
    asking = intake.draft_card(_draft("华东电力要开关柜12台", asking="due_date"), (), NOW,
                               TwoHours(), TODAY)
    assert (asking.stage, asking.review_due) == ("ask", None)
    ready = intake.draft_card(_draft("华东电力要开关柜12台，12月20日交货"), (), NOW, TwoHours(),
                              TODAY)
    assert (ready.stage, ready.review_due) == ("confirm", NOW + timedelta(hours=2))


def test_a_refused_value_sends_the_card_back_to_be_fixed() -> None:
    card = intake.draft_card(_draft("华东电力要开关柜12台，12月20日交货"),
                             ["quantity_too_large"], NOW, TwoHours(), TODAY)
    assert card.stage == "fix" and card.shown[0] == "quantity_too_large"
    past = intake.draft_card(_draft("华东电力要开关柜12台，2026-11-01交货"), (), NOW, TwoHours(),
                             TODAY)
    assert past.stage == "fix" and past.review_due is None
