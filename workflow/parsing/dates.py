"""Delivery dates, absolute or relative to the day the message was sent (Asia/Shanghai).

A period ("月底", "12月中旬", "下周", "2027年3月") stands for its last day, because a due
date is a deadline.  "前/之前" is read as "by" that date.  A month and day without a year
is the next such date, today included.
"""

from __future__ import annotations

import calendar
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta

from .numbers import parse_number

_CN = "一二三四五六七八九十"
CNUM = rf"(?:\d{{1,2}}|[{_CN}]{{1,3}})"
DNUM = r"(?:\d+(?:\.\d+)?|[一二两三四五六七八九十百半]+)"
PERIOD = r"(?:底|末|初|上旬|中旬|下旬|中)"
_WD = "[一二三四五六日天1-7]"
_CUE_AFTER = r"(?=\s*(?:前|之前|以前|交|发|到货|送|要|必须|左右))"
_EN_MONTHS = "jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec"
_EN_WEEKDAYS = "monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|tues|wed|thu|thur|thurs|fri|sat|sun"
_EN_NUMBERS = {"a": 1, "an": 1, "one": 1, "two": 2, "three": 3, "four": 4, "five": 5, "six": 6,
               "seven": 7, "eight": 8, "nine": 9, "ten": 10}
_EDGE = r"(?<![A-Za-z0-9_.\-/*×])"
_EDGE_AFTER = r"(?![A-Za-z0-9_.\-/*×%])"

