"""An order draft in chat: opening it, its card, the questions it asks and their answers, and
cancelling it with a word."""

from __future__ import annotations

from typing import Any

from handlers.reading import non_regular_rules, read_message
from handlers.render import quantity_text
from handlers.turn import Turn
from workflow import intake, services
from workflow.context import number_text
from workflow.model import AnswerTo, ButtonAnswer, ButtonSpec, OrderDraft, Text
from workflow.parsing import ParseResult, parse_field_value

FIELD_ORDER = ("customer", "product", "model", "quantity", "unit_price", "amount", "due_date",
               "complete_set", "order_class", "notes")


async def open_draft(turn: Turn, result: ParseResult) -> None:
    draft = await services.open_draft(turn.ctx, turn.actor, turn.chat.id, intake.draft_fields(result))
    _show_draft(turn, draft, result.warnings)


def _show_draft(turn: Turn, draft: OrderDraft, warnings: list[str] | tuple[str, ...] = ()) -> None:
    """The card: the question for the first missing field, or the fields to confirm. A card
    with a wrong field offers only 修改 and 取消; every card offers 取消."""
    today = turn.ctx.now.astimezone(turn.ctx.tz).date()
    card = intake.draft_card(draft, warnings, turn.ctx.now, turn.runtime.deadlines, today)
    text = _card_text(turn, draft, card)
    cancel = cancel_draft_button(draft.id)
    edit = ButtonSpec(Text("button.edit"), ButtonAnswer(AnswerTo.DRAFT, draft.id, "edit"))
    if card.stage == "ask":
        # In a group only a reply to the card answers for a name (see _read_answer).
        ask = ("order.ask" if turn.is_private or draft.asking in _ANSWER_KEYS
               else "order.ask_reply")
        turn.reply(text + "\n\n" + turn.t(ask, field=draft.asking,
                                          example=turn.t(f"example.{draft.asking}")),
                   buttons=((cancel,),))
    elif card.stage == "fix":
        turn.reply(text + "\n\n" + turn.t("order.card.fix"), buttons=((edit, cancel),))
    else:
        confirm = ButtonSpec(Text("button.confirm"), ButtonAnswer(
            AnswerTo.DRAFT, draft.id, "ok", services.draft_version(draft)))
        turn.reply(text, buttons=((confirm, edit, cancel),))


def cancel_draft_button(draft_id: int) -> ButtonSpec:
    return ButtonSpec(Text("button.cancel"), ButtonAnswer(AnswerTo.DRAFT, draft_id, "no"))


def _card_text(turn: Turn, draft: OrderDraft, card: intake.DraftCard) -> str:
    fields = draft.fields
    lines = [turn.t("order.card.title")]
    for name in FIELD_ORDER:
        lines.append(turn.t("order.card.line", field=name, value=_field_value(turn, name, fields)))
    reasons = fields.get("non_regular_reasons") or []
    if reasons:
        lines.append(turn.t("order.card.why_non_regular", reasons=turn.t("list.separator").join(
            turn.t(f"non_regular.{r}") for r in reasons)))
    if card.review_due is not None:
        lines.append(turn.t("order.card.next", review_due=card.review_due.astimezone(turn.ctx.tz)
                            .strftime("%Y-%m-%d %H:%M")))
    for warning in card.shown:
        lines.append(turn.t("order.card.warning", text=turn.t(f"warning.{warning}")))
    return "\n".join(lines)


def _field_value(turn: Turn, name: str, fields: dict[str, Any]) -> str:
    value = fields.get(name)
    if name == "amount" and value in (None, "") and _known(fields, "unit_price", "quantity"):
        value = float(fields["unit_price"]) * float(fields["quantity"])
    if value in (None, ""):
        return turn.t("order.card.empty") if name in services.REQUIRED_FIELDS else "-"
    if name == "quantity":
        return quantity_text(turn.locale, number_text(value), fields.get("unit"))
    if name in ("unit_price", "amount"):
        return turn.t("money.yuan", amount=f"{value:,.2f}".rstrip("0").rstrip("."))
    if name == "complete_set":
        return turn.t("common.yes" if value else "common.no")
    if name == "order_class":
        return turn.t(f"order_class.{value}")
    return str(value)


def _known(fields: dict[str, Any], *names: str) -> bool:
    return all(fields.get(name) not in (None, "") for name in names)


async def cancel_pending_draft(turn: Turn) -> bool:
    """取消, 算了, 不要了: the author's newest pending draft in this chat ends here."""
    draft = await turn.uow.drafts.pending_in(turn.chat.id, turn.person.id)
    if draft is None:
        return False
    await services.cancel_draft(turn.ctx, turn.actor, draft.id or 0)
    turn.reply(Text("order.draft_cancelled", {
        "customer": draft.fields.get("customer") or "-",
        "product": draft.fields.get("product") or "-"}))
    return True


# The parser reads a keyed value strictly: "数量:12台" is a quantity, "数量:我10点到" is not.
_ANSWER_KEYS = {"quantity": "数量", "due_date": "交期"}
_ANSWER_PARTS = {"quantity": ("quantity", "unit"), "due_date": ("due_date",)}
_ANSWER_REFUSALS = {"quantity": ("quantity_not_positive", "quantity_too_large"),
                    "due_date": ("due_date_in_past",)}


async def answer_draft_question(turn: Turn, draft: OrderDraft, text: str, result: ParseResult,
                                addressed: bool) -> bool:
    """Fill in what the draft asks for, or correct it after 修改. In a group, a message not
    addressed to the bot counts only when it reads as the asked value on its own (12台,
    12月20日); anything else there is talk, and is left alone."""
    if draft.asking == "edit":
        changes = intake.changed_fields(result)
        if not changes:
            if addressed:
                turn.reply(Text("order.edit_not_understood"), kind="error")
            return addressed
        draft = await services.update_draft(turn.ctx, turn.actor, draft.id or 0, changes)
        _show_draft(turn, draft, result.warnings)
        return True
    field = draft.asking or ""
    if result.intent == "new_order" and getattr(result.fields, field, None) is not None:
        answer, warning = intake.changed_fields(result), None
    else:
        answer, warning = _read_answer(turn, field, text, addressed)
        if not answer and not addressed:
            return False
        if not answer or warning in intake.REFUSED_ANSWERS:
            turn.reply(Text("order.answer_invalid", {
                "field": field, "problem": turn.t(f"warning.{warning or 'value_unreadable'}"),
                "example": turn.t(f"example.{field}")}), kind="error",
                buttons=((cancel_draft_button(draft.id),),))
            return True
    draft = await services.update_draft(turn.ctx, turn.actor, draft.id or 0, answer)
    _show_draft(turn, draft, [warning] if warning else result.warnings)
    return True


def _read_answer(turn: Turn, field: str, text: str, addressed: bool
                 ) -> tuple[dict[str, Any], str | None]:
    """The answer's fields and its warning. Any words read as a name, so only a message
    addressed to the bot answers for a customer or a product."""
    if field in _ANSWER_KEYS:
        keyed = read_message(turn, f"{_ANSWER_KEYS[field]}:{text}")
        if getattr(keyed.fields, field) is not None:
            stated = intake.changed_fields(keyed)
            return ({name: stated[name] for name in _ANSWER_PARTS[field] if name in stated},
                    next((w for w in keyed.warnings if w in _ANSWER_REFUSALS[field]), None))
    if not addressed:
        return {}, None
    value, warning = parse_field_value(field, text, turn.ctx.now, non_regular_rules(turn))
    if value in (None, ""):
        return {}, warning
    return {field: value.isoformat() if hasattr(value, "isoformat") else value}, warning
