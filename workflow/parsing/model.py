"""What the parser returns, and the names it already knows."""

from __future__ import annotations

import unicodedata
from bisect import bisect_left
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from functools import cached_property
from typing import Any

REQUIRED_FIELDS = ("customer", "product", "quantity", "due_date")
# Every warning key the parser can return; the bot shows each as "warning.<key>".
WARNING_KEYS = (
    "due_date_in_past", "date_unreadable", "date_shift_relative", "quantity_not_positive",
    "quantity_unreadable", "quantity_relative", "price_unreadable", "price_not_positive",
    "currency_not_cny", "amount_mismatch", "conflicting_values", "target_missing",
    "value_empty", "value_unreadable", "unit_unreadable",
    # issue 13
    "holiday_date_estimated", "due_date_next_year", "quantity_approximate", "quantity_too_large",
    "price_too_large", "amount_too_large", "amount_not_positive",
)
NON_REGULAR_REASONS = ("custom_design", "discontinued", "high_quality", "urgent_penalty", "declared")
FIELD_NAMES = (
    "customer", "product", "model", "quantity", "unit", "unit_price", "amount",
    "due_date", "complete_set", "order_class", "notes",
)

Number = int | float


def json_number(value: Decimal | Number | None) -> Number | None:
    """Decimals become int when whole, else float, so JSON and comparisons stay simple."""
    if value is None:
        return None
    if isinstance(value, bool):
        raise TypeError("bool is not a number")
    if isinstance(value, Decimal):
        if value == value.to_integral_value():
            return int(value)
        return float(value)
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


@dataclass
class OrderFields:
    customer: str | None = None
    product: str | None = None
    model: str | None = None
    quantity: Number | None = None
    unit: str | None = None
    unit_price: Number | None = None
    amount: Number | None = None
    due_date: date | None = None
    complete_set: bool | None = None
    order_class: str | None = None
    notes: str | None = None
    # Short keys ("custom_design", "discontinued", "high_quality", "urgent_penalty",
    # "declared"); the bot shows them localized.
    non_regular_reasons: list[str] = field(default_factory=list)

    def to_json(self) -> dict[str, Any]:
        out: dict[str, Any] = {}
        for name in FIELD_NAMES:
            value = getattr(self, name)
            if name == "due_date" and value is not None:
                value = value.isoformat()
            elif name in ("quantity", "unit_price", "amount"):
                value = json_number(value)
            out[name] = value
        return out


@dataclass
class ParseResult:
    intent: str
    fields: OrderFields = field(default_factory=OrderFields)
    target: dict[str, str] = field(default_factory=dict)
    missing: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    # Every field read, whatever the intent: for "unknown" the fields above stay empty, and
    # these say what the message did contain (see template.order_template).
    fields_read: OrderFields = field(default_factory=OrderFields)

    def to_json(self) -> dict[str, Any]:
        return {
            "intent": self.intent,
            "fields": self.fields.to_json(),
            "target": dict(self.target),
            "missing": list(self.missing),
            "warnings": list(self.warnings),
        }


def _clean_name(name: str) -> str:
    return unicodedata.normalize("NFKC", name).strip()


def _rank(name: str) -> tuple[int, str]:
    """A name's place in a lexicon's list: longest first."""
    return -len(name), name


def _tidy(raw: object) -> str | None:
    if not isinstance(raw, str):
        return None
    name = _clean_name(raw)
    # One-character names would match inside every other word.
    return name if len(name) >= 2 else None


def _with(names: tuple[str, ...], name: str | None) -> tuple[str, ...]:
    if name is None:
        return names
    at = bisect_left(names, _rank(name), key=_rank)
    if at < len(names) and names[at] == name:
        return names
    return (*names[:at], name, *names[at:])


def _planted(root: dict[str, Any], kind: str, name: str) -> dict[str, Any]:
    """`root` with `name` added, the nodes on its path copied and the rest shared: the trie of
    a lexicon that had it all along, in the time its characters take."""
    grown = dict(root)
    node = grown
    for ch in name.lower():
        child = dict(node.get(ch, {}))
        node[ch] = child
        node = child
    # Whom `Lexicon.trie` would leave there: it plants the products, then the customers, each
    # list longest first, and the last one planted keeps the node.
    held = node.get("")
    if held is None or ((kind == "customer", _rank(name))
                        > (held[0] == "customer", _rank(held[1]))):
        node[""] = (kind, name)
    return grown


@dataclass(frozen=True)
class Lexicon:
    """Customer and product names already known; matched longest first."""

    customers: tuple[str, ...] = ()
    products: tuple[str, ...] = ()

    @classmethod
    def build(cls, customers: Iterable[str] = (), products: Iterable[str] = ()) -> Lexicon:
        def tidy(names: Iterable[str]) -> tuple[str, ...]:
            seen: dict[str, None] = {}
            for raw in names:
                if (name := _tidy(raw)) is not None:
                    seen.setdefault(name, None)
            return tuple(sorted(seen, key=_rank))

        return cls(customers=tidy(customers), products=tidy(products))

    def learned(self, customer: str, product: str) -> Lexicon:
        """This lexicon and one more order's names, as `build` would make it. Years of orders
        know thousands of names: a new customer must not rebuild them all, nor their trie."""
        customer_name, product_name = _tidy(customer), _tidy(product)
        customers = _with(self.customers, customer_name)
        products = _with(self.products, product_name)
        if customers is self.customers and products is self.products:
            return self
        grown = Lexicon(customers, products)
        if "trie" in self.__dict__:
            trie = self.trie
            if customers is not self.customers and customer_name is not None:
                trie = _planted(trie, "customer", customer_name)
            if products is not self.products and product_name is not None:
                trie = _planted(trie, "product", product_name)
            grown.__dict__["trie"] = trie  # where cached_property keeps it
        return grown

    @cached_property
    def trie(self) -> dict[str, Any]:
        """Character trie over lower-cased names; leaf key "" holds (kind, name)."""
        # Any: a node maps characters to nodes and "" to a (kind, name) pair.
        root: dict[str, Any] = {}
        # Products first so that a name listed as both is read as the customer.
        for kind, names in (("product", self.products), ("customer", self.customers)):
            for name in names:
                node = root
                for ch in _clean_name(name).lower():
                    node = node.setdefault(ch, {})
                node[""] = (kind, name)
        return root
