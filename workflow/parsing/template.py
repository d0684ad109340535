"""The answer to a message that was not understood: what was read, what is missing, and the
/order command with what was read already filled in, ready to be completed and sent back."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import NamedTuple

from .model import REQUIRED_FIELDS, OrderFields, ParseResult

# The key words of the template, in the parser's own key grammar; the bot passes its
# locale's (catalog keys "order_key.<field>"), and every one of them reads back.
DEFAULT_KEYS = {
    "customer": "客户", "product": "产品", "model": "型号", "quantity": "数量", "unit_price": "单价",
    "amount": "总价", "due_date": "交期", "notes": "备注", "complete_set": "成套",
    "non_regular": "非常规",
}
# Order of the command; notes last, because a note runs to the end of its line.
_ORDER = ("customer", "product", "model", "quantity", "unit_price", "amount", "due_date")
_READABLE = (*_ORDER, "complete_set", "order_class", "notes")


class OrderTemplate(NamedTuple):
    text: str  # "/order 客户:华东电力 产品:开关柜 数量:12台 交期:"
    read: list[str]  # fields that have a value, in the order above
    missing: list[str]  # REQUIRED_FIELDS without one


def _number(value: float | int) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


def _value(fields: OrderFields, name: str) -> str:
    value = getattr(fields, name)
    if value is None:
        return ""
    if name == "quantity":
        return _number(value) + (fields.unit or "")
    if name in ("unit_price", "amount"):
        return _number(value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def order_template(result: ParseResult, keys: Mapping[str, str] | None = None) -> OrderTemplate:
    """The /order command for `result` (any intent: an unknown message's fields_read count).
    Required fields always appear, empty when missing; others only when read."""
    keys = {**DEFAULT_KEYS, **(keys or {})}
    fields = result.fields_read
    read = [name for name in _READABLE if getattr(fields, name) is not None]
    missing = [name for name in REQUIRED_FIELDS if getattr(fields, name) is None]
    parts = ["/order"]
    for name in _ORDER:
        if name in read or name in REQUIRED_FIELDS:
            parts.append(f"{keys[name]}:{_value(fields, name)}")
    if fields.complete_set:
        parts.append(keys["complete_set"])
    if fields.order_class == "non_regular":
        parts.append(keys["non_regular"])
    if fields.notes:
        parts.append(f"{keys['notes']}:{fields.notes}")
    return OrderTemplate(" ".join(parts), read, missing)
