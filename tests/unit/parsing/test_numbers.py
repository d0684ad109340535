from __future__ import annotations

from decimal import Decimal

import cn2an
import pytest
from hypothesis import given
from hypothesis import strategies as st

from workflow.parsing.numbers import RE_QUANTITY, RE_QUANTITY_VALUE, parse_number, unit_of


@pytest.mark.parametrize(("text", "value"), [
    ("12", 12), ("1,580", 1580), ("185,000", 185000), ("3.5万", 35000), ("3万5", 35000),
    ("3万5千", 35000), ("一万二", 12000), ("一万一", 11000), ("三百五十", 350), ("二十", 20),
    ("十五", 15), ("十", 10), ("两百", 200), ("两百五", 250), ("三千五", 3500), ("一百零五", 105),
    ("一千零五十", 1050), ("一百一", 110), ("20.4万", 204000), ("二十万", 200000),
    ("一亿二千万", 120_000_000), ("1.2w", 12000), ("2k", 2000), ("2.8k", 2800), ("零", 0),
    ("二〇二六", 2026), ("壹万贰仟", 12000), ("2.5", Decimal("2.5")),
])
def test_numbers(text: str, value) -> None:
    assert parse_number(text) == value


@pytest.mark.parametrize("text", ["", "万", "千", "百", "abc", "1.2.3", "12一", "一万万"])
def test_not_numbers(text: str) -> None:
    assert parse_number(text) is None


@given(st.integers(min_value=0, max_value=999_999_999))
def test_standard_chinese_numerals_read_back(n: int) -> None:
    assert parse_number(cn2an.an2cn(n)) == n


@given(st.integers(min_value=0, max_value=10**9))
def test_arabic_with_thousands_separators(n: int) -> None:
    assert parse_number(f"{n:,}") == n


@pytest.mark.parametrize(("text", "number", "unit"), [
    ("30台", 30, "台"), ("十五台", 15, "台"), ("2.5公里", Decimal("2.5"), "公里"), ("1200 m", 1200, "米"),
    ("12 sets", 12, "套"), ("10 pcs", 10, "个"), ("两百套", 200, "套"), ("八面", 8, "面"),
])
def test_quantities(text: str, number, unit: str) -> None:
    m = RE_QUANTITY_VALUE.match(text)
    assert m and parse_number(m.group("num")) == number and unit_of(m) == unit


@pytest.mark.parametrize("text", ["一个月内", "追加一个单", "Y160M-4电机", "GGD2-15", "3天后", "一件事"])
def test_words_that_are_not_quantities(text: str) -> None:
    assert RE_QUANTITY.search(text) is None
