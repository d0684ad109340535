"""From what the parser read to a draft and its card: which fields a message states, whether
it is a whole order of its own, and what the card asks for next. The adapter renders the card;
the decisions are here."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Literal

from workflow.model import OrderDraft
from workflow.parsing import ParseResult
from workflow.ports import Deadlines
from workflow.services import REQUIRED_FIELDS, draft_notes, draft_problems

# An answer carrying one of these is asked again; other warnings are shown on the card.
REFUSED_ANSWERS = ("due_date_in_past", "quantity_not_positive", "quantity_too_large",
                   "price_not_positive", "amount_not_positive")


def draft_fields(result: ParseResult) -> dict[str, Any]:
    """A new draft's fields: what was read, with the defaults a draft starts from."""
    fields = dict(result.to_json()["fields"])
    fields["non_regular_reasons"] = list(result.fields.non_regular_reasons)
    fields["order_class"] = fields.get("order_class") or "regular"
    fields["complete_set"] = bool(fields.get("complete_set"))
    return fields


def changed_fields(result: ParseResult) -> dict[str, Any]:
    """Only what the correction states: absent fields and defaults leave the draft alone."""
    changes = {k: v for k, v in result.to_json()["fields"].items() if v not in (None, "")}
    if result.fields.non_regular_reasons:
        changes["non_regular_reasons"] = list(result.fields.non_regular_reasons)
    return changes


def stated(result: ParseResult) -> int:
    """How many of the required fields the message states."""
    return sum(getattr(result.fields, name) is not None for name in REQUIRED_FIELDS)


def names_an_order(result: ParseResult) -> bool:
    """A whole order of its own, not an answer to a draft's question: it names the customer
    or the product and states a second required field."""
    return (result.intent == "new_order" and stated(result) >= 2
            and (result.fields.customer is not None or result.fields.product is not None))


@dataclass(frozen=True)
class DraftCard:
    """What a draft's card says besides its fields: the warnings and notes to show, whether it
    asks for a field, needs fixing or may be confirmed, and when the review would be due."""

    shown: list[str]
    stage: Literal["ask", "fix", "confirm"]
    review_due: datetime | None


def draft_card(draft: OrderDraft, warnings: list[str] | tuple[str, ...], now: datetime,
               deadlines: Deadlines, today: date) -> DraftCard:
    problems = draft_problems(draft.fields, today)
    shown = list(dict.fromkeys([*warnings, *problems, *draft_notes(draft.fields, today)]))
    # The parser may refuse a value the domain has no rule for; its word gates the card too.
    wrong = bool(problems) or any(w in REFUSED_ANSWERS for w in warnings)
    if draft.asking:
        return DraftCard(shown, "ask", None)
    if wrong:
        return DraftCard(shown, "fix", None)
    return DraftCard(shown, "confirm", deadlines.due("feasibility_review", now))