_PATTERNS = [
    ("ymd", r"(?<![\d.])(?P<ymd_y>20\d{2})\s*(?:[-/.]|年)\s*(?P<ymd_m>\d{1,2})\s*(?:[-/.]|月)\s*"
            r"(?P<ymd_d>\d{1,2})(?!\d)\s*[日号]?"),
    ("ym", rf"(?<![\d.])(?P<ym_y>20\d{{2}})\s*年\s*(?P<ym_m>{CNUM})\s*月份?\s*(?P<ym_p>{PERIOD})?"),
    ("rym", rf"(?P<rym_r>明年|今年|后年)\s*(?P<rym_m>{CNUM})\s*月份?\s*"
            rf"(?:(?P<rym_d>{CNUM})\s*[日号]|(?P<rym_p>{PERIOD}))?"),
    ("yend", r"(?P<yend_r>今年|明年|本年|今|明|本)?年(?P<yend_p>底|末|内)"),
    ("md", rf"(?<![\d.\-/A-Za-z])(?P<md_m>{CNUM})\s*月\s*(?P<md_d>{CNUM})\s*[日号]"),
    ("mp", rf"(?<![\d.\-/A-Za-z])(?P<mp_m>{CNUM})\s*月份?\s*(?P<mp_p>{PERIOD})"),
    # "12月20" with nothing after: a day, not a count.
    ("md2", r"(?<![\d.\-/A-Za-z])(?P<md2_m>\d{1,2})\s*月\s*(?P<md2_d>\d{1,2})(?=\s*(?:$|[,，。;；\n]|前|之前|交|发|到))"),
    ("nm", rf"(?P<nm_r>下下个?月|下个?月)\s*(?:(?P<nm_d>{CNUM})\s*[日号]|(?P<nm_p>{PERIOD}))?"),
    ("tm", rf"(?P<tm_r>本月|这个月|这月|当月|月)\s*(?:(?P<tm_d>{CNUM})\s*[日号]|(?P<tm_p>{PERIOD}))"),
    # "下旬交" on its own: this month's, or next month's when it is over.
    ("bp", r"(?<![月\w])(?P<bp_p>上旬|中旬|下旬)"),
    ("dur", rf"(?P<dur_n>{DNUM})\s*(?P<dur_u>个?工作日|天|日(?=\s*[以之]?[后内])|个?星期|个?礼拜|周|个半月|个月|年)\s*"
            rf"(?P<dur_q>以后|之后|后|以内|之内|内)?"),
    ("wk", rf"(?P<wk_r>下下个?|下个?|这个?|本)?\s*(?:周|星期|礼拜)(?P<wk_d>{_WD}|末)"),
    ("wkonly", rf"(?P<wko_r>下下个?|下个?|这个?|本)(?:周|星期|礼拜)(?!{_WD}|末)"),
    ("rel", r"(?P<rel_w>大后天|后天|明天|明日|今天|今日|今晚|当天)"),
    # "九千五一台" is 9500 a unit, not Labour Day.
    ("hol", r"(?P<hol_w>元旦|国庆节?|(?<![一二两三四五六七八九十百千万\d.])五一(?!\s*[台套个件只面组根块])|劳动节"
            r"|春节|过年|年前|中秋节?|端午节?|清明节?)(?P<hol_q>之前|以前|前)?"),
    ("slash", rf"{_EDGE}(?P<sl_m>\d{{1,2}})\s*/\s*(?P<sl_d>\d{{1,2}}){_EDGE_AFTER}"),
    ("dot", rf"{_EDGE}(?P<dot_m>\d{{1,2}})[.-](?P<dot_d>\d{{1,2}}){_EDGE_AFTER}"),
    ("day", rf"(?<![\d.月/\-])(?P<day_d>{CNUM})\s*[号日](?!期|子|常|本)"),
    ("month", rf"(?<![\d.\-/A-Za-z])(?P<mo_m>{CNUM})\s*月份?(?![\d{_CN}个]|底|末|中|初|上|下)"),
    ("enmd", rf"(?i:\b(?P<enmd_m>{_EN_MONTHS})[a-z]*\.?\s+(?P<enmd_d>\d{{1,2}})(?:st|nd|rd|th)?\b"
             rf"(?:,?\s*(?P<enmd_y>20\d{{2}}))?)"),
    ("endm", rf"(?i:\b(?P<endm_d>\d{{1,2}})(?:st|nd|rd|th)?\s+(?P<endm_m>{_EN_MONTHS})[a-z]*\.?"
             rf"(?:,?\s*(?P<endm_y>20\d{{2}}))?\b)"),
    ("enrel", r"(?i:\b(?P<enrel_w>day after tomorrow|tomorrow|today|tonight)\b)"),
    ("endur", r"(?i:\b(?P<endur_q>in|within)\s+(?P<endur_n>\d+|an?|one|two|three|four|five|six|seven|eight|nine|ten)"
              r"\s+(?P<endur_u>days?|weeks?|months?)\b)"),
    ("endur2", r"(?i:\b(?P<endur2_n>\d+)\s+(?P<endur2_u>days?|weeks?|months?)\s+(?:later|from now)\b)"),
    ("enwk", rf"(?i:\b(?P<enwk_r>next|this|coming|by|on)\s+(?P<enwk_d>{_EN_WEEKDAYS}|week)\b)"),
    ("enend", r"(?i:\bend\s+of\s+(?:the\s+)?(?P<enend_w>next month|month|year|week)\b)"),
]
RE_DATE = re.compile("|".join(f"(?P<{name}>{pat})" for name, pat in _PATTERNS))
# Every alternative above starts with one of these.  Trying the big alternation only where
# a date can start is several times faster than letting finditer try it everywhere.
RE_TRIGGER = re.compile(
    r"(?<!\d)\d|(?<![一二两三四五六七八九十百半])[一二两三四五六七八九十百半]|[今明后大下这本当月年周星礼元国劳春过中端清上]"
    r"|(?i:\b(?:jan|feb|mar|apr|may|jun|jul|aug|sep|oct|nov|dec|today|tomorrow|tonight|day|in|within"
    r"|next|this|coming|by|on|end)\b|\b(?:jan|feb|mar|apr|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*)"
)

# Only read where a date is expected (a due-date key, or a delivery word right after),
# because "12.30" may be a price and "20号" a building.
_NEEDS_CONTEXT = {"dot", "day", "month"}
_SHIFT_BEFORE = re.compile(r"(?:推迟|延后|延期|顺延|往后推|往后延|后延|推后|后推|提前|提早|晚)\s*$")
_CUE_RE = re.compile(_CUE_AFTER)
_AFTER = re.compile(r"\s*(?:之后|以后|后)")
# "元旦后一周", "国庆后10天": a date moved by a duration.
_RE_OFFSET = re.compile(
    rf"\s*(?:以后|之后|后)\s*(?P<n>{DNUM})\s*(?P<u>个?工作日|天|日|个?星期|个?礼拜|周|个月)")


