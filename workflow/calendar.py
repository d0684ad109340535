"""Working time: which days and hours count towards a deadline, and when a message may go out.

Every method takes timezone-aware datetimes in any zone and answers in the policy's zone
(Asia/Shanghai by default); naive datetimes are refused, because guessing their zone is how
deadlines end up eight hours off. Arithmetic is done on the policy zone's wall clock.

Statutory holidays and 调休 make-up days come from chinese-calendar for the years it ships;
other years fall back to the policy's weekdays. The policy's extra_holidays / extra_workdays
win over both, in every year.

At a boundary between working stretches (12:00 and 13:00, 17:30 and the next 08:30) the same
amount of working time has elapsed; results then name the end of the earlier stretch, so a
deadline reads "17:30 today" rather than "08:30 next working day".
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from itertools import islice

import chinese_calendar

from workflow.policy import Counting, Deadline, Policy, Span, WorkingDays

_ONE_DAY = timedelta(days=1)
_NO_TIME = timedelta(0)
# A policy with no working day for this long is broken; stop instead of searching forever.
_MAX_IDLE_DAYS = 3 * 366


@cache
def chinese_calendar_knows(year: int) -> bool:
    """Whether the installed chinese-calendar has holiday data for `year` (it raises otherwise)."""
    try:
        chinese_calendar.is_workday(date(year, 7, 1))
    except (NotImplementedError, ValueError):
        return False
    return True


def _since_midnight(clock: time) -> timedelta:
    return timedelta(hours=clock.hour, minutes=clock.minute, seconds=clock.second)


def _midnight(day: date) -> datetime:
    return datetime.combine(day, time.min)


class WorkingCalendar:
    """Working days, working hours and quiet hours of one policy."""

    def __init__(self, policy: Policy) -> None:
        self.policy = policy
        self.tz = policy.tz
        hours = policy.working_hours
        self._segments = tuple((_since_midnight(a), _since_midnight(b)) for a, b in hours.segments)
        self.day_length = hours.day_length
        self._working_day_cache: dict[date, bool] = {}

    # -- days ------------------------------------------------------------------------------

    def knows_year(self, year: int) -> bool:
        """Whether `year`'s holidays are known: shipped by chinese-calendar or covered by the policy."""
        return chinese_calendar_knows(year) or year in self.policy.holidays.covered_years

    def unknown_years_ahead(self, now: datetime, years_ahead: int = 1) -> list[int]:
        """This year and the next `years_ahead` whose holidays nobody knows, for a start-up warning."""
        this_year = self._local(now).year
        return [y for y in range(this_year, this_year + years_ahead + 1) if not self.knows_year(y)]

    def is_working_day(self, day: date) -> bool:
        if isinstance(day, datetime):
            day = self._local(day).date()
        known = self._working_day_cache.get(day)
        if known is None:
            known = self._working_day_cache[day] = self._decide_working_day(day)
        return known

    def _decide_working_day(self, day: date) -> bool:
        holidays = self.policy.holidays
        if day in holidays.extra_workdays:
            return True
        if day in holidays.extra_holidays:
            return False
        if chinese_calendar_knows(day.year):
            on_holiday, holiday_name = chinese_calendar.get_holiday_detail(day)
            if holiday_name is not None:
                # A named day is a statutory holiday or its 调休 make-up workday; an ordinary day
                # defers to the policy's weekdays so a six-day factory keeps its Saturdays.
                return not on_holiday
        return day.weekday() in self.policy.working_hours.weekdays

    def _working_days(self, start: date, step: int) -> Iterator[date]:
        """Working days from `start` (included) onwards, forwards (step 1) or backwards (-1)."""
        day, idle = start, 0
        while True:
            if self.is_working_day(day):
                idle = 0
                yield day
            else:
                idle += 1
                if idle > _MAX_IDLE_DAYS:
                    raise ValueError(
                        f"no working day within {_MAX_IDLE_DAYS} days of {start}; "
                        "check working_hours.weekdays and holidays.extra_holidays"
                    )
            day += step * _ONE_DAY

    def shift_working_days(self, day: date, n: int) -> date:
        """The n-th working day after `day` (before it when n < 0); `day` itself never counts."""
        if n == 0:
            return day
        step = 1 if n > 0 else -1
        return next(islice(self._working_days(day + step * _ONE_DAY, step), abs(n) - 1, None))

    def working_day_start(self, day: date) -> datetime:
        return self._aware(_midnight(day) + self._segments[0][0])

    def working_day_end(self, day: date) -> datetime:
        return self._aware(_midnight(day) + self._segments[-1][1])

    # -- hours -----------------------------------------------------------------------------

    def is_working_time(self, t: datetime) -> bool:
        """Whether the deadline clock runs at `t`; stretches include their start, not their end."""
        x = self._local(t)
        if not self.is_working_day(x.date()):
            return False
        offset = x - _midnight(x.date())
        return any(start <= offset < end for start, end in self._segments)

    def next_working_moment(self, t: datetime) -> datetime:
        """`t` itself when it is working time, otherwise the moment work next resumes."""
        x = self._local(t)
        for day in self._working_days(x.date(), 1):
            midnight = _midnight(day)
            for start, end in self._segments:
                if x < midnight + end:
                    return self._aware(max(x, midnight + start))
        raise AssertionError("unreachable: _working_days never ends")

    def add_working(self, t: datetime, delta: timedelta) -> datetime:
        """The moment when `delta` of working time has passed since `t` (before it if negative).

        Only working hours on working days count. For delta != 0 the result always lies inside a
        working stretch or exactly at its end, never at its start; add_working(t, 0) is t.
        """
        if delta < _NO_TIME:
            return self._subtract_working(t, -delta)
        x = self._local(t)
        remaining = delta
        if not remaining:
            return self._aware(x)
        first_start = self._segments[0][0]
        for day in self._working_days(x.date(), 1):
            midnight = _midnight(day)
            if x <= midnight + first_start and remaining > self.day_length:
                remaining -= self.day_length
                continue
            for start, end in self._segments:
                begin, stop = max(x, midnight + start), midnight + end
                if begin >= stop:
                    continue
                if remaining <= stop - begin:
                    return self._aware(begin + remaining)
                remaining -= stop - begin
        raise AssertionError("unreachable: _working_days never ends")

    def _subtract_working(self, t: datetime, delta: timedelta) -> datetime:
        x = self._local(t)
        remaining = delta
        last_end = self._segments[-1][1]
        for day in self._working_days(x.date(), -1):
            midnight = _midnight(day)
            if x >= midnight + last_end and remaining > self.day_length:
                remaining -= self.day_length
                continue
            for start, end in reversed(self._segments):
                begin, stop = midnight + start, min(x, midnight + end)
                if begin >= stop:
                    continue
                if not remaining:
                    # Landed exactly on a stretch's start last time round: name the earlier end.
                    return self._aware(stop)
                if remaining < stop - begin:
                    return self._aware(stop - remaining)
                remaining -= stop - begin
        raise AssertionError("unreachable: _working_days never ends")

    def add_working_days(self, t: datetime, n: int) -> datetime:
        """`n` full working days of working time from `t`; negative n counts back.

        Every working day has the same hours, so this is add_working(t, n × day length): from
        10:00 one working day is 10:00 next working day, from 08:30 it is 17:30 the same day.
        """
        return self.add_working(t, n * self.day_length)

    def working_between(self, a: datetime, b: datetime) -> timedelta:
        """How much working time lies between `a` and `b` (negative if b is before a)."""
        if b < a:
            return -self.working_between(b, a)
        x, y = self._local(a), self._local(b)
        total = _NO_TIME
        day = x.date()
        while day <= y.date():
            if self.is_working_day(day):
                midnight = _midnight(day)
                for start, end in self._segments:
                    overlap = min(y, midnight + end) - max(x, midnight + start)
                    if overlap > _NO_TIME:
                        total += overlap
            day += _ONE_DAY
        return total

    # -- deadlines -------------------------------------------------------------------------

    def deadline(self, anchor: datetime | date, rule: Deadline) -> datetime:
        """When `rule` falls due, counted from `anchor`.

        A forward rule counts from the anchor moment; a date anchor means the start of that
        day, so "1wd" from the agreed dispatch day is the end of that working day.

        A `before` rule in working days is day-granular, like “提前5个工作日”: it is due when
        work ends on the n-th working day before the anchor's date. A `before` rule in hours
        counts back from the anchor moment (a date anchor again means the start of the day).
        """
        return self._apply(anchor, rule.duration, rule)

    def window_opens(self, anchor: datetime | date, rule: Deadline) -> datetime | None:
        """When the task of a “提前2-3天” rule should start, or None if the rule has no window."""
        if rule.opens is None:
            return None
        return self._apply(anchor, rule.opens, rule)

    def _apply(self, anchor: datetime | date, span: Span, rule: Deadline) -> datetime:
        if rule.before and isinstance(span, WorkingDays):
            day = self._local(anchor).date() if isinstance(anchor, datetime) else anchor
            return self.working_day_end(self.shift_working_days(day, -span.count))
        start = anchor if isinstance(anchor, datetime) else self._aware(_midnight(anchor))
        if isinstance(span, WorkingDays):
            return self.add_working_days(start, span.count)
        signed = -span if rule.before else span
        if rule.counts_in is Counting.CALENDAR:
            # Elapsed time, not wall-clock time, in case the policy zone keeps summer time.
            return (start.astimezone(UTC) + signed).astimezone(self.tz)
        return self.add_working(start, signed)

    # -- quiet hours -----------------------------------------------------------------------

    def in_quiet_hours(self, t: datetime) -> bool:
        return self._quiet(self._local(t))

    def _quiet(self, x: datetime) -> bool:
        quiet = self.policy.quiet_hours
        if not quiet.enabled:
            return False
        if quiet.rest_days and not self.is_working_day(x.date()):
            return True
        clock = x.time()
        if quiet.start <= quiet.end:
            return quiet.start <= clock < quiet.end
        return clock >= quiet.start or clock < quiet.end

    def next_allowed_send(self, t: datetime, kind: str) -> datetime:
        """The earliest moment from `t` on when a message of `kind` may be sent."""
        quiet = self.policy.quiet_hours
        x = self._local(t)
        if quiet.lets_through(kind):
            return self._aware(x)
        for _ in range(_MAX_IDLE_DAYS * 2):
            if not self._quiet(x):
                return self._aware(x)
            if quiet.rest_days and not self.is_working_day(x.date()):
                x = _midnight(x.date() + _ONE_DAY)
                continue
            quiet_ends = datetime.combine(x.date(), quiet.end)
            x = quiet_ends if x < quiet_ends else quiet_ends + _ONE_DAY
        raise ValueError("quiet hours never end; check quiet_hours and working_hours.weekdays")

    # -- zones -----------------------------------------------------------------------------

    def _local(self, t: datetime) -> datetime:
        if t.tzinfo is None or t.utcoffset() is None:
            raise ValueError(f"{t!r} has no time zone; pass an aware datetime")
        return t.astimezone(self.tz).replace(tzinfo=None)

    def _aware(self, x: datetime) -> datetime:
        return x.replace(tzinfo=self.tz)
