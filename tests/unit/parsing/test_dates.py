from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflow.parsing import parse_message
from workflow.parsing.dates import find_dates

TUE = date(2026, 11, 24)  # a Tuesday


def first(text: str, today: date = TUE, keyed: bool = False) -> date | None:
    hits = [h for h in find_dates(text, today, keyed) if h.kind == "date"]
    return hits[0].value if hits else None


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-12-20", "2026-12-20"), ("2026年12月20日", "2026-12-20"), ("2026/12/26", "2026-12-26"),
    ("2027.02.10", "2027-02-10"), ("12月20号", "2026-12-20"), ("12/28", "2026-12-28"),
    ("十二月十五日", "2026-12-15"), ("今天交", "2026-11-24"), ("明天", "2026-11-25"),
    ("后天", "2026-11-26"), ("大后天", "2026-11-27"), ("3天后", "2026-11-27"),
    ("十天后", "2026-12-04"), ("两周内", "2026-12-08"), ("一个月内", "2026-12-24"),
    ("3个月内", "2027-02-24"), ("10个工作日内", "2026-12-08"), ("本周五", "2026-11-27"),
    ("这周日", "2026-11-29"), ("周五", "2026-11-27"), ("周一前", "2026-11-30"),
    ("下周三", "2026-12-02"), ("下下周五", "2026-12-11"), ("下周", "2026-12-06"),
    ("月底", "2026-11-30"), ("本月底", "2026-11-30"), ("下个月15号", "2026-12-15"),
    ("下月底", "2026-12-31"), ("年底", "2026-12-31"), ("明年1月10号", "2027-01-10"),
    ("明年2月底", "2027-02-28"), ("12月中旬", "2026-12-20"), ("12月上旬", "2026-12-10"),
    ("2027年3月", "2027-03-31"), ("元旦前", "2026-12-31"), ("国庆", "2027-09-30"),
    ("Dec 20", "2026-12-20"), ("20 Dec 2026", "2026-12-20"), ("tomorrow", "2026-11-25"),
    ("next Wednesday", "2026-12-02"), ("in 3 days", "2026-11-27"), ("within 2 weeks", "2026-12-08"),
    ("end of month", "2026-11-30"), ("end of year", "2026-12-31"),
])
def test_dates(text: str, expected: str) -> None:
    assert first(text) == date.fromisoformat(expected)


@pytest.mark.parametrize(("text", "expected"), [
    ("12.30", "2026-12-30"), ("12-26", "2026-12-26"), ("30天", "2026-12-24"), ("20号", "2026-12-20"),
    ("合同签订后30天", "2026-12-24"), ("3月", "2027-03-31"), ("今天", "2026-11-24"),
])
def test_dates_in_a_due_date_value(text: str, expected: str) -> None:
    assert first(text, keyed=True) == date.fromisoformat(expected)


@pytest.mark.parametrize("text", ["单价12.30", "3号楼", "一周", "GGD2-15", "Y160M-4", "XBD8/30-SLH",
                                  "YB-12/0.4-630", "ZGS-2500/35", "BXM51-6/16", "300*100"])
def test_not_dates_in_free_text(text: str) -> None:
    assert first(text) is None


def test_a_shift_is_not_a_date() -> None:
    (hit,) = find_dates("推迟一周", TUE, keyed=True)
    assert hit.kind == "shift" and hit.value is None


def test_month_day_rolls_into_next_year() -> None:
    assert first("1月10号", date(2026, 12, 28)) == date(2027, 1, 10)
    assert first("12月28日", date(2026, 12, 28)) == date(2026, 12, 28)  # today is still ahead
    assert first("12月27日", date(2026, 12, 28)) == date(2027, 12, 27)


def test_invalid_dates_are_unreadable() -> None:
    hits = find_dates("2026-02-30", TUE)
    assert hits and hits[0].kind == "unreadable"
    assert first("2月29日", date(2026, 3, 1)) == date(2028, 2, 29)


@given(st.dates(min_value=date(2020, 1, 1), max_value=date(2035, 12, 31)),
       st.integers(min_value=0, max_value=364))
def test_month_day_is_the_next_such_date(today: date, ahead: int) -> None:
    target = today + timedelta(days=ahead)
    if (target.month, target.day) == (2, 29):
        return
    assert first(f"{target.month}月{target.day}日", today) == target


@given(st.from_regex(r"[A-Z]{1,4}[0-9]{1,3}(-[0-9]{1,3}[A-Z]?){0,2}", fullmatch=True))
def test_model_numbers_are_never_dates(model: str) -> None:
    assert find_dates(model, TUE, keyed=True) == []
    result = parse_message(f"/order 客户:华东电力 产品:开关柜 型号:{model} 数量:3台", datetime(2026, 11, 24, 10))
    assert result.fields.due_date is None
    assert result.fields.model == model