@dataclass(frozen=True)
class DateHit:
    start: int
    end: int
    value: date | None
    kind: str  # "date"; "shift" (推迟一周: relative to the order's own date); "unreadable"
    cued: bool  # a delivery word is right next to it
    estimated: bool = False  # a holiday whose year's schedule was not known
    yearless: bool = False  # a month and day ("11月1日") with no year: the next one was taken


# --- holidays -------------------------------------------------------------------------------

# (holiday, year) → the first day off, or None when that year's schedule is unknown.  The bot
# passes one built from its working calendar (see holidays.py); the parser never reads one.
HolidayLookup = Callable[[str, int], "date | None"]
HOLIDAY_WORDS = {
    "元旦": "new_year", "春节": "spring_festival", "过年": "spring_festival", "年前": "spring_festival",
    "清明": "qingming", "清明节": "qingming", "五一": "labour_day", "劳动节": "labour_day",
    "端午": "dragon_boat", "端午节": "dragon_boat", "中秋": "mid_autumn", "中秋节": "mid_autumn",
    "国庆": "national_day", "国庆节": "national_day",
}
_FIXED_HOLIDAYS = {"new_year": (1, 1), "qingming": (4, 4), "labour_day": (5, 1), "national_day": (10, 1)}
# Gregorian dates of 正月初一, 五月初五 and 八月十五 (checked against a lunar calendar library and,
# for the years it ships, against chinese-calendar's holidays: tests/unit/parsing/test_dates.py).
LUNAR_HOLIDAYS: dict[str, dict[int, tuple[int, int]]] = {
    "spring_festival": {
        2020: (1, 25), 2021: (2, 12), 2022: (2, 1), 2023: (1, 22), 2024: (2, 10), 2025: (1, 29),
        2026: (2, 17), 2027: (2, 6), 2028: (1, 26), 2029: (2, 13), 2030: (2, 3), 2031: (1, 23),
        2032: (2, 11), 2033: (1, 31), 2034: (2, 19), 2035: (2, 8), 2036: (1, 28), 2037: (2, 15),
        2038: (2, 4), 2039: (1, 24), 2040: (2, 12)},
    "dragon_boat": {
        2020: (6, 25), 2021: (6, 14), 2022: (6, 3), 2023: (6, 22), 2024: (6, 10), 2025: (5, 31),
        2026: (6, 19), 2027: (6, 9), 2028: (5, 28), 2029: (6, 16), 2030: (6, 5), 2031: (6, 24),
        2032: (6, 12), 2033: (6, 1), 2034: (6, 20), 2035: (6, 10), 2036: (5, 30), 2037: (6, 18),
        2038: (6, 7), 2039: (5, 27), 2040: (6, 14)},
    "mid_autumn": {
        2020: (10, 1), 2021: (9, 21), 2022: (9, 10), 2023: (9, 29), 2024: (9, 17), 2025: (10, 6),
        2026: (9, 25), 2027: (9, 15), 2028: (10, 3), 2029: (9, 22), 2030: (9, 12), 2031: (10, 1),
        2032: (9, 19), 2033: (9, 8), 2034: (9, 27), 2035: (9, 16), 2036: (10, 4), 2037: (9, 24),
        2038: (9, 13), 2039: (10, 2), 2040: (9, 20)},
}


def _holiday_start(holiday: str, year: int, lookup: HolidayLookup | None) -> tuple[date | None, bool]:
    """(first day off, estimated): the calendar's when it knows the year, else the fixed or
    lunar date itself."""
    known = lookup(holiday, year) if lookup is not None else None
    if known is not None:
        return known, False
    if holiday in _FIXED_HOLIDAYS:
        return date(year, *_FIXED_HOLIDAYS[holiday]), True
    day = LUNAR_HOLIDAYS[holiday].get(year)
    return (date(year, *day) if day else None), True


def next_holiday(today: date, holiday: str, lookup: HolidayLookup | None,
                 before: bool) -> tuple[date | None, bool]:
    """The next `holiday` not yet over: its first day off, or with `before` the day before it
    ("春节前" is the last working day before the break).  (date, estimated)."""
    for year in (today.year, today.year + 1):
        start, estimated = _holiday_start(holiday, year, lookup)
        if start is None:
            return None, estimated
        day = start - timedelta(days=1) if before else start
        if day >= today:
            return day, estimated
    return None, False


def _last_day(year: int, month: int) -> int:
    return calendar.monthrange(year, month)[1]


