"""The parser as this company runs it: with the names it knows and its own 非常规 words."""

from __future__ import annotations

from handlers.turn import Turn
from workflow.parsing import ParseResult, chinese_calendar_holidays, parse_message
from workflow.policy import NonRegularRules


def read_message(turn: Turn, text: str) -> ParseResult:
    lexicon = turn.runtime.lexicon() if turn.runtime.lexicon else None
    return parse_message(text, turn.ctx.now, lexicon, non_regular_rules(turn),
                         holidays=chinese_calendar_holidays)


def non_regular_rules(turn: Turn) -> NonRegularRules:
    return turn.ctx.policy.non_regular
