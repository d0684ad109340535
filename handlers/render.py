"""Turn domain texts into localized strings and inline keyboards."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any

from telegram import ForceReply, InlineKeyboardButton, InlineKeyboardMarkup

from handlers.answer_codes import encode
from locales import catalog, plural, translate
from workflow.model import ButtonAnswer, ButtonSpec, Text

# Parameters whose values are codes that have their own catalog entries.
_CODED_PARAMS = {"role": "role", "reason": "reason", "status": "status", "field": "field",
                 "task": "taskkind", "action": "action", "source": "source",
                 "locale": "language"}
_CODED_LISTS = {"roles": "role", "fields": "field", "warnings": "warning", "read": "field",
                "missing": "field", "choices": "role"}
_NAME_LISTS = ("people",)  # plain names, joined in the reader's language
# Amounts of the order's goods: a text that gives the order's unit shows each with it.
_QUANTITIES = ("quantity", "shipped", "missing")


def quantity_text(locale: str, quantity: Any, unit: str | None) -> str:
    """A quantity with its unit as the reader writes it: 12台, 12 units, 1 unit, 8 pcs."""
    if not unit:
        return str(quantity)
    key = f"unit.{unit}"
    try:
        n = float(str(quantity).replace(",", ""))
    except ValueError:
        n = None
    # A unit the catalog does not know is shown as it was written.
    name = (n is not None and plural(locale, key, n)) or catalog(locale).get(key) or unit
    return translate(locale, "quantity.with_unit", quantity=quantity, unit=name)


def _late_line(locale: str, line: str) -> str:
    """An urge slip's line "what-key|role|title|due" in the reader's language."""
    what, role, title, due = (line.split("|") + ["", "", "", ""])[:4]
    return translate(locale, "urge.line", what=translate(locale, what),
                     title=f" {title}" if title else "",
                     role=translate(locale, f"role.{role}"), due=due)


def _change_line(locale: str, line: str, unit: str | None) -> str:
    """A change notice's line "field|old|new" in the reader's language; a quantity with the
    order's unit."""
    name, old, new = (line.split("|") + ["", "", ""])[:3]
    if name == "quantity":
        old, new = (quantity_text(locale, value, unit) if value else value
                    for value in (old, new))
    return translate(locale, "change.line", field=translate(locale, f"field.{name}"), old=old,
                     new=new)


def _department_line(locale: str, line: str) -> str:
    """The company digest's line "role|due today|overdue" in the reader's language."""
    role, today, overdue = (line.split("|") + ["", "", ""])[:3]
    return translate(locale, "digest.company_line", role=translate(locale, f"role.{role}"),
                     today=today, overdue=overdue)


def _undelivered_line(locale: str, line: list[Any]) -> str:
    """A dead letter [id, chat, status, error] in the reader's language."""
    row_id, chat, status, error = line
    return translate(locale, "delivery.line", id=row_id, chat=chat,
                     status=translate(locale, f"delivery.status.{status}"), error=error)


def _set_aside_line(locale: str, line: list[Any]) -> str:
    """A message set aside [when, who, chat, what was sent (None: a button), error]."""
    when, name, chat, excerpt, error = line
    return translate(locale, "delivery.set_aside_line", when=when, name=name, chat=chat,
                     excerpt=excerpt if excerpt is not None
                     else translate(locale, "delivery.a_button"), error=error)


def _localize_param(locale: str, name: str, value: Any, unit: str | None = None) -> Any:
    if name == "undelivered" and isinstance(value, list | tuple):
        return "\n".join(_undelivered_line(locale, line) for line in value) or "-"
    if name == "set_aside" and isinstance(value, list | tuple):
        return "\n".join(_set_aside_line(locale, line) for line in value) or "-"
    if name == "changes" and isinstance(value, list | tuple):
        return "\n".join(_change_line(locale, line, unit) for line in value) or "-"
    if name == "departments" and isinstance(value, list | tuple):
        return "\n".join(_department_line(locale, line) for line in value) or "-"
    if name in ("late", "today", "overdue") and isinstance(value, list | tuple):
        return "\n".join(_late_line(locale, line) for line in value) or "-"
    if name in _CODED_PARAMS and isinstance(value, str):
        return translate(locale, f"{_CODED_PARAMS[name]}.{value}")
    if name in _CODED_LISTS and isinstance(value, list | tuple):
        separator = translate(locale, "list.separator")
        return separator.join(translate(locale, f"{_CODED_LISTS[name]}.{v}")
                              for v in value) or "-"
    if name in _NAME_LISTS and isinstance(value, list | tuple):
        return translate(locale, "list.separator").join(value) or translate(locale, "list.nobody")
    return value


def render(text: Text, locale: str) -> str:
    unit = text.params.get("unit")
    params = {k: _localize_param(locale, k, v, unit) for k, v in text.params.items()}
    if unit is not None:
        for name in _QUANTITIES:
            if name in params and isinstance(params[name], str | int | float):
                params[name] = quantity_text(locale, params[name], unit)
    return translate(locale, text.key, **params)


def keyboard(rows: Iterable[Sequence[ButtonSpec]], locale: str) -> InlineKeyboardMarkup | None:
    markup = [
        [InlineKeyboardButton(render(b.label, locale), callback_data=encode(b.answer))
         for b in row]
        for row in rows
    ]
    return InlineKeyboardMarkup(markup) if markup else None


def _stored_code(button: dict[str, Any]) -> str:
    """A queued button's code: its answer, or the code itself, as rows queued before the
    answers were stored (and a handler's rendered answers) carry it."""
    if "answer" in button:
        return encode(ButtonAnswer.from_dict(button["answer"]))
    return button["data"]


def outbox_message(
    text_key: str, params: dict[str, Any], rows: list[list[dict[str, Any]]], locale: str
) -> tuple[str, InlineKeyboardMarkup | ForceReply | None]:
    """The text and keyboard of an outbox row: a catalog key to render, or finished text.
    A question opens the reply box of the person it names (Telegram allows no buttons
    beside it)."""
    text = params["text"] if not text_key else render(Text(text_key, params), locale)
    if params.get("ask"):
        return text, ForceReply(selective=True)
    markup = [
        [InlineKeyboardButton(b["text"] if "text" in b else
                              render(Text(b["key"], b.get("params") or {}), locale),
                              callback_data=_stored_code(b)) for b in row]
        for row in rows
    ]
    return text, InlineKeyboardMarkup(markup) if markup else None


def markup_to_json(markup: InlineKeyboardMarkup | None) -> list[list[dict[str, str]]]:
    if markup is None:
        return []
    return [[{"text": b.text, "data": b.callback_data or ""} for b in row]
            for row in markup.inline_keyboard]


def split_text(text: str, limit: int = 4096) -> list[str]:
    """Split at line breaks where possible so no message passes Telegram's length limit."""
    if len(text) <= limit:
        return [text]
    parts: list[str] = []
    while len(text) > limit:
        cut = text.rfind("\n", 0, limit)
        if cut <= 0:
            cut = limit
        parts.append(text[:cut])
        text = text[cut:].lstrip("\n")
    if text:
        parts.append(text)
    return parts
