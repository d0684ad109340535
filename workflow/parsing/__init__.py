"""Reading orders out of chat messages (pure Python; `now` is always passed in).

    result = parse_message("帮我下个单，江苏恒通机械要30台Y160M-4电机，月底前交货", now, lexicon)
    result.intent            # "new_order"
    result.fields.quantity   # 30
    result.to_json()         # the shape printed by `gendan parse`

Call warm_up() once at start-up so the word segmenter is loaded before the first message.
"""

from .dates import HolidayLookup
from .holidays import chinese_calendar_holidays
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
from .template import OrderTemplate, order_template

# Every intent a result can have.  "query" is a status question about a named order (target
# filled); "cancel_request" asks for a whole order to be cancelled: passed on for
# confirmation, never carried out from a sentence.
INTENTS = ("new_order", "change", "query", "cancel_request", "unknown")

__all__ = [
    "INTENTS",
    "NON_REGULAR_REASONS",
    "REQUIRED_FIELDS",
    "WARNING_KEYS",
    "HolidayLookup",
    "Lexicon",
    "OrderFields",
    "OrderTemplate",
    "ParseResult",
    "chinese_calendar_holidays",
    "order_template",
    "parse_field_value",
    "parse_message",
    "warm_up",
]