def _safe_date(year: int, month: int, day: int) -> date | None:
    if not (1 <= month <= 12) or year < 1900 or year > 2200:
        return None
    if not (1 <= day <= _last_day(year, month)):
        return None
    return date(year, month, day)


def _period_day(year: int, month: int, period: str | None) -> int:
    if period in ("初", "上旬"):
        return 10
    if period == "中旬":
        return 20
    if period == "中":
        return 15
    return _last_day(year, month)


def add_months(d: date, months: int) -> date:
    y, m = divmod(d.month - 1 + months, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, _last_day(year, month)))


def _small(text: str | None) -> int | None:
    if text is None:
        return None
    value = parse_number(text)
    if value is None or value != value.to_integral_value():
        return None
    return int(value)


def _next_md(today: date, month: int, day: int) -> date | None:
    for year in (today.year, today.year + 1):
        try_date = _safe_date(year, month, day)
        if try_date is None:
            if month == 2 and day == 29:
                continue
            return None
        if try_date >= today:
            return try_date
    # 2月29日 in a non-leap year: the next leap year's.
    for year in range(today.year + 1, today.year + 9):
        try_date = _safe_date(year, month, day)
        if try_date and try_date >= today:
            return try_date
    return None


def _next_month_period(today: date, month: int, period: str | None) -> date | None:
    if not 1 <= month <= 12:
        return None
    for year in (today.year, today.year + 1):
        d = date(year, month, _period_day(year, month, period))
        if d >= today:
            return d
    return None


def _week_day(today: date, prefix: str | None, weekday: int) -> date:
    monday = today - timedelta(days=today.weekday())
    if not prefix:
        d = monday + timedelta(days=weekday)
        return d if d >= today else d + timedelta(days=7)
    if prefix.startswith("下下"):
        return monday + timedelta(days=14 + weekday)
    if prefix.startswith("下"):
        return monday + timedelta(days=7 + weekday)
    return monday + timedelta(days=weekday)


def _add_duration(today: date, amount: float, unit: str) -> date | None:
    if amount < 0 or amount > 3650:
        return None
    if "工作日" in unit:
        d, left = today, int(amount)
        while left > 0:
            d += timedelta(days=1)
            if d.weekday() < 5:
                left -= 1
        return d
    if unit in ("天", "日"):
        return today + timedelta(days=round(amount))
    if unit in ("周", "星期", "个星期", "礼拜", "个礼拜"):
        return today + timedelta(days=round(amount * 7))
    if unit == "个半月":
        return add_months(today, int(amount)) + timedelta(days=15)
    if unit in ("月", "个月"):
        if amount != int(amount):
            return today + timedelta(days=round(amount * 30))
        return add_months(today, int(amount))
    if unit == "年":
        if amount != int(amount):
            return add_months(today, round(amount * 12))
        return add_months(today, int(amount) * 12)
    return None


def _duration_amount(text: str) -> float | None:
    if text == "半":
        return 0.5
    if text.endswith("半") and len(text) > 1:
        base = parse_number(text[:-1])
        return None if base is None else float(base) + 0.5
    value = parse_number(text)
    return None if value is None else float(value)


_EN_WD_INDEX = {name: i for i, names in enumerate((
    ("monday", "mon"), ("tuesday", "tue", "tues"), ("wednesday", "wed"),
    ("thursday", "thu", "thur", "thurs"), ("friday", "fri"), ("saturday", "sat"),
    ("sunday", "sun"))) for name in names}


