"""The statutory holidays chinese-calendar ships, as a lookup for `parse_message(holidays=…)`.

"春节前" is the day before the Spring Festival break, and the break's first day is a State
Council decision that chinese-calendar records for the years it ships.  The table is built
once, when this module is imported; the parser itself only ever calls the lookup it is given.
Where a year is missing the parser falls back to the fixed or lunar date and says so.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, timedelta

from chinese_calendar import constants

_KEYS = {
    constants.Holiday.new_years_day.value: "new_year",
    constants.Holiday.spring_festival.value: "spring_festival",
    constants.Holiday.tomb_sweeping_day.value: "qingming",
    constants.Holiday.labour_day.value: "labour_day",
    constants.Holiday.dragon_boat_festival.value: "dragon_boat",
    constants.Holiday.mid_autumn_festival.value: "mid_autumn",
    constants.Holiday.national_day.value: "national_day",
}


def _first_days(days: Mapping[date, str]) -> dict[tuple[str, int], date]:
    """(holiday, year) → first day off.  A New Year break starting on 30 December belongs to
    the year it leads into."""
    starts: dict[tuple[str, int], date] = {}
    for day in sorted(days):
        key = _KEYS.get(days[day])
        if key is None or days.get(day - timedelta(days=1)) == days[day]:
            continue
        year = day.year + 1 if key == "new_year" and day.month == 12 else day.year
        starts.setdefault((key, year), day)
    return starts


_STARTS = _first_days(constants.holidays)


def chinese_calendar_holidays(holiday: str, year: int) -> date | None:
    """A `HolidayLookup`: the first day off of `holiday` in `year`, or None when unknown."""
    return _STARTS.get((holiday, year))
