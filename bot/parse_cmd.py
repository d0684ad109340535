"""`gendan parse`: print what the parser reads in order messages, one JSON object per line.

    gendan parse --now 2026-11-24T10:15:00+08:00 --no-db "华东电力要12台开关柜，12月20号交"
    gendan parse --no-db - < pasted_form.txt                 # the whole of stdin is one message
    gendan parse --jsonl < messages.jsonl                    # lines of {"text": …, "now"?: …}
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from datetime import datetime
from typing import TextIO
from zoneinfo import ZoneInfo

from bot.clock import SystemClock
from workflow.parsing import Lexicon, chinese_calendar_holidays, parse_message, warm_up
from workflow.policy import NonRegularRules

SHANGHAI = ZoneInfo("Asia/Shanghai")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--now", metavar="ISO8601",
                        help="when the message was sent (no offset = Asia/Shanghai; default: now)")
    parser.add_argument("--no-db", action="store_true",
                        help="do not load known customers and products from the database")
    parser.add_argument("--jsonl", action="store_true",
                        help='read JSON lines {"text": …, "now": …} from stdin, print one result each')
    parser.add_argument("text", nargs="*", help='the message ("-" reads it from stdin)')


def _parse_now(value: str | None) -> datetime:
    if not value:
        return SystemClock().now().astimezone(SHANGHAI)
    # fromisoformat in 3.11 also takes "Z" and most ISO 8601 forms.
    moment = datetime.fromisoformat(value.strip())
    return moment if moment.tzinfo else moment.replace(tzinfo=SHANGHAI)


def _emit(out: TextIO, obj: dict) -> None:
    out.write(json.dumps(obj, ensure_ascii=False) + "\n")


def run(args: argparse.Namespace, lexicon_loader: Callable[[], Lexicon] | None = None,
        stdin: TextIO | None = None, stdout: TextIO | None = None,
        non_regular: NonRegularRules | None = None) -> int:
    """`non_regular` is the company policy's 非常规 words, so they can be tried out here."""
    stdin = stdin if stdin is not None else sys.stdin
    stdout = stdout if stdout is not None else sys.stdout
    try:
        now = _parse_now(getattr(args, "now", None))
    except ValueError:
        print(f"gendan parse: --now is not an ISO 8601 time: {args.now!r}", file=sys.stderr)
        return 2
    if getattr(args, "no_db", False) or lexicon_loader is None:
        lexicon = Lexicon()
    else:
        lexicon = lexicon_loader()
    warm_up()

    if getattr(args, "jsonl", False):
        return _run_jsonl(stdin, stdout, now, lexicon, non_regular)
    words = list(getattr(args, "text", None) or [])
    text = stdin.read() if words == ["-"] else " ".join(words)
    if not text.strip():
        print("gendan parse: give the message text, \"-\" for stdin, or --jsonl", file=sys.stderr)
        return 2
    _emit(stdout, _parse(text, now, lexicon, non_regular))
    return 0


def _parse(text: str, now: datetime, lexicon: Lexicon, non_regular: NonRegularRules | None) -> dict:
    # Holidays as chinese-calendar ships them, as the bot knows them (春节前, 国庆前).
    return parse_message(text, now, lexicon, non_regular, holidays=chinese_calendar_holidays).to_json()


def _run_jsonl(stdin: TextIO, stdout: TextIO, now: datetime, lexicon: Lexicon,
               non_regular: NonRegularRules | None) -> int:
    status = 0
    for number, line in enumerate(stdin, 1):
        if not line.strip():
            continue
        try:
            item = json.loads(line)
            text = item["text"]
            if not isinstance(text, str):
                raise TypeError("text is not a string")
            moment = _parse_now(item["now"]) if item.get("now") else now
        except (ValueError, KeyError, TypeError, AttributeError):
            # Keep one output line per input line so results can be zipped with inputs.
            _emit(stdout, {"error": "bad_line", "line": number})
            status = 1
            continue
        _emit(stdout, _parse(text, moment, lexicon, non_regular))
    return status