def _resolve(m: re.Match[str], today: date) -> tuple[date | None, str]:
    kind = m.lastgroup
    g = m.group
    if kind == "ymd":
        return _safe_date(int(g("ymd_y")), int(g("ymd_m")), int(g("ymd_d"))), "date"
    if kind == "ym":
        year, month = int(g("ym_y")), _small(g("ym_m"))
        if month is None or not 1 <= month <= 12:
            return None, "unreadable"
        return date(year, month, _period_day(year, month, g("ym_p"))), "date"
    if kind == "rym":
        year = today.year + {"今年": 0, "明年": 1, "后年": 2}[g("rym_r")]
        month = _small(g("rym_m"))
        if month is None or not 1 <= month <= 12:
            return None, "unreadable"
        if g("rym_d"):
            day = _small(g("rym_d"))
            return (_safe_date(year, month, day) if day else None), "date"
        return date(year, month, _period_day(year, month, g("rym_p"))), "date"
    if kind == "yend":
        year = today.year + (1 if (g("yend_r") or "").startswith("明") else 0)
        return date(year, 12, 31), "date"
    if kind == "md":
        month, day = _small(g("md_m")), _small(g("md_d"))
        if month is None or day is None:
            return None, "unreadable"
        return _next_md(today, month, day), "date"
    if kind == "md2":
        return _next_md(today, int(g("md2_m")), int(g("md2_d"))), "date"
    if kind == "mp":
        month = _small(g("mp_m"))
        return (_next_month_period(today, month, g("mp_p")) if month else None), "date"
    if kind == "nm":
        first = add_months(today.replace(day=1), 2 if g("nm_r").startswith("下下") else 1)
        if g("nm_d"):
            day = _small(g("nm_d"))
            return (_safe_date(first.year, first.month, day) if day else None), "date"
        return first.replace(day=_period_day(first.year, first.month, g("nm_p"))), "date"
    if kind == "tm":
        if g("tm_d"):
            day = _small(g("tm_d"))
            return (_safe_date(today.year, today.month, day) if day else None), "date"
        this_month = today.replace(day=_period_day(today.year, today.month, g("tm_p")))
        if this_month < today and g("tm_r") == "月":
            # "月中" said on the 24th is next month's; "本月中" stays this month's.
            first = add_months(today.replace(day=1), 1)
            return first.replace(day=_period_day(first.year, first.month, g("tm_p"))), "date"
        return this_month, "date"
    if kind == "bp":
        for months in (0, 1):
            first = add_months(today.replace(day=1), months)
            d = first.replace(day=_period_day(first.year, first.month, g("bp_p")))
            if d >= today:
                return d, "date"
    if kind == "dur":
        amount = _duration_amount(g("dur_n"))
        if amount is None:
            return None, "unreadable"
        return _add_duration(today, amount, g("dur_u")), "date"
    if kind == "wk":
        day_word = g("wk_d")
        weekday = 6 if day_word in ("日", "天", "末", "7") else (
            "一二三四五六".find(day_word) if not day_word.isdigit() else int(day_word) - 1)
        return _week_day(today, g("wk_r"), weekday), "date"
    if kind == "wkonly":
        return _week_day(today, g("wko_r"), 6), "date"
    if kind == "rel":
        offset = {"今天": 0, "今日": 0, "今晚": 0, "当天": 0, "明天": 1, "明日": 1, "后天": 2, "大后天": 3}
        return today + timedelta(days=offset[g("rel_w")]), "date"
    if kind == "slash":
        return _next_md(today, int(g("sl_m")), int(g("sl_d"))), "date"
    if kind == "dot":
        return _next_md(today, int(g("dot_m")), int(g("dot_d"))), "date"
    if kind == "day":
        day = _small(g("day_d"))
        if not day or day > 31:
            return None, "unreadable"
        for months in range(0, 3):
            first = add_months(today.replace(day=1), months)
            candidate = _safe_date(first.year, first.month, day)
            if candidate and candidate >= today:
                return candidate, "date"
        return None, "unreadable"
    if kind == "month":
        month = _small(g("mo_m"))
        return (_next_month_period(today, month, None) if month else None), "date"
    if kind in ("enmd", "endm"):
        p = "enmd" if kind == "enmd" else "endm"
        month = _EN_MONTHS.split("|").index(g(f"{p}_m")[:3].lower()) + 1
        day = int(g(f"{p}_d"))
        if g(f"{p}_y"):
            return _safe_date(int(g(f"{p}_y")), month, day), "date"
        return _next_md(today, month, day), "date"
    if kind == "enrel":
        word = g("enrel_w").lower()
        return today + timedelta(days={"today": 0, "tonight": 0, "tomorrow": 1}.get(word, 2)), "date"
    if kind in ("endur", "endur2"):
        n_text = g(f"{kind}_n").lower()
        n = _EN_NUMBERS.get(n_text) or (int(n_text) if n_text.isdigit() else None)
        unit = g(f"{kind}_u").lower().rstrip("s")
        if n is None:
            return None, "unreadable"
        return _add_duration(today, n, {"day": "天", "week": "周", "month": "月"}[unit]), "date"
    if kind == "enwk":
        prefix, day_name = g("enwk_r").lower(), g("enwk_d").lower()
        if day_name == "week":
            return _week_day(today, "下" if prefix == "next" else "本", 6), "date"
        weekday = _EN_WD_INDEX[day_name]
        if prefix == "next":
            return _week_day(today, "下", weekday), "date"
        if prefix == "this":
            return _week_day(today, "本", weekday), "date"
        return _week_day(today, None, weekday), "date"
    if kind == "enend":
        what = g("enend_w").lower()
        if what == "month":
            return today.replace(day=_last_day(today.year, today.month)), "date"
        if what == "next month":
            first = add_months(today.replace(day=1), 1)
            return first.replace(day=_last_day(first.year, first.month)), "date"
        if what == "year":
            return date(today.year, 12, 31), "date"
        return _week_day(today, "本", 6), "date"
    return None, "unreadable"  # pragma: no cover - every alternative but "hol" (find_dates) is above


