"""Working days, working hours, deadlines and quiet hours on fixed dates (no wall clock)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from workflow.calendar import WorkingCalendar, chinese_calendar_knows
from workflow.policy import Counting, Deadline, WorkingDays, load_policy

SH = ZoneInfo("Asia/Shanghai")
POLICY = load_policy()
CAL = WorkingCalendar(POLICY)


def at(y, mo, d, h=0, mi=0) -> datetime:
    return datetime(y, mo, d, h, mi, tzinfo=SH)


def calendar_with(**overrides) -> WorkingCalendar:
    return WorkingCalendar(load_policy(overrides=overrides))


# -- working days -----------------------------------------------------------------------------


def test_weekend_is_skipped():
    assert CAL.is_working_day(date(2026, 3, 13))  # Friday
    assert not CAL.is_working_day(date(2026, 3, 14))
    assert not CAL.is_working_day(date(2026, 3, 15))
    assert CAL.next_working_moment(at(2026, 3, 14, 10)) == at(2026, 3, 16, 8, 30)


def test_library_range_is_read_at_runtime():
    known = [year for year in range(2000, 2040) if chinese_calendar_knows(year)]
    assert known == list(range(known[0], known[-1] + 1))
    assert 2026 in known and 2030 not in known
    with pytest.raises(NotImplementedError):
        chinese_calendar.is_workday(date(known[-1] + 1, 1, 1))


def test_national_day_2026_and_its_make_up_days():
    # chinese-calendar 1.11 ships 2026 as 国庆 Oct 1–7 (Thu–Wed), with Sun Sep 20 and Sat Oct 10
    # worked in lieu; 中秋 is Sep 25–27. (2025's National Day was the eight-day Oct 1–8.)
    for day in range(1, 8):
        assert not CAL.is_working_day(date(2026, 10, day)), day
    assert CAL.is_working_day(date(2026, 10, 8))
    assert CAL.is_working_day(date(2026, 9, 20))  # Sunday, 调休
    assert CAL.is_working_day(date(2026, 10, 10))  # Saturday, 调休
    assert not CAL.is_working_day(date(2026, 9, 25))  # Friday, 中秋
    assert not CAL.is_working_day(date(2026, 10, 11))  # an ordinary Sunday
    assert not any(chinese_calendar.is_workday(date(2025, 10, d)) for d in range(1, 9))
    # 4 working hours from Wednesday 30 Sep 15:00 run past the whole holiday.
    assert CAL.add_working(at(2026, 9, 30, 15), timedelta(hours=4)) == at(2026, 10, 8, 10)


def test_spring_festival_2026():
    for day in range(15, 24):
        assert not CAL.is_working_day(date(2026, 2, day)), day
    assert CAL.is_working_day(date(2026, 2, 14))  # Saturday before, 调休
    assert CAL.is_working_day(date(2026, 2, 28))  # Saturday after, 调休
    # From Friday 16:00 the clock runs into the make-up Saturday, then stops for nine days.
    assert CAL.add_working(at(2026, 2, 13, 16), timedelta(hours=4)) == at(2026, 2, 14, 11)
    assert CAL.add_working(at(2026, 2, 14, 16), timedelta(hours=4)) == at(2026, 2, 24, 11)


def test_agrees_with_chinese_calendar_on_every_known_day():
    day = date(2004, 1, 1)
    while chinese_calendar_knows(day.year):
        assert CAL.is_working_day(day) == chinese_calendar.is_workday(day), day
        day += timedelta(days=1)


def test_unknown_year_uses_weekdays_and_policy_holidays():
    cal = calendar_with(
        **{
            "holidays.extra_holidays": [date(2030, 10, 1), date(2030, 10, 2)],
            "holidays.extra_workdays": [date(2030, 9, 29)],
        }
    )
    assert not cal.knows_year(2030)
    assert cal.is_working_day(date(2030, 1, 1))  # a Tuesday: New Year unknown without the list
    assert not cal.is_working_day(date(2030, 10, 1))
    assert not cal.is_working_day(date(2030, 10, 2))
    assert cal.is_working_day(date(2030, 10, 3))
    assert cal.is_working_day(date(2030, 9, 29))  # a Sunday the company works
    assert not cal.is_working_day(date(2030, 10, 5))
    assert cal.add_working(at(2030, 9, 30, 16), timedelta(hours=4)) == at(2030, 10, 3, 11)


def test_policy_lists_win_in_known_years_too():
    cal = calendar_with(
        **{"holidays.extra_holidays": ["2026-03-16"], "holidays.extra_workdays": ["2026-10-07"]}
    )
    assert not cal.is_working_day(date(2026, 3, 16))
    assert cal.is_working_day(date(2026, 10, 7))


def test_six_day_factory_keeps_saturdays_but_not_holidays():
    cal = calendar_with(**{"working_hours.weekdays": ["mon", "tue", "wed", "thu", "fri", "sat"]})
    assert cal.is_working_day(date(2026, 3, 14))
    assert not cal.is_working_day(date(2026, 10, 3))  # Saturday inside National Day
    assert not cal.is_working_day(date(2026, 3, 15))
    assert cal.is_working_day(date(2026, 9, 20))  # 调休 Sunday


def test_knows_year_and_start_up_warning():
    assert CAL.knows_year(2026)
    assert not CAL.knows_year(2027)
    assert CAL.unknown_years_ahead(at(2026, 12, 1)) == [2027]
    new_year_in_shanghai = datetime(2026, 12, 31, 17, tzinfo=UTC)
    assert CAL.unknown_years_ahead(new_year_in_shanghai) == [2027, 2028]
    assert CAL.unknown_years_ahead(at(2025, 6, 1)) == []
    covered = calendar_with(**{"holidays.covered_years": [2027]})
    assert covered.knows_year(2027)
    assert covered.unknown_years_ahead(at(2026, 12, 1)) == []


# -- working hours ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("moment", "working"),
    [
        (at(2026, 3, 11, 8, 29), False),
        (at(2026, 3, 11, 8, 30), True),
        (at(2026, 3, 11, 11, 59), True),
        (at(2026, 3, 11, 12, 0), False),
        (at(2026, 3, 11, 13, 0), True),
        (at(2026, 3, 11, 17, 29), True),
        (at(2026, 3, 11, 17, 30), False),
        (at(2026, 3, 14, 10, 0), False),
    ],
)
def test_is_working_time(moment, working):
    assert CAL.is_working_time(moment) is working


def test_next_working_moment():
    assert CAL.next_working_moment(at(2026, 3, 11, 10)) == at(2026, 3, 11, 10)
    assert CAL.next_working_moment(at(2026, 3, 11, 12, 15)) == at(2026, 3, 11, 13)
    assert CAL.next_working_moment(at(2026, 3, 11, 17, 30)) == at(2026, 3, 12, 8, 30)
    assert CAL.next_working_moment(at(2026, 3, 13, 20)) == at(2026, 3, 16, 8, 30)


def test_deadline_across_lunch():
    assert CAL.add_working(at(2026, 3, 11, 10, 30), timedelta(hours=4)) == at(2026, 3, 11, 15, 30)


def test_deadline_across_the_night():
    assert CAL.add_working(at(2026, 3, 10, 16), timedelta(hours=4)) == at(2026, 3, 11, 11)


def test_four_hours_from_friday_afternoon_lands_on_monday():
    rule = POLICY.deadline("production_order")
    assert CAL.deadline(at(2026, 3, 13, 16), rule) == at(2026, 3, 16, 11)


def test_deadline_at_the_end_of_the_day_stays_on_that_day():
    assert CAL.add_working(at(2026, 3, 11, 13, 30), timedelta(hours=4)) == at(2026, 3, 11, 17, 30)
    assert CAL.add_working(at(2026, 3, 11, 8, 30), timedelta(hours=3, minutes=30)) == at(
        2026, 3, 11, 12
    )


def test_order_outside_working_hours_starts_the_clock_next_morning():
    assert CAL.add_working(at(2026, 3, 11, 22), timedelta(minutes=20)) == at(2026, 3, 12, 8, 50)
    assert CAL.add_working(at(2026, 3, 11, 12, 30), timedelta(minutes=30)) == at(
        2026, 3, 11, 13, 30
    )


def test_counting_back():
    assert CAL.add_working(at(2026, 3, 11, 10), -timedelta(hours=1)) == at(2026, 3, 11, 9)
    # Landing on 08:30 names the end of the previous working day instead.
    assert CAL.add_working(at(2026, 3, 11, 10), -timedelta(hours=1, minutes=30)) == at(
        2026, 3, 10, 17, 30
    )
    assert CAL.add_working(at(2026, 3, 16, 9), -timedelta(hours=2)) == at(2026, 3, 13, 16)


def test_add_working_days():
    assert CAL.add_working_days(at(2026, 3, 11, 10), 1) == at(2026, 3, 12, 10)
    assert CAL.add_working_days(at(2026, 3, 13, 10), 1) == at(2026, 3, 16, 10)
    assert CAL.add_working_days(at(2026, 3, 11, 8, 30), 1) == at(2026, 3, 11, 17, 30)
    assert CAL.add_working_days(at(2026, 3, 14, 10), 1) == at(2026, 3, 16, 17, 30)
    assert CAL.add_working_days(at(2026, 3, 16, 10), -5) == at(2026, 3, 9, 10)
    assert CAL.add_working_days(at(2026, 3, 16, 10), 0) == at(2026, 3, 16, 10)


def test_shift_working_days():
    assert CAL.shift_working_days(date(2026, 3, 17), -5) == date(2026, 3, 10)
    assert CAL.shift_working_days(date(2026, 3, 14), -1) == date(2026, 3, 13)
    assert CAL.shift_working_days(date(2026, 3, 13), 1) == date(2026, 3, 16)
    assert CAL.shift_working_days(date(2026, 9, 30), 1) == date(2026, 10, 8)
    assert CAL.shift_working_days(date(2026, 3, 14), 0) == date(2026, 3, 14)


def test_working_between():
    assert CAL.working_between(at(2026, 3, 13, 16), at(2026, 3, 16, 11)) == timedelta(hours=4)
    assert CAL.working_between(at(2026, 3, 16, 11), at(2026, 3, 13, 16)) == -timedelta(hours=4)
    assert CAL.working_between(at(2026, 3, 14), at(2026, 3, 15, 23)) == timedelta()


# -- deadlines from rules ---------------------------------------------------------------------


def test_supplier_contact_five_working_days_before_arrival_across_a_weekend():
    rule = POLICY.deadline("supplier_contact")
    # Arrival Tuesday 17 March: Mon 16, Fri 13, Thu 12, Wed 11, Tue 10.
    assert CAL.deadline(date(2026, 3, 17), rule) == at(2026, 3, 10, 17, 30)
    assert CAL.deadline(at(2026, 3, 17, 10), rule) == at(2026, 3, 10, 17, 30)
    # Arrival right after National Day: neither the holiday week nor 中秋 (Sep 25–27) counts.
    assert CAL.deadline(date(2026, 10, 9), rule) == at(2026, 9, 24, 17, 30)


def test_window_rules_open_earlier_than_they_fall_due():
    follow_up = POLICY.deadline("market_follow_up")
    assert CAL.window_opens(date(2026, 3, 18), follow_up) == at(2026, 3, 13, 17, 30)
    assert CAL.deadline(date(2026, 3, 18), follow_up) == at(2026, 3, 16, 17, 30)
    oem = POLICY.deadline("oem_reminder")
    assert CAL.window_opens(date(2026, 3, 16), oem) == at(2026, 3, 12, 17, 30)
    assert CAL.deadline(date(2026, 3, 16), oem) == at(2026, 3, 13, 17, 30)
    assert CAL.window_opens(date(2026, 3, 16), POLICY.deadline("quote")) is None


def test_dispatch_confirmation_is_due_when_the_agreed_day_ends():
    rule = POLICY.deadline("dispatch_confirmation")
    assert CAL.deadline(date(2026, 3, 11), rule) == at(2026, 3, 11, 17, 30)
    assert CAL.deadline(date(2026, 3, 14), rule) == at(2026, 3, 16, 17, 30)


def test_calendar_counted_and_hour_before_rules():
    clock = Deadline(timedelta(hours=24), Counting.CALENDAR)
    assert CAL.deadline(at(2026, 3, 13, 10), clock) == at(2026, 3, 14, 10)
    assert CAL.deadline(date(2026, 3, 13), clock) == at(2026, 3, 14)
    hours_before = Deadline(timedelta(hours=2), Counting.WORKING, before=True)
    assert CAL.deadline(at(2026, 3, 16, 9), hours_before) == at(2026, 3, 13, 16)
    assert CAL.deadline(date(2026, 3, 16), hours_before) == at(2026, 3, 13, 15, 30)
    days_forward = Deadline(WorkingDays(2), Counting.WORKING)
    assert CAL.deadline(at(2026, 3, 12, 14), days_forward) == at(2026, 3, 16, 14)


def test_lunch_free_policy():
    cal = calendar_with(**{"working_hours.lunch": []})
    assert cal.day_length == timedelta(hours=9)
    assert cal.add_working(at(2026, 3, 11, 10, 30), timedelta(hours=4)) == at(2026, 3, 11, 14, 30)


# -- zones ------------------------------------------------------------------------------------


def test_any_input_zone_answers_in_policy_zone():
    friday_4pm_in_utc = datetime(2026, 3, 13, 8, tzinfo=UTC)
    result = CAL.add_working(friday_4pm_in_utc, timedelta(hours=4))
    assert result == at(2026, 3, 16, 11)
    assert result.tzinfo == SH
    assert CAL.next_working_moment(friday_4pm_in_utc).tzinfo == SH
    assert CAL.is_working_day(datetime(2026, 3, 15, 17, tzinfo=UTC))  # already Monday in Shanghai


def test_naive_datetimes_are_refused():
    with pytest.raises(ValueError, match="no time zone"):
        CAL.add_working(datetime(2026, 3, 11, 10), timedelta(hours=1))


# -- quiet hours ------------------------------------------------------------------------------


def test_quiet_hours():
    assert CAL.in_quiet_hours(at(2026, 3, 11, 22))
    assert CAL.in_quiet_hours(at(2026, 3, 11, 7, 59))
    assert not CAL.in_quiet_hours(at(2026, 3, 11, 8))
    assert not CAL.in_quiet_hours(at(2026, 3, 11, 20, 59))
    assert CAL.in_quiet_hours(at(2026, 3, 14, 12))  # Saturday: a rest day


def test_routine_messages_wait_and_urgent_kinds_pass():
    night = at(2026, 3, 11, 22)
    assert CAL.next_allowed_send(night, "reminder") == at(2026, 3, 12, 8)
    assert CAL.next_allowed_send(at(2026, 3, 12, 6), "reminder") == at(2026, 3, 12, 8)
    for kind in ("quality_alert", "gm_escalation"):
        assert CAL.next_allowed_send(night, kind) == night
    assert CAL.next_allowed_send(night, "escalation") == at(2026, 3, 12, 8)
    assert CAL.next_allowed_send(night, "no_such_kind") == at(2026, 3, 12, 8)
    assert CAL.next_allowed_send(at(2026, 3, 11, 10), "reminder") == at(2026, 3, 11, 10)


def test_routine_messages_wait_over_weekends_and_holidays():
    assert CAL.next_allowed_send(at(2026, 3, 13, 22), "reminder") == at(2026, 3, 16, 8)
    assert CAL.next_allowed_send(at(2026, 9, 30, 21, 30), "digest") == at(2026, 10, 8, 8)
    weekends_open = calendar_with(**{"quiet_hours.rest_days": False})
    assert weekends_open.next_allowed_send(at(2026, 3, 13, 22), "reminder") == at(2026, 3, 14, 8)


def test_quiet_hours_can_be_switched_off():
    cal = calendar_with(**{"quiet_hours.enabled": False})
    assert not cal.in_quiet_hours(at(2026, 3, 14, 3))
    assert cal.next_allowed_send(at(2026, 3, 14, 3), "reminder") == at(2026, 3, 14, 3)


# -- properties -------------------------------------------------------------------------------

ZONES = st.sampled_from([SH, UTC, ZoneInfo("America/New_York")])
MOMENTS = st.datetimes(
    min_value=datetime(2025, 12, 1),
    max_value=datetime(2027, 2, 1),
    timezones=ZONES,
    allow_imaginary=False,
)
MINUTES = st.integers(min_value=0, max_value=60 * 24 * 40).map(lambda m: timedelta(minutes=m))


@settings(max_examples=300, deadline=None)
@given(t=MOMENTS, a=MINUTES, b=MINUTES)
def test_adding_working_time_composes(t, a, b):
    """For a, b >= 0: add_working(t, a + b) == add_working(add_working(t, a), b), exactly."""
    assert CAL.add_working(t, a + b) == CAL.add_working(CAL.add_working(t, a), b)


@settings(max_examples=300, deadline=None)
@given(t=MOMENTS, delta=MINUTES.filter(bool))
def test_results_end_inside_working_time(t, delta):
    """For delta > 0 the result lies in (stretch start, stretch end] and holds exactly delta.

    So the instant just before it is working time, the result is never a stretch's start, and
    the working time between t and the result is delta, in either direction.
    """
    tick = timedelta(microseconds=1)
    ahead = CAL.add_working(t, delta)
    assert CAL.is_working_time(ahead - tick)
    assert CAL.working_between(t, ahead) == delta
    assert ahead - t >= delta
    behind = CAL.add_working(t, -delta)
    assert CAL.is_working_time(behind - tick)
    assert CAL.working_between(behind, t) == delta


@settings(max_examples=60, deadline=None)
@given(
    start=st.datetimes(min_value=datetime(2026, 1, 1), max_value=datetime(2026, 12, 31)).map(
        lambda x: x.replace(second=0, microsecond=0, tzinfo=SH)
    ),
    minutes=st.integers(min_value=0, max_value=2 * 8 * 60),
)
def test_matches_counting_minute_by_minute(start, minutes):
    moment, counted = start, 0
    while counted < minutes:
        counted += CAL.is_working_time(moment)
        moment += timedelta(minutes=1)
    assert CAL.add_working(start, timedelta(minutes=minutes)) == moment