def test_dates_are_shanghai_days() -> None:
    # 17:30 UTC on the 30th is already 1 December in Shanghai.
    now = datetime.fromisoformat("2026-11-30T17:30:00+00:00")
    result = parse_message("/order 客户:华东电力 产品:开关柜 数量:1台 交期:明天", now)
    assert result.fields.due_date == date(2026, 12, 2)


def test_naive_now_is_taken_as_shanghai_time() -> None:
    result = parse_message("/order 客户:华东电力 产品:开关柜 数量:1台 交期:明天", datetime(2026, 11, 24, 23, 50))
    assert result.fields.due_date == date(2026, 11, 25)


def test_past_due_date_warns() -> None:
    result = parse_message("/order 客户:华东电力 产品:开关柜 数量:1台 交期:2026-11-01",
                           datetime.fromisoformat("2026-11-24T10:00:00+08:00"))
    assert result.fields.due_date == date(2026, 11, 1)
    assert "due_date_in_past" in result.warnings


# --- holidays (issue 13) --------------------------------------------------------------------

from chinese_calendar import constants as _cc  # noqa: E402

from workflow.parsing import chinese_calendar_holidays  # noqa: E402
from workflow.parsing.dates import LUNAR_HOLIDAYS  # noqa: E402


def _hit(text: str, today: date, holidays=None):
    (hit,) = [h for h in find_dates(text, today, holidays=holidays) if h.kind == "date"]
    return hit


@pytest.mark.parametrize(("text", "today", "expected"), [
    ("春节前", date(2026, 1, 10), "2026-02-14"),  # the 2026 break starts on 15 February
    ("国庆前", date(2026, 9, 1), "2026-09-30"),
    ("五一前", date(2026, 3, 2), "2026-04-30"),
    ("中秋前", date(2026, 9, 1), "2026-09-24"),
    ("元旦前", date(2025, 12, 1), "2025-12-31"),
    ("端午节前", date(2026, 6, 1), "2026-06-18"),
])
def test_holidays_from_the_calendar(text: str, today: date, expected: str) -> None:
    hit = _hit(text, today, chinese_calendar_holidays)
    assert hit.value == date.fromisoformat(expected) and not hit.estimated


@pytest.mark.parametrize(("text", "expected"), [
    ("春节前", "2027-02-05"), ("中秋前", "2027-09-14"), ("国庆前", "2027-09-30"), ("元旦前", "2026-12-31"),
    ("年前", "2027-02-05"), ("过年前", "2027-02-05"),
])
def test_holidays_of_an_unknown_year_are_estimated(text: str, expected: str) -> None:
    hit = _hit(text, TUE, chinese_calendar_holidays)  # chinese-calendar 1.11 stops at 2026
    assert hit.value == date.fromisoformat(expected) and hit.estimated


def test_the_lunar_table_agrees_with_the_calendar() -> None:
    names = {"spring_festival": "Spring Festival", "dragon_boat": "Dragon Boat Festival",
             "mid_autumn": "Mid-autumn Festival"}
    checked = 0
    for holiday, years in LUNAR_HOLIDAYS.items():
        for year, (month, day) in years.items():
            if (holiday, year) == ("mid_autumn", 2020) or chinese_calendar_holidays(holiday, year) is None:
                continue  # 2020's Mid-autumn fell on National Day and is recorded as that
            assert _cc.holidays.get(date(year, month, day)) == names[holiday], (holiday, year)
            checked += 1
    assert checked >= 18


def test_a_date_without_a_year_can_land_next_year() -> None:
    now = datetime(2026, 12, 2, 9, 0)
    result = parse_message("/order 客户:华东电力 产品:开关柜 数量:3台 交期:11月1日", now)
    assert result.fields.due_date == date(2027, 11, 1)
    assert "due_date_next_year" in result.warnings
    dated = parse_message("/order 客户:华东电力 产品:开关柜 数量:3台 交期:2027年11月1日", now)
    assert "due_date_next_year" not in dated.warnings


@pytest.mark.parametrize(("text", "expected"), [
    ("下下周一", "2026-12-07"), ("月中前", "2026-12-15"), ("下旬", "2026-11-30"), ("12月下旬", "2026-12-31"),
    ("下月中", "2026-12-15"),
])
def test_periods(text: str, expected: str) -> None:
    assert first(text) == date.fromisoformat(expected)
