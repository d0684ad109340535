"""Answers to one follow-up question ("交期呢？" → "下周三")."""

from __future__ import annotations

from datetime import date, datetime, timedelta, timezone

import pytest

from workflow.parsing import parse_field_value

NOW = datetime(2026, 11, 24, 10, 15, tzinfo=timezone(timedelta(hours=8)))


@pytest.mark.parametrize(("field", "text", "value", "warning"), [
    ("due_date", "下周三", date(2026, 12, 2), None),
    ("due_date", "12月20号前", date(2026, 12, 20), None),
    ("due_date", "交期：明年1月10号", date(2027, 1, 10), None),
    ("due_date", "30天", date(2026, 12, 24), None),
    ("due_date", "2026-11-01", date(2026, 11, 1), "due_date_in_past"),
    ("due_date", "还没定", None, "date_unreadable"),
    ("due_date", "春节前", date(2027, 2, 5), "holiday_date_estimated"),
    ("due_date", "11月1日", date(2027, 11, 1), None),  # accepted; the card says "next year"
    ("due_date", "推迟一周", None, "date_shift_relative"),
    ("quantity", "15台", 15, None),
    ("quantity", "三百五十", 350, None),
    ("quantity", "数量：2.5吨", 2.5, None),
    ("quantity", "0", 0, "quantity_not_positive"),
    ("quantity", "不知道", None, "quantity_unreadable"),
    ("unit", "15台", "台", None),
    ("unit", "sets", "套", None),
    ("unit_price", "3.5万", 35000, None),
    ("unit_price", "一万二", 12000, None),
    ("unit_price", "¥1,580", 1580, None),
    ("unit_price", "7200元/吨", 7200, None),
    ("unit_price", "$950", 950, "currency_not_cny"),
    ("unit_price", "面议", None, "price_unreadable"),
    ("amount", "总价42万", 420000, None),
    ("amount", "-5万", -50000, "amount_not_positive"),
    ("amount", "0", 0, "amount_not_positive"),
    ("unit_price", "-3200", -3200, "price_not_positive"),
    ("amount", "99999999999999999999", None, "amount_too_large"),
    ("unit_price", "1e308", None, "price_too_large"),
    ("unit_price", "inf", None, "price_unreadable"),
    ("amount", "nan", None, "price_unreadable"),
    ("quantity", "99999999999999999999", None, "quantity_too_large"),
    ("quantity", "-5台", -5, "quantity_not_positive"),
    ("customer", " 华东电力 ", "华东电力", None),
    ("customer", "客户是江苏恒通机械", "江苏恒通机械", None),
    ("customer", "⭐【华东电力】⭐", "华东电力", None),
    ("product", "🔧开关柜\u200b", "开关柜", None),
    ("product", "产品：GGD低压开关柜", "GGD低压开关柜", None),
    ("model", "GGD2-15", "GGD2-15", None),
    ("notes", "柜体颜色RAL7035，带防雨罩", "柜体颜色RAL7035，带防雨罩", None),
    ("customer", "   ", None, "value_empty"),
    ("complete_set", "是", True, None),
    ("complete_set", "不成套", False, None),
    ("complete_set", "否", False, None),
    ("complete_set", "随便", None, "value_unreadable"),
    ("order_class", "非常规，要重新设计", "non_regular", None),
    ("order_class", "常规", "regular", None),
])
def test_answers(field: str, text: str, value, warning) -> None:
    assert parse_field_value(field, text, NOW) == (value, warning)


def test_unknown_field_is_a_programming_error() -> None:
    with pytest.raises(ValueError):
        parse_field_value("colour", "red", NOW)
