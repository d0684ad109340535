"""Reading orders out of chat messages (pure Python; `now` is always passed in).

    result = parse_message("帮我下个单，江苏恒通机械要30台Y160M-4电机，月底前交货", now, lexicon)
    result.intent            # "new_order"
    result.fields.quantity   # 30
    result.to_json()         # the shape printed by `gendan parse`

Call warm_up() once at start-up so the word segmenter is loaded before the first message.
"""

from .model import (
    NON_REGULAR_REASONS,
    REQUIRED_FIELDS,
    WARNING_KEYS,
    Lexicon,
    OrderFields,
    ParseResult,
)
from .parser import parse_field_value, parse_message
from .segment import warm_up

__all__ = [
    "NON_REGULAR_REASONS",
    "REQUIRED_FIELDS",
    "WARNING_KEYS",
    "Lexicon",
    "OrderFields",
    "ParseResult",
    "parse_field_value",
    "parse_message",
    "warm_up",
]
