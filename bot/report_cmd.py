"""`gendan report`: the evaluation of a period on the command line.

    gendan report --from 2026-11-01 --to 2026-11-30                 # the chat summary
    gendan report --from 2026-11-01 --to 2026-11-30 --json          # the figures, stable keys
    gendan report --db URL --from … --to … --xlsx nov.xlsx --png nov.png
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from datetime import date, datetime

from sqlalchemy.exc import DBAPIError

from bot.app import company_policy
from bot.clock import SystemClock
from bot.settings import Settings
from handlers.report_files import evaluation_workbook, picture
from handlers.reports import evaluation_for, summary
from locales import DEFAULT_LOCALE, normalize_locale, translate
from storage.db import create_engine, session_factory
from storage.repositories.reports import SqlReports
from workflow.calendar import WorkingCalendar
from workflow.evaluation import LONGEST_PERIOD, Evaluation, Period, figures


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--db", help="database URL (default: DATABASE_URL)")
    parser.add_argument("--from", dest="first", required=True, metavar="DATE",
                        help="the first local day, e.g. 2026-11-01")
    parser.add_argument("--to", dest="last", required=True, metavar="DATE",
                        help="the last local day, included, e.g. 2026-11-30")
    parser.add_argument("--xlsx", metavar="FILE", help="write the workbook here")
    parser.add_argument("--png", metavar="FILE", help="write the chart here")
    parser.add_argument("--json", action="store_true",
                        help="print the figures as JSON (keys in docs/report.md)")
    parser.add_argument("--lang", default=DEFAULT_LOCALE, help="zh (default) or en")
    parser.add_argument("--now", metavar="ISO8601",
                        help="evaluate as of this moment (default: now); with an offset")


class ReportError(ValueError):
    pass


def _period(first: str, last: str) -> Period:
    try:
        period = Period(date.fromisoformat(first), date.fromisoformat(last))
    except ValueError as exc:
        raise ReportError(f"--from/--to: write dates as 2026-11-01 ({exc})") from exc
    if period.last < period.first:
        raise ReportError("--to: the last day comes before the first")
    if period.last - period.first >= LONGEST_PERIOD:
        raise ReportError(f"--from/--to: at most {LONGEST_PERIOD.days} days")
    return period


def _now(value: str | None) -> datetime:
    if not value:
        return SystemClock().now()
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ReportError("--now: give a UTC offset, e.g. 2026-12-01T09:00:00+08:00")
    return moment


async def evaluate_period(database_url: str, calendar: WorkingCalendar, period: Period,
                          now: datetime) -> Evaluation:
    """Reads only: the database is not migrated or written."""
    engine = create_engine(database_url)
    try:
        async with session_factory(engine)() as session:
            return await evaluation_for(SqlReports(session), calendar, period, now)
    finally:
        await engine.dispose()


def run(args: argparse.Namespace, settings: Settings) -> int:
    try:
        period = _period(args.first, args.last)
        now = _now(args.now)
    except ReportError as exc:
        print(f"gendan report: {exc}", file=sys.stderr)
        return 2
    locale = normalize_locale(args.lang) or DEFAULT_LOCALE
    calendar = WorkingCalendar(company_policy(settings))
    try:
        result = asyncio.run(evaluate_period(args.db or settings.database_url, calendar, period,
                                             now))
    except DBAPIError as exc:
        print(f"gendan report: cannot read the database ({exc.orig}); is it Gendan's, "
              "migrated with `gendan migrate`?", file=sys.stderr)
        return 2
    if args.json:
        print(json.dumps(figures(result), ensure_ascii=False, indent=2))
    else:
        print(summary(result, locale))
    if args.xlsx:
        with open(args.xlsx, "wb") as out:
            out.write(evaluation_workbook(result, locale, calendar.tz))
    if args.png:
        drawn = picture(result, locale)
        if drawn is None:
            print(f"gendan report: {translate(locale, 'report.no_font')}", file=sys.stderr)
            return 1
        with open(args.png, "wb") as out:
            out.write(drawn)
    return 0