def find_dates(text: str, today: date, keyed: bool = False,
               holidays: HolidayLookup | None = None) -> list[DateHit]:
    """All date expressions in `text`, left to right.

    keyed=True means the text is the value of a due-date key, where bare durations
    ("30天"), "12.30" and "20号" are certainly dates.
    """
    hits: list[DateHit] = []
    done = 0
    for trigger in RE_TRIGGER.finditer(text):
        if trigger.start() < done:
            continue
        m = RE_DATE.match(text, trigger.start())
        if m is None:
            continue
        done = m.end()
        kind = m.lastgroup
        cued = bool(_CUE_RE.match(text, m.end())) or (kind == "hol" and bool(m.group("hol_q")))
        if kind == "rel" and m.group("rel_w") in ("今天", "今日", "今晚") and not (keyed or cued):
            continue  # "今天宝钢下单了": when it was ordered, not when it is due
        if kind in _NEEDS_CONTEXT and not (keyed or cued):
            continue
        if kind == "dur" and _SHIFT_BEFORE.search(text, 0, m.start()):
            hits.append(DateHit(m.start(), m.end(), None, "shift", cued))
            continue
        if kind == "dur" and not m.group("dur_q") and not keyed:
            continue
        if kind == "enwk" and m.group("enwk_r").lower() in ("by", "on") and m.group("enwk_d").lower() == "week":
            continue
        estimated = False
        offset = _RE_OFFSET.match(text, m.end()) if kind == "hol" and not m.group("hol_q") else None
        if kind == "hol" and offset is None and _AFTER.match(text, m.end()) and not m.group("hol_q"):
            # "元旦后交" is no deadline: ask rather than guess when the break ends.
            hits.append(DateHit(m.start(), m.end(), None, "unreadable", cued))
            continue
        if kind == "hol":
            # "春节前" and a bare "春节" are the day before the break; "国庆后10天" counts
            # from its first day.
            value, estimated = next_holiday(today, HOLIDAY_WORDS[m.group("hol_w")], holidays,
                                            before=offset is None)
            status = "date"
        else:
            value, status = _resolve(m, today)
        end = m.end()
        if value is not None and (offset := _RE_OFFSET.match(text, end)):
            amount = _duration_amount(offset.group("n"))
            value = _add_duration(value, amount, offset.group("u")) if amount is not None else None
            end = offset.end()
            cued = bool(_CUE_RE.match(text, end))
            done = end
        if value is None:
            status = "unreadable"
        yearless = kind in _YEARLESS and not (kind in ("enmd", "endm") and m.group(f"{kind}_y"))
        hits.append(DateHit(m.start(), end, value, status, cued, estimated, yearless))
    return hits


# A month (and day) without a year, resolved to the next one: it may land in next year.
_YEARLESS = frozenset(("md", "md2", "mp", "slash", "dot", "month", "enmd", "endm"))


def due_date_warnings(hit: DateHit, today: date) -> list[str]:
    """What to tell about a due date read from `hit`, most serious first."""
    out: list[str] = []
    if hit.value is not None and hit.value < today:
        out.append("due_date_in_past")
    if hit.value is not None and hit.yearless and hit.value.year > today.year:
        out.append("due_date_next_year")
    if hit.estimated:
        out.append("holiday_date_estimated")
    return out
